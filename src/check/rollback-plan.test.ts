import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { MigrationsLintResult } from "../cli/commands/migrations-lint.js";
import { configSchema } from "../config/schema.js";
import { at, sampleDeploy, sampleRelease, sampleStep } from "../ledger/contract.js";
import { createMemoryLedger } from "../ledger/index.js";
import {
  assembleRollbackPlan,
  chooseEnvironment,
  defaultRollbackCriteria,
  describeCriterion,
  gatherRollbackFacts,
  type MigrationFact,
  type RollbackFacts,
} from "./rollback-plan.js";
import { renderRollbackPlan } from "./rollback-plan-render.js";

function facts(overrides: Partial<RollbackFacts> = {}): RollbackFacts {
  return {
    environment: "production",
    base: "a".repeat(40),
    baseLabel: "last deploy to production (v1)",
    head: "b".repeat(40),
    strategy: "rolling",
    keepWarmMs: 600_000,
    startDeadlineMs: 60_000,
    target: { type: "local", instances: 2 },
    smoke: true,
    ledger: { read: true, where: "sqlite .shipgate/ledger.db" },
    deploysRecorded: 3,
    current: { id: "r-1", version: "v1", gitSha: "a".repeat(40), deployedAt: at(10) },
    traffic: [{ version: "v1", weight: 100 }],
    inProgress: null,
    previous: { id: "r-0", version: "v0", gitSha: null },
    timing: { deployId: "d-2", version: "v1", startMs: 400, readyMs: 3_200, smokeMs: 300, switchMs: 50 },
    migrations: { assessed: true, files: [] },
    backups: { enabled: true, dir: ".shipgate/backups", recent: [] },
    hooks: { postRollback: ".shipgate/hooks/post-rollback", sample: null },
    criticalPaths: ["src/pay/**"],
    criteria: defaultRollbackCriteria,
    ...overrides,
  };
}

const migration = (path: string, cls: MigrationFact["class"], down: string | null): MigrationFact => ({
  path,
  class: cls,
  down,
  expectedDown: `${path.replace(/\.sql$/, "")}.down.sql next to it`,
  relations: cls === "additive" ? [] : ["public.users"],
});

describe("decision criteria", () => {
  it("defaults to 5% errors for 2 minutes, p99 above 2× baseline for 5 minutes, any 5xx on critical paths", () => {
    expect(defaultRollbackCriteria).toEqual([
      { id: "error-rate", kind: "error-rate", above: 0.05, forMs: 120_000 },
      { id: "p99-latency", kind: "p99-latency", aboveBaselineFactor: 2, forMs: 300_000 },
      { id: "critical-5xx", kind: "critical-5xx", above: 0, forMs: 0 },
    ]);
    expect(defaultRollbackCriteria.map((c) => describeCriterion(c, ["src/pay/**"]))).toEqual([
      "error rate above 5% for 2 minutes",
      "p99 latency above 2× the baseline for 5 minutes",
      "any 5xx on critical paths (check.criticalPaths: src/pay/**)",
    ]);
    expect(describeCriterion(defaultRollbackCriteria[2] as never, [])).toBe(
      "any 5xx on critical paths (none marked yet: check.criticalPaths)",
    );
  });
});

