/**
 * The analysis loops the executor runs. A canary pause is measured in intervals: each interval's
 * figures (the difference of two metric snapshots, or PromQL queries) are judged against the stable
 * release; too many failed intervals fail the deploy, too many without enough data pause it for a
 * person (never a pass), and enough conclusive intervals pass it. The post-deploy watch measures the
 * new release alone after promotion and fails when a rollback trigger holds long enough. Every
 * interval is saved to the ledger as it completes, so a verdict always carries its numbers.
 */
import type { AnalysisConfig, WatchConfig } from "../config/analysis-schema.js";
import { isShipgateError, ShipgateError } from "../core/errors.js";
import type { TargetMetrics } from "../deploy/targets/types.js";
import type { AnalysisRun } from "../ledger/types.js";
import { emptyReleaseMetrics, subtractTraffic, summarizeTraffic } from "../proxy/traffic-metrics.js";
import {
  compare,
  formatValue,
  type IntervalMeasurement,
  intervalVerdict,
  judgeBuiltin,
  judgeMannWhitney,
  type MetricMeasurement,
  type ReleaseWindow,
  summarizeIntervals,
} from "./judge.js";
import { latencyQuantile } from "./latency-histogram.js";
import type { PromQueryOptions, PromQueryResult } from "./prometheus-query.js";

export interface AnalysisPorts {
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Runs at least every 250 ms while an interval passes; throws to stop (a crashed instance, a lost lock). */
  tick(): Promise<void>;
  /** The target's golden signals; null when the target has none (only PromQL metrics can be used). */
  metrics: (() => Promise<TargetMetrics>) | null;
  prometheus(options: PromQueryOptions): Promise<PromQueryResult>;
  /** Where a PromQL metric's headersEnv values are read. */
  env: Record<string, string | undefined>;
  save(run: AnalysisRun): Promise<void>;
  onInterval?(interval: IntervalMeasurement, run: AnalysisRun): void;
}

export interface ReleaseRef {
  id: string;
  version: string;
}

export interface CanaryAnalysisInput {
  runId: string;
  deployId: string;
  environment: string;
  stepIndex: number;
  /** The pause's length: it needs this many intervals' worth of conclusive measurements. */
  durationMs: number;
  canary: ReleaseRef;
  baseline: ReleaseRef;
  config: AnalysisConfig;
}

const emptySnapshot: TargetMetrics = { at: "", releases: {} };

/**
 * A release's window between two snapshots. Restarts count from `restartsSince` (default: the earlier
 * snapshot); the canary loop passes the run's first snapshot, so a restart fails every interval after
 * it ("no increase in restarts") instead of one interval that failureLimit would forgive.
 */
function windowOf(
  releaseId: string,
  later: TargetMetrics,
  earlier: TargetMetrics,
  restartsSince: TargetMetrics = earlier,
): ReleaseWindow {
  const now = later.releases[releaseId];
  const before = earlier.releases[releaseId];
  return {
    traffic: subtractTraffic(now?.traffic ?? emptyReleaseMetrics(), before?.traffic),
    restarts: Math.max(0, (now?.restarts ?? 0) - (restartsSince.releases[releaseId]?.restarts ?? 0)),
    signatures: (now?.errors ?? []).map((e) => e.signature),
  };
}

async function waitInterval(ports: AnalysisPorts, ms: number): Promise<void> {
  const end = ports.now().getTime() + ms;
  for (;;) {
    await ports.tick();
    const left = end - ports.now().getTime();
    if (left <= 0) return;
    await ports.sleep(Math.min(250, left));
  }
}

function headersFrom(env: Record<string, string | undefined>, spec: Record<string, string> | undefined) {
  const headers: Record<string, string> = {};
  for (const [name, variable] of Object.entries(spec ?? {})) {
    const value = env[variable];
    if (value === undefined) {
      throw new ShipgateError(
        "CONFIG_INVALID",
        `the PromQL metric's header ${name} needs ${variable}, which is not set`,
        {
          hint: `Export ${variable} for the shipgate process, or remove the header from analysis.metrics.`,
        },
      );
    }
    headers[name] = value;
  }
  return headers;
}

