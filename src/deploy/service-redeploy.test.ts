/**
 * Deploys over what an earlier deploy left: a current release stopped by `shipgate down` (the plan
 * says why the strategy's steps are skipped), and a blue-green deploy back to the release kept warm
 * (its running instances take the traffic back; nothing is stopped and started again). Through
 * deploy() with the in-memory ledger and the fake target.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { fakeDeployContext } from "./fake-context.js";
import { renderDeployResult, renderRollbackResult } from "./render.js";
import { type DeployContext, deploy, rollback } from "./service.js";
import type { FakeTarget } from "./targets/fake-target.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-redeploy-"));
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app/server.js"), "// never started: the target is a fake\n");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function context(events: string[] = []): DeployContext & { target: FakeTarget } {
  const config = configSchema.parse({
    release: { artifact: "app", start: "node server.js" },
    environments: {
      local: {
        target: { type: "local", port: 1, instances: 2 },
        blueGreen: { keepWarm: "10m" },
        watch: { duration: 0 },
      },
    },
  });
  return fakeDeployContext({
    config,
    environment: "local",
    clock: { t: Date.parse("2026-11-22T10:00:00Z") },
    configDir: dir,
    onEvent: (e) => {
      if (e.type === "info") events.push(e.message);
    },
  });
}

/** What `shipgate down` leaves: no instance runs, the ledger keeps the current release with no traffic. */
async function downed(ctx: DeployContext & { target: FakeTarget }): Promise<void> {
  const running = (await ctx.target.instances()).filter((i) => i.state !== "stopped").map((i) => i.id);
  await ctx.target.stopInstances(running, { timeoutMs: 0, graceMs: 0 });
  const state = await ctx.ledger.getEnvironmentState("local");
  if (state) await ctx.ledger.setEnvironmentState({ ...state, traffic: [] });
}

describe("a canary deploy after `shipgate down`", () => {
  it("goes to 100% at once, and the plan and the deploy say why the canary steps are skipped", async () => {
    const events: string[] = [];
    const ctx = context(events);
    expect((await deploy(ctx, { version: "v1", gitSha: null })).outcome).toBe("succeeded");
    await downed(ctx);

    const planned = await deploy(ctx, { version: "v2", gitSha: null, strategy: "canary", dryRun: true });
    const why =
      "v1 is recorded as current but is not running (stopped by `shipgate down`): v2 gets all traffic once healthy; the canary steps are skipped.";
    expect(planned.plan.some(({ step }) => step.type === "pause")).toBe(false);
    expect(renderDeployResult(planned).split("\n")[1]).toBe(`  ${why}`);

    const done = await deploy(ctx, { version: "v2", gitSha: null, strategy: "canary" });
    expect(done.outcome).toBe("succeeded");
    expect(events).toContain(why);
    // Recorded with the deploy, for the team server's followers and the dashboard.
    expect((await ctx.ledger.getDeploy(done.deployId as string))?.notes).toEqual([
      {
        type: "current-not-running",
        current: planned.previous?.id,
        releaseId: done.release.id,
        strategy: "canary",
        cause: "down",
      },
    ]);
  });
});

describe("a blue-green deploy of the release kept warm", () => {
  it("checks v1's warm instances again and switches traffic back to them, without restarting them", async () => {
    const ctx = context();
    const v1 = await deploy(ctx, { version: "v1", gitSha: null });
    const v2 = await deploy(ctx, { version: "v2", gitSha: null, strategy: "blue-green" });
    expect(v2.outcome).toBe("succeeded");
    const warm = (await ctx.target.instances())
      .filter((i) => i.releaseId === v1.release.id && i.state === "healthy")
      .map((i) => i.id);
    expect(warm).toHaveLength(2);

    const log = ctx.target.log.length;
    const again = await deploy(ctx, { version: "v1", gitSha: null, strategy: "blue-green" });
    expect(again.outcome).toBe("succeeded");
    expect(again.release.id).toBe(v1.release.id);
    expect(ctx.target.log.slice(log)).toEqual([
      // The health check covers the warm instances, then the switch; v2 stays warm in its turn.
      `wait ${warm.join(",")}`,
      `traffic ${v1.release.id}=100`,
    ]);
    expect(ctx.target.counts()).toEqual({ [v1.release.id]: 2, [v2.release.id]: 2 });
    expect((await ctx.ledger.getEnvironmentState("local"))?.currentReleaseId).toBe(v1.release.id);
  });
});

describe("rollback --schema where no migrations run", () => {
  it("says there is no schema to roll back, not that none is needed", async () => {
    const ctx = context();
    await deploy(ctx, { version: "v1", gitSha: null });
    await deploy(ctx, { version: "v2", gitSha: null });
    const back = await rollback(ctx, { schema: true });
    expect(back).toMatchObject({ outcome: "succeeded", schemaRequested: true, migrates: false });
    expect(renderRollbackResult(back)).toContain(
      "Schema: local runs no migrations (environments.local.databaseUrlEnv is not set), so there is no schema to roll back.",
    );
  });
});
