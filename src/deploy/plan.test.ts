import { describe, expect, it } from "vitest";
import {
  describeNote,
  describeStep,
  explainDeploy,
  type PlanStep,
  planDeploy,
  planRollback,
  type StrategySpec,
} from "./plan.js";

const spec = (overrides: Partial<StrategySpec> = {}): StrategySpec => ({
  name: "rolling",
  rolling: { maxSurge: 1, maxUnavailable: 0 },
  canary: { steps: [{ setWeight: 5 }, { pause: 1000 }, { setWeight: 25 }, { pause: "until-promote" }] },
  startDeadlineMs: 30_000,
  smoke: true,
  migrate: false,
  tag: false,
  analysis: false,
  watchMs: 0,
  ...overrides,
});

/**
 * Walks a plan like the executor would, counting ready instances per release, and checks the
 * invariants every strategy must keep.
 */
function simulate(steps: PlanStep[], initial: Record<string, number>) {
  const up: Record<string, number> = { ...initial };
  let pendingStart: Record<string, number> = {};
  let traffic: Record<string, number> = Object.fromEntries(Object.keys(initial).map((k) => [k, 100]));
  let maxTotal = Object.values(up).reduce((a, b) => a + b, 0);
  let minServing = Number.POSITIVE_INFINITY;
  for (const step of steps) {
    if (step.type === "start-instances")
      pendingStart[step.releaseId] = (pendingStart[step.releaseId] ?? 0) + step.count;
    if (step.type === "wait-ready") {
      for (const [id, n] of Object.entries(pendingStart)) up[id] = (up[id] ?? 0) + n;
      pendingStart = {};
    }
    if (step.type === "set-traffic") {
      traffic = Object.fromEntries(step.traffic.map((t) => [t.releaseId, t.weight]));
      for (const t of step.traffic) {
        // Traffic never goes to a release with no ready instance.
        expect(up[t.releaseId] ?? 0, `traffic to ${t.releaseId} with no ready instance`).toBeGreaterThan(0);
      }
      expect(step.traffic.reduce((a, t) => a + t.weight, 0)).toBe(100);
    }
    if (step.type === "stop-instances") {
      const n = step.count ?? up[step.releaseId] ?? 0;
      up[step.releaseId] = (up[step.releaseId] ?? 0) - n;
      // A release still weighted keeps at least one instance.
      if ((traffic[step.releaseId] ?? 0) > 0) expect(up[step.releaseId]).toBeGreaterThan(0);
    }
    const total =
      Object.values(up).reduce((a, b) => a + b, 0) + Object.values(pendingStart).reduce((a, b) => a + b, 0);
    maxTotal = Math.max(maxTotal, total);
    const serving = Object.entries(traffic)
      .filter(([, w]) => w > 0)
      .reduce((a, [id]) => a + (up[id] ?? 0), 0);
    minServing = Math.min(minServing, serving);
  }
  return { up, traffic, maxTotal, minServing };
}

