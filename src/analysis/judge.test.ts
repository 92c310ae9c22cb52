/**
 * Tests for judging one analysis interval: threshold and ratio comparisons (floor, baseline 0, missing
 * figures), the built-in metrics' figures from a release window, the words behind each verdict with
 * the numbers in them, the Mann-Whitney check, and the one-line summaries of a run's intervals.
 */
import { describe, expect, it } from "vitest";
import {
  type AnalysisMetricConfig,
  analysisSchema,
  type BuiltinMetricName,
} from "../config/analysis-schema.js";
import { emptyTraffic, recordResponse, type TrafficMetrics } from "../proxy/traffic-metrics.js";
import {
  builtinValue,
  compare,
  type IntervalMeasurement,
  intervalVerdict,
  judgeBuiltin,
  judgeMannWhitney,
  type MetricMeasurement,
  type ReleaseWindow,
  summarizeIntervals,
} from "./judge.js";

/** Traffic with `count` responses of `status` taking `latencyMs` each, added to `into`. */
function add(into: TrafficMetrics, count: number, status: number, latencyMs: number): TrafficMetrics {
  for (let i = 0; i < count; i++) {
    into.requests++;
    recordResponse(into, status, latencyMs);
  }
  return into;
}

function window(traffic: TrafficMetrics, restarts = 0, signatures: string[] = []): ReleaseWindow {
  return { traffic, restarts, signatures };
}

function builtin(
  metric: BuiltinMetricName,
  rest: Omit<AnalysisMetricConfig, "metric" | "name" | "prometheus"> = {},
) {
  return { metric, ...rest } as Extract<AnalysisMetricConfig, { metric: BuiltinMetricName }>;
}

describe("compare", () => {
  it("fails above max and below min, passes within them", () => {
    expect(compare("restarts", { max: 0 }, 2, null)).toEqual({
      verdict: "fail",
      detail: "canary restarts 2 > max 0",
    });
    expect(compare("rps", { min: 5 }, 3, null)).toEqual({ verdict: "fail", detail: "canary rps 3 < min 5" });
    expect(compare("rps", { min: 5, max: 10 }, 7, null)).toEqual({
      verdict: "pass",
      detail: "canary rps 7 within its thresholds",
    });
    expect(compare("p99", { max: 300 }, 412, 100).detail).toBe("canary p99 412 ms > max 300 ms");
  });

  it("compares with the baseline times the ratio", () => {
    expect(compare("p99", { ratio: 1.5 }, 412, 180)).toEqual({
      verdict: "fail",
      detail: "canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5×",
    });
    expect(compare("p99", { ratio: 1.5 }, 200, 180)).toEqual({
      verdict: "pass",
      detail: "canary p99 200 ms vs baseline 180 ms = 1.1× ≤ 1.5×",
    });
    expect(compare("error-rate", { ratio: 1.5 }, 0.3, 0.02).detail).toBe(
      "canary error-rate 30.0% vs baseline 2.0% = 15× > 1.5×",
    );
  });

  it("passes a value at or below the floor whatever the baseline, missing or zero", () => {
    expect(compare("error-rate", { ratio: 1.5, floor: 0.01 }, 0.01, 0)).toEqual({
      verdict: "pass",
      detail: "canary error-rate 1.0% ≤ floor 1.0%",
    });
    expect(compare("p99", { ratio: 1.5, floor: 50 }, 45, null).verdict).toBe("pass");
    expect(compare("p99", { ratio: 1.5, floor: 50 }, 45, 1).verdict).toBe("pass");
  });

  it("fails against a baseline of 0 above the floor and shows the ratio as ∞", () => {
    expect(compare("error-rate", { ratio: 1.5, floor: 0.01 }, 0.3, 0)).toEqual({
      verdict: "fail",
      detail: "canary error-rate 30.0% vs baseline 0.0% = ∞× > 1.5×",
    });
  });

  it("is inconclusive without a canary figure, or without a baseline figure for a ratio", () => {
    expect(compare("p99", { ratio: 1.5, max: 10 }, null, 100)).toEqual({
      verdict: "inconclusive",
      detail: "no canary p99 figure (too little data)",
    });
    expect(compare("p99", { ratio: 1.5, floor: 50 }, 80, null)).toEqual({
      verdict: "inconclusive",
      detail: "no baseline p99 figure to compare with (too little data)",
    });
  });

  it("checks max before the floor: a value above max fails even under the floor", () => {
    expect(compare("error-rate", { ratio: 2, floor: 0.5, max: 0.1 }, 0.2, 0.2).verdict).toBe("fail");
  });
});

