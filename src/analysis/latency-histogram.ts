/**
 * The latency histogram the proxy records and canary analysis reads: fixed log-scale buckets, 40 per
 * decade from 0.1 ms to 100 s, plus an overflow bucket. The bounds are the R40 preferred numbers
 * (ISO 3: 1, 1.06, 1.12 … 9.5, each step 5–7.2% wide), so Prometheus' usual bucket bounds (5 ms, 10 ms,
 * 25 ms … 10 s) are exact bucket edges. Every proxy worker uses the same bounds, so merging workers is
 * a vector sum and an analysis interval is the difference of two snapshots; quantiles are exact to
 * one bucket width, and Mann-Whitney U runs on the binned counts (docs/adr/0013-golden-signals.md).
 */

/** The R40 series of preferred numbers (ISO 3), one decade. */
const r40 = [
  1, 1.06, 1.12, 1.18, 1.25, 1.32, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2, 2.12, 2.24, 2.36, 2.5, 2.65, 2.8, 3, 3.15,
  3.35, 3.55, 3.75, 4, 4.25, 4.5, 4.75, 5, 5.3, 5.6, 6, 6.3, 6.7, 7.1, 7.5, 8, 8.5, 9, 9.5,
];
const decades = 6;

/** Upper bounds (ms) of the buckets; bucket i holds latencies in (bounds[i-1], bounds[i]]. 0.1 ms … 100 s. */
export const latencyBoundsMs: readonly number[] = [
  ...Array.from({ length: decades }, (_, d) =>
    r40.map((m) => Number((m * 10 ** (d - 1)).toPrecision(3))),
  ).flat(),
  100_000,
];

/** Buckets in a counts array: one per bound plus the overflow bucket (slower than 100 s). */
export const latencyBucketCount = latencyBoundsMs.length + 1;

const lastBound = latencyBoundsMs.length - 1;

/** The bucket a latency falls in (binary search over the bounds). */
export function latencyBucket(ms: number): number {
  if (!(ms > (latencyBoundsMs[0] as number))) return 0;
  if (ms > (latencyBoundsMs[lastBound] as number)) return lastBound + 1;
  let lo = 1;
  let hi = lastBound;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ms > (latencyBoundsMs[mid] as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function emptyLatencyCounts(): number[] {
  return new Array<number>(latencyBucketCount).fill(0);
}

/** Adds `from` into `into` (in place) and returns `into`. */
export function addLatencyCounts(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] as number);
  return into;
}

/**
 * later − earlier: the latencies recorded between two snapshots of the same counter. A bucket that
 * went down means the counter restarted (an agent restart): the interval is then everything since.
 */
export function subtractLatencyCounts(later: readonly number[], earlier: readonly number[]): number[] {
  if (later.some((n, i) => n < (earlier[i] ?? 0))) return [...later];
  return later.map((n, i) => n - (earlier[i] ?? 0));
}

export function totalLatencyCount(counts: readonly number[]): number {
  let total = 0;
  for (const n of counts) total += n;
  return total;
}

/**
 * The q-quantile (0..1) in ms, interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does; null when nothing was recorded. The overflow bucket reports its lower bound.
 */
export function latencyQuantile(counts: readonly number[], q: number): number | null {
  const total = totalLatencyCount(counts);
  if (total === 0 || Number.isNaN(q)) return null;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] as number;
    if (n === 0) continue;
    if (seen + n >= rank) {
      if (i > lastBound) return latencyBoundsMs[lastBound] as number;
      const lower = i === 0 ? 0 : (latencyBoundsMs[i - 1] as number);
      const upper = latencyBoundsMs[i] as number;
      return lower + (upper - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return latencyBoundsMs[lastBound] as number;
}