describe("planDeploy", () => {
  it("watches after promotion only when there is a previous release to go back to", () => {
    const watches = (current: string | null) =>
      planDeploy(
        { releaseId: current, instances: current ? 2 : 0 },
        { id: "new", instances: 2 },
        spec({ name: "blue-green", watchMs: 300_000 }),
      ).filter((s) => s.type === "watch");
    expect(watches(null)).toEqual([]);
    expect(watches("old")).toEqual([
      { type: "watch", releaseId: "new", baseline: "old", durationMs: 300_000 },
    ]);
  });

  it("starts, checks through the preview port and switches on a first deploy, whatever the strategy", () => {
    for (const name of ["rolling", "blue-green", "canary"] as const) {
      const steps = planDeploy(
        { releaseId: null, instances: 0 },
        { id: "new", instances: 2 },
        spec({ name }),
      );
      expect(steps.map((s) => s.type)).toEqual([
        "hook",
        "start-instances",
        "wait-ready",
        "set-preview",
        "smoke",
        "set-preview",
        "hook",
        "set-traffic",
        "smoke",
        "mark-current",
        "hook",
      ]);
    }
  });

  it("runs the pre-traffic hook once the new release is ready and smoke-tested, before it gets traffic, with every strategy", () => {
    for (const name of ["rolling", "blue-green", "canary"] as const) {
      for (const rolling of [
        { maxSurge: 1, maxUnavailable: 0 },
        { maxSurge: 0, maxUnavailable: 1 },
      ]) {
        const steps = planDeploy(
          { releaseId: "old", instances: 2 },
          { id: "new", instances: 2 },
          spec({ name, rolling }),
        );
        const hook = steps.findIndex((s) => s.type === "hook" && s.hook === "pre-traffic");
        const firstSmoke = steps.findIndex((s) => s.type === "smoke");
        const firstTrafficToNew = steps.findIndex(
          (s) => s.type === "set-traffic" && s.traffic.some((t) => t.releaseId === "new" && t.weight > 0),
        );
        expect(steps.filter((s) => s.type === "hook" && s.hook === "pre-traffic")).toHaveLength(1);
        expect(hook, name).toBeGreaterThan(firstSmoke);
        expect(hook, name).toBeLessThan(firstTrafficToNew);
      }
    }
  });

  it("rolling with maxSurge 1 replaces one instance at a time, never below the desired count", () => {
    const steps = planDeploy({ releaseId: "old", instances: 3 }, { id: "new", instances: 3 }, spec());
    const { up, traffic, maxTotal, minServing } = simulate(steps, { old: 3 });
    expect(up).toEqual({ old: 0, new: 3 });
    expect(traffic).toEqual({ new: 100 });
    expect(maxTotal).toBeLessThanOrEqual(4);
    expect(minServing).toBeGreaterThanOrEqual(3);
    expect(steps.filter((s) => s.type === "start-instances")).toHaveLength(3);
  });

  it("rolling with maxSurge 0 and maxUnavailable 1 never exceeds the desired count", () => {
    const steps = planDeploy(
      { releaseId: "old", instances: 2 },
      { id: "new", instances: 2 },
      spec({ rolling: { maxSurge: 0, maxUnavailable: 1 } }),
    );
    const { up, maxTotal, minServing } = simulate(steps, { old: 2 });
    expect(up).toEqual({ old: 0, new: 2 });
    expect(maxTotal).toBeLessThanOrEqual(2);
    expect(minServing).toBeGreaterThanOrEqual(1);
  });

  it("rolling with a bigger surge starts batches", () => {
    const steps = planDeploy(
      { releaseId: "old", instances: 4 },
      { id: "new", instances: 4 },
      spec({ rolling: { maxSurge: 2, maxUnavailable: 0 } }),
    );
    const { up, maxTotal, minServing } = simulate(steps, { old: 4 });
    expect(up).toEqual({ old: 0, new: 4 });
    expect(maxTotal).toBeLessThanOrEqual(6);
    expect(minServing).toBeGreaterThanOrEqual(4);
    expect(
      steps.filter((s) => s.type === "start-instances").map((s) => (s as { count: number }).count),
    ).toEqual([2, 2]);
  });

  it("blue-green switches all traffic at once and keeps blue running", () => {
    const steps = planDeploy(
      { releaseId: "blue", instances: 2 },
      { id: "green", instances: 2 },
      spec({ name: "blue-green" }),
    );
    const { up } = simulate(steps, { blue: 2 });
    expect(up).toEqual({ blue: 2, green: 2 });
    const switches = steps.filter((s) => s.type === "set-traffic");
    expect(switches).toEqual([{ type: "set-traffic", traffic: [{ releaseId: "green", weight: 100 }] }]);
    // The preview smoke test runs before the switch.
    expect(steps.findIndex((s) => s.type === "smoke")).toBeLessThan(
      steps.findIndex((s) => s.type === "set-traffic"),
    );
  });

  it("canary follows its steps, pauses until promote, then goes to 100% and drains the old release", () => {
    const steps = planDeploy(
      { releaseId: "old", instances: 2 },
      { id: "new", instances: 2 },
      spec({ name: "canary" }),
    );
    const weights = steps.flatMap((s) =>
      s.type === "set-traffic" ? [s.traffic.find((t) => t.releaseId === "new")?.weight ?? 0] : [],
    );
    expect(weights).toEqual([5, 25, 100]);
    expect(steps.filter((s) => s.type === "pause")).toEqual([
      { type: "pause", durationMs: 1000, watch: "new" },
      { type: "pause", durationMs: null, watch: "new" },
    ]);
    const { up } = simulate(steps, { old: 2 });
    expect(up).toEqual({ old: 0, new: 2 });
  });

  it("stops leftover releases (a warm blue) first, and runs migrations before anything starts", () => {
    const steps = planDeploy(
      { releaseId: "b", instances: 2, others: ["a"] },
      { id: "c", instances: 2 },
      spec({ migrate: true, tag: true }),
    );
    expect(steps.slice(0, 3)).toEqual([
      { type: "hook", hook: "pre-deploy" },
      { type: "stop-instances", releaseId: "a", count: null },
      { type: "migrate" },
    ]);
    expect(steps.at(-2)).toEqual({ type: "tag" });
  });

  it("leaves smoke steps out when none are configured", () => {
    const steps = planDeploy(
      { releaseId: null, instances: 0 },
      { id: "n", instances: 1 },
      spec({ smoke: false }),
    );
    expect(steps.some((s) => s.type === "smoke" || s.type === "set-preview")).toBe(false);
  });
});

