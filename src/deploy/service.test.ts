import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { AnalysisRun, Deploy, Release } from "../ledger/types.js";
import { fakeDeployContext } from "./fake-context.js";
import { renderRollbackResult, renderStatus } from "./render.js";
import {
  abort,
  type DeployContext,
  down,
  history,
  openContext,
  openReadContext,
  promote,
  reapWarm,
  recoverInterrupted,
  rollback,
  status,
} from "./service.js";
import type { FakeTarget } from "./targets/fake-target.js";

function context(
  clock: { t: number },
  environment: Record<string, unknown> = {},
): DeployContext & { target: FakeTarget } {
  const config = configSchema.parse({
    environments: {
      local: { target: { type: "local", port: 1 }, blueGreen: { keepWarm: "10m" }, ...environment },
    },
  });
  return fakeDeployContext({ config, environment: "local", clock });
}

function release(id: string, overrides: Partial<Release> = {}): Release {
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
    ...overrides,
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
    notes: [],
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

/** A running deploy d1 (green over blue) whose shipgate process is gone: a dead pid holds the lock. */
async function interruptedDeploy(ctx: DeployContext & { target: FakeTarget }): Promise<void> {
  for (const id of ["blue", "green"]) await ctx.ledger.saveRelease(release(id));
  await ctx.ledger.createDeploy(deployRecord({ status: "running", strategy: "rolling", finishedAt: null }));
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
}

describe("recoverInterrupted and the post-deploy watch", () => {
  it("ends the interrupted deploy's running watch with the reason, so status never shows it running", async () => {
    const ctx = context({ t: 5000 });
    await interruptedDeploy(ctx);
    await ctx.target.waitReady(await ctx.target.startInstances(spec("blue"), 1), 1000);
    await ctx.target.waitReady(await ctx.target.startInstances(spec("green"), 1), 1000);
    await ctx.ledger.recordStep({
      deployId: "d1",
      index: 6,
      type: "watch",
      status: "running",
      detail: {},
      startedAt: new Date(0).toISOString(),
      finishedAt: null,
    });
    const watch: AnalysisRun = {
      id: "d1-w6",
      deployId: "d1",
      environment: "local",
      stepIndex: 6,
      phase: "watch",
      canaryReleaseId: "green",
      baselineReleaseId: "blue",
      verdict: "running",
      summary: "watched 1 min of 5 min: no trigger held",
      measurements: [],
      startedAt: new Date(0).toISOString(),
      finishedAt: null,
    };
    await ctx.ledger.saveAnalysis(watch);

    const result = await status(ctx);
    expect(result.recovered).toBe("d1");
    const [run] = await ctx.ledger.listAnalyses("d1");
    expect(run?.verdict).toBe("inconclusive");
    expect(run?.finishedAt).not.toBeNull();
    expect(run?.summary).toMatch(
      /^ended before a verdict: interrupted at step 7 \(watch\): .*rolled back by `shipgate status`/,
    );
    expect(result.analysis).toMatchObject({ deployId: "d1", phase: "watch", verdict: "inconclusive" });
    expect(renderStatus(result)).toMatch(
      /post-deploy watch \(d1\): inconclusive — ended before a verdict: interrupted/,
    );
    expect(renderStatus(result)).not.toMatch(/: running —/);
  });

  it("status reports a run a finished deploy left running as ended, not running", async () => {
    const ctx = context({ t: 0 });
    await ctx.ledger.createDeploy(deployRecord({ status: "rolled_back" }));
    await ctx.ledger.saveAnalysis({
      id: "d1-w3",
      deployId: "d1",
      environment: "local",
      stepIndex: 3,
      phase: "watch",
      canaryReleaseId: "green",
      baselineReleaseId: null,
      verdict: "running",
      summary: "watching for 5 min",
      measurements: [],
      startedAt: new Date(0).toISOString(),
      finishedAt: null,
    });
    expect((await status(ctx)).analysis).toEqual({
      deployId: "d1",
      phase: "watch",
      verdict: "ended",
      summary: "ended with the deploy (rolled_back) before a verdict",
    });
  });
});

describe("status", () => {
  it("never starts a target that is not running: no recovery, no instances, and it says so", async () => {
    const ctx = context({ t: 5000 });
    await interruptedDeploy(ctx);
    const calls: string[] = [];
    // A read-only local target whose agent is stopped (shipgate down): every call fails.
    ctx.target.ensureRunning = async () => {
      calls.push("ensureRunning");
    };
    ctx.target.instances = async () => {
      throw new Error("the local agent of local is not running");
    };
    const result = await status(ctx);
    expect(calls).toEqual([]);
    expect(result.recovered).toBeNull();
    expect(result.instances).toBeNull();
    expect((await ctx.ledger.getDeploy("d1"))?.status).toBe("running");
    expect(renderStatus(result)).toContain(
      "target: not running (shipgate down, or the agent stopped) — the next deploy or rollback starts it",
    );
  });
});

describe("rollback", () => {
  /** blue then green deployed (green serves on 2 instances); `migrate` adds a migrate step to green's deploy that applied these files. */
  async function blueThenGreen(
    ctx: DeployContext & { target: FakeTarget },
    options: { artifact?: string; migrate?: string[] } = {},
  ): Promise<void> {
    const artifact = { hash: "h", path: options.artifact ?? "/tmp", bytes: 0, files: 0 };
    await ctx.ledger.saveRelease(release("blue", { artifact, config: { migrationFiles: ["001_init.sql"] } }));
    await ctx.ledger.saveRelease(
      release("green", { artifact, config: { migrationFiles: ["001_init.sql", "002_note.sql"] } }),
    );
    await ctx.ledger.createDeploy(
      deployRecord({
        id: "d0",
        releaseId: "blue",
        previousReleaseId: null,
        startedAt: new Date(1).toISOString(),
      }),
    );
    await ctx.ledger.createDeploy(
      deployRecord({
        id: "d1",
        plan: options.migrate ? [{ type: "migrate" }] : [],
        startedAt: new Date(2).toISOString(),
      }),
    );
    if (options.migrate) {
      await ctx.ledger.recordStep({
        deployId: "d1",
        index: 0,
        type: "migrate",
        status: "succeeded",
        detail: { applied: options.migrate },
        startedAt: new Date(2).toISOString(),
        finishedAt: new Date(2).toISOString(),
      });
    }
    await ctx.target.waitReady(await ctx.target.startInstances(spec("green"), 2), 1000);
    await ctx.ledger.setEnvironmentState({
      environment: "local",
      currentReleaseId: "green",
      traffic: [{ releaseId: "green", weight: 100 }],
      updatedAt: new Date(2).toISOString(),
    });
  }

  it("shows a hook's output as progress, line by line, named after the hook", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-hook-output-"));
    try {
      await mkdir(join(dir, ".shipgate", "hooks"), { recursive: true });
      writeFileSync(
        join(dir, ".shipgate", "hooks", "post-rollback.mjs"),
        'console.log("purged the cache for " + process.env.SHIPGATE_VERSION);\nconsole.log("done");\n',
      );
      const events: string[] = [];
      const config = configSchema.parse({ environments: { local: { target: { type: "local", port: 1 } } } });
      const ctx = fakeDeployContext({
        config,
        environment: "local",
        clock: { t: 10_000 },
        configDir: dir,
        onEvent: (e) => {
          if (e.type === "info") events.push(e.message);
        },
      });
      await blueThenGreen(ctx);
      expect((await rollback(ctx, {})).outcome).toBe("succeeded");
      expect(events).toEqual([
        "      post-rollback | purged the cache for blue",
        "      post-rollback | done",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does nothing --to the release that already serves, and refuses one that never served", async () => {
    const ctx = context({ t: 10_000 });
    await blueThenGreen(ctx);
    await ctx.ledger.saveRelease(release("broken"));
    await ctx.ledger.createDeploy(
      deployRecord({ id: "d2", releaseId: "broken", previousReleaseId: "green", status: "rolled_back" }),
    );
    const log = ctx.target.log.length;
    const same = await rollback(ctx, { to: "green" });
    expect(same).toMatchObject({ outcome: "unchanged", deployId: null, plan: [] });
    expect(renderRollbackResult(same)).toMatch(
      /^green \(green\) already serves local: nothing to roll back\./,
    );
    expect(ctx.target.log.slice(log)).toEqual([]);
    expect(await ctx.ledger.listDeploys("local")).toHaveLength(3);

    await expect(rollback(ctx, { to: "broken" })).rejects.toMatchObject({
      code: "USAGE",
      message: expect.stringMatching(/^broken \(broken\) never served local: no deploy of it succeeded here/),
      hint: expect.stringContaining("shipgate deploy local --version broken"),
    });
    await expect(rollback(ctx, { to: "nope" })).rejects.toMatchObject({ code: "USAGE" });
    expect((await rollback(ctx, { to: "blue" })).outcome).toBe("succeeded");
  });

  it("names migrations only when a deploy here applied them, and its hint then runs only their downs", async () => {
    // The environment does not migrate: green ships a migration v1 lacks, but none was applied.
    const plain = context({ t: 10_000 });
    await blueThenGreen(plain);
    const back = await rollback(plain, {});
    expect(back.outcome).toBe("succeeded");
    expect(back.schema).toEqual({ needed: false, migrations: [] });
    expect(renderRollbackResult(back)).toContain("Schema: no schema rollback needed.");

    const dir = mkdtempSync(join(tmpdir(), "shipgate-schema-"));
    try {
      await mkdir(join(dir, "migrations"));
      writeFileSync(join(dir, "migrations/002_note.sql"), "ALTER TABLE items ADD COLUMN note text;\n");
      writeFileSync(join(dir, "migrations/002_note.down.sql"), "ALTER TABLE items DROP COLUMN note;\n");
      const ctx = context({ t: 10_000 }, { databaseUrlEnv: "DATABASE_URL" });
      await blueThenGreen(ctx, { artifact: dir, migrate: ["migrations/002_note.sql"] });
      const rolled = await rollback(ctx, {});
      expect(rolled.outcome).toBe("succeeded");
      expect(rolled.schema).toEqual({ needed: true, migrations: ["002_note.sql"] });
      const text = renderRollbackResult(rolled);
      expect(text).toContain("Schema: deploys here applied migrations blue does not ship: 002_note.sql.");
      expect(text).toContain("`shipgate rollback local --to blue --schema`");

      // The hinted command, right after: blue keeps serving, only the down runs (here: planned).
      const hinted = await rollback(ctx, { to: "blue", schema: true, dryRun: true });
      expect(hinted.outcome).toBe("planned");
      expect(hinted.release.id).toBe("blue");
      expect(hinted.downs.map((d) => [d.name, d.downPath, d.releaseId])).toEqual([
        ["migrations/002_note.sql", "migrations/002_note.down.sql", "green"],
      ]);
      expect(hinted.plan.map((p) => p.step.type)).not.toContain("stop-instances");
      expect(hinted.plan.map((p) => p.step)).toContainEqual({
        type: "migrate-down",
        migrations: ["migrations/002_note.sql"],
      });
      expect(renderRollbackResult(hinted)).toContain("which already serves");
      // Without --schema it is nothing to do, and still says what stays.
      const again = await rollback(ctx, { to: "blue" });
      expect(again.outcome).toBe("unchanged");
      expect(renderRollbackResult(again)).toContain("`shipgate rollback local --to blue --schema`");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("openContext without a shipgate.yaml", () => {
  it("says the file is missing and how to write one, instead of an unknown environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-no-config-"));
    try {
      await expect(openContext({ cwd: dir, environment: "production", env: {} })).rejects.toMatchObject({
        code: "CONFIG_NOT_FOUND",
        message: `no shipgate.yaml in ${dir} or any directory above it: environments are declared there`,
        hint: "Run `shipgate init` to write one, or pass --config <file>.",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("an environment without a target (shipgate init's flags-only setup)", () => {
  const yaml = "environments:\n  staging: {}\n  flagged:\n    approval: { required: 1 }\n";

  async function withProject(use: (dir: string) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-no-target-"));
    try {
      writeFileSync(join(dir, "shipgate.yaml"), yaml);
      await use(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("opens for reading: status says no target is configured, history lists no deploys", async () => {
    await withProject(async (dir) => {
      for (const environment of ["staging", "flagged"]) {
        const ledger = createMemoryLedger();
        const ctx = await openReadContext({ cwd: dir, environment, env: {}, ledger });
        try {
          expect(ctx.target).toBeNull();
          const result = await status(ctx);
          expect(result).toMatchObject({
            environment,
            url: null,
            target: null,
            current: null,
            traffic: [],
            inProgress: null,
            instances: null,
            live: null,
            recovered: null,
          });
          const text = renderStatus(result);
          expect(text).toContain(
            `target: none configured (add environments.${environment}.target to shipgate.yaml to deploy)`,
          );
          expect(text).not.toContain("not running");
          expect(text.split("\n")[0]).toBe(environment);
          expect(await history(ctx)).toEqual([]);
        } finally {
          await ctx.close();
        }
      }
    });
  });

  it("still refuses to open for a change, naming the missing target and how to add one", async () => {
    await withProject(async (dir) => {
      await expect(
        openContext({ cwd: dir, environment: "flagged", env: {}, ledger: createMemoryLedger() }),
      ).rejects.toMatchObject({
        code: "CONFIG_INVALID",
        message: 'environment "flagged" has no target',
        hint: expect.stringContaining("Add environments.flagged.target to shipgate.yaml"),
      });
    });
  });

  it("status of an environment with a target names the target's type", async () => {
    const result = await status(context({ t: 0 }));
    expect(result.target).toEqual({ type: "local" });
    expect(renderStatus(result)).not.toContain("none configured");
  });
});

describe("promote and abort with nothing in progress", () => {
  it("refuse with CONFLICT (exit 1), as the team server does", async () => {
    const ctx = context({ t: 0 });
    await expect(promote(ctx)).rejects.toMatchObject({
      code: "CONFLICT",
      exitCode: 1,
      message: "no deploy to promote in local",
    });
    await expect(abort(ctx)).rejects.toMatchObject({
      code: "CONFLICT",
      exitCode: 1,
      message: "no deploy to abort in local",
    });
  });
});

describe("down", () => {
  it("refuses while a deploy is paused (CONFLICT, exit 1): promote would go on with nothing running", async () => {
    const ctx = context({ t: 0 });
    await ctx.ledger.saveRelease(release("blue"));
    await ctx.ledger.saveRelease(release("green"));
    await ctx.ledger.createDeploy(
      deployRecord({ strategy: "canary", status: "paused", nextStep: 9, finishedAt: null }),
    );
    await expect(down(ctx)).rejects.toMatchObject({
      code: "CONFLICT",
      exitCode: 1,
      message: "deploy d1 is paused in local: stopping the agent would leave it nothing to continue with",
      hint: "Finish it first with `shipgate promote local` or `shipgate abort local`, then run `shipgate down local`.",
    });
    expect((await ctx.ledger.activeDeploy("local"))?.status).toBe("paused");
  });
});
