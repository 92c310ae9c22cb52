/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) for canary analysis: "do the canary's latencies tend to
 * be greater than the baseline's?". `mannWhitneyBinned` runs on the binned counts of the shared
 * latency histogram (src/analysis/latency-histogram.ts): bucket i is ordered below bucket i+1 and every
 * value inside one bucket is a tie, so the test costs O(buckets) whatever the traffic. `mannWhitney`
 * runs on raw samples (ranks with ties averaged); the tests use it to cross-check the binned version.
 *
 * Formulas (standard; conventions match R's `wilcox.test(exact = FALSE, correct = TRUE)` and SciPy's
 * `mannwhitneyu(method="asymptotic", use_continuity=True)`):
 *   U₁ = R₁ − n₁(n₁+1)/2        (R₁ = rank sum of the canary; U₁ + U₂ = n₁n₂)
 *   μ  = n₁n₂/2
 *   σ² = n₁n₂/12 · ((n+1) − Σ(t³−t) / (n(n−1)))   (t = size of each group of ties, n = n₁+n₂)
 *   z  = (U₁ − μ − ½·sign(U₁ − μ)) / σ           (continuity correction towards μ; 0 when |U₁ − μ| ≤ ½)
 *   pGreater  = P(Z ≥ (U₁ − μ − ½)/σ)           (one-sided: canary tends to be greater)
 *   pTwoSided = min(1, 2·P(Z ≥ |z|))
 *   effect    = U₁ / (n₁n₂) = P(canary > baseline) + ½·P(tie)  (probability of superiority)
 * In the binned form U₁ = Σᵢ cᵢ·(B₍<ᵢ₎ + bᵢ/2), which equals R₁ − n₁(n₁+1)/2 with average ranks.
 *
 * Everything tied (σ = 0: all observations of both sides in one bucket): the permutation distribution
 * of U is a point mass at μ, so P(U ≥ U₁) = 1 exactly. We return z = 0, pGreater = 1, pTwoSided = 1,
 * effect = ½ — no evidence of a difference, so a gate on pGreater never fails on it.
 *
 * The normal tail uses W. J. Cody's rational Chebyshev approximation of erfc ("Rational Chebyshev
 * approximations for the error function", Math. Comp. 23 (1969) 631–638; coefficients from netlib
 * specfun CALERF). Cody states the approximations are good to at least 18 significant digits, so in
 * IEEE doubles erfc's relative error is a few ulps; for the normal tail P(Z ≥ z) the tests check a
 * relative error below 1e-12 against SciPy's `norm.sf` from z = −2 to z = 37 (p ≈ 6e-300; what error
 * there is at large z comes from rounding z/√2 before exp(−x²), not from the approximation).
 */
import { ShipgateError } from "../core/errors.js";

export interface MannWhitneyResult {
  /** U of the canary: pairs (canary, baseline) with canary > baseline, plus half the ties. */
  u: number;
  /** Normal approximation with tie correction and continuity correction (positive: canary slower). */
  z: number;
  /** One-sided p-value for "canary latencies tend to be greater". */
  pGreater: number;
  pTwoSided: number;
  n1: number;
  n2: number;
  /** Probability of superiority: P(canary > baseline) + 0.5 P(tie) = u / (n1 n2). */
  effect: number;
}

const bugHint =
  "This is a bug in shipgate: please report it with the command you ran and `shipgate --version`.";

/** Mann-Whitney U on binned counts (canary[i], baseline[i] = observations in bucket i); null when a side is empty. */
export function mannWhitneyBinned(
  canary: readonly number[],
  baseline: readonly number[],
): MannWhitneyResult | null {
  if (canary.length !== baseline.length) {
    throw new ShipgateError(
      "INTERNAL",
      `Mann-Whitney on binned counts needs the same buckets on both sides (canary ${canary.length}, baseline ${baseline.length})`,
      { hint: bugHint },
    );
  }
  let n1 = 0;
  let n2 = 0;
  let u = 0;
  let tieSum = 0;
  for (let i = 0; i < canary.length; i++) {
    const c = checkedCount(canary[i] as number, "canary", i);
    const b = checkedCount(baseline[i] as number, "baseline", i);
    // Canary observations in bucket i beat every baseline observation below and tie with those in it.
    u += c * (n2 + b / 2);
    const t = c + b;
    tieSum += t * t * t - t;
    n1 += c;
    n2 += b;
  }
  return finish(u, n1, n2, tieSum);
}

