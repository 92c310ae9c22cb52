/**
 * Tests for the agent's signal book (error signatures per release from real-looking output lines, the
 * cap on signatures, cumulative restarts, snapshots merging the proxy's counters) and for the
 * in-memory history's per-sample points and span.
 */
import { describe, expect, it } from "vitest";
import { emptyReleaseMetrics, type ProxyStats, recordResponse } from "../../../proxy/traffic-metrics.js";
import type { InstanceInfo, TargetMetrics } from "../types.js";
import { createMetricsHistory, createSignalBook, maxSignaturesPerRelease } from "./release-signals.js";

const pinoError = JSON.stringify({
  level: 50,
  time: 1767225600000,
  pid: 4242,
  hostname: "web-1",
  reqId: "req-17",
  err: {
    type: "Error",
    message: "connect ECONNREFUSED 10.0.0.7:5432",
    stack: "Error: connect ECONNREFUSED 10.0.0.7:5432\n    at TCPConnectWrap.afterConnect",
  },
  msg: "query failed",
});

function instance(id: string, releaseId: string, restarts: number): InstanceInfo {
  return {
    id,
    releaseId,
    port: 4000,
    pid: 1234,
    state: "healthy",
    restarts,
    startedAt: "2026-03-01T12:00:00.000Z",
    lastExit: null,
    inFlight: 0,
  };
}

