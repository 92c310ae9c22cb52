/**
 * Tests for the analysis loops with fake ports: a fake clock that sleep() advances, a tick() counter,
 * a metrics() port returning cumulative snapshots that grow by a scripted amount per interval, a fake
 * prometheus() and a save() that keeps a copy of every saved run. No real time passes.
 */
import { describe, expect, it } from "vitest";
import { analysisSchema, watchSchema } from "../config/analysis-schema.js";
import { isShipgateError, ShipgateError } from "../core/errors.js";
import type { ReleaseSignals, TargetMetrics } from "../deploy/targets/types.js";
import type { AnalysisRun } from "../ledger/types.js";
import { emptyReleaseMetrics, recordResponse } from "../proxy/traffic-metrics.js";
import {
  type AnalysisPorts,
  type CanaryAnalysisInput,
  runCanaryAnalysis,
  runWatch,
  type WatchInput,
} from "./canary-analysis.js";
import type { MetricMeasurement } from "./judge.js";
import type { PromQueryOptions, PromQueryResult } from "./prometheus-query.js";

/** What one release gets during one interval. */
interface Step {
  requests?: number;
  /** How many of them are answered 500. */
  errors?: number;
  latencyMs?: number;
  restarts?: number;
  /** Error signatures seen (first time) in this interval. */
  signatures?: string[];
}

/** Per 1-based interval, what each release gets; interval 0 is what was counted before the run. */
type Script = (interval: number) => Record<string, Step>;

/** The measured metrics of a run's interval `i` (0-based). */
function metricsOf(run: AnalysisRun, i: number): MetricMeasurement[] {
  return (run.measurements[i]?.metrics ?? []) as MetricMeasurement[];
}

const canary = { id: "r-canary", version: "v2" };
const baseline = { id: "r-stable", version: "v1" };

function fakePorts(script: Script, overrides: Partial<AnalysisPorts> = {}) {
  let clock = Date.parse("2026-03-01T12:00:00.000Z");
  const releases: Record<string, ReleaseSignals> = {};
  const saved: AnalysisRun[] = [];
  const queries: PromQueryOptions[] = [];
  const sleeps: number[] = [];
  let ticks = 0;
  let snapshots = 0;
  const apply = (steps: Record<string, Step>) => {
    for (const [id, step] of Object.entries(steps)) {
      const r = releases[id] ?? {
        version: id === canary.id ? canary.version : baseline.version,
        traffic: emptyReleaseMetrics(),
        restarts: 0,
        errorLines: 0,
        errors: [],
      };
      releases[id] = r;
      const requests = step.requests ?? 0;
      for (let i = 0; i < requests; i++) {
        r.traffic.requests++;
        recordResponse(r.traffic, i < (step.errors ?? 0) ? 500 : 200, step.latencyMs ?? 40);
      }
      r.restarts += step.restarts ?? 0;
      for (const signature of step.signatures ?? []) {
        if (!r.errors.some((e) => e.signature === signature)) {
          const at = new Date(clock).toISOString();
          r.errors.push({ signature, count: 1, sample: signature, firstSeen: at, lastSeen: at });
        }
      }
    }
  };
  const ports: AnalysisPorts = {
    now: () => new Date(clock),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    tick: async () => {
      ticks++;
    },
    metrics: async (): Promise<TargetMetrics> => {
      apply(script(snapshots));
      snapshots++;
      return structuredClone({ at: new Date(clock).toISOString(), releases });
    },
    prometheus: async (options) => {
      queries.push(options);
      return { value: 0, series: 1, query: options.query };
    },
    env: {},
    save: async (run) => {
      saved.push(structuredClone(run));
    },
    ...overrides,
  };
  return {
    ports,
    saved,
    queries,
    sleeps,
    ticks: () => ticks,
    elapsedMs: () => clock - Date.parse("2026-03-01T12:00:00.000Z"),
  };
}

function canaryInput(config: Record<string, unknown> = {}, durationMs = 300_000): CanaryAnalysisInput {
  return {
    runId: "an-1",
    deployId: "d-1",
    environment: "production",
    stepIndex: 2,
    durationMs,
    canary,
    baseline,
    config: analysisSchema.parse(config),
  };
}

