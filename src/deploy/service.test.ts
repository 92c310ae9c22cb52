import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import type { Deploy, Release } from "../ledger/types.js";
import { fakeDeployContext } from "./fake-context.js";
import { type DeployContext, reapWarm, recoverInterrupted } from "./service.js";
import type { FakeTarget } from "./targets/fake-target.js";

function context(clock: { t: number }): DeployContext & { target: FakeTarget } {
  const config = configSchema.parse({
    environments: { local: { target: { type: "local", port: 1 }, blueGreen: { keepWarm: "10m" } } },
  });
  return fakeDeployContext({ config, environment: "local", clock });
}

function release(id: string): Release {
  return {
    id,
    version: id,
    gitSha: null,
    artifact: { hash: id, path: "/tmp", bytes: 0, files: 0 },
    start: "node server.js",
    config: {},
    envKeys: [],
    envSealed: null,
    createdAt: new Date(0).toISOString(),
    createdBy: "test",
  };
}

function deployRecord(overrides: Partial<Deploy>): Deploy {
  return {
    id: "d1",
    environment: "local",
    kind: "deploy",
    releaseId: "green",
    previousReleaseId: "blue",
    previousTraffic: [{ releaseId: "blue", weight: 100 }],
    strategy: "blue-green",
    status: "succeeded",
    actor: "test",
    reason: null,
    plan: [],
    nextStep: 0,
    error: null,
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(0).toISOString(),
    ...overrides,
  };
}

const spec = (releaseId: string) => ({
  releaseId,
  cwd: "/tmp",
  command: "x",
  env: {},
  readiness: { path: "/r", interval: 1, timeout: 1, successThreshold: 1, failureThreshold: 1 },
  liveness: { path: "/l", interval: 1, timeout: 1, successThreshold: 1, failureThreshold: 1 },
});

describe("reapWarm", () => {
  it("stops the blue a blue-green deploy kept warm once keepWarm has passed, not before", async () => {
    const clock = { t: 0 };
    const ctx = context(clock);
    for (const id of ["blue", "green"]) {
      await ctx.ledger.saveRelease(release(id));
      await ctx.target.waitReady(await ctx.target.startInstances(spec(id), 2), 1000);
    }
    await ctx.ledger.createDeploy(deployRecord({}));
    await ctx.ledger.setEnvironmentState({
      environment: "local",
      currentReleaseId: "green",
      traffic: [{ releaseId: "green", weight: 100 }],
      updatedAt: new Date(0).toISOString(),
    });
    clock.t = 9 * 60_000;
    expect(await reapWarm(ctx)).toBeNull();
    expect(ctx.target.counts()).toEqual({ blue: 2, green: 2 });
    clock.t = 11 * 60_000;
    expect(await reapWarm(ctx)).toBe("blue");
    expect(ctx.target.counts()).toEqual({ green: 2 });
  });
});

describe("recoverInterrupted", () => {
  it("rolls back a running deploy whose process is gone and says where it stopped", async () => {
    const ctx = context({ t: 5000 });
    for (const id of ["blue", "green"]) await ctx.ledger.saveRelease(release(id));
    await ctx.target.waitReady(await ctx.target.startInstances(spec("blue"), 2), 1000);
    await ctx.target.startInstances(spec("green"), 1);
    await ctx.ledger.createDeploy(deployRecord({ status: "running", strategy: "rolling", finishedAt: null }));
    await ctx.ledger.recordStep({
      deployId: "d1",
      index: 2,
      type: "wait-ready",
      status: "running",
      detail: {},
      startedAt: new Date(0).toISOString(),
      finishedAt: null,
    });
    // The holder: a pid that cannot be alive on this host.
    await ctx.ledger.acquireLock(
      {
        environment: "local",
        holder: "ci (d1)",
        deployId: "d1",
        hostname: (await import("node:os")).hostname(),
        pid: 2 ** 22 + 7,
      },
      { now: new Date(0).toISOString(), staleAfterMs: 60_000 },
    );
    const recovered = await recoverInterrupted(ctx, "status");
    expect(recovered?.status).toBe("rolled_back");
    expect(recovered?.error).toMatch(
      /^interrupted at step 3 \(wait-ready\): the shipgate process \(pid \d+\) stopped; rolled back by `shipgate status`/,
    );
    expect(ctx.target.currentTraffic).toEqual([{ releaseId: "blue", weight: 100 }]);
    expect(ctx.target.counts()).toEqual({ blue: 2 });
    expect(await ctx.ledger.getLock("local")).toBeNull();
  });

  it("leaves a deploy alone while its process is alive", async () => {
    const ctx = context({ t: 0 });
    await ctx.ledger.createDeploy(deployRecord({ status: "running", finishedAt: null }));
    await ctx.ledger.acquireLock(
      {
        environment: "local",
        holder: "me",
        deployId: "d1",
        hostname: (await import("node:os")).hostname(),
        pid: process.pid,
      },
      { now: new Date(0).toISOString(), staleAfterMs: 60_000 },
    );
    expect(await recoverInterrupted(ctx, "status")).toBeNull();
    expect((await ctx.ledger.getDeploy("d1"))?.status).toBe("running");
  });
});
