/**
 * The analysis part of an environment in shipgate.yaml: how each canary pause is judged against the
 * stable release (built-in golden signals from shipgate's proxy, or PromQL queries), the post-deploy
 * watch with its rollback triggers, and the alert thresholds `shipgate status` shows. The defaults
 * are the discipline's numbers: promote when the canary's error rate and p99 stay within 1.5× of the
 * baseline with no new error types and no restarts; roll back on an error rate above 5% for 2
 * minutes or a p99 above 2× the baseline for 5 minutes.
 */
import { z } from "zod";
import { duration } from "./deploy-schema.js";

export const builtinMetricNames = ["error-rate", "p50", "p95", "p99", "restarts", "new-error-types"] as const;
export type BuiltinMetricName = (typeof builtinMetricNames)[number];

const comparisonFields = {
  ratio: z
    .number()
    .positive()
    .optional()
    .describe("Fail when the canary's value exceeds the baseline's times this (e.g. 1.5)."),
  floor: z
    .number()
    .min(0)
    .optional()
    .describe(
      "Values at or below this pass the ratio check whatever the baseline (error rate as a fraction, latency in ms).",
    ),
  max: z.number().optional().describe("Fail when the canary's value is above this (an absolute threshold)."),
  min: z.number().optional().describe("Fail when the canary's value is below this (an absolute threshold)."),
};

const builtinMetricSchema = z
  .object({
    metric: z
      .enum(builtinMetricNames)
      .describe(
        "A golden signal measured by shipgate's proxy and agent: error-rate (5xx and connection errors / responses), p50/p95/p99 latency (ms), restarts, new-error-types (error signatures in the canary's output the baseline never showed).",
      ),
    ...comparisonFields,
  })
  .strict();

const prometheusMetricSchema = z
  .object({
    name: z.string().min(1).max(64).describe("The metric's name in the verdict."),
    prometheus: z
      .object({
        url: z.url({ protocol: /^https?$/ }).describe("The Prometheus base URL."),
        query: z
          .string()
          .min(1)
          .describe(
            "An instant PromQL query returning one number; {{release}}, {{version}}, {{environment}} and {{interval}} are filled in. With ratio, it runs once for the canary and once for the baseline.",
          ),
        headersEnv: z
          .record(z.string(), z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name"))
          .optional()
          .describe("Request headers whose values come from env variables (e.g. Authorization: PROM_TOKEN)."),
      })
      .strict(),
    ...comparisonFields,
  })
  .strict();

export const analysisMetricSchema = z.union([builtinMetricSchema, prometheusMetricSchema]);
export type AnalysisMetricConfig = z.output<typeof analysisMetricSchema>;

export const defaultAnalysisMetrics: AnalysisMetricConfig[] = [
  { metric: "error-rate", ratio: 1.5, floor: 0.01 },
  { metric: "p99", ratio: 1.5, floor: 50 },
  { metric: "restarts", max: 0 },
  { metric: "new-error-types", max: 0 },
];

const analysisDefaults = {
  enabled: true,
  interval: 60_000,
  failureLimit: 1,
  inconclusiveLimit: 3,
  minRequests: 50,
  metrics: defaultAnalysisMetrics,
};

export const analysisSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Judge every timed pause of a canary; a failed verdict rolls the deploy back."),
    interval: duration.default(60_000).describe("Each measurement covers this long; a pause holds several."),
    failureLimit: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe("Failed intervals allowed per pause; one more fails the deploy."),
    inconclusiveLimit: z
      .number()
      .int()
      .min(0)
      .default(3)
      .describe(
        "Intervals with too little data the pause waits through; beyond them the deploy pauses for `shipgate promote` / `abort`. Never a pass.",
      ),
    minRequests: z
      .number()
      .int()
      .min(1)
      .default(50)
      .describe("Requests each side needs in an interval for a conclusive error-rate or latency figure."),
    metrics: z
      .array(analysisMetricSchema)
      .min(1)
      .default(defaultAnalysisMetrics)
      .describe(
        "What is compared; default: error-rate and p99 within 1.5× of the baseline, no restarts, no new error types.",
      ),
    mannWhitney: z
      .object({
        alpha: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.01)
          .describe("Significance level of the one-sided test that the canary is slower."),
        minEffect: z
          .number()
          .min(0.5)
          .max(1)
          .default(0.6)
          .describe("Also required: P(canary slower than baseline) at least this (0.5 = no difference)."),
      })
      .strict()
      .optional()
      .describe("Adds a Mann-Whitney U test on the latency distributions of each interval."),
  })
  .strict()
  .default(analysisDefaults)
  .describe("Canary analysis: each pause is measured in intervals and compared with the stable release.");

export type AnalysisConfig = z.output<typeof analysisSchema>;

export const watchSchema = z
  .object({
    duration: duration
      .default(300_000)
      .describe("How long to watch after the new release takes all traffic; 0: no watch."),
    interval: duration.default(30_000).describe("Time between measurements."),
    errorRate: z
      .object({
        max: z
          .number()
          .min(0)
          .max(1)
          .default(0.05)
          .describe("Error rate (fraction) that triggers a rollback…"),
        for: duration.default(120_000).describe("…when it holds this long."),
      })
      .strict()
      .default({ max: 0.05, for: 120_000 }),
    p99: z
      .object({
        ratio: z
          .number()
          .positive()
          .default(2)
          .describe("p99 over the previous release's p99 that triggers a rollback…"),
        floor: z.number().min(0).default(50).describe("…when above this many ms…"),
        for: duration.default(300_000).describe("…and it holds this long."),
      })
      .strict()
      .default({ ratio: 2, floor: 50, for: 300_000 }),
  })
  .strict()
  .default({
    duration: 300_000,
    interval: 30_000,
    errorRate: { max: 0.05, for: 120_000 },
    p99: { ratio: 2, floor: 50, for: 300_000 },
  })
  .describe("Post-deploy watch: after promotion, roll back automatically when a trigger holds.");

export type WatchConfig = z.output<typeof watchSchema>;

export const alertsSchema = z
  .object({
    errorRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe("Error rate (fraction) shown as an alert in status."),
    p99: duration.default(500).describe("p99 latency shown as an alert in status."),
  })
  .strict()
  .default({ errorRate: 0.01, p99: 500 })
  .describe("Alert thresholds `shipgate status` shows against the live figures.");

export type AlertsConfig = z.output<typeof alertsSchema>;