describe("builtinValue", () => {
  it("gives the error rate only with at least minRequests answered responses", () => {
    const t = add(add(emptyTraffic(), 40, 200, 10), 10, 503, 10);
    expect(builtinValue("error-rate", window(t), 50)).toBeCloseTo(0.2);
    expect(builtinValue("error-rate", window(t), 51)).toBeNull();
    // Requests routed but without a status (client went away: 499) do not count as answered.
    const gone = add(add(emptyTraffic(), 30, 200, 10), 30, 499, 10);
    expect(gone.requests).toBe(60);
    expect(builtinValue("error-rate", window(gone), 50)).toBeNull();
  });

  it("reads latency quantiles from the histogram, null below minRequests", () => {
    const t = add(add(emptyTraffic(), 90, 200, 20), 10, 200, 300);
    const p50 = builtinValue("p50", window(t), 50) as number;
    const p99 = builtinValue("p99", window(t), 50) as number;
    expect(p50).toBeGreaterThan(19);
    expect(p50).toBeLessThanOrEqual(20);
    expect(p99).toBeGreaterThan(280);
    expect(p99).toBeLessThanOrEqual(300);
    expect(builtinValue("p95", window(t), 50)).toBeGreaterThan(280);
    expect(builtinValue("p99", window(t), 101)).toBeNull();
  });

  it("counts restarts, with no traffic needed", () => {
    expect(builtinValue("restarts", window(emptyTraffic(), 2), 50)).toBe(2);
  });

  it("counts the canary's error signatures the baseline never showed", () => {
    const canary = window(emptyTraffic(), 0, ["Error: timeout", "TypeError: x is not a function", "E2"]);
    expect(builtinValue("new-error-types", canary, 50, ["Error: timeout"])).toBe(2);
    expect(builtinValue("new-error-types", canary, 50, canary.signatures)).toBe(0);
    expect(builtinValue("new-error-types", canary, 50)).toBe(3);
  });
});

describe("judgeBuiltin", () => {
  /** 510 fast responses and 10 at 410 ms: the p99 (rank 514.8) lands 48% into the (400, 425] bucket: 412 ms. */
  const slowCanary = () => add(add(emptyTraffic(), 510, 200, 100), 10, 200, 410);
  /** 100 responses at 175 ms: p99 = 170 + 0.99 × 10 = 179.9 ms. */
  const baseline = () => add(emptyTraffic(), 100, 200, 175);

  it("says the p99 figures and their ratio", () => {
    const m = judgeBuiltin(
      builtin("p99", { ratio: 1.5, floor: 50 }),
      window(slowCanary()),
      window(baseline()),
      50,
    );
    expect(m.verdict).toBe("fail");
    expect(m.canary).toBeCloseTo(412, 5);
    expect(m.baseline).toBeCloseTo(179.9, 5);
    expect(m.detail).toBe("canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5×");
  });

  it("says the error-rate figures", () => {
    const canary = add(add(emptyTraffic(), 140, 200, 10), 60, 500, 10);
    const base = add(add(emptyTraffic(), 792, 200, 10), 8, 502, 10);
    const m = judgeBuiltin(
      builtin("error-rate", { ratio: 1.5, floor: 0.01 }),
      window(canary),
      window(base),
      50,
    );
    expect(m).toMatchObject({ metric: "error-rate", verdict: "fail" });
    expect(m.detail).toBe("canary error-rate 30.0% vs baseline 1.0% = 30× > 1.5×");
  });

  it("is inconclusive with too little canary traffic, or with no baseline window", () => {
    const few = add(emptyTraffic(), 10, 200, 10);
    expect(
      judgeBuiltin(builtin("error-rate", { ratio: 1.5, floor: 0.01 }), window(few), window(baseline()), 50)
        .verdict,
    ).toBe("inconclusive");
    const m = judgeBuiltin(builtin("p99", { ratio: 1.5, floor: 50 }), window(slowCanary()), null, 50);
    expect(m.verdict).toBe("inconclusive");
    expect(m.baseline).toBeNull();
  });

  it("names up to three new error types", () => {
    const canary = window(emptyTraffic(), 0, ["Error: timeout", "TypeError: x is not a function"]);
    const m = judgeBuiltin(
      builtin("new-error-types", { max: 0 }),
      canary,
      window(emptyTraffic(), 0, ["Error: timeout"]),
      50,
    );
    expect(m).toEqual({
      metric: "new-error-types",
      canary: 1,
      baseline: null,
      verdict: "fail",
      detail: 'canary logged 1 new error type: "TypeError: x is not a function"',
    });
    const many = window(emptyTraffic(), 0, ["A", "B", "C", "D"]);
    expect(judgeBuiltin(builtin("new-error-types", { max: 0 }), many, null, 50).detail).toBe(
      'canary logged 4 new error types: "A", "B", "C"',
    );
  });

  it("fails restarts against max 0 and passes none", () => {
    const m = judgeBuiltin(
      builtin("restarts", { max: 0 }),
      window(emptyTraffic(), 1),
      window(emptyTraffic()),
      50,
    );
    expect(m).toMatchObject({ verdict: "fail", canary: 1, detail: "canary restarts 1 > max 0" });
    expect(judgeBuiltin(builtin("restarts", { max: 0 }), window(emptyTraffic()), null, 50).verdict).toBe(
      "pass",
    );
  });
});

