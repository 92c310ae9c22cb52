/**
 * Judging one analysis interval, purely: each metric's canary figure against the baseline's (a
 * ratio with a floor) or against absolute thresholds, with the verdict pass, fail or inconclusive and
 * the numbers behind it in words ("canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5×"). Too little
 * traffic is inconclusive, never a pass. The loop that measures intervals is canary-analysis.ts.
 */
import type { AnalysisMetricConfig, BuiltinMetricName } from "../config/analysis-schema.js";
import { summarizeTraffic, type TrafficMetrics } from "../proxy/traffic-metrics.js";
import { latencyQuantile, totalLatencyCount } from "./latency-histogram.js";
import { mannWhitneyBinned } from "./mann-whitney.js";

export type MetricVerdict = "pass" | "fail" | "inconclusive";

export interface MetricMeasurement {
  metric: string;
  canary: number | null;
  baseline: number | null;
  verdict: MetricVerdict;
  /** The numbers behind the verdict, in words. */
  detail: string;
}

export interface IntervalMeasurement {
  /** 1-based, in the order measured. */
  index: number;
  at: string;
  canaryRequests: number;
  baselineRequests: number;
  verdict: MetricVerdict;
  metrics: MetricMeasurement[];
}

/** One release over one interval, as the built-in metrics see it. */
export interface ReleaseWindow {
  /** Traffic during the interval (the difference of two snapshots). */
  traffic: TrafficMetrics;
  /** Restarts since the analysis began (the canary loop) or during the interval (the watch). */
  restarts: number;
  /** Error signatures seen so far (cumulative). */
  signatures: readonly string[];
}

type Comparison = Pick<AnalysisMetricConfig, "ratio" | "floor" | "max" | "min">;

export function metricName(metric: AnalysisMetricConfig): string {
  return "metric" in metric ? metric.metric : metric.name;
}

