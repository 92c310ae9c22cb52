import { describe, expect, it } from "vitest";
import { latencyBucket } from "../analysis/latency-histogram.js";
import {
  emptyReleaseMetrics,
  emptyTraffic,
  mergeStats,
  type ProxyStats,
  recordResponse,
  subtractTraffic,
  summarizeTraffic,
} from "./traffic-metrics.js";

function stats(requests: number, ok: number, errors: number, latencyMs: number, group: string): ProxyStats {
  const release = emptyReleaseMetrics();
  const g = emptyTraffic();
  for (const m of [release, g]) {
    m.requests = requests;
    for (let i = 0; i < ok; i++) recordResponse(m, 200, latencyMs);
    for (let i = 0; i < errors; i++) recordResponse(m, 502, latencyMs);
    m.upstreamErrors = errors;
  }
  release.groups[group] = g;
  return { inFlight: { a: 1 }, releases: { r: release }, unrouted: 1 };
}

describe("traffic metrics", () => {
  it("merges workers: counters, latency buckets and route groups add up", () => {
    const merged = mergeStats([stats(3, 2, 1, 12, "/items"), stats(2, 2, 0, 40, "/users")]);
    const r = merged.releases.r;
    expect(merged.inFlight).toEqual({ a: 2 });
    expect(merged.unrouted).toBe(2);
    expect(r).toMatchObject({ requests: 5, upstreamErrors: 1, status: { "2xx": 4, "5xx": 1 } });
    expect(r?.latency[latencyBucket(12)]).toBe(3);
    expect(r?.latency[latencyBucket(40)]).toBe(2);
    expect(r?.latencySumMs).toBe(3 * 12 + 2 * 40);
    expect(Object.keys(r?.groups ?? {}).sort()).toEqual(["/items", "/users"]);
    expect(r?.groups["/items"]?.status["5xx"]).toBe(1);
  });

  it("takes an interval as the difference of two snapshots", () => {
    const earlier = emptyTraffic();
    recordResponse(earlier, 200, 5);
    earlier.requests = 1;
    const later = structuredClone(earlier);
    for (let i = 0; i < 99; i++) recordResponse(later, i < 9 ? 500 : 200, i < 98 ? 20 : 300);
    later.requests = 100;
    const interval = subtractTraffic(later, earlier);
    expect(interval.requests).toBe(99);
    expect(interval.status).toMatchObject({ "2xx": 90, "5xx": 9 });
    const summary = summarizeTraffic(interval);
    expect(summary.errorRate).toBeCloseTo(9 / 99, 6);
    expect(summary.p50Ms).toBeGreaterThan(19);
    expect(summary.p50Ms).toBeLessThanOrEqual(20);
    expect(summary.p99Ms).toBeGreaterThan(280);
  });

  it("reports no error rate and no latency without responses", () => {
    expect(summarizeTraffic(emptyTraffic())).toEqual({
      requests: 0,
      errorRate: null,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
    });
  });

  it("does not count a status for a client that went away (499)", () => {
    const m = emptyTraffic();
    recordResponse(m, 499, 10);
    expect(Object.values(m.status).reduce((a, b) => a + b, 0)).toBe(0);
    expect(m.latency[latencyBucket(10)]).toBe(1);
  });
});