/** Canary and baseline traffic per interval (none before the run). */
const traffic =
  (c: Step | ((i: number) => Step), b: Step = { requests: 800, latencyMs: 40 }): Script =>
  (i) =>
    i === 0 ? {} : { [canary.id]: typeof c === "function" ? c(i) : c, [baseline.id]: b };

const healthy: Step = { requests: 200, latencyMs: 40 };

describe("runCanaryAnalysis", () => {
  it("passes a healthy canary after exactly duration / interval conclusive intervals", async () => {
    const f = fakePorts(traffic(healthy));
    const run = await runCanaryAnalysis(f.ports, canaryInput());
    expect(run.verdict).toBe("passed");
    expect(run.measurements).toHaveLength(5);
    expect(run.summary).toBe("5 of 5 intervals passed (last: error-rate 0.0% vs 0.0%, p99 40 ms vs 40 ms)");
    expect(run.finishedAt).toBe("2026-03-01T12:05:00.000Z");
    expect(f.elapsedMs()).toBe(300_000);
    // tick() runs at least every 250 ms of the interval, and no sleep is longer.
    expect(f.ticks()).toBeGreaterThanOrEqual(300_000 / 250);
    expect(Math.max(...f.sleeps)).toBeLessThanOrEqual(250);
  });

  it("saves the run at the start and after every interval, verdict running until the end", async () => {
    const f = fakePorts(traffic(healthy));
    await runCanaryAnalysis(f.ports, canaryInput({}, 180_000));
    expect(f.saved.map((r) => [r.verdict, r.measurements.length])).toEqual([
      ["running", 0],
      ["running", 1],
      ["running", 2],
      ["passed", 3],
    ]);
    expect(f.saved[0]).toMatchObject({
      id: "an-1",
      deployId: "d-1",
      environment: "production",
      stepIndex: 2,
      phase: "canary",
      canaryReleaseId: "r-canary",
      baselineReleaseId: "r-stable",
      summary: "measuring 3 intervals of 60 s",
      startedAt: "2026-03-01T12:00:00.000Z",
      finishedAt: null,
    });
    expect(f.saved[1]?.summary).toMatch(/^so far 1 of 1 interval passed/);
    expect(f.saved[1]?.measurements[0]).toMatchObject({
      index: 1,
      canaryRequests: 200,
      baselineRequests: 800,
    });
    expect(f.saved[3]?.finishedAt).toBe("2026-03-01T12:03:00.000Z");
  });

  it("fails a canary with 30% errors after failureLimit + 1 failed intervals", async () => {
    const f = fakePorts(traffic({ requests: 200, errors: 60, latencyMs: 40 }));
    const run = await runCanaryAnalysis(f.ports, canaryInput());
    expect(run.verdict).toBe("failed");
    expect(run.measurements).toHaveLength(2);
    expect(run.summary).toBe("canary error-rate 30.0% vs baseline 0.0% = ∞× > 1.5× over 2 of 2 intervals");
    const failedMetric = metricsOf(run, 0).find((m) => m.verdict === "fail");
    expect(failedMetric).toMatchObject({ metric: "error-rate", canary: 0.3, baseline: 0 });
  });

  it("honours a higher failureLimit", async () => {
    const f = fakePorts(traffic({ requests: 200, errors: 60 }));
    const run = await runCanaryAnalysis(f.ports, canaryInput({ failureLimit: 3 }));
    expect(run.verdict).toBe("failed");
    expect(run.measurements).toHaveLength(4);
  });

  it("fails a slow canary on p99", async () => {
    const f = fakePorts(traffic({ requests: 200, latencyMs: 300 }, { requests: 800, latencyMs: 100 }));
    const run = await runCanaryAnalysis(f.ports, canaryInput());
    expect(run.verdict).toBe("failed");
    expect(run.summary).toMatch(
      /^canary p99 300 ms vs baseline 100 ms = 3\.0× > 1\.5× over 2 of 2 intervals$/,
    );
  });

  it("is inconclusive, never passed, with too little canary traffic", async () => {
    const f = fakePorts(traffic({ requests: 10 }));
    const run = await runCanaryAnalysis(f.ports, canaryInput());
    expect(run.verdict).toBe("inconclusive");
    expect(run.measurements).toHaveLength(4);
    expect(f.saved.map((r) => r.verdict)).not.toContain("passed");
    expect(run.summary).toBe(
      "4 of 4 intervals without enough data (no canary error-rate figure (too little data); the canary got 10 requests in the last one)",
    );
  });

  it("does not count inconclusive intervals towards the conclusive ones required", async () => {
    const f = fakePorts(traffic((i) => (i <= 2 ? { requests: 10 } : healthy)));
    const run = await runCanaryAnalysis(f.ports, canaryInput());
    expect(run.verdict).toBe("passed");
    expect(run.measurements.map((m) => m.verdict)).toEqual([
      "inconclusive",
      "inconclusive",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
    ]);
    expect(run.summary).toMatch(/^5 of 7 intervals passed/);
  });

  it("fails a canary logging an error signature the baseline never showed", async () => {
    const script: Script = (i) =>
      i === 0
        ? { [baseline.id]: { signatures: ["Error: upstream timeout"] } }
        : {
            [canary.id]: { ...healthy, signatures: i === 2 ? ["TypeError: x is not a function"] : [] },
            [baseline.id]: { requests: 800, latencyMs: 40, signatures: ["Error: upstream timeout"] },
          };
    const f = fakePorts(script);
    const run = await runCanaryAnalysis(f.ports, canaryInput());
    expect(run.verdict).toBe("failed");
    expect(run.measurements.map((m) => m.verdict)).toEqual(["pass", "fail", "fail"]);
    expect(run.summary).toBe(
      'canary logged 1 new error type: "TypeError: x is not a function" over 2 of 3 intervals',
    );
  });

  it("fails a canary whose instance restarted, even once", async () => {
    const f = fakePorts(traffic((i) => ({ ...healthy, restarts: i === 2 ? 1 : 0 })));
    const run = await runCanaryAnalysis(f.ports, canaryInput());
    expect(run.verdict).toBe("failed");
    expect(run.measurements.map((m) => m.verdict)).toEqual(["pass", "fail", "fail"]);
    expect(run.summary).toBe("canary restarts 1 > max 0 over 2 of 3 intervals");
  });

  it("does not fail on restarts from before the pause", async () => {
    const script: Script = (i) =>
      i === 0
        ? { [canary.id]: { restarts: 2 }, [baseline.id]: { restarts: 5 } }
        : { [canary.id]: healthy, [baseline.id]: { requests: 800, latencyMs: 40 } };
    const run = await runCanaryAnalysis(fakePorts(script).ports, canaryInput());
    expect(run.verdict).toBe("passed");
  });

  it("throws CONFIG_INVALID for built-in metrics when the target measures none", async () => {
    const f = fakePorts(traffic(healthy), { metrics: null });
    const error = await runCanaryAnalysis(f.ports, canaryInput()).catch((e: unknown) => e);
    expect(isShipgateError(error) && error.code).toBe("CONFIG_INVALID");
    expect(f.saved).toHaveLength(0);
  });

  it("stops with tick()'s error", async () => {
    let n = 0;
    const lost = new ShipgateError("INTERNAL", "the canary's instance crashed", { hint: "shipgate status" });
    const f = fakePorts(traffic(healthy), {
      tick: async () => {
        if (++n === 300) throw lost;
      },
    });
    await expect(runCanaryAnalysis(f.ports, canaryInput())).rejects.toBe(lost);
    expect(f.saved.at(-1)?.verdict).toBe("running");
  });

  describe("PromQL metrics", () => {
    const prom = (rest: Record<string, unknown>) => ({
      name: "checkout-errors",
      prometheus: {
        url: "http://prometheus.test:9090",
        query: 'sum(rate(errors_total{release="{{release}}"}[{{interval}}]))',
      },
      ...rest,
    });

    it("queries the injected prometheus() with the release, version, environment and interval", async () => {
      const f = fakePorts(() => ({}), { metrics: null });
      const run = await runCanaryAnalysis(f.ports, canaryInput({ metrics: [prom({ ratio: 2 })] }, 120_000));
      expect(run.verdict).toBe("passed");
      expect(f.queries).toHaveLength(4);
      expect(f.queries.slice(0, 2).map((q) => q.vars)).toEqual([
        { release: "r-canary", version: "v2", environment: "production", interval: "60s" },
        { release: "r-stable", version: "v1", environment: "production", interval: "60s" },
      ]);
      expect(f.queries[0]).toMatchObject({ url: "http://prometheus.test:9090", headers: {} });
    });

    it("only queries the canary without a ratio, and fails it above max", async () => {
      const f = fakePorts(() => ({}), {
        metrics: null,
        prometheus: async (o) => {
          f.queries.push(o);
          return { value: 0.2, series: 1, query: o.query };
        },
      });
      const run = await runCanaryAnalysis(f.ports, canaryInput({ metrics: [prom({ max: 0.05 })] }));
      expect(run.verdict).toBe("failed");
      expect(f.queries.every((q) => q.vars.release === "r-canary")).toBe(true);
      expect(run.summary).toBe("canary checkout-errors 0.2 > max 0.05 over 2 of 2 intervals");
    });

    it("reads headers from env and refuses a missing variable with CONFIG_INVALID", async () => {
      const config = {
        metrics: [
          prom({
            max: 1,
            prometheus: { ...prom({}).prometheus, headersEnv: { Authorization: "PROM_TOKEN" } },
          }),
        ],
      };
      const f = fakePorts(() => ({}), { metrics: null, env: { PROM_TOKEN: "Bearer s3cret" } });
      await runCanaryAnalysis(f.ports, canaryInput(config, 60_000));
      expect(f.queries[0]?.headers).toEqual({ Authorization: "Bearer s3cret" });
      const g = fakePorts(() => ({}), { metrics: null });
      const error = await runCanaryAnalysis(g.ports, canaryInput(config, 60_000)).catch((e: unknown) => e);
      expect(isShipgateError(error) && error.code).toBe("CONFIG_INVALID");
      expect(String((error as Error).message)).not.toContain("s3cret");
    });

    it("is inconclusive on a null value, with the reason", async () => {
      const f = fakePorts(() => ({}), {
        metrics: null,
        prometheus: async (o): Promise<PromQueryResult> => ({
          value: null,
          series: 0,
          query: o.query,
          reason: "the query returned no series",
        }),
      });
      const run = await runCanaryAnalysis(f.ports, canaryInput({ metrics: [prom({ max: 0.05 })] }));
      expect(run.verdict).toBe("inconclusive");
      expect(run.measurements).toHaveLength(4);
      expect(run.summary).toContain(
        "no canary checkout-errors figure (too little data): the query returned no series",
      );
    });

    it("propagates a CONFIG_INVALID error from prometheus()", async () => {
      const bad = new ShipgateError("CONFIG_INVALID", "parse error in the PromQL query", {
        hint: "shipgate check",
      });
      const f = fakePorts(() => ({}), {
        metrics: null,
        prometheus: async () => {
          throw bad;
        },
      });
      await expect(runCanaryAnalysis(f.ports, canaryInput({ metrics: [prom({ max: 1 })] }))).rejects.toBe(
        bad,
      );
    });

    it("treats any other prometheus() error as missing data", async () => {
      const f = fakePorts(() => ({}), {
        metrics: null,
        prometheus: async () => {
          throw new Error("connect ECONNREFUSED 127.0.0.1:9090");
        },
      });
      const run = await runCanaryAnalysis(f.ports, canaryInput({ metrics: [prom({ max: 1 })] }));
      expect(run.verdict).toBe("inconclusive");
      expect(run.summary).toContain("connect ECONNREFUSED");
    });
  });
});

