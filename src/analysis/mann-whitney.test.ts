/**
 * Tests for the Mann-Whitney U test: published values, SciPy reference values, the binned form against
 * the raw-sample form, symmetry, all-tied input, and power on a shifted latency distribution.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../test/support/random.js";
import { isShipgateError } from "../core/errors.js";
import { emptyLatencyCounts, latencyBucket } from "./latency-histogram.js";
import { erfc, mannWhitney, mannWhitneyBinned, normalSf } from "./mann-whitney.js";

/** Log-normal latencies (ms) with the given median, via Box-Muller. */
function logNormal(random: () => number, count: number, medianMs: number, sigma: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const u1 = 1 - random();
    const u2 = random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    out.push(medianMs * Math.exp(sigma * z));
  }
  return out;
}

function bin(samples: readonly number[]): number[] {
  const counts = emptyLatencyCounts();
  for (const ms of samples) counts[latencyBucket(ms)] = (counts[latencyBucket(ms)] as number) + 1;
  return counts;
}

/** Expands binned counts to samples: every observation in bucket i becomes the value i. */
function expand(counts: readonly number[]): number[] {
  const out: number[] = [];
  counts.forEach((n, i) => {
    for (let k = 0; k < n; k++) out.push(i);
  });
  return out;
}

describe("normalSf / erfc (Cody's approximation)", () => {
  // Reference values: SciPy 1.17 scipy.stats.norm.sf.
  const reference: [number, number][] = [
    [-2, 0.9772498680518208],
    [0.3, 0.3820885778110474],
    [1.96, 0.024997895148220435],
    [5, 2.866515718791933e-7],
    [8, 6.22096057427174e-16],
    [10, 7.61985302416047e-24],
    [37, 5.7255712225239266e-300],
  ];
  it.each(reference)("P(Z ≥ %d) matches SciPy to 1e-12 relative error", (z, expected) => {
    expect(Math.abs(normalSf(z) - expected) / expected).toBeLessThan(1e-12);
  });

  it("erfc(0) = 1, erfc(-x) = 2 - erfc(x), far tails reach 0 and 2", () => {
    expect(erfc(0)).toBe(1);
    for (const x of [0.1, 0.46875, 0.5, 2, 4, 4.5, 10]) expect(erfc(-x)).toBeCloseTo(2 - erfc(x), 15);
    expect(erfc(30)).toBe(0);
    expect(erfc(-30)).toBe(2);
    expect(Number.isNaN(erfc(Number.NaN))).toBe(true);
  });
});

describe("mannWhitney on raw samples", () => {
  it("gives the published U of Wikipedia's tortoise-and-hare illustration", () => {
    // Wikipedia, "Mann–Whitney U test", section "Illustration of calculation methods": finishing order
    // T H H H H H T T T T T H; U_H = 25 (pairs where the tortoise is slower), U_T = 11.
    const tortoise = [1, 7, 8, 9, 10, 11];
    const hare = [2, 3, 4, 5, 6, 12];
    expect(mannWhitney(tortoise, hare)?.u).toBe(25);
    expect(mannWhitney(hare, tortoise)?.u).toBe(11);
  });

  it("matches Hollander & Wolfe's permeability example (W = 35) and SciPy's asymptotic p-values", () => {
    // Hollander & Wolfe (1973), p. 69f, the example in R's ?wilcox.test: W = 35 for x vs y.
    // p-values: scipy.stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True).
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const r = mannWhitney(x, y);
    expect(r?.u).toBe(35);
    expect(r?.n1).toBe(10);
    expect(r?.n2).toBe(5);
    expect(r?.z).toBeCloseTo(1.1635076278220096, 12);
    expect(r?.pGreater).toBeCloseTo(0.12231180256349167, 12);
    expect(r?.pTwoSided).toBeCloseTo(0.24462360512698333, 12);
    expect(r?.effect).toBeCloseTo(35 / 50, 15);
  });

  it("applies the tie correction as SciPy does on heavily tied data", () => {
    const a = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6];
    const b = [1, 1, 2, 2, 2, 3, 4, 4];
    const r = mannWhitney(a, b);
    expect(r?.u).toBe(55.5);
    expect(r?.z).toBeCloseTo(1.3604434760815693, 12);
    expect(r?.pGreater).toBeCloseTo(0.08684481419548856, 12);
    expect(r?.pTwoSided).toBeCloseTo(0.17368962839097712, 12);
  });

  it("is null when either side has no observations", () => {
    expect(mannWhitney([], [1, 2])).toBeNull();
    expect(mannWhitney([1], [])).toBeNull();
  });

  it("rejects NaN samples with an INTERNAL ShipgateError", () => {
    try {
      mannWhitney([1, Number.NaN], [2]);
      expect.unreachable();
    } catch (error) {
      expect(isShipgateError(error) && error.code).toBe("INTERNAL");
    }
  });
});