describe("a deploy over a current release that is not running (after `shipgate down`)", () => {
  const downed = { releaseId: "v1", instances: 0, others: [], downed: true };
  const version = (id: string) => id;

  it("skips the canary steps, and the plan's notes say why", () => {
    const v2 = { id: "v2", instances: 2 };
    const steps = planDeploy(downed, v2, spec({ name: "canary" }));
    expect(steps.some((s) => s.type === "pause" || s.type === "analyze")).toBe(false);
    const notes = explainDeploy(downed, v2, spec({ name: "canary" }));
    expect(notes).toEqual([
      { type: "current-not-running", current: "v1", releaseId: "v2", strategy: "canary", cause: "down" },
    ]);
    expect(notes.map((n) => describeNote(n, version))).toEqual([
      "v1 is recorded as current but is not running (stopped by `shipgate down`): v2 gets all traffic once healthy; the canary steps are skipped.",
    ]);
  });

  it("names each strategy, a restart of the same release, and instances gone without `down`", () => {
    const say = (current: typeof downed, id: string, name: StrategySpec["name"]) =>
      explainDeploy(current, { id, instances: 2 }, spec({ name })).map((n) => describeNote(n, version));
    expect(say(downed, "v2", "rolling")).toEqual([
      "v1 is recorded as current but is not running (stopped by `shipgate down`): v2 gets all traffic once healthy; the rolling steps are skipped.",
    ]);
    expect(say(downed, "v2", "blue-green")).toEqual([
      "v1 is recorded as current but is not running (stopped by `shipgate down`): v2 gets all traffic once healthy; there is no blue to keep warm.",
    ]);
    expect(say(downed, "v1", "canary")).toEqual([
      "v1 is recorded as current but is not running (stopped by `shipgate down`): it starts again and gets all traffic once healthy.",
    ]);
    expect(say({ ...downed, downed: false }, "v2", "canary")).toEqual([
      "v1 is recorded as current but is not running (its instances are gone): v2 gets all traffic once healthy; the canary steps are skipped.",
    ]);
  });

  it("has no note when the current release runs, or on a first deploy", () => {
    for (const name of ["rolling", "blue-green", "canary"] as const) {
      expect(
        explainDeploy({ releaseId: "v1", instances: 2 }, { id: "v2", instances: 2 }, spec({ name })),
      ).toEqual([]);
      expect(
        explainDeploy({ releaseId: null, instances: 0 }, { id: "v1", instances: 2 }, spec({ name })),
      ).toEqual([]);
    }
  });
});