async function promValue(
  ports: AnalysisPorts,
  metric: Extract<AnalysisConfig["metrics"][number], { prometheus: unknown }>,
  release: ReleaseRef,
  environment: string,
  intervalMs: number,
): Promise<{ value: number | null; reason: string | null }> {
  try {
    const result = await ports.prometheus({
      url: metric.prometheus.url,
      query: metric.prometheus.query,
      vars: {
        release: release.id,
        version: release.version,
        environment,
        interval: `${Math.max(1, Math.round(intervalMs / 1000))}s`,
      },
      headers: headersFrom(ports.env, metric.prometheus.headersEnv),
    });
    return {
      value: result.value,
      reason: result.value === null ? (result.reason ?? "the query returned no series") : null,
    };
  } catch (error) {
    // A query Prometheus cannot run is the user's to fix: it fails the step. An unreachable
    // Prometheus is only missing data: inconclusive.
    if (isShipgateError(error) && error.code === "CONFIG_INVALID") throw error;
    return { value: null, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Measures one interval of a canary against its baseline. */
async function measureInterval(
  ports: AnalysisPorts,
  input: CanaryAnalysisInput,
  index: number,
  later: TargetMetrics,
  earlier: TargetMetrics,
  first: TargetMetrics,
): Promise<IntervalMeasurement> {
  const { config } = input;
  const canary = windowOf(input.canary.id, later, earlier, first);
  const baseline = windowOf(input.baseline.id, later, earlier, first);
  const metrics: MetricMeasurement[] = [];
  for (const metric of config.metrics) {
    if ("metric" in metric) {
      metrics.push(judgeBuiltin(metric, canary, baseline, config.minRequests));
      continue;
    }
    const c = await promValue(ports, metric, input.canary, input.environment, config.interval);
    const b =
      metric.ratio !== undefined
        ? await promValue(ports, metric, input.baseline, input.environment, config.interval)
        : { value: null, reason: null };
    const judged = compare(metric.name, metric, c.value, b.value);
    const reason = c.reason ?? b.reason;
    metrics.push({
      metric: metric.name,
      canary: c.value,
      baseline: b.value,
      verdict: judged.verdict,
      detail: judged.verdict === "inconclusive" && reason ? `${judged.detail}: ${reason}` : judged.detail,
    });
  }
  if (config.mannWhitney) {
    metrics.push(
      judgeMannWhitney(canary, baseline, { ...config.mannWhitney, minRequests: config.minRequests }),
    );
  }
  return {
    index,
    at: ports.now().toISOString(),
    canaryRequests: canary.traffic.requests,
    baselineRequests: baseline.traffic.requests,
    verdict: intervalVerdict(metrics),
    metrics,
  };
}

/** Judges one canary pause; resolves with the finished run (passed, failed or inconclusive). */
export async function runCanaryAnalysis(
  ports: AnalysisPorts,
  input: CanaryAnalysisInput,
): Promise<AnalysisRun> {
  const { config } = input;
  const usesBuiltins = config.metrics.some((m) => "metric" in m);
  if (usesBuiltins && ports.metrics === null) {
    throw new ShipgateError(
      "CONFIG_INVALID",
      "this target measures no built-in metrics (error-rate, p99, restarts …): only shipgate's local target has a proxy",
      {
        hint: "List PromQL metrics under analysis.metrics for this environment, or set analysis.enabled: false.",
      },
    );
  }
  const snapshot = async () => (ports.metrics ? ports.metrics() : emptySnapshot);
  const required = Math.max(1, Math.round(input.durationMs / config.interval));
  const run: AnalysisRun = {
    id: input.runId,
    deployId: input.deployId,
    environment: input.environment,
    stepIndex: input.stepIndex,
    phase: "canary",
    canaryReleaseId: input.canary.id,
    baselineReleaseId: input.baseline.id,
    verdict: "running",
    summary: `measuring ${required} interval${required === 1 ? "" : "s"} of ${Math.round(config.interval / 1000)} s`,
    measurements: [],
    startedAt: ports.now().toISOString(),
    finishedAt: null,
  };
  await ports.save(run);
  const intervals: IntervalMeasurement[] = [];
  const first = await snapshot();
  let previous = first;
  let failed = 0;
  let conclusive = 0;
  let inconclusive = 0;
  for (;;) {
    await waitInterval(ports, config.interval);
    const current = await snapshot();
    const interval = await measureInterval(ports, input, intervals.length + 1, current, previous, first);
    previous = current;
    intervals.push(interval);
    if (interval.verdict === "fail") failed++;
    if (interval.verdict === "inconclusive") inconclusive++;
    else conclusive++;
    if (failed > config.failureLimit) run.verdict = "failed";
    else if (conclusive >= required) run.verdict = "passed";
    else if (inconclusive > config.inconclusiveLimit) run.verdict = "inconclusive";
    run.measurements = intervals.map((i) => ({ ...i }));
    run.summary = summarizeIntervals(intervals, run.verdict);
    if (run.verdict !== "running") run.finishedAt = ports.now().toISOString();
    await ports.save(run);
    ports.onInterval?.(interval, run);
    if (run.verdict !== "running") return run;
  }
}

export interface WatchInput {
  runId: string;
  deployId: string;
  environment: string;
  stepIndex: number;
  release: ReleaseRef;
  /** The release served before; its p99 (over everything the target measured of it) is the baseline. */
  baseline: ReleaseRef | null;
  config: WatchConfig;
  /** Responses an interval needs for a conclusive error rate or p99. */
  minRequests: number;
}

function minutes(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** Watches the promoted release; resolves with the run: passed after the window, failed when a trigger held. */
export async function runWatch(ports: AnalysisPorts, input: WatchInput): Promise<AnalysisRun> {
  const { config } = input;
  if (ports.metrics === null) {
    throw new ShipgateError("CONFIG_INVALID", "this target measures no built-in metrics to watch", {
      hint: "Set watch.duration: 0 for this environment (the command target has no proxy of shipgate's).",
    });
  }
  const read = ports.metrics;
  const run: AnalysisRun = {
    id: input.runId,
    deployId: input.deployId,
    environment: input.environment,
    stepIndex: input.stepIndex,
    phase: "watch",
    canaryReleaseId: input.release.id,
    baselineReleaseId: input.baseline?.id ?? null,
    verdict: "running",
    summary: `watching for ${minutes(config.duration)}`,
    measurements: [],
    startedAt: ports.now().toISOString(),
    finishedAt: null,
  };
  let previous = await read();
  const baselineTraffic = input.baseline ? previous.releases[input.baseline.id]?.traffic : undefined;
  const baselineP99 = baselineTraffic ? latencyQuantile(baselineTraffic.latency, 0.99) : null;
  const p99Limit = baselineP99 === null ? null : Math.max(baselineP99 * config.p99.ratio, config.p99.floor);
  await ports.save(run);
  const start = ports.now().getTime();
  const intervals: IntervalMeasurement[] = [];
  let errorHeld = 0;
  let p99Held = 0;
  // Whether any interval had enough responses to judge: a watch without one did not pass.
  let judged = false;
  while (ports.now().getTime() - start < config.duration) {
    const t0 = ports.now().getTime();
    await waitInterval(ports, Math.min(config.interval, config.duration - (t0 - start)));
    const current = await read();
    const elapsed = ports.now().getTime() - t0;
    const window = windowOf(input.release.id, current, previous);
    previous = current;
    const summary = summarizeTraffic(window.traffic);
    const answered = Object.values(window.traffic.status).reduce((a, b) => a + b, 0);
    const errorRate = answered >= input.minRequests ? summary.errorRate : null;
    const p99 = answered >= input.minRequests ? summary.p99Ms : null;
    if (answered >= input.minRequests) judged = true;
    if (errorRate !== null) errorHeld = errorRate > config.errorRate.max ? errorHeld + elapsed : 0;
    if (p99 !== null && p99Limit !== null) p99Held = p99 > p99Limit ? p99Held + elapsed : 0;
    const metrics: MetricMeasurement[] = [
      {
        metric: "error-rate",
        canary: errorRate,
        baseline: null,
        verdict: errorRate === null ? "inconclusive" : errorRate > config.errorRate.max ? "fail" : "pass",
        detail: `error rate ${formatValue("error-rate", errorRate)} (trigger > ${formatValue("error-rate", config.errorRate.max)} for ${minutes(config.errorRate.for)}; held ${minutes(Math.round(errorHeld / 1000) * 1000)})`,
      },
      {
        metric: "p99",
        canary: p99,
        baseline: baselineP99,
        verdict: p99 === null || p99Limit === null ? "inconclusive" : p99 > p99Limit ? "fail" : "pass",
        detail:
          p99Limit === null
            ? `p99 ${formatValue("p99", p99)} (no baseline p99 to compare with)`
            : `p99 ${formatValue("p99", p99)} vs baseline ${formatValue("p99", baselineP99)} (trigger > ${config.p99.ratio}× for ${minutes(config.p99.for)})`,
      },
    ];
    const interval: IntervalMeasurement = {
      index: intervals.length + 1,
      at: ports.now().toISOString(),
      canaryRequests: window.traffic.requests,
      baselineRequests: 0,
      verdict: intervalVerdict(metrics),
      metrics,
    };
    intervals.push(interval);
    run.measurements = intervals.map((i) => ({ ...i }));
    if (errorHeld >= config.errorRate.for) {
      run.verdict = "failed";
      run.summary = `error rate ${formatValue("error-rate", errorRate)} > ${formatValue("error-rate", config.errorRate.max)} for ${minutes(Math.round(errorHeld / 1000) * 1000)} after promotion (trigger: ${minutes(config.errorRate.for)})`;
    } else if (p99Held >= config.p99.for) {
      run.verdict = "failed";
      run.summary = `p99 ${formatValue("p99", p99)} vs baseline ${formatValue("p99", baselineP99)} = ${(p99 !== null && baselineP99 ? p99 / baselineP99 : 0).toFixed(1)}× > ${config.p99.ratio}× for ${minutes(Math.round(p99Held / 1000) * 1000)} after promotion`;
    } else {
      run.summary = `watched ${minutes(Math.round((ports.now().getTime() - start) / 1000) * 1000)} of ${minutes(config.duration)}: no trigger held (last: ${metrics.map((m) => m.detail.split(" (")[0]).join(", ")})`;
    }
    if (run.verdict === "failed") run.finishedAt = ports.now().toISOString();
    await ports.save(run);
    ports.onInterval?.(interval, run);
    if (run.verdict === "failed") return run;
  }
  run.verdict = judged ? "passed" : "inconclusive";
  if (!judged) {
    const n = intervals.length;
    run.summary = `watched ${minutes(Math.round((ports.now().getTime() - start) / 1000) * 1000)} of ${minutes(config.duration)}: too little traffic to judge (fewer than ${input.minRequests} responses in each of ${n} interval${n === 1 ? "" : "s"})`;
  }
  run.finishedAt = ports.now().toISOString();
  await ports.save(run);
  return run;
}