function watchInput(config: Record<string, unknown> = {}): WatchInput {
  return {
    runId: "w-1",
    deployId: "d-1",
    environment: "production",
    stepIndex: 5,
    release: canary,
    baseline,
    config: watchSchema.parse(config),
    minRequests: 50,
  };
}

/** The promoted release's traffic per interval; the baseline served 1000 requests at `baselineMs` before. */
const watched =
  (step: (i: number) => Step, baselineMs = 100): Script =>
  (i) =>
    i === 0 ? { [baseline.id]: { requests: 1000, latencyMs: baselineMs } } : { [canary.id]: step(i) };

describe("runWatch", () => {
  it("passes a healthy release after the duration", async () => {
    const f = fakePorts(watched(() => ({ requests: 300, latencyMs: 90 })));
    const run = await runWatch(f.ports, watchInput());
    expect(run.verdict).toBe("passed");
    expect(run.phase).toBe("watch");
    expect(run.measurements).toHaveLength(10);
    expect(f.elapsedMs()).toBe(300_000);
    expect(f.saved.map((r) => r.verdict)).toEqual([...Array(11).fill("running"), "passed"]);
    expect(f.saved[0]?.summary).toBe("watching for 5 min");
    expect(run.summary).toMatch(/^watched 5 min of 5 min: no trigger held/);
  });

  it("fails when the error rate stays above max for `for`", async () => {
    const f = fakePorts(watched(() => ({ requests: 300, errors: 30, latencyMs: 90 })));
    const run = await runWatch(f.ports, watchInput());
    expect(run.verdict).toBe("failed");
    expect(run.measurements).toHaveLength(4);
    expect(run.summary).toBe("error rate 10.0% > 5.0% for 2 min after promotion (trigger: 2 min)");
    expect(run.finishedAt).toBe("2026-03-01T12:02:00.000Z");
  });

  it("fails when p99 stays above ratio × the baseline release's p99 for `for`", async () => {
    const f = fakePorts(watched(() => ({ requests: 300, latencyMs: 300 })));
    const run = await runWatch(f.ports, watchInput({ p99: { for: "1m" } }));
    expect(run.verdict).toBe("failed");
    expect(run.measurements).toHaveLength(2);
    expect(run.summary).toMatch(/^p99 300 ms vs baseline 100 ms = 3\.0× > 2× for 1 min after promotion$/);
  });

  it("does not fail a p99 within ratio × baseline", async () => {
    const f = fakePorts(watched(() => ({ requests: 300, latencyMs: 180 })));
    expect((await runWatch(f.ports, watchInput({ p99: { for: "1m" } }))).verdict).toBe("passed");
  });

  it("lets intervals with too few requests neither trigger nor reset the hold", async () => {
    // Intervals 1, 2, 4, 5 at 10% errors, interval 3 with 10 requests all failing: the 2-minute hold
    // is reached at interval 5 (a reset would push it to 7, counting interval 3 would reach it at 4).
    const f = fakePorts(
      watched((i) => (i === 3 ? { requests: 10, errors: 10 } : { requests: 300, errors: 30, latencyMs: 90 })),
    );
    const run = await runWatch(f.ports, watchInput());
    expect(run.verdict).toBe("failed");
    expect(run.measurements).toHaveLength(5);
    expect(metricsOf(run, 2)[0]?.verdict).toBe("inconclusive");
  });

  it("resets the hold when an interval is healthy", async () => {
    const f = fakePorts(
      watched((i) =>
        i === 3 ? { requests: 300, latencyMs: 90 } : { requests: 300, errors: 30, latencyMs: 90 },
      ),
    );
    const run = await runWatch(f.ports, watchInput());
    expect(run.verdict).toBe("failed");
    expect(run.measurements).toHaveLength(7);
  });

  it("ends inconclusive, not passed, when no interval had enough responses to judge", async () => {
    const f = fakePorts(watched(() => ({ requests: 10, errors: 10 })));
    const run = await runWatch(f.ports, watchInput());
    expect(run.verdict).toBe("inconclusive");
    expect(run.measurements).toHaveLength(10);
    expect(run.summary).toBe(
      "watched 5 min of 5 min: too little traffic to judge (fewer than 50 responses in each of 10 intervals)",
    );
  });

  it("passes when at least one interval could be judged", async () => {
    const f = fakePorts(watched((i) => (i === 4 ? { requests: 300, latencyMs: 90 } : { requests: 10 })));
    expect((await runWatch(f.ports, watchInput())).verdict).toBe("passed");
  });

  it("throws CONFIG_INVALID when the target measures nothing", async () => {
    const f = fakePorts(() => ({}), { metrics: null });
    const error = await runWatch(f.ports, watchInput()).catch((e: unknown) => e);
    expect(isShipgateError(error) && error.code).toBe("CONFIG_INVALID");
  });
});