describe("mannWhitneyBinned", () => {
  it("agrees with the raw-sample test on the same data expanded to samples", () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 20; trial++) {
      const buckets = 1 + Math.floor(random() * 12);
      const canary = Array.from({ length: buckets }, () => Math.floor(random() * 6));
      const baseline = Array.from({ length: buckets }, () => Math.floor(random() * 6));
      const binned = mannWhitneyBinned(canary, baseline);
      const raw = mannWhitney(expand(canary), expand(baseline));
      if (raw === null) {
        expect(binned).toBeNull();
        continue;
      }
      expect(binned).not.toBeNull();
      expect(binned?.u).toBeCloseTo(raw.u, 9);
      expect(binned?.n1).toBe(raw.n1);
      expect(binned?.n2).toBe(raw.n2);
      expect(binned?.z).toBeCloseTo(raw.z, 9);
      expect(binned?.pGreater).toBeCloseTo(raw.pGreater, 9);
      expect(binned?.pTwoSided).toBeCloseTo(raw.pTwoSided, 9);
      expect(binned?.effect).toBeCloseTo(raw.effect, 9);
    }
  });

  it("agrees with the raw-sample test on log-normal latencies binned by the histogram", () => {
    const random = mulberry32(11);
    const canary = logNormal(random, 800, 60, 0.5);
    const baseline = logNormal(random, 1200, 50, 0.5);
    const binned = mannWhitneyBinned(bin(canary), bin(baseline));
    const raw = mannWhitney(canary.map(latencyBucket), baseline.map(latencyBucket));
    expect(binned?.u).toBe(raw?.u);
    expect(binned?.pGreater).toBeCloseTo(raw?.pGreater as number, 12);
  });

  it("is symmetric: swapping the sides gives U' = n1 n2 - U and mirrored p-values", () => {
    const canary = [0, 3, 5, 2, 0, 1];
    const baseline = [4, 2, 2, 1, 1, 0];
    const r = mannWhitneyBinned(canary, baseline);
    const s = mannWhitneyBinned(baseline, canary);
    if (r === null || s === null) throw new Error("unexpected null");
    expect(s.u).toBe(r.n1 * r.n2 - r.u);
    expect(s.n1).toBe(r.n2);
    expect(s.z).toBeCloseTo(-r.z, 12);
    expect(s.pTwoSided).toBeCloseTo(r.pTwoSided, 12);
    expect(s.effect).toBeCloseTo(1 - r.effect, 12);
  });

  it("identical distributions give no evidence: pGreater near 0.5, two-sided p = 1", () => {
    const counts = [3, 10, 25, 40, 25, 10, 3];
    const r = mannWhitneyBinned(counts, counts);
    expect(r?.u).toBe((116 * 116) / 2);
    expect(r?.z).toBe(0);
    expect(r?.pTwoSided).toBe(1);
    expect(r?.pGreater).toBeGreaterThan(0.5);
    expect(r?.pGreater).toBeLessThan(0.52);
    expect(r?.effect).toBe(0.5);
  });

  it("samples from one distribution are not flagged", () => {
    const random = mulberry32(3);
    const r = mannWhitneyBinned(bin(logNormal(random, 2000, 50, 0.6)), bin(logNormal(random, 2000, 50, 0.6)));
    expect(r?.pTwoSided).toBeGreaterThan(0.01);
    expect(Math.abs((r?.effect as number) - 0.5)).toBeLessThan(0.03);
  });

  it("a canary 30% slower over a few thousand samples gives pGreater < 0.001", () => {
    const random = mulberry32(42);
    const baseline = logNormal(random, 3000, 50, 0.6);
    const canary = logNormal(random, 3000, 50, 0.6).map((ms) => ms * 1.3);
    const r = mannWhitneyBinned(bin(canary), bin(baseline));
    expect(r?.pGreater).toBeLessThan(0.001);
    expect(r?.z).toBeGreaterThan(3);
    expect(r?.effect).toBeGreaterThan(0.6);
    // The other way round: the baseline is not slower than the canary.
    expect(mannWhitneyBinned(bin(baseline), bin(canary))?.pGreater).toBeGreaterThan(0.999);
  });

  it("everything in one bucket (sigma = 0) returns z = 0, pGreater = 1, pTwoSided = 1", () => {
    const r = mannWhitneyBinned([0, 7, 0], [0, 5, 0]);
    expect(r).toEqual({ u: 17.5, z: 0, pGreater: 1, pTwoSided: 1, n1: 7, n2: 5, effect: 0.5 });
    expect(mannWhitney([4, 4], [4])).toMatchObject({ z: 0, pGreater: 1, pTwoSided: 1 });
  });

  it("is null when either side has no observations", () => {
    expect(mannWhitneyBinned([0, 0, 0], [1, 2, 3])).toBeNull();
    expect(mannWhitneyBinned([1, 2, 3], [0, 0, 0])).toBeNull();
    expect(mannWhitneyBinned([], [])).toBeNull();
  });

  it("rejects buckets of different lengths and negative counts with an INTERNAL ShipgateError", () => {
    for (const [c, b] of [
      [[1, 2], [1]],
      [
        [1, -1],
        [1, 1],
      ],
      [
        [1, Number.NaN],
        [1, 1],
      ],
    ] as const) {
      try {
        mannWhitneyBinned(c, b);
        expect.unreachable();
      } catch (error) {
        expect(isShipgateError(error) && error.code).toBe("INTERNAL");
      }
    }
  });
});