describe("a blue-green deploy of the release kept warm", () => {
  // v1 deployed, then v2 blue-green: v1 (blue) still runs, warm, and v1 is deployed again.
  const current = { releaseId: "v2", instances: 2, others: ["v1"], warm: { v1: 2 } };
  const v1 = { id: "v1", instances: 2 };

  it("checks v1's running instances again and switches back to them, starting and stopping nothing", () => {
    const steps = planDeploy(current, v1, spec({ name: "blue-green" }));
    expect(steps).toEqual([
      { type: "hook", hook: "pre-deploy" },
      { type: "wait-ready", releaseId: "v1", deadlineMs: 30_000, warm: true },
      { type: "set-preview", releaseId: "v1" },
      { type: "smoke", releaseId: "v1", via: "preview" },
      { type: "set-preview", releaseId: null },
      { type: "hook", hook: "pre-traffic" },
      { type: "set-traffic", traffic: [{ releaseId: "v1", weight: 100 }] },
      { type: "smoke", releaseId: "v1", via: "public" },
      { type: "mark-current", releaseId: "v1" },
      { type: "hook", hook: "post-deploy" },
    ]);
    // v2 becomes the blue kept warm.
    expect(simulate(steps, { v2: 2, v1: 2 }).up).toEqual({ v2: 2, v1: 2 });
    expect(
      explainDeploy(current, v1, spec({ name: "blue-green" })).map((n) => describeNote(n, (id) => id)),
    ).toEqual([
      "v1 is still warm (2 healthy instances still running): they are checked again and take the traffic back; nothing new is started.",
    ]);
  });

  it("starts only what the warm release lacks, still stopping other leftovers, and watches after the switch", () => {
    const steps = planDeploy(
      { releaseId: "v2", instances: 2, others: ["v0", "v1"], warm: { v0: 2, v1: 1 } },
      { id: "v1", instances: 3 },
      spec({ name: "blue-green", smoke: false, watchMs: 60_000 }),
    );
    expect(steps).toEqual([
      { type: "hook", hook: "pre-deploy" },
      { type: "stop-instances", releaseId: "v0", count: null },
      { type: "start-instances", releaseId: "v1", count: 2 },
      { type: "wait-ready", releaseId: "v1", deadlineMs: 30_000, warm: true },
      { type: "hook", hook: "pre-traffic" },
      { type: "set-traffic", traffic: [{ releaseId: "v1", weight: 100 }] },
      { type: "watch", releaseId: "v1", baseline: "v2", durationMs: 60_000 },
      { type: "mark-current", releaseId: "v1" },
      { type: "hook", hook: "post-deploy" },
    ]);
    expect(describeStep(steps[3] as PlanStep, (id) => id)).toBe(
      "check that every running instance of v1 is ready (deadline 30 s)",
    );
  });

  it("other strategies, and a release with no healthy instance, still stop the leftover and start afresh", () => {
    for (const [name, warm] of [
      ["canary", { v1: 2 }],
      ["rolling", { v1: 2 }],
      ["blue-green", { v1: 0 }],
    ] as const) {
      const steps = planDeploy({ ...current, warm }, v1, spec({ name }));
      expect(steps[1], name).toEqual({ type: "stop-instances", releaseId: "v1", count: null });
      expect(
        steps.some((s) => s.type === "wait-ready" && s.warm),
        name,
      ).toBe(false);
      expect(explainDeploy({ ...current, warm }, v1, spec({ name })), name).toEqual([]);
    }
  });
});

describe("planRollback", () => {
  it("switches at once to a warm release, then drains the current one", () => {
    const steps = planRollback({
      currentId: "v2",
      targetId: "v1",
      warm: true,
      instances: 2,
      startDeadlineMs: 1000,
      smoke: false,
    });
    expect(steps).toEqual([
      { type: "set-traffic", traffic: [{ releaseId: "v1", weight: 100 }] },
      { type: "mark-current", releaseId: "v1" },
      { type: "stop-instances", releaseId: "v2", count: null },
      { type: "hook", hook: "post-rollback" },
    ]);
  });

  it("starts and checks a cold release before switching", () => {
    const steps = planRollback({
      currentId: "v2",
      targetId: "v1",
      warm: false,
      instances: 2,
      startDeadlineMs: 1000,
      smoke: true,
    });
    expect(steps.map((s) => s.type)).toEqual([
      "start-instances",
      "wait-ready",
      "set-preview",
      "smoke",
      "set-preview",
      "set-traffic",
      "mark-current",
      "stop-instances",
      "smoke",
      "hook",
    ]);
  });
});
