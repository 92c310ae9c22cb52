/**
 * The local agent's /metrics: the golden signals per release and route group in the Prometheus text
 * format. The counters live in the proxy workers (plain numbers, summed by the agent); this module
 * states them as prom-client metric objects and lets prom-client's registry aggregate and render them
 * (AggregatorRegistry.aggregate, the API prom-client offers for metrics collected elsewhere), beside
 * the agent's own process metrics.
 */
import { AggregatorRegistry, collectDefaultMetrics, Registry } from "prom-client";
import { latencyBoundsMs } from "../../../analysis/latency-histogram.js";
import type { StatusClass, TrafficMetrics } from "../../../proxy/index.js";
import type { InstanceInfo, TargetMetrics } from "../types.js";

/** Histogram bounds exposed, in seconds (prom-client's defaults; each is an exact bucket edge of the proxy's histogram). */
export const exposedBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricObject {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  aggregator: "sum";
  values: MetricValue[];
}

export interface ExpositionInput {
  environment: string;
  metrics: TargetMetrics;
  instances: readonly InstanceInfo[];
  /** Current traffic weights per release id. */
  weights: Readonly<Record<string, number>>;
  unrouted: number;
}

/** Cumulative counts at each exposed bound, from the proxy's fine buckets. */
function cumulativeBuckets(latency: readonly number[]): number[] {
  const edges = exposedBucketsSeconds.map((s) => latencyBoundsMs.indexOf(s * 1000));
  const out: number[] = [];
  let running = 0;
  let next = 0;
  for (const [k, edge] of edges.entries()) {
    for (; next <= edge; next++) running += latency[next] ?? 0;
    out[k] = running;
  }
  return out;
}

function trafficValues(
  base: Record<string, string>,
  t: TrafficMetrics,
  into: { requests: MetricValue[]; upstream: MetricValue[]; duration: MetricValue[] },
): void {
  for (const code of Object.keys(t.status) as StatusClass[]) {
    if (t.status[code] > 0)
      into.requests.push({ labels: { ...base, code_class: code }, value: t.status[code] });
  }
  into.upstream.push({ labels: base, value: t.upstreamErrors });
  const cumulative = cumulativeBuckets(t.latency);
  exposedBucketsSeconds.forEach((le, k) => {
    into.duration.push({
      labels: { ...base, le },
      value: cumulative[k] ?? 0,
      metricName: "shipgate_http_request_duration_seconds_bucket",
    });
  });
  const count = t.latency.reduce((a, b) => a + b, 0);
  into.duration.push(
    {
      labels: { ...base, le: "+Inf" },
      value: count,
      metricName: "shipgate_http_request_duration_seconds_bucket",
    },
    { labels: base, value: t.latencySumMs / 1000, metricName: "shipgate_http_request_duration_seconds_sum" },
    { labels: base, value: count, metricName: "shipgate_http_request_duration_seconds_count" },
  );
}

/** The metric objects for one snapshot (exported for tests). */
export function expositionMetrics(input: ExpositionInput): MetricObject[] {
  const env = input.environment;
  const series = {
    requests: [] as MetricValue[],
    upstream: [] as MetricValue[],
    duration: [] as MetricValue[],
  };
  const retries: MetricValue[] = [];
  const restarts: MetricValue[] = [];
  const errorLines: MetricValue[] = [];
  const signatures: MetricValue[] = [];
  const weights: MetricValue[] = [];
  for (const [release, s] of Object.entries(input.metrics.releases)) {
    const base = { environment: env, release, version: s.version ?? "" };
    for (const [group, t] of Object.entries(s.traffic.groups)) {
      trafficValues({ ...base, route_group: group }, t, series);
    }
    retries.push({ labels: base, value: s.traffic.retries });
    restarts.push({ labels: base, value: s.restarts });
    errorLines.push({ labels: base, value: s.errorLines });
    signatures.push({ labels: base, value: s.errors.length });
    weights.push({ labels: base, value: input.weights[release] ?? 0 });
  }
  const states = new Map<string, MetricValue>();
  for (const i of input.instances) {
    if (i.state === "stopped") continue;
    const key = `${i.releaseId}\u0000${i.state}`;
    const known = states.get(key);
    if (known) known.value++;
    else states.set(key, { labels: { environment: env, release: i.releaseId, state: i.state }, value: 1 });
  }
  const metric = (name: string, help: string, type: MetricObject["type"], values: MetricValue[]) => ({
    name,
    help,
    type,
    aggregator: "sum" as const,
    values,
  });
  return [
    metric(
      "shipgate_http_requests_total",
      "Responses sent through shipgate's proxy, by release, route group and status class.",
      "counter",
      series.requests,
    ),
    metric(
      "shipgate_http_upstream_errors_total",
      "Requests the proxy answered 502/504 because the instance could not be reached or timed out.",
      "counter",
      series.upstream,
    ),
    metric(
      "shipgate_http_request_duration_seconds",
      "Time from the request to the end of the response, through the proxy.",
      "histogram",
      series.duration,
    ),
    metric(
      "shipgate_http_retries_total",
      "Requests retried on another instance after a connection error.",
      "counter",
      retries,
    ),
    metric("shipgate_instance_restarts_total", "Restarts of a release's instances.", "counter", restarts),
    metric(
      "shipgate_log_error_lines_total",
      "Instance output lines recognised as errors.",
      "counter",
      errorLines,
    ),
    metric(
      "shipgate_log_error_signatures",
      "Distinct error signatures in a release's instance output.",
      "gauge",
      signatures,
    ),
    metric("shipgate_traffic_weight_percent", "The share of traffic routed to a release.", "gauge", weights),
    metric("shipgate_instances", "Instances by release and state.", "gauge", [...states.values()]),
    metric(
      "shipgate_proxy_unrouted_total",
      "Requests answered 503 because no instance was routable.",
      "counter",
      [{ labels: { environment: env }, value: input.unrouted }],
    ),
  ];
}

export interface Exposition {
  contentType: string;
  render(input: ExpositionInput): Promise<string>;
}

/** A renderer; it also exposes the agent's process metrics (CPU, memory, event loop) under shipgate_agent_. */
export function createExposition(): Exposition {
  const own = new Registry();
  collectDefaultMetrics({ register: own, prefix: "shipgate_agent_" });
  return {
    contentType: own.contentType,
    async render(input) {
      const registry = AggregatorRegistry.aggregate([expositionMetrics(input), await own.getMetricsAsJSON()]);
      return registry.metrics();
    },
  };
}
