/**
 * Tests for the shared latency histogram: the bounds, the (lower, upper] bucket rule at and around every
 * boundary (floating-point neighbours included), what lands in bucket 0 and in the overflow bucket,
 * quantile accuracy on log-normal latencies against exact sorted quantiles, and snapshot arithmetic.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../test/support/random.js";
import {
  addLatencyCounts,
  emptyLatencyCounts,
  latencyBoundsMs,
  latencyBucket,
  latencyBucketCount,
  latencyQuantile,
  subtractLatencyCounts,
  totalLatencyCount,
} from "./latency-histogram.js";

/** Log-normal latencies (ms) with the given median, via Box-Muller. */
function logNormal(seed: number, count: number, medianMs: number, sigma: number): number[] {
  const random = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    out.push(medianMs * Math.exp(sigma * z));
  }
  return out;
}

/** The adjacent doubles of a positive finite x. */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}
function nextDown(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

function record(samples: readonly number[]): number[] {
  const counts = emptyLatencyCounts();
  for (const ms of samples) {
    const i = latencyBucket(ms);
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

/** Exact nearest-rank quantile of the samples. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

const overflow = latencyBucketCount - 1;

describe("latency bounds", () => {
  it("run from 0.1 ms to 100 s, strictly increasing, 40 per decade, with one overflow bucket", () => {
    expect(latencyBoundsMs[0]).toBe(0.1);
    expect(latencyBoundsMs[latencyBoundsMs.length - 1]).toBe(100_000);
    expect(latencyBoundsMs.length).toBe(241);
    expect(latencyBucketCount).toBe(242);
    expect(emptyLatencyCounts()).toHaveLength(latencyBucketCount);
    for (let i = 1; i < latencyBoundsMs.length; i++) {
      const ratio = (latencyBoundsMs[i] as number) / (latencyBoundsMs[i - 1] as number);
      expect(ratio, `bound ${i}`).toBeGreaterThan(1.049);
      expect(ratio, `bound ${i}`).toBeLessThan(1.072);
    }
    for (const decade of [1, 10, 100, 1000, 10_000]) expect(latencyBoundsMs.indexOf(decade) % 40).toBe(0);
  });

  it("include Prometheus' default bucket bounds exactly", () => {
    for (const ms of [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000]) {
      expect(latencyBoundsMs, `${ms} ms`).toContain(ms);
    }
  });
});

describe("latencyBucket", () => {
  it("puts every bound in its own bucket and the next double above it in the next bucket", () => {
    latencyBoundsMs.forEach((bound, i) => {
      expect(latencyBucket(bound), `bound ${bound}`).toBe(i);
      expect(latencyBucket(nextUp(bound)), `just above ${bound}`).toBe(i + 1);
      expect(latencyBucket(nextDown(bound)), `just below ${bound}`).toBe(i === 0 ? 0 : i);
    });
  });

  it("keeps (lower, upper] for latencies computed in floating point", () => {
    const i = latencyBoundsMs.indexOf(0.3);
    expect(i).toBeGreaterThan(0);
    expect(0.1 + 0.2).toBeGreaterThan(0.3); // 0.30000000000000004
    expect(latencyBucket(0.1 + 0.2)).toBe(i + 1);
    expect(latencyBucket(0.3)).toBe(i);
    const five = latencyBoundsMs.indexOf(5);
    expect(latencyBucket(0.005 * 1000)).toBe(five);
    expect(latencyBucket(5_000_000 / 1e6)).toBe(five);
    expect(latencyBucket(5.000001)).toBe(five + 1);
    expect(latencyBucket(4.999999)).toBe(five);
  });

  it("sends 0, negative, NaN and anything up to 0.1 ms to bucket 0", () => {
    for (const ms of [0, -0, -1, -Infinity, Number.NaN, 0.05, 0.1, Number.MIN_VALUE]) {
      expect(latencyBucket(ms), String(ms)).toBe(0);
    }
  });

  it("sends anything slower than 100 s to the overflow bucket", () => {
    expect(latencyBucket(100_000)).toBe(overflow - 1);
    for (const ms of [nextUp(100_000), 100_001, 3_600_000, Number.MAX_VALUE, Infinity]) {
      expect(latencyBucket(ms), String(ms)).toBe(overflow);
    }
  });
});

describe("latencyQuantile", () => {
  for (const [label, seed, median, sigma] of [
    ["typical API (median 45 ms, σ 0.6)", 1, 45, 0.6],
    ["heavy tail (median 8 ms, σ 1.3)", 2, 8, 1.3],
    ["slow endpoint (median 1.2 s, σ 0.4)", 3, 1200, 0.4],
  ] as const) {
    it(`p50/p95/p99 of 100,000 log-normal samples are within 6% of the exact quantiles: ${label}`, () => {
      const samples = logNormal(seed, 100_000, median, sigma);
      const counts = record(samples);
      const sorted = [...samples].sort((a, b) => a - b);
      for (const q of [0.5, 0.95, 0.99]) {
        const exact = exactQuantile(sorted, q);
        const estimate = latencyQuantile(counts, q) as number;
        expect(Math.abs(estimate - exact) / exact, `q=${q} exact ${exact} estimate ${estimate}`).toBeLessThan(
          0.06,
        );
      }
    });
  }

  it("is null on an empty histogram", () => {
    expect(latencyQuantile(emptyLatencyCounts(), 0.99)).toBeNull();
  });

  it("interpolates linearly inside a bucket and clamps q to 0..1", () => {
    const counts = emptyLatencyCounts();
    const i = latencyBoundsMs.indexOf(100);
    counts[i] = 4; // (95, 100]
    expect(latencyQuantile(counts, 0.5)).toBeCloseTo(97.5, 10);
    expect(latencyQuantile(counts, 1)).toBe(100);
    expect(latencyQuantile(counts, 0)).toBe(95);
    expect(latencyQuantile(counts, -3)).toBe(95);
    expect(latencyQuantile(counts, 7)).toBe(100);
  });

  it("reports the overflow bucket as 100 s and bucket 0 between 0 and 0.1 ms", () => {
    const slow = record([200_000, 300_000]);
    expect(latencyQuantile(slow, 0.99)).toBe(100_000);
    const fast = record([0, 0.01]);
    expect(latencyQuantile(fast, 0.5)).toBeCloseTo(0.05, 10);
  });
});

describe("snapshot arithmetic", () => {
  it("merging workers is a vector sum: same counts and quantiles as one histogram of all samples", () => {
    const a = logNormal(4, 5000, 30, 0.7);
    const b = logNormal(5, 7000, 60, 0.5);
    const into = record(a);
    const merged = addLatencyCounts(into, record(b));
    expect(merged).toBe(into); // in place
    expect(merged).toEqual(record([...a, ...b]));
    expect(totalLatencyCount(merged)).toBe(12_000);
    expect(latencyQuantile(merged, 0.99)).toBe(latencyQuantile(record([...a, ...b]), 0.99));
  });

  it("an interval is the difference of two snapshots of the same counter", () => {
    const before = logNormal(6, 3000, 20, 0.5);
    const during = logNormal(7, 2000, 80, 0.5);
    const earlier = record(before);
    const later = addLatencyCounts(record(before), record(during));
    const interval = subtractLatencyCounts(later, earlier);
    expect(interval).toEqual(record(during));
    expect(totalLatencyCount(interval)).toBe(2000);
    expect(subtractLatencyCounts(later, later)).toEqual(emptyLatencyCounts());
    expect(later).toEqual(addLatencyCounts(record(before), record(during))); // inputs untouched
  });

  it("adds into a shorter array and subtracts a shorter snapshot as zeros", () => {
    expect(addLatencyCounts([], [1, 2])).toEqual([1, 2]);
    expect(subtractLatencyCounts([3, 4, 5], [1])).toEqual([2, 4, 5]);
    expect(totalLatencyCount([])).toBe(0);
  });
});