describe("assembleRollbackPlan", () => {
  it("times a cold rollback from the last deploy's steps and names the exact commands", () => {
    const plan = assembleRollbackPlan(facts());
    expect(plan.firstDeploy).toBe(false);
    // 0.4 + 3.2 + 0.3 + 0.05 s, rounded up.
    expect(plan.estimate).toMatchObject({ warm: false, seconds: 4, atMostSeconds: 61 });
    expect(plan.estimate.text).toContain("as deploy d-2 of v1 took: start 0.4 s, ready 3.2 s");
    expect(plan.estimate.text).toContain("start v1 (2 instances), check it");
    expect(plan.commands).toEqual({
      rollback: "shipgate rollback production",
      rollbackTo: "shipgate rollback production --to v1",
      schema: null,
      abort: null,
    });
    expect(plan.traffic.rollsBackTo).toEqual({ id: "r-1", version: "v1", gitSha: "a".repeat(40) });
    expect(plan.traffic.text).toContain("serving now: v1 100%");
    expect(plan.schema).toMatchObject({ assessed: true, required: false, migrations: [] });
    expect(plan.schema.text).toBe("not required: the change adds no migrations");
    expect(plan.data.required).toBe(false);
    expect(plan.notify).toEqual({
      hooks: [".shipgate/hooks/post-rollback"],
      channels: [],
      text: "the post-rollback hook .shipgate/hooks/post-rollback runs after the switch; notification targets: none configured — tell the team and on-call yourself",
    });
    expect(plan.criteria.map((c) => c.id)).toEqual(["error-rate", "p99-latency", "critical-5xx"]);
    expect(plan.gaps).toEqual([]);
  });

  it("bounds the time by the start deadline when no deploy was measured", () => {
    const plan = assembleRollbackPlan(facts({ timing: null, smoke: false, startDeadlineMs: 90_000 }));
    expect(plan.estimate).toMatchObject({ warm: false, seconds: null, atMostSeconds: 90 });
    expect(plan.estimate.text).toContain("up to 90 s");
    expect(plan.estimate.text).toContain("no successful deploy in the ledger to measure from");
  });

  it("blue-green: the previous release is warm, so rollback is a traffic switch", () => {
    const plan = assembleRollbackPlan(facts({ strategy: "blue-green" }));
    expect(plan.estimate).toMatchObject({ warm: true, seconds: 1 });
    expect(plan.estimate.text).toMatch(/^under a second: blue-green keeps v1 running for 10 minutes/);
    expect(plan.estimate.text).toContain("later, about 4 s");
  });

  it("canary: names abort for the time the canary runs", () => {
    expect(assembleRollbackPlan(facts({ strategy: "canary" })).commands.abort).toBe(
      "shipgate abort production",
    );
  });

  it("first deploy (or no ledger): no command, no time, and says why", () => {
    const plan = assembleRollbackPlan(
      facts({
        ledger: { read: false, why: "no ledger at .shipgate/ledger.db yet" },
        deploysRecorded: 0,
        current: null,
        traffic: [],
        previous: null,
        timing: null,
      }),
    );
    expect(plan.firstDeploy).toBe(true);
    expect(plan.history).toBe("no deploy history: no ledger at .shipgate/ledger.db yet");
    expect(plan.commands.rollback).toBeNull();
    expect(plan.estimate.seconds).toBeNull();
    expect(plan.traffic.text).toContain("treated as the first deploy of production");
    expect(plan.gaps).toEqual([]);
  });

  it("a destructive migration: schema and data rollback required, its missing down is a gap", () => {
    const plan = assembleRollbackPlan(
      facts({
        migrations: {
          assessed: true,
          files: [
            migration("db/002_note.sql", "additive", null),
            migration("db/003_type.sql", "transformative", "db/003_type.down.sql"),
            migration("db/004_drop.sql", "destructive", null),
          ],
        },
        backups: {
          enabled: true,
          dir: ".shipgate/backups",
          recent: [{ id: "bk-1", createdAt: at(5), tables: ["public.users"], location: "/b/bk-1" }],
        },
      }),
    );
    expect(plan.schema.required).toBe(true);
    expect(plan.commands.schema).toBe("shipgate rollback production --schema");
    expect(plan.schema.text).toContain("db/003_type.sql (transformative), db/004_drop.sql (destructive)");
    expect(plan.schema.text).toContain("No down migration for db/004_drop.sql");
    expect(plan.data).toMatchObject({
      required: true,
      tables: ["public.users"],
      migrations: [
        { path: "db/003_type.sql", class: "transformative" },
        { path: "db/004_drop.sql", class: "destructive" },
      ],
    });
    expect(plan.data.backup.restoreCommand).toBe("shipgate migrations restore <backup-id>");
    expect(plan.data.backup.text).toContain("Latest recorded for production: bk-1 (public.users)");
    // The additive migration without a down is fine; the destructive one is not.
    expect(plan.gaps).toEqual([
      expect.objectContaining({ id: "down-missing", severity: "error", file: "db/004_drop.sql" }),
    ]);
    expect(plan.gaps[0]?.help).toContain("Add db/004_drop.down.sql next to it");
  });

  it("backups turned off: a destructive migration cannot be restored, which is a gap", () => {
    const plan = assembleRollbackPlan(
      facts({
        migrations: {
          assessed: true,
          files: [migration("db/004_drop.sql", "destructive", "db/004.down.sql")],
        },
        backups: { enabled: false, dir: ".shipgate/backups", recent: [] },
      }),
    );
    expect(plan.data.backup.text).toContain("migrations.backups.enabled is false");
    expect(plan.gaps.map((g) => [g.id, g.file])).toEqual([["no-backup", "db/004_drop.sql"]]);
  });

  it("without a base the migrations are not assessed, and say so", () => {
    const plan = assembleRollbackPlan(
      facts({
        base: null,
        migrations: { assessed: false, why: "no base to diff against (pass --base <ref>)" },
      }),
    );
    expect(plan.schema.text).toBe("not assessed: no base to diff against (pass --base <ref>)");
    expect(plan.gaps).toEqual([]);
  });

  it("renders the same plan as a terminal page, Markdown and JSON", () => {
    const plan = assembleRollbackPlan(
      facts({ migrations: { assessed: true, files: [migration("db/004_drop.sql", "destructive", null)] } }),
    );
    const pretty = renderRollbackPlan(plan, "pretty", { color: false });
    expect(pretty).toMatch(/^Rollback plan for production\n/);
    expect(pretty).toContain("Command          shipgate rollback production    back to the previous release");
    expect(pretty).toContain("down: missing — expected db/004_drop.down.sql next to it");
    const md = renderRollbackPlan(plan, "markdown", { color: false });
    expect(md.startsWith("<!-- shipgate-report: plan rollback -->\n### Rollback plan: production")).toBe(
      true,
    );
    expect(md).toContain(
      "| **Command** | `shipgate rollback production`<br>`shipgate rollback production --to v1`",
    );
    // Code spans keep their text; angle brackets elsewhere are escaped.
    expect(md).toContain("`shipgate migrations restore <backup-id>`");
    expect(md).toContain(
      "| `db/004_drop.sql` | destructive | **missing** — expected db/004_drop.down.sql next to it |",
    );
    const json = JSON.parse(renderRollbackPlan(plan, "json", { color: false }));
    expect(json).toMatchObject({ command: "plan rollback", environment: "production", firstDeploy: false });
  });
});

