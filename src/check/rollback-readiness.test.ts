import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { sampleRelease } from "../ledger/contract.js";
import { createSqliteLedger } from "../ledger/index.js";
import { migrationsCheck } from "./capabilities.js";
import { lintChangeMigrationsOnce } from "./change-migrations.js";
import { assembleRollbackPlan, defaultRollbackCriteria, type RollbackFacts } from "./rollback-plan.js";
import { rollbackReadinessCheck, rollbackReadinessItem } from "./rollback-readiness.js";
import { runCheck } from "./run.js";

function facts(overrides: Partial<RollbackFacts> = {}): RollbackFacts {
  return {
    environment: "production",
    base: "a".repeat(40),
    baseLabel: "origin/main",
    head: "b".repeat(40),
    strategy: "rolling",
    keepWarmMs: 600_000,
    startDeadlineMs: 60_000,
    target: null,
    smoke: false,
    ledger: { read: true, where: "sqlite .shipgate/ledger.db" },
    deploysRecorded: 1,
    current: { id: "r-1", version: "v1", gitSha: null, deployedAt: null },
    traffic: [{ version: "v1", weight: 100 }],
    inProgress: null,
    previous: null,
    timing: null,
    migrations: { assessed: true, files: [] },
    backups: { enabled: true, dir: ".shipgate/backups", recent: [] },
    hooks: { postRollback: null, sample: null },
    criticalPaths: [],
    criteria: defaultRollbackCriteria,
    ...overrides,
  };
}

const item = (f: Partial<RollbackFacts>) => rollbackReadinessItem(assembleRollbackPlan(facts(f)));

describe("rollback.plan item", () => {
  it("passes when the ledger has a release to go back to", () => {
    expect(item({})).toMatchObject({
      id: "rollback.plan",
      group: "rollback",
      status: "pass",
      detail: "rolls back to v1 (up to 60 s, `shipgate rollback production`)",
      findings: [],
    });
  });

  it("passes on a first deploy, saying there is no earlier release", () => {
    const first = item({
      ledger: { read: false, why: "no ledger at .shipgate/ledger.db yet" },
      current: null,
    });
    expect(first.status).toBe("pass");
    expect(first.detail).toBe(
      "first deploy of production: no earlier release (no deploy history: no ledger at .shipgate/ledger.db yet)",
    );
  });

  it("passes when every migration has a down or is additive", () => {
    const ok = item({
      migrations: {
        assessed: true,
        files: [
          { path: "m/1.sql", class: "additive", down: null, expectedDown: "x", relations: [] },
          { path: "m/2.sql", class: "destructive", down: "m/2.down.sql", expectedDown: "x", relations: [] },
        ],
      },
    });
    expect(ok.status).toBe("pass");
    expect(ok.detail).toContain(
      "2 migrations: 1 with a down, the others additive, backed up before they run",
    );
  });

  it("fails on a transformative or destructive migration without a down, naming the command", () => {
    const failed = item({
      migrations: {
        assessed: true,
        files: [
          {
            path: "m/3.sql",
            class: "transformative",
            down: null,
            expectedDown: "3.down.sql next to it",
            relations: [],
          },
        ],
      },
    });
    expect(failed.status).toBe("fail");
    expect(failed.detail).toBe(
      "missing a down migration for m/3.sql — see `shipgate plan rollback --environment production`",
    );
    expect(failed.findings).toEqual([
      expect.objectContaining({ ruleId: "rollback-down-missing", severity: "error", file: "m/3.sql" }),
    ]);
  });

  it("fails on a destructive migration when backups are off", () => {
    const failed = item({
      backups: { enabled: false, dir: ".shipgate/backups", recent: [] },
      migrations: {
        assessed: true,
        files: [
          { path: "m/4.sql", class: "destructive", down: "m/4.down.sql", expectedDown: "x", relations: [] },
        ],
      },
    });
    expect(failed.status).toBe("fail");
    expect(failed.findings.map((f) => f.ruleId)).toEqual(["rollback-no-backup"]);
    expect(failed.detail).toContain("missing a backup before m/4.sql");
  });
});

describe("rollback.plan in shipgate check", () => {
  function git(dir: string, ...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      encoding: "utf8",
    }).trim();
  }
  function write(dir: string, file: string, text: string): void {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }

  it("judges the migrations the change adds, from the same lint run as migrations.lint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-rollback-check-"));
    write(dir, "shipgate.yaml", "migrations:\n  paths: [db/migrations]\nenvironments:\n  production: {}\n");
    write(dir, "db/migrations/001_init.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n");
    git(dir, "init", "-q", "-b", "main");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "init");
    const base = git(dir, "rev-parse", "HEAD");
    write(dir, "db/migrations/002_note.sql", "ALTER TABLE users ADD COLUMN note text;\n");
    write(dir, "db/migrations/003_drop.sql", "ALTER TABLE users DROP COLUMN email;\n");

    const run = () =>
      runCheck({
        cwd: dir,
        env: {},
        base,
        environment: "production",
        checks: [migrationsCheck, rollbackReadinessCheck],
      });
    const first = await run();
    const failed = first.items.find((i) => i.id === "rollback.plan");
    // Both items read the lint of the change: migrations.lint reports the drop the rollback item judges.
    expect(first.items.find((i) => i.id === "migrations.lint")?.findings.map((f) => f.ruleId)).toContain(
      "ban-drop-column",
    );
    expect(failed?.status).toBe("fail");
    expect(failed?.findings.map((f) => [f.ruleId, f.file])).toEqual([
      ["rollback-down-missing", "db/migrations/003_drop.sql"],
    ]);
    // No ledger yet: read, never created.
    expect(existsSync(join(dir, ".shipgate/ledger.db"))).toBe(false);

    write(dir, "db/migrations/003_drop.down.sql", "ALTER TABLE users ADD COLUMN email text;\n");
    const passed = (await run()).items.find((i) => i.id === "rollback.plan");
    expect(passed?.status).toBe("pass");
    expect(passed?.detail).toContain("first deploy of production");

    // With a release serving production, the item names it.
    const ledger = await createSqliteLedger(join(dir, ".shipgate/ledger.db"));
    await ledger.saveRelease(sampleRelease({ id: "r-v1", version: "v1", gitSha: base }));
    await ledger.setEnvironmentState({
      environment: "production",
      currentReleaseId: "r-v1",
      traffic: [{ releaseId: "r-v1", weight: 100 }],
      updatedAt: new Date().toISOString(),
    });
    await ledger.close();
    const withLedger = await runCheck({
      cwd: dir,
      env: {},
      environment: "production",
      checks: [rollbackReadinessCheck],
    });
    expect(withLedger.baseLabel).toBe("last deploy to production (v1)");
    expect(withLedger.items[0]?.detail).toMatch(
      /^rolls back to v1 \(up to 60 s, `shipgate rollback production`\)/,
    );
  });
});

describe("lintChangeMigrationsOnce", () => {
  it("runs the linter once per check run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-lint-once-"));
    const ctx = {
      cwd: dir,
      configDir: dir,
      configPath: undefined,
      config: configSchema.parse({}),
      env: {},
      base: undefined,
      baseLabel: undefined,
      changedFiles: [],
      environment: undefined,
      now: new Date(),
    };
    const one = lintChangeMigrationsOnce(ctx);
    expect(lintChangeMigrationsOnce(ctx)).toBe(one);
    expect(lintChangeMigrationsOnce({ ...ctx })).not.toBe(one);
    // No migrations directory: nothing to lint.
    expect(await one).toBeUndefined();
  });
});