/** Mann-Whitney U on raw samples (ranks with ties averaged); null when a side is empty. */
export function mannWhitney(
  canary: readonly number[],
  baseline: readonly number[],
): MannWhitneyResult | null {
  const n1 = canary.length;
  const n2 = baseline.length;
  if (n1 === 0 || n2 === 0) return null;
  const all: Observation[] = [];
  for (const value of canary) all.push({ value: checkedSample(value, "canary"), canary: true });
  for (const value of baseline) all.push({ value: checkedSample(value, "baseline"), canary: false });
  all.sort((a, b) => a.value - b.value);
  let rankSum = 0;
  let tieSum = 0;
  for (let start = 0; start < all.length; ) {
    let end = start + 1;
    const value = (all[start] as Observation).value;
    while (end < all.length && (all[end] as Observation).value === value) end++;
    const t = end - start;
    const averageRank = (start + 1 + end) / 2; // ranks start+1 .. end
    for (let k = start; k < end; k++) if ((all[k] as Observation).canary) rankSum += averageRank;
    tieSum += t * t * t - t;
    start = end;
  }
  return finish(rankSum - (n1 * (n1 + 1)) / 2, n1, n2, tieSum);
}

interface Observation {
  value: number;
  canary: boolean;
}

function finish(u: number, n1: number, n2: number, tieSum: number): MannWhitneyResult | null {
  if (n1 === 0 || n2 === 0) return null;
  const n = n1 + n2;
  const product = n1 * n2;
  const mu = product / 2;
  const variance = (product / 12) * (n + 1 - tieSum / (n * (n - 1)));
  // Rounding can leave a tiny positive variance when everything ties; U is then exactly μ anyway.
  if (!(variance > 1e-9 * product)) {
    return { u, z: 0, pGreater: 1, pTwoSided: 1, n1, n2, effect: 0.5 };
  }
  const sigma = Math.sqrt(variance);
  const d = u - mu;
  // Corrected towards μ, never past it (|d| ≤ ½ gives z = 0, two-sided p = 1, as SciPy does).
  const z = Math.abs(d) <= 0.5 ? 0 : (d - 0.5 * Math.sign(d)) / sigma;
  return {
    u,
    z,
    pGreater: normalSf((d - 0.5) / sigma),
    pTwoSided: Math.min(1, 2 * normalSf(Math.abs(z))),
    n1,
    n2,
    effect: u / product,
  };
}

function checkedCount(value: number, side: string, bucket: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ShipgateError(
      "INTERNAL",
      `Mann-Whitney: ${side} count in bucket ${bucket} is ${value}, not a count`,
      {
        hint: bugHint,
      },
    );
  }
  return value;
}

function checkedSample(value: number, side: string): number {
  if (Number.isNaN(value)) {
    throw new ShipgateError("INTERNAL", `Mann-Whitney: a ${side} sample is NaN`, { hint: bugHint });
  }
  return value;
}

/** Upper tail of the standard normal distribution, P(Z ≥ z) = erfc(z/√2)/2. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

// W. J. Cody (1969), netlib specfun CALERF coefficients, written as the doubles nearest to the published
// 18-digit values (identical at runtime).
const erfA = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const erfB = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const erfC = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const erfD = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const erfP = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const erfQ = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];
const invSqrtPi = 0.5641895835477563;

/** The complementary error function, Cody's rational approximation (see the file header). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const y = Math.abs(x);
  let result: number;
  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    let num = (erfA[4] as number) * ysq;
    let den = ysq;
    for (let i = 0; i < 3; i++) {
      num = (num + (erfA[i] as number)) * ysq;
      den = (den + (erfB[i] as number)) * ysq;
    }
    return 1 - (x * (num + (erfA[3] as number))) / (den + (erfB[3] as number));
  }
  if (y <= 4) {
    let num = (erfC[8] as number) * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + (erfC[i] as number)) * y;
      den = (den + (erfD[i] as number)) * y;
    }
    result = (num + (erfC[7] as number)) / (den + (erfD[7] as number));
  } else if (y >= 26.543) {
    result = 0; // below the smallest double
  } else {
    const ysq = 1 / (y * y);
    let num = (erfP[5] as number) * ysq;
    let den = ysq;
    for (let i = 0; i < 4; i++) {
      num = (num + (erfP[i] as number)) * ysq;
      den = (den + (erfQ[i] as number)) * ysq;
    }
    result = (ysq * (num + (erfP[4] as number))) / (den + (erfQ[4] as number));
    result = (invSqrtPi - result) / y;
  }
  if (result !== 0) {
    // exp(-y²) split as exp(-s²)·exp(-(y-s)(y+s)) with s = y rounded down to 1/16, to keep precision.
    const s = Math.trunc(y * 16) / 16;
    result = Math.exp(-s * s) * Math.exp(-(y - s) * (y + s)) * result;
  }
  return x < 0 ? 2 - result : result;
}
