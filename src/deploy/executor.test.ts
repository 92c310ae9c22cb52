import { describe, expect, it } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { Deploy, LedgerStore } from "../ledger/types.js";
import { type ExecutorPorts, restorePrevious, runPlan, type SmokeOutcome } from "./executor.js";
import { type PlanStep, planDeploy, type StrategySpec } from "./plan.js";
import { renderEvent } from "./render.js";
import { createFakeTarget, type FakeTarget } from "./targets/fake-target.js";

const strategy = (name: StrategySpec["name"], overrides: Partial<StrategySpec> = {}): StrategySpec => ({
  name,
  rolling: { maxSurge: 1, maxUnavailable: 0 },
  canary: { steps: [{ setWeight: 20 }, { pause: 30 }, { setWeight: 50 }, { pause: "until-promote" }] },
  startDeadlineMs: 1000,
  smoke: true,
  migrate: false,
  tag: false,
  analysis: false,
  watchMs: 0,
  ...overrides,
});

interface Harness {
  ledger: LedgerStore;
  target: FakeTarget;
  ports: ExecutorPorts;
  smoke: { fail: Set<string>; calls: string[] };
  hooks: string[];
}

function harness(): Harness {
  const ledger = createMemoryLedger();
  const target = createFakeTarget();
  const smoke = { fail: new Set<string>(), calls: [] as string[] };
  const hooks: string[] = [];
  let clock = Date.parse("2026-11-22T10:00:00Z");
  const ports: ExecutorPorts = {
    ledger,
    target,
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
    specFor: async (releaseId) => ({
      releaseId,
      cwd: "/tmp",
      command: "node server.js",
      env: {},
      readiness: {
        path: "/health/ready",
        interval: 100,
        timeout: 100,
        successThreshold: 1,
        failureThreshold: 1,
      },
      liveness: {
        path: "/health/live",
        interval: 100,
        timeout: 100,
        successThreshold: 1,
        failureThreshold: 1,
      },
    }),
    versionOf: (id) => id,
    runSmoke: async (baseUrl): Promise<SmokeOutcome[]> => {
      smoke.calls.push(baseUrl);
      const failing = [...smoke.fail].some(
        (f) => target.currentTraffic.some((t) => t.releaseId === f) || baseUrl.endsWith("/preview"),
      );
      return [
        { name: "GET /version", ok: !failing, ...(failing ? { problem: "expected 200, got 500" } : {}) },
      ];
    },
    runHook: async (hook) => {
      hooks.push(hook);
      return { ran: true };
    },
    migrate: async () => ({ applied: [] }),
    tag: async () => ({ tag: "t" }),
    migrateDown: async () => ({ undone: [] }),
    heartbeat: async () => true,
    drain: { timeoutMs: 10, graceMs: 10 },
    sticky: { header: "x-canary-key", cookie: "c" },
    instances: 2,
    startDeadlineMs: 1000,
  };
  return { ledger, target, ports, smoke, hooks };
}

async function start(
  h: Harness,
  plan: PlanStep[],
  releaseId: string,
  previousReleaseId: string | null,
): Promise<string> {
  const deploy: Deploy = {
    id: `d-${releaseId}`,
    environment: "local",
    kind: "deploy",
    releaseId,
    previousReleaseId,
    previousTraffic: previousReleaseId ? [{ releaseId: previousReleaseId, weight: 100 }] : [],
    strategy: "rolling",
    status: "running",
    actor: "test",
    reason: null,
    plan,
    notes: [],
    nextStep: 0,
    error: null,
    startedAt: new Date(0).toISOString(),
    finishedAt: null,
  };
  await h.ledger.createDeploy(deploy);
  return deploy.id;
}

/** v1 serving on 2 instances, as after a first deploy. */
async function withV1(h: Harness): Promise<void> {
  const plan = planDeploy({ releaseId: null, instances: 0 }, { id: "v1", instances: 2 }, strategy("rolling"));
  const result = await runPlan(h.ports, await start(h, plan, "v1", null));
  expect(result.outcome).toBe("succeeded");
}

