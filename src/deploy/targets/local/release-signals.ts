/**
 * The agent's book of per-release signals beside the proxy's counters: restarts of each release's
 * instances, and the error signatures found in their output (structured JSON lines or plain error
 * reports, see analysis/error-signature). It also keeps a short in-memory history — a snapshot every
 * few seconds for the last half hour — that `shipgate status` and the dashboard read as points.
 */
import { errorSignature } from "../../../analysis/error-signature.js";
import {
  emptyReleaseMetrics,
  type ProxyStats,
  subtractTraffic,
  summarizeTraffic,
} from "../../../proxy/index.js";
import type {
  ErrorSignatureCount,
  InstanceInfo,
  ReleaseSeries,
  ReleaseSignals,
  SeriesPoint,
  TargetMetrics,
} from "../types.js";

/** Signatures kept per release; further new ones are counted in errorLines only. */
export const maxSignaturesPerRelease = 100;

export interface SignalBook {
  /** An instance's output line. */
  observeLine(releaseId: string, stream: "out" | "err", line: string): void;
  /** The supervisor's instances (restart counters only grow; stopped instances keep their count). */
  observeInstances(instances: readonly InstanceInfo[]): void;
  /** A snapshot combining the proxy's counters with restarts and error signatures. */
  snapshot(stats: ProxyStats, versions: ReadonlyMap<string, string>): TargetMetrics;
}

export function createSignalBook(now: () => Date = () => new Date()): SignalBook {
  const errors = new Map<string, { lines: number; bySignature: Map<string, ErrorSignatureCount> }>();
  const restarts = new Map<string, { releaseId: string; restarts: number }>();

  return {
    observeLine(releaseId, stream, line) {
      const found = errorSignature(stream, line);
      if (found === null) return;
      let book = errors.get(releaseId);
      if (book === undefined) {
        book = { lines: 0, bySignature: new Map() };
        errors.set(releaseId, book);
      }
      book.lines++;
      const at = now().toISOString();
      const known = book.bySignature.get(found.signature);
      if (known) {
        known.count++;
        known.lastSeen = at;
      } else if (book.bySignature.size < maxSignaturesPerRelease) {
        book.bySignature.set(found.signature, {
          signature: found.signature,
          count: 1,
          sample: found.sample,
          firstSeen: at,
          lastSeen: at,
        });
      }
    },
    observeInstances(instances) {
      for (const i of instances) {
        const known = restarts.get(i.id);
        if (known === undefined || i.restarts > known.restarts) {
          restarts.set(i.id, { releaseId: i.releaseId, restarts: i.restarts });
        }
      }
    },
    snapshot(stats, versions) {
      const ids = new Set([...Object.keys(stats.releases), ...errors.keys(), ...versions.keys()]);
      for (const r of restarts.values()) ids.add(r.releaseId);
      const releases: Record<string, ReleaseSignals> = {};
      for (const id of ids) {
        let restartCount = 0;
        for (const r of restarts.values()) if (r.releaseId === id) restartCount += r.restarts;
        const book = errors.get(id);
        releases[id] = {
          version: versions.get(id) ?? null,
          traffic: stats.releases[id] ?? emptyReleaseMetrics(),
          restarts: restartCount,
          errorLines: book?.lines ?? 0,
          errors: [...(book?.bySignature.values() ?? [])]
            .sort((a, b) => b.count - a.count)
            .map((e) => ({ ...e })),
        };
      }
      return { at: now().toISOString(), releases };
    },
  };
}

export interface MetricsHistory {
  record(snapshot: TargetMetrics): void;
  /** Per release, the points of the last `seconds` (each the change since the sample before it) and the span as one. */
  /**
   * `latest` (a snapshot taken now, not stored) ends the series, so the figures include the seconds
   * since the last sample.
   */
  series(seconds: number, latest?: TargetMetrics): Record<string, ReleaseSeries>;
}

function point(id: string, cur: TargetMetrics, prev: TargetMetrics): SeriesPoint | null {
  const signals = cur.releases[id];
  if (signals === undefined) return null;
  const elapsedS = Math.max(0.001, (Date.parse(cur.at) - Date.parse(prev.at)) / 1000);
  const delta = subtractTraffic(signals.traffic, prev.releases[id]?.traffic);
  return { t: cur.at, ...summarizeTraffic(delta), rps: delta.requests / elapsedS };
}

/** Keeps `keep` snapshots (the agent records one every 5 s: 360 are 30 minutes). */
export function createMetricsHistory(keep = 360): MetricsHistory {
  const stored: TargetMetrics[] = [];
  return {
    record(snapshot) {
      stored.push(snapshot);
      if (stored.length > keep) stored.shift();
    },
    series(seconds, latest) {
      const out: Record<string, ReleaseSeries> = {};
      const snapshots = latest ? [...stored, latest] : stored;
      const last = snapshots.at(-1);
      if (last === undefined) return out;
      const from = Date.parse(last.at) - seconds * 1000;
      const first = Math.max(0, snapshots.findIndex((s) => Date.parse(s.at) >= from) - 1);
      for (let i = first + 1; i < snapshots.length; i++) {
        const cur = snapshots[i] as TargetMetrics;
        const prev = snapshots[i - 1] as TargetMetrics;
        for (const id of Object.keys(cur.releases)) {
          const p = point(id, cur, prev);
          if (p === null) continue;
          const series = out[id] ?? { points: [], span: null };
          series.points.push(p);
          out[id] = series;
        }
      }
      const start = snapshots[first] as TargetMetrics;
      if (start !== last) {
        for (const [id, series] of Object.entries(out)) series.span = point(id, last, start);
      }
      return out;
    },
  };
}