describe("chooseEnvironment", () => {
  const config = (envs: string[]) =>
    configSchema.parse({ environments: Object.fromEntries(envs.map((e) => [e, {}])) });
  it("takes --environment, else production, else the only one, and refuses to guess", () => {
    expect(chooseEnvironment(config(["staging", "production"]), "staging")).toBe("staging");
    expect(chooseEnvironment(config(["staging", "production"]), undefined)).toBe("production");
    expect(chooseEnvironment(config(["live"]), undefined)).toBe("live");
    expect(() => chooseEnvironment(config(["a", "b"]), undefined)).toThrow(/which environment\?/);
    expect(() => chooseEnvironment(config(["a"]), "prod")).toThrow(
      expect.objectContaining({ code: "USAGE", hint: "Declared environments: a." }),
    );
  });
});

describe("gatherRollbackFacts", () => {
  function project(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-rollback-facts-"));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    return dir;
  }

  /** A lint result as `migrations lint` returns it, for the given files. */
  function lintOf(files: { path: string; class: MigrationFact["class"] }[]): MigrationsLintResult {
    return {
      report: {
        command: "migrations lint",
        files,
        findings: files
          .filter((f) => f.class !== "additive")
          .map((f) => ({
            ruleId: "ban-drop-column",
            severity: "error" as const,
            file: f.path,
            line: 1,
            message: "x",
            class: f.class,
            relation: "public.users",
          })),
      },
      framework: "sql",
      cached: 0,
      failed: false,
    };
  }

  it("reads what serves now, what rollback switches to, step times and backups from the ledger", async () => {
    const ledger = createMemoryLedger();
    const v0 = sampleRelease({ id: "r-v0", version: "v0", gitSha: "0".repeat(40) });
    const v1 = sampleRelease({ id: "r-v1", version: "v1", gitSha: "1".repeat(40) });
    await ledger.saveRelease(v0);
    await ledger.saveRelease(v1);
    await ledger.createDeploy(
      sampleDeploy({
        id: "d-1",
        releaseId: "r-v0",
        status: "succeeded",
        startedAt: at(0),
        finishedAt: at(9),
      }),
    );
    await ledger.createDeploy(
      sampleDeploy({
        id: "d-2",
        releaseId: "r-v1",
        previousReleaseId: "r-v0",
        status: "succeeded",
        startedAt: at(100),
        finishedAt: at(120),
      }),
    );
    const step = (index: number, type: string, from: number, ms: number) =>
      ledger.recordStep(
        sampleStep({
          deployId: "d-2",
          index,
          type,
          status: "succeeded",
          startedAt: new Date(Date.parse(at(from))).toISOString(),
          finishedAt: new Date(Date.parse(at(from)) + ms).toISOString(),
        }),
      );
    await step(0, "start-instances", 101, 300);
    await step(1, "wait-ready", 102, 2_500);
    await step(2, "wait-ready", 106, 3_500);
    await step(3, "smoke", 110, 200);
    await step(4, "set-traffic", 111, 20);
    await ledger.setEnvironmentState({
      environment: "production",
      currentReleaseId: "r-v1",
      traffic: [{ releaseId: "r-v1", weight: 100 }],
      updatedAt: at(120),
    });
    await ledger.recordBackup({
      id: "bk-1",
      deployId: "d-2",
      environment: "production",
      location: "/backups/bk-1",
      tables: ["public.users"],
      checksum: "c",
      createdAt: at(105),
    });

    const dir = project({
      "db/002_drop.sql": "ALTER TABLE users DROP COLUMN email;\n",
      "db/002_drop.down.sql": "ALTER TABLE users ADD COLUMN email text;\n",
      "db/003_note.sql": "ALTER TABLE users ADD COLUMN note text;\n",
      ".shipgate/hooks/post-rollback.sample": "#!/bin/sh\n",
    });
    const config = configSchema.parse({
      environments: { production: { strategy: "blue-green", startDeadline: "45s" } },
    });
    const result = await gatherRollbackFacts({
      cwd: dir,
      configDir: dir,
      config,
      env: {},
      environment: "production",
      base: "c".repeat(40),
      baseLabel: "v1",
      lint: async () =>
        lintOf([
          { path: "db/002_drop.sql", class: "destructive" },
          { path: "db/003_note.sql", class: "additive" },
        ]),
      ledger: { ledger, where: "memory" },
    });
    expect(result).toMatchObject({
      environment: "production",
      strategy: "blue-green",
      startDeadlineMs: 45_000,
      ledger: { read: true, where: "memory" },
      deploysRecorded: 2,
      current: { id: "r-v1", version: "v1", deployedAt: at(120) },
      traffic: [{ version: "v1", weight: 100 }],
      previous: { id: "r-v0", version: "v0" },
      // The longest of each kind of step.
      timing: { deployId: "d-2", version: "v1", startMs: 300, readyMs: 3_500, smokeMs: 200, switchMs: 20 },
      backups: { enabled: true, recent: [{ id: "bk-1", tables: ["public.users"] }] },
      hooks: { postRollback: null, sample: ".shipgate/hooks/post-rollback.sample" },
    });
    expect(result.migrations).toEqual({
      assessed: true,
      files: [
        {
          path: "db/002_drop.sql",
          class: "destructive",
          down: "db/002_drop.down.sql",
          expectedDown: "002_drop.down.sql next to it",
          relations: ["public.users"],
        },
        {
          path: "db/003_note.sql",
          class: "additive",
          down: null,
          expectedDown: "003_note.down.sql next to it",
          relations: [],
        },
      ],
    });
    await ledger.close();
  });

  it("without a ledger file: no history, and nothing is created", async () => {
    const dir = project({ "shipgate.yaml": "" });
    const config = configSchema.parse({ environments: { production: {} } });
    const result = await gatherRollbackFacts({
      cwd: dir,
      configDir: dir,
      config,
      env: {},
      environment: "production",
      base: undefined,
      baseLabel: undefined,
    });
    expect(result.ledger).toEqual({ read: false, why: "no ledger at .shipgate/ledger.db yet" });
    expect(result.migrations).toEqual({
      assessed: false,
      why: "no base to diff against (pass --base <ref>)",
    });
    expect(result.current).toBeNull();
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(dir, ".shipgate"))).toBe(false);
  });
});