describe("runPlan", () => {
  it("deploys, journals every step and records the current release", async () => {
    const h = harness();
    await withV1(h);
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("rolling"),
    );
    const id = await start(h, plan, "v2", "v1");
    const result = await runPlan(h.ports, id);
    expect(result.outcome).toBe("succeeded");
    expect(h.target.counts()).toEqual({ v2: 2 });
    expect(h.target.currentTraffic).toEqual([{ releaseId: "v2", weight: 100 }]);
    const steps = await h.ledger.listSteps(id);
    expect(steps).toHaveLength(plan.length);
    expect(steps.every((s) => s.status === "succeeded")).toBe(true);
    expect((await h.ledger.getEnvironmentState("local"))?.currentReleaseId).toBe("v2");
    expect(h.hooks).toContain("pre-traffic");
  });

  it("never gives traffic to a release that fails to boot, and leaves the old one untouched", async () => {
    const h = harness();
    await withV1(h);
    h.target.faults.bootFail.add("v2");
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("rolling"),
    );
    const id = await start(h, plan, "v2", "v1");
    const logBefore = h.target.log.length;
    const result = await runPlan(h.ports, id);
    expect(result.outcome).toBe("rolled_back");
    expect(result.deploy.error).toMatch(/wait-ready.*exited with code 1/);
    const during = h.target.log.slice(logBefore);
    expect(during.filter((l) => l.startsWith("traffic") && l.includes("v2"))).toEqual([]);
    expect(h.target.counts()).toEqual({ v1: 2 });
    expect(h.target.currentTraffic).toEqual([{ releaseId: "v1", weight: 100 }]);
  });

  it("rolls back automatically when the canary crashes during a pause", async () => {
    const h = harness();
    await withV1(h);
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("canary"),
    );
    const id = await start(h, plan, "v2", "v1");
    const runs = runPlan(
      {
        ...h.ports,
        onEvent: (e) => {
          if (e.type === "step-done" && e.step.type === "set-traffic") h.target.faults.crash.add("v2");
        },
      },
      id,
    );
    const result = await runs;
    expect(result.outcome).toBe("rolled_back");
    expect(result.deploy.error).toMatch(/pause.*(crashed|became unhealthy) \(exit code 1/);
    expect(h.target.currentTraffic).toEqual([{ releaseId: "v1", weight: 100 }]);
    expect(h.target.counts()).toEqual({ v1: 2 });
  });

  it("pauses until promote and continues from the stored step in another run", async () => {
    const h = harness();
    await withV1(h);
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("canary"),
    );
    const id = await start(h, plan, "v2", "v1");
    const first = await runPlan(h.ports, id);
    expect(first.outcome).toBe("paused");
    expect(first.deploy.status).toBe("paused");
    expect(h.target.currentTraffic).toEqual([
      { releaseId: "v1", weight: 50 },
      { releaseId: "v2", weight: 50 },
    ]);
    const second = await runPlan(h.ports, id);
    expect(second.outcome).toBe("succeeded");
    expect(h.target.counts()).toEqual({ v2: 2 });
  });

  it("rolls back when the smoke test fails on the preview port, before any traffic moves", async () => {
    const h = harness();
    await withV1(h);
    h.smoke.fail.add("v2");
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("blue-green"),
    );
    const id = await start(h, plan, "v2", "v1");
    const result = await runPlan(h.ports, id);
    expect(result.outcome).toBe("rolled_back");
    expect(result.deploy.error).toMatch(
      /smoke tests failed on v2 \(preview\): GET \/version: expected 200, got 500/,
    );
    expect(h.target.currentTraffic).toEqual([{ releaseId: "v1", weight: 100 }]);
  });

  it("rolls back on a readiness timeout", async () => {
    const h = harness();
    await withV1(h);
    h.target.faults.neverReady.add("v2");
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("rolling"),
    );
    const result = await runPlan(h.ports, await start(h, plan, "v2", "v1"));
    expect(result.outcome).toBe("rolled_back");
    expect(result.deploy.error).toMatch(/not ready within 1000 ms/);
    expect(h.target.counts()).toEqual({ v1: 2 });
  });

  it("keeps a failed step's details (the instance's last output) and hint (its log) in the journal and the step line", async () => {
    const h = harness();
    await withV1(h);
    const output = Array.from({ length: 12 }, (_, n) => `line ${n + 1}`);
    h.target.waitReady = async (ids) => {
      throw new ShipgateError(
        "TARGET_FAILED",
        `instance ${ids[0]} of v2 exited with code 1 before it was ready`,
        {
          details: output,
          hint: "Its full log: /state/local/instances/i9.log.",
        },
      );
    };
    const events: string[] = [];
    h.ports.onEvent = (event) => {
      const line = renderEvent(event, (id) => id);
      if (line) events.push(line);
    };
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("rolling"),
    );
    const id = await start(h, plan, "v2", "v1");
    expect((await runPlan(h.ports, id)).outcome).toBe("rolled_back");
    const failed = (await h.ledger.listSteps(id)).find((s) => s.status === "failed");
    expect(failed?.detail).toEqual({
      error: expect.stringMatching(/exited with code 1 before it was ready$/),
      details: output,
      hint: "Its full log: /state/local/instances/i9.log.",
    });
    const line = events.find((e) => e.includes("FAILED")) ?? "";
    expect(line.split("\n").slice(1)).toEqual([
      ...output.slice(-10).map((l) => `      | ${l}`),
      "      Its full log: /state/local/instances/i9.log.",
    ]);
  });
});

describe("restorePrevious", () => {
  it("starts the previous release first when none of its instances is left, then switches", async () => {
    const h = harness();
    await withV1(h);
    const plan = planDeploy(
      { releaseId: "v1", instances: 2 },
      { id: "v2", instances: 2 },
      strategy("rolling"),
    );
    const id = await start(h, plan, "v2", "v1");
    expect((await runPlan(h.ports, id)).outcome).toBe("succeeded");
    // Pretend the deploy is still running (it died after its last step) and restore v1.
    const deploy = (await h.ledger.getDeploy(id)) as Deploy;
    const result = await restorePrevious(h.ports, deploy, "interrupted", "rolled_back");
    expect(result.outcome).toBe("rolled_back");
    const startIndex = h.target.log.lastIndexOf("start v1 x2");
    const trafficIndex = h.target.log.lastIndexOf("traffic v1=100");
    expect(startIndex).toBeGreaterThan(-1);
    expect(trafficIndex).toBeGreaterThan(startIndex);
    expect(h.target.counts()).toEqual({ v1: 2 });
  });
});