/** How a metric's values read: error rates as percentages, latencies in ms, counts as numbers. */
export function formatValue(metric: string, value: number | null): string {
  if (value === null) return "n/a";
  if (metric === "error-rate") return `${(value * 100).toFixed(value < 0.001 && value > 0 ? 2 : 1)}%`;
  if (/^p\d\d$/.test(metric)) return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

function formatRatio(value: number, baseline: number): string {
  if (baseline === 0) return "∞";
  const r = value / baseline;
  return r >= 10 ? r.toFixed(0) : r.toFixed(1);
}

/** Compares a canary figure with thresholds and/or the baseline's. */
export function compare(
  metric: string,
  c: Comparison,
  canary: number | null,
  baseline: number | null,
): { verdict: MetricVerdict; detail: string } {
  const fmt = (v: number | null) => formatValue(metric, v);
  if (canary === null)
    return { verdict: "inconclusive", detail: `no canary ${metric} figure (too little data)` };
  if (c.max !== undefined && canary > c.max) {
    return { verdict: "fail", detail: `canary ${metric} ${fmt(canary)} > max ${fmt(c.max)}` };
  }
  if (c.min !== undefined && canary < c.min) {
    return { verdict: "fail", detail: `canary ${metric} ${fmt(canary)} < min ${fmt(c.min)}` };
  }
  if (c.ratio !== undefined) {
    if (c.floor !== undefined && canary <= c.floor) {
      return { verdict: "pass", detail: `canary ${metric} ${fmt(canary)} ≤ floor ${fmt(c.floor)}` };
    }
    if (baseline === null) {
      return {
        verdict: "inconclusive",
        detail: `no baseline ${metric} figure to compare with (too little data)`,
      };
    }
    const limit = baseline * c.ratio;
    const words = `canary ${metric} ${fmt(canary)} vs baseline ${fmt(baseline)} = ${formatRatio(canary, baseline)}×`;
    return canary > limit
      ? { verdict: "fail", detail: `${words} > ${c.ratio}×` }
      : { verdict: "pass", detail: `${words} ≤ ${c.ratio}×` };
  }
  return { verdict: "pass", detail: `canary ${metric} ${fmt(canary)} within its thresholds` };
}

const quantiles: Partial<Record<BuiltinMetricName, number>> = { p50: 0.5, p95: 0.95, p99: 0.99 };

/** A built-in metric's figure for one release window; null when the window has too little traffic. */
export function builtinValue(
  name: BuiltinMetricName,
  window: ReleaseWindow,
  minRequests: number,
  baselineSignatures: readonly string[] = [],
): number | null {
  switch (name) {
    case "restarts":
      return window.restarts;
    case "new-error-types": {
      const known = new Set(baselineSignatures);
      return window.signatures.filter((s) => !known.has(s)).length;
    }
    case "error-rate": {
      const summary = summarizeTraffic(window.traffic);
      const answered = Object.values(window.traffic.status).reduce((a, b) => a + b, 0);
      return answered < minRequests ? null : summary.errorRate;
    }
    default: {
      if (totalLatencyCount(window.traffic.latency) < minRequests) return null;
      return latencyQuantile(window.traffic.latency, quantiles[name] ?? 0.99);
    }
  }
}

/** Judges a built-in metric for one interval. */
export function judgeBuiltin(
  config: Extract<AnalysisMetricConfig, { metric: BuiltinMetricName }>,
  canary: ReleaseWindow,
  baseline: ReleaseWindow | null,
  minRequests: number,
): MetricMeasurement {
  const name = config.metric;
  const canaryValue = builtinValue(name, canary, minRequests, baseline?.signatures ?? []);
  const baselineValue =
    baseline === null || name === "new-error-types" ? null : builtinValue(name, baseline, minRequests);
  const { verdict, detail } = compare(name, config, canaryValue, baselineValue);
  if (name === "new-error-types" && verdict === "fail") {
    const known = new Set(baseline?.signatures ?? []);
    const fresh = canary.signatures.filter((s) => !known.has(s)).slice(0, 3);
    return {
      metric: name,
      canary: canaryValue,
      baseline: null,
      verdict,
      detail: `canary logged ${canaryValue} new error type${canaryValue === 1 ? "" : "s"}: ${fresh.map((s) => `"${s}"`).join(", ")}`,
    };
  }
  return { metric: name, canary: canaryValue, baseline: baselineValue, verdict, detail };
}

/** The optional Mann-Whitney U test: is the canary's latency distribution shifted up? */
export function judgeMannWhitney(
  canary: ReleaseWindow,
  baseline: ReleaseWindow,
  options: { alpha: number; minEffect: number; minRequests: number },
): MetricMeasurement {
  const metric = "latency-mann-whitney";
  const result =
    totalLatencyCount(canary.traffic.latency) < options.minRequests ||
    totalLatencyCount(baseline.traffic.latency) < options.minRequests
      ? null
      : mannWhitneyBinned(canary.traffic.latency, baseline.traffic.latency);
  if (result === null) {
    return {
      metric,
      canary: null,
      baseline: null,
      verdict: "inconclusive",
      detail: "too few latency samples",
    };
  }
  const slower = result.pGreater < options.alpha && result.effect >= options.minEffect;
  const words = `P(canary slower) ${result.effect.toFixed(2)}, one-sided p ${result.pGreater.toExponential(1)} (n ${result.n1} vs ${result.n2})`;
  return {
    metric,
    canary: result.effect,
    baseline: result.pGreater,
    verdict: slower ? "fail" : "pass",
    detail: slower
      ? `canary latency is higher: ${words} < α ${options.alpha}`
      : `no significant latency shift: ${words}`,
  };
}

/** An interval fails when a metric fails; else it is inconclusive when a metric is; else it passes. */
export function intervalVerdict(metrics: readonly MetricMeasurement[]): MetricVerdict {
  if (metrics.some((m) => m.verdict === "fail")) return "fail";
  if (metrics.some((m) => m.verdict === "inconclusive")) return "inconclusive";
  return "pass";
}

/**
 * The one line behind a verdict: for a failure, the metric that failed most often with its latest
 * figures and how many intervals it failed, e.g. "canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5×
 * over 3 of 5 intervals".
 */
export function summarizeIntervals(
  intervals: readonly IntervalMeasurement[],
  verdict: "passed" | "failed" | "inconclusive" | "running",
): string {
  const n = intervals.length;
  const of = `${n} interval${n === 1 ? "" : "s"}`;
  if (verdict === "failed") {
    const failures = new Map<string, MetricMeasurement[]>();
    for (const interval of intervals) {
      for (const m of interval.metrics)
        if (m.verdict === "fail") failures.set(m.metric, [...(failures.get(m.metric) ?? []), m]);
    }
    const worst = [...failures.values()].sort((a, b) => b.length - a.length)[0];
    const last = worst?.at(-1);
    if (last && worst) return `${last.detail} over ${worst.length} of ${of}`;
    return `failed over ${of}`;
  }
  if (verdict === "inconclusive") {
    const inconclusive = intervals.filter((i) => i.verdict === "inconclusive");
    const reason =
      inconclusive.at(-1)?.metrics.find((m) => m.verdict === "inconclusive")?.detail ?? "too little data";
    return `${inconclusive.length} of ${of} without enough data (${reason}; the canary got ${inconclusive.at(-1)?.canaryRequests ?? 0} requests in the last one)`;
  }
  const passed = intervals.filter((i) => i.verdict === "pass").length;
  const last = intervals.filter((i) => i.verdict === "pass").at(-1);
  const figures = last?.metrics
    .filter((m) => m.metric === "error-rate" || /^p\d\d$/.test(m.metric))
    .map((m) => `${m.metric} ${formatValue(m.metric, m.canary)} vs ${formatValue(m.metric, m.baseline)}`)
    .join(", ");
  return `${verdict === "running" ? "so far " : ""}${passed} of ${of} passed${figures ? ` (last: ${figures})` : ""}`;
}