/** A clock the test moves by hand. */
function fakeClock(start = "2026-03-01T12:00:00.000Z") {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const noStats: ProxyStats = { inFlight: {}, releases: {}, unrouted: 0 };

describe("createSignalBook", () => {
  it("counts error signatures per release from pino JSON and plain stderr lines", () => {
    const clock = fakeClock();
    const book = createSignalBook(clock.now);
    book.observeLine("r-2", "out", pinoError);
    clock.advance(1000);
    book.observeLine("r-2", "out", pinoError.replace("10.0.0.7:5432", "10.0.0.8:6432"));
    book.observeLine("r-2", "err", "TypeError: x is not a function");
    book.observeLine("r-2", "out", "listening on :3000");
    book.observeLine("r-2", "err", "    at Server.<anonymous> (/app/server.js:12:5)");
    book.observeLine("r-1", "err", "TypeError: x is not a function");
    const r2 = book.snapshot(noStats, new Map()).releases["r-2"];
    expect(r2?.errorLines).toBe(3);
    expect(r2?.errors).toEqual([
      {
        signature: "Error: connect ECONNREFUSED <ip>:<n>",
        count: 2,
        sample: pinoError,
        firstSeen: "2026-03-01T12:00:00.000Z",
        lastSeen: "2026-03-01T12:00:01.000Z",
      },
      {
        signature: "TypeError: x is not a function",
        count: 1,
        sample: "TypeError: x is not a function",
        firstSeen: "2026-03-01T12:00:01.000Z",
        lastSeen: "2026-03-01T12:00:01.000Z",
      },
    ]);
    const r1 = book.snapshot(noStats, new Map()).releases["r-1"];
    expect(r1?.errors.map((e) => e.signature)).toEqual(["TypeError: x is not a function"]);
  });

  it("keeps at most maxSignaturesPerRelease signatures, still counting the lines", () => {
    const book = createSignalBook();
    for (let i = 0; i < maxSignaturesPerRelease + 20; i++) {
      book.observeLine(
        "r-1",
        "err",
        `Error: failure kind-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`,
      );
    }
    const r1 = book.snapshot(noStats, new Map()).releases["r-1"];
    expect(r1?.errors).toHaveLength(maxSignaturesPerRelease);
    expect(r1?.errorLines).toBe(maxSignaturesPerRelease + 20);
  });

  it("keeps restarts cumulative per release, also after an instance is gone", () => {
    const book = createSignalBook();
    book.observeInstances([instance("i-1", "r-1", 1), instance("i-2", "r-1", 0), instance("i-3", "r-2", 0)]);
    book.observeInstances([instance("i-1", "r-1", 3), instance("i-2", "r-1", 1)]);
    expect(book.snapshot(noStats, new Map()).releases["r-1"]?.restarts).toBe(4);
    // i-1 stopped and is no longer listed; a lower count for i-2 (never expected) does not go back.
    book.observeInstances([instance("i-2", "r-1", 0), instance("i-4", "r-1", 0)]);
    const releases = book.snapshot(noStats, new Map()).releases;
    expect(releases["r-1"]?.restarts).toBe(4);
    expect(releases["r-2"]?.restarts).toBe(0);
  });

  it("merges the proxy's counters and the versions into the snapshot", () => {
    const clock = fakeClock();
    const book = createSignalBook(clock.now);
    const traffic = emptyReleaseMetrics();
    traffic.requests = 2;
    recordResponse(traffic, 200, 12);
    recordResponse(traffic, 503, 40);
    const stats: ProxyStats = { inFlight: {}, releases: { "r-1": traffic }, unrouted: 0 };
    book.observeInstances([instance("i-1", "r-1", 2)]);
    const snapshot = book.snapshot(
      stats,
      new Map([
        ["r-1", "v1"],
        ["r-2", "v2"],
      ]),
    );
    expect(snapshot.at).toBe("2026-03-01T12:00:00.000Z");
    expect(snapshot.releases["r-1"]).toEqual({
      version: "v1",
      traffic,
      restarts: 2,
      errorLines: 0,
      errors: [],
    });
    // A release known only by version: zeroed counters.
    expect(snapshot.releases["r-2"]).toEqual({
      version: "v2",
      traffic: emptyReleaseMetrics(),
      restarts: 0,
      errorLines: 0,
      errors: [],
    });
  });

  it("returns copies: a later line does not change an earlier snapshot", () => {
    const book = createSignalBook();
    book.observeLine("r-1", "err", "TypeError: x is not a function");
    const before = book.snapshot(noStats, new Map());
    book.observeLine("r-1", "err", "TypeError: x is not a function");
    expect(before.releases["r-1"]?.errors[0]?.count).toBe(1);
  });
});

describe("createMetricsHistory", () => {
  /** A snapshot at `seconds` after the start with r-1's cumulative traffic: `ok` 2xx at 20 ms, `failed` 5xx at 400 ms. */
  function snapshot(seconds: number, ok: number, failed: number): TargetMetrics {
    const traffic = emptyReleaseMetrics();
    traffic.requests = ok + failed;
    for (let i = 0; i < ok; i++) recordResponse(traffic, 200, 20);
    for (let i = 0; i < failed; i++) recordResponse(traffic, 500, 400);
    return {
      at: new Date(Date.parse("2026-03-01T12:00:00.000Z") + seconds * 1000).toISOString(),
      releases: {
        "r-1": { version: "v1", traffic, restarts: 0, errorLines: 0, errors: [] },
      },
    };
  }

  it("gives per-sample points with rps, error rate and p99, and the span as one point", () => {
    const history = createMetricsHistory();
    history.record(snapshot(0, 0, 0));
    history.record(snapshot(5, 50, 0));
    history.record(snapshot(10, 90, 10));
    const series = history.series(60)["r-1"];
    expect(series?.points).toHaveLength(2);
    expect(series?.points[0]).toMatchObject({
      t: "2026-03-01T12:00:05.000Z",
      requests: 50,
      rps: 10,
      errorRate: 0,
    });
    expect(series?.points[1]).toMatchObject({
      t: "2026-03-01T12:00:10.000Z",
      requests: 50,
      rps: 10,
      errorRate: 0.2,
    });
    expect(series?.points[0]?.p99Ms).toBeLessThanOrEqual(20);
    expect(series?.points[1]?.p99Ms).toBeGreaterThan(375);
    expect(series?.span).toMatchObject({
      t: "2026-03-01T12:00:10.000Z",
      requests: 100,
      rps: 10,
      errorRate: 0.1,
    });
  });

  it("limits the points to the last `seconds`, using the sample before as the start", () => {
    const history = createMetricsHistory();
    for (let s = 0; s <= 60; s += 5) history.record(snapshot(s, s * 10, 0));
    const series = history.series(10)["r-1"];
    expect(series?.points.map((p) => p.t)).toEqual([
      "2026-03-01T12:00:50.000Z",
      "2026-03-01T12:00:55.000Z",
      "2026-03-01T12:01:00.000Z",
    ]);
    expect(series?.span).toMatchObject({ requests: 150, rps: 10 });
  });

  it("keeps only the last `keep` snapshots", () => {
    const history = createMetricsHistory(3);
    for (let s = 0; s <= 30; s += 5) history.record(snapshot(s, s, 0));
    expect(history.series(3600)["r-1"]?.points).toHaveLength(2);
  });

  it("has no span with fewer than two snapshots", () => {
    const history = createMetricsHistory();
    expect(history.series(60)).toEqual({});
    history.record(snapshot(0, 10, 0));
    expect(history.series(60)["r-1"]?.span ?? null).toBeNull();
  });
});