describe("judgeMannWhitney", () => {
  const options = { alpha: 0.01, minEffect: 0.6, minRequests: 50 };
  /** Latencies spread over several buckets, `shift` ms slower. */
  const spread = (shift: number) => {
    const t = emptyTraffic();
    for (let i = 0; i < 200; i++) add(t, 1, 200, 40 + (i % 20) * 3 + shift);
    return t;
  };

  it("fails a clearly slower canary", () => {
    const m = judgeMannWhitney(window(spread(15)), window(spread(0)), options);
    expect(m.verdict).toBe("fail");
    expect(m.canary).toBeGreaterThan(0.6);
    expect(m.detail).toMatch(
      /^canary latency is higher: P\(canary slower\) 0\.\d\d, one-sided p .+ \(n 200 vs 200\) < α 0\.01$/,
    );
  });

  it("passes an identical canary", () => {
    const m = judgeMannWhitney(window(spread(0)), window(spread(0)), options);
    expect(m.verdict).toBe("pass");
    expect(m.canary).toBeCloseTo(0.5);
    expect(m.detail).toMatch(/^no significant latency shift: /);
  });

  it("is inconclusive with too few samples on either side", () => {
    const few = add(emptyTraffic(), 20, 200, 500);
    expect(judgeMannWhitney(window(few), window(spread(0)), options).verdict).toBe("inconclusive");
    expect(judgeMannWhitney(window(spread(0)), window(few), options)).toMatchObject({
      verdict: "inconclusive",
      detail: "too few latency samples",
    });
  });
});

function measurement(metric: string, verdict: MetricMeasurement["verdict"], detail = `${metric} ${verdict}`) {
  return { metric, canary: 1, baseline: 1, verdict, detail };
}

describe("intervalVerdict", () => {
  it("fails on any failure, else is inconclusive on any inconclusive, else passes", () => {
    expect(
      intervalVerdict([measurement("a", "pass"), measurement("b", "inconclusive"), measurement("c", "fail")]),
    ).toBe("fail");
    expect(intervalVerdict([measurement("a", "pass"), measurement("b", "inconclusive")])).toBe(
      "inconclusive",
    );
    expect(intervalVerdict([measurement("a", "pass"), measurement("b", "pass")])).toBe("pass");
  });
});

describe("summarizeIntervals", () => {
  function interval(index: number, metrics: MetricMeasurement[], canaryRequests = 200): IntervalMeasurement {
    return {
      index,
      at: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(),
      canaryRequests,
      baselineRequests: 800,
      verdict: intervalVerdict(metrics),
      metrics,
    };
  }

  it("names the metric that failed most often, with its latest figures and the count", () => {
    const p99 = (detail: string) => measurement("p99", "fail", detail);
    const intervals = [
      interval(1, [
        measurement("error-rate", "pass"),
        p99("canary p99 390 ms vs baseline 180 ms = 2.2× > 1.5×"),
      ]),
      interval(2, [
        measurement("error-rate", "fail", "canary error-rate 3.0% vs baseline 1.0% = 3.0× > 1.5×"),
        measurement("p99", "pass"),
      ]),
      interval(3, [
        measurement("error-rate", "pass"),
        p99("canary p99 400 ms vs baseline 180 ms = 2.2× > 1.5×"),
      ]),
      interval(4, [measurement("error-rate", "pass"), measurement("p99", "pass")]),
      interval(5, [
        measurement("error-rate", "pass"),
        p99("canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5×"),
      ]),
    ];
    expect(summarizeIntervals(intervals, "failed")).toBe(
      "canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5× over 3 of 5 intervals",
    );
  });

  it("says how many intervals lacked data and why", () => {
    const intervals = [
      interval(1, [measurement("error-rate", "pass")]),
      interval(
        2,
        [measurement("error-rate", "inconclusive", "no canary error-rate figure (too little data)")],
        12,
      ),
    ];
    expect(summarizeIntervals(intervals, "inconclusive")).toBe(
      "1 of 2 intervals without enough data (no canary error-rate figure (too little data); the canary got 12 requests in the last one)",
    );
  });

  it("counts passed intervals with the last figures", () => {
    const passing = (index: number) =>
      interval(index, [
        { metric: "error-rate", canary: 0.002, baseline: 0.001, verdict: "pass", detail: "" },
        { metric: "p99", canary: 120.4, baseline: 118, verdict: "pass", detail: "" },
        { metric: "restarts", canary: 0, baseline: 0, verdict: "pass", detail: "" },
      ]);
    expect(summarizeIntervals([passing(1), passing(2)], "passed")).toBe(
      "2 of 2 intervals passed (last: error-rate 0.2% vs 0.1%, p99 120 ms vs 118 ms)",
    );
    expect(summarizeIntervals([passing(1)], "running")).toBe(
      "so far 1 of 1 interval passed (last: error-rate 0.2% vs 0.1%, p99 120 ms vs 118 ms)",
    );
  });

  it("uses the default metrics of the schema", () => {
    expect(analysisSchema.parse({}).metrics.map((m) => ("metric" in m ? m.metric : m.name))).toEqual([
      "error-rate",
      "p99",
      "restarts",
      "new-error-types",
    ]);
  });
});
