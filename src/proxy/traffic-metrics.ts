/**
 * The golden signals the proxy records, per release and per route group: requests, responses by
 * status class, upstream (connection) errors, and a latency histogram with its sum. Counters only
 * grow; a reader takes two snapshots and subtracts them for an interval. Plain data, so worker
 * processes send it to the agent, which sums the workers (mergeStats).
 */
import {
  addLatencyCounts,
  emptyLatencyCounts,
  latencyBucket,
  latencyQuantile,
  subtractLatencyCounts,
} from "../analysis/latency-histogram.js";

export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

export interface TrafficMetrics {
  /** Requests routed (a retried request counts once). */
  requests: number;
  /** Responses by status class, as the client saw them (the proxy's own 502/504 included). */
  status: Record<StatusClass, number>;
  /** Requests the proxy answered 502/504 because the upstream failed (refused, reset, timed out). */
  upstreamErrors: number;
  /** Time to the end of the response, counted per latencyBoundsMs bucket (plus the overflow bucket). */
  latency: number[];
  /** The sum of those times, ms. */
  latencySumMs: number;
}

export interface ReleaseMetrics extends TrafficMetrics {
  /** Retries on another instance after an upstream connection error. */
  retries: number;
  /** The same signals per route group (see route-groups.ts). */
  groups: Record<string, TrafficMetrics>;
}

export interface ProxyStats {
  /** Requests (and open WebSockets) being served, per instance id. */
  inFlight: Record<string, number>;
  releases: Record<string, ReleaseMetrics>;
  /** Requests answered 503 because nothing was routable. */
  unrouted: number;
}

export function emptyTraffic(): TrafficMetrics {
  return {
    requests: 0,
    status: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
    upstreamErrors: 0,
    latency: emptyLatencyCounts(),
    latencySumMs: 0,
  };
}

export function emptyReleaseMetrics(): ReleaseMetrics {
  return { ...emptyTraffic(), retries: 0, groups: {} };
}

export function statusClass(status: number): StatusClass {
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  if (status >= 200) return "2xx";
  return "1xx";
}

/**
 * Counts one finished response (status 499: the client went away, no status counted) in `m`, and in
 * `also` when given (a release and its route group share one status class and bucket computation).
 */
export function recordResponse(
  m: TrafficMetrics,
  status: number,
  elapsedMs: number,
  also?: TrafficMetrics,
): void {
  const counted = status === 499 ? null : statusClass(status);
  const bucket = latencyBucket(elapsedMs);
  count(m, counted, bucket, elapsedMs);
  if (also !== undefined) count(also, counted, bucket, elapsedMs);
}

function count(m: TrafficMetrics, counted: StatusClass | null, bucket: number, elapsedMs: number): void {
  if (counted !== null) m.status[counted]++;
  m.latency[bucket] = (m.latency[bucket] as number) + 1;
  m.latencySumMs += elapsedMs;
}

/** Adds `from` into `into` (in place). */
export function addTraffic(into: TrafficMetrics, from: TrafficMetrics): TrafficMetrics {
  into.requests += from.requests;
  into.upstreamErrors += from.upstreamErrors;
  for (const k of Object.keys(into.status) as StatusClass[]) into.status[k] += from.status[k];
  addLatencyCounts(into.latency, from.latency);
  into.latencySumMs += from.latencySumMs;
  return into;
}

/** later − earlier for counters of the same series (an interval's traffic). */
export function subtractTraffic(later: TrafficMetrics, earlier: TrafficMetrics | undefined): TrafficMetrics {
  // No earlier snapshot, or the counters restarted (an agent restart): everything counted is new.
  if (earlier === undefined || later.requests < earlier.requests) return structuredClone(later);
  const status = { ...later.status };
  for (const k of Object.keys(status) as StatusClass[])
    status[k] = Math.max(0, status[k] - earlier.status[k]);
  return {
    requests: Math.max(0, later.requests - earlier.requests),
    status,
    upstreamErrors: Math.max(0, later.upstreamErrors - earlier.upstreamErrors),
    latency: subtractLatencyCounts(later.latency, earlier.latency),
    latencySumMs: Math.max(0, later.latencySumMs - earlier.latencySumMs),
  };
}

/** The figures a person reads: rate of 5xx among answered requests, and latency quantiles. */
export interface TrafficSummary {
  requests: number;
  /** 5xx responses (upstream errors included) / responses with a status; null with no responses. */
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export function summarizeTraffic(m: TrafficMetrics): TrafficSummary {
  const answered = m.status["1xx"] + m.status["2xx"] + m.status["3xx"] + m.status["4xx"] + m.status["5xx"];
  return {
    requests: m.requests,
    errorRate: answered === 0 ? null : m.status["5xx"] / answered,
    p50Ms: latencyQuantile(m.latency, 0.5),
    p95Ms: latencyQuantile(m.latency, 0.95),
    p99Ms: latencyQuantile(m.latency, 0.99),
  };
}

/** Sums the statistics of several proxies (the workers). */
export function mergeStats(all: readonly ProxyStats[]): ProxyStats {
  const merged: ProxyStats = { inFlight: {}, releases: {}, unrouted: 0 };
  for (const s of all) {
    merged.unrouted += s.unrouted;
    for (const [id, n] of Object.entries(s.inFlight)) merged.inFlight[id] = (merged.inFlight[id] ?? 0) + n;
    for (const [id, m] of Object.entries(s.releases)) {
      const into = merged.releases[id] ?? emptyReleaseMetrics();
      addTraffic(into, m);
      into.retries += m.retries;
      for (const [group, g] of Object.entries(m.groups)) {
        into.groups[group] = addTraffic(into.groups[group] ?? emptyTraffic(), g);
      }
      merged.releases[id] = into;
    }
  }
  return merged;
}
