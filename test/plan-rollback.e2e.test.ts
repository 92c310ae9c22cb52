/**
 * End-to-end: `shipgate plan rollback` and the check's rollback item as the built CLI (`npm test`
 * builds dist/ first), on a temporary git repository whose change adds migrations with and without
 * down migrations, and whose SQLite ledger is seeded with the releases, a deploy with its journal,
 * the environment's state and a backup.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sampleDeploy, sampleRelease, sampleStep } from "../src/ledger/contract.js";
import { createSqliteLedger } from "../src/ledger/index.js";
import { runShipgate as shipgate, writeFile as write } from "./support/cli.js";

const root = join(import.meta.dirname, "..");
const sealed = "v1:gcm:c2VhbGVkLW5ldmVyLXByaW50ZWQ=:Y2lwaGVy";

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
}

const config = [
  "migrations:",
  "  paths: [db/migrations]",
  "check:",
  "  criticalPaths: [src/pay/**]",
  "environments:",
  "  production:",
  "    strategy: rolling",
  "    startDeadline: 30s",
  "    target: { type: local, port: 18080, instances: 2 }",
  "    smoke:",
  "      - path: /health",
  "ledger:",
  "  url: sqlite:.shipgate/ledger.db",
  "",
].join("\n");

/** base: v1's commit. The change adds an additive migration with a down and a destructive one without. */
function makeRepo(): { dir: string; base: string } {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-plan-rollback-"));
  write(dir, "shipgate.yaml", config);
  write(dir, ".gitignore", ".shipgate/ledger.db\n");
  write(dir, "db/migrations/001_init.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n");
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "v1");
  const base = git(dir, "rev-parse", "HEAD");
  write(dir, "db/migrations/002_add_note.sql", "ALTER TABLE users ADD COLUMN note text;\n");
  write(dir, "db/migrations/002_add_note.down.sql", "ALTER TABLE users DROP COLUMN note;\n");
  write(dir, "db/migrations/003_drop_email.sql", "ALTER TABLE users DROP COLUMN email;\n");
  write(dir, ".shipgate/hooks/post-rollback", "#!/bin/sh\necho purge cdn\n");
  chmodSync(join(dir, ".shipgate/hooks/post-rollback"), 0o755);
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "v2: note, drop email");
  return { dir, base };
}

const t = (seconds: number) => new Date(Date.UTC(2026, 0, 5, 10) + seconds * 1000).toISOString();

async function seedLedger(dir: string, base: string): Promise<void> {
  const ledger = await createSqliteLedger(join(dir, ".shipgate/ledger.db"));
  try {
    await ledger.saveRelease(sampleRelease({ id: "r-v0", version: "v0", gitSha: null, envSealed: sealed }));
    await ledger.saveRelease(sampleRelease({ id: "r-v1", version: "v1", gitSha: base, envSealed: sealed }));
    await ledger.createDeploy(
      sampleDeploy({ id: "d-0", releaseId: "r-v0", status: "succeeded", startedAt: t(0), finishedAt: t(10) }),
    );
    await ledger.createDeploy(
      sampleDeploy({
        id: "d-1",
        releaseId: "r-v1",
        previousReleaseId: "r-v0",
        status: "succeeded",
        startedAt: t(100),
        finishedAt: t(110),
      }),
    );
    const steps: [string, number, number][] = [
      ["start-instances", 101, 600],
      ["wait-ready", 102, 2_400],
      ["smoke", 105, 500],
      ["set-traffic", 106, 100],
    ];
    for (const [index, [type, from, ms]] of steps.entries()) {
      await ledger.recordStep(
        sampleStep({
          deployId: "d-1",
          index,
          type,
          status: "succeeded",
          startedAt: t(from),
          finishedAt: new Date(Date.parse(t(from)) + ms).toISOString(),
        }),
      );
    }
    await ledger.setEnvironmentState({
      environment: "production",
      currentReleaseId: "r-v1",
      traffic: [{ releaseId: "r-v1", weight: 100 }],
      updatedAt: t(110),
    });
    await ledger.recordBackup({
      id: "20260105T100145Z-3fa2c1",
      deployId: "d-1",
      environment: "production",
      location: ".shipgate/backups/20260105T100145Z-3fa2c1",
      tables: ["public.users"],
      checksum: "x",
      createdAt: t(105),
    });
  } finally {
    await ledger.close();
  }
}

interface JsonPlan {
  environment: string;
  change: { base: string; baseLabel: string; head: string };
  firstDeploy: boolean;
  history: string;
  estimate: { warm: boolean; seconds: number; atMostSeconds: number; text: string };
  commands: Record<string, string | null>;
  traffic: { servingNow: unknown[]; rollsBackTo: { version: string; gitSha: string }; text: string };
  schema: { required: boolean; migrations: { path: string; class: string; down: string | null }[] };
  data: {
    required: boolean;
    tables: string[];
    backup: { enabled: boolean; restoreCommand: string; recent: { id: string }[] };
  };
  notify: { hooks: string[]; channels: string[]; text: string };
  criteria: { id: string; text: string }[];
  gaps: { id: string; file: string }[];
}

beforeAll(() => {
  if (!existsSync(join(root, "dist/cli/register-plan.js"))) {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  }
}, 120_000);

describe("shipgate plan rollback (built CLI)", () => {
  let repo: { dir: string; base: string };
  beforeAll(async () => {
    repo = makeRepo();
    await seedLedger(repo.dir, repo.base);
  });

  it("writes the plan from the ledger, the migrations and the hooks, as JSON", async () => {
    const r = await shipgate(
      ["plan", "rollback", "--environment", "production", "--format", "json"],
      repo.dir,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(sealed);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    // The base defaults to the commit serving production per the ledger.
    expect(plan.change).toMatchObject({
      base: repo.base,
      baseLabel: "last deploy to production (v1)",
      head: git(repo.dir, "rev-parse", "HEAD"),
    });
    expect(plan.firstDeploy).toBe(false);
    expect(plan.history).toBe("2 deploys of production in the ledger (sqlite .shipgate/ledger.db)");
    // 0.6 s start + 2.4 s ready + 0.5 s smoke + 0.1 s switch, from deploy d-1's journal.
    expect(plan.estimate).toMatchObject({ warm: false, seconds: 4, atMostSeconds: 31 });
    expect(plan.estimate.text).toContain("as deploy d-1 of v1 took");
    expect(plan.commands).toEqual({
      rollback: "shipgate rollback production",
      rollbackTo: "shipgate rollback production --to v1",
      schema: "shipgate rollback production --schema",
      abort: null,
    });
    expect(plan.traffic.rollsBackTo).toMatchObject({ version: "v1", gitSha: repo.base });
    expect(plan.traffic.text).toContain("serving now: v1 100%");
    expect(plan.schema.required).toBe(true);
    expect(plan.schema.migrations).toEqual([
      {
        path: "db/migrations/002_add_note.sql",
        class: "additive",
        down: "db/migrations/002_add_note.down.sql",
        expectedDown: "002_add_note.down.sql next to it",
      },
      {
        path: "db/migrations/003_drop_email.sql",
        class: "destructive",
        down: null,
        expectedDown: "003_drop_email.down.sql next to it",
      },
    ]);
    expect(plan.data).toMatchObject({
      required: true,
      tables: ["public.users"],
      backup: {
        enabled: true,
        restoreCommand: "shipgate migrations restore <backup-id>",
        recent: [{ id: "20260105T100145Z-3fa2c1" }],
      },
    });
    expect(plan.notify).toMatchObject({ hooks: [".shipgate/hooks/post-rollback"], channels: [] });
    expect(plan.notify.text).toContain("notification targets: none configured");
    expect(plan.criteria.map((c) => c.text)).toEqual([
      "error rate above 5% for 2 minutes",
      "p99 latency above 2× the baseline for 5 minutes",
      "any 5xx on critical paths (check.criticalPaths: src/pay/**)",
    ]);
    expect(plan.gaps.map((g) => [g.id, g.file])).toEqual([
      ["down-missing", "db/migrations/003_drop_email.sql"],
    ]);
  });

  it("writes the same plan as Markdown, and as a terminal page", async () => {
    const md = await shipgate(["plan", "rollback", "--format", "markdown"], repo.dir);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^<!-- shipgate-report: plan rollback -->\n### Rollback plan: production\n/);
    expect(md.stdout).toContain(
      "| **Command** | `shipgate rollback production`<br>`shipgate rollback production --to v1`<br>`shipgate rollback production --schema` |",
    );
    expect(md.stdout).toContain("| **Estimated time** | about 4 s to start v1 (2 instances), check it");
    expect(md.stdout).toContain(
      "| `db/migrations/003_drop_email.sql` | destructive | **missing** — expected 003_drop_email.down.sql next to it |",
    );
    expect(md.stdout).toContain("| `20260105T100145Z-3fa2c1` | 2026-01-05T10:01:45.000Z | public.users |");
    expect(md.stdout).toContain("any 5xx on critical paths (check.criticalPaths: src/pay/**)");

    const pretty = await shipgate(["plan", "rollback", "--base", repo.base], repo.dir);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/^Rollback plan for production\nchange: [0-9a-f]{12}\.\.[0-9a-f]{12}\n/);
    expect(pretty.stdout).toContain("Gaps (`shipgate check` fails on the errors):");
  });

  it("shipgate check fails its rollback item on the missing down, with the plan command", async () => {
    const r = await shipgate(
      ["check", "--environment", "production", "--override-window", "--reason", "test", "--format", "json"],
      repo.dir,
    );
    const out = JSON.parse(r.stdout) as {
      baseLabel: string;
      items: { id: string; status: string; detail: string; findings: { ruleId: string; file: string }[] }[];
    };
    expect(out.baseLabel).toBe("last deploy to production (v1)");
    const item = out.items.find((i) => i.id === "rollback.plan");
    expect(item?.status).toBe("fail");
    expect(item?.detail).toBe(
      "missing a down migration for db/migrations/003_drop_email.sql — see `shipgate plan rollback --environment production`",
    );
    expect(item?.findings.map((f) => [f.ruleId, f.file])).toEqual([
      ["rollback-down-missing", "db/migrations/003_drop_email.sql"],
    ]);
    expect(r.code).toBe(1);
  });

  it("without a ledger: the plan comes from git and config, says there is no history, creates nothing", async () => {
    const { dir, base } = makeRepo();
    const r = await shipgate(["plan", "rollback", "--base", base, "--format", "json"], dir);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.firstDeploy).toBe(true);
    expect(plan.history).toBe("no deploy history: no ledger at .shipgate/ledger.db yet");
    expect(plan.commands.rollback).toBeNull();
    expect(plan.schema.migrations).toHaveLength(2);
    expect(existsSync(join(dir, ".shipgate/ledger.db"))).toBe(false);

    const memory = await shipgate(["plan", "rollback", "--base", base, "--format", "json"], dir, {
      SHIPGATE_LEDGER_URL: "memory:",
    });
    expect((JSON.parse(memory.stdout) as JsonPlan).history).toBe(
      "no deploy history: the ledger is memory: (it keeps nothing between commands)",
    );
  });

  it("explains bad input with exit 2", async () => {
    const unknown = await shipgate(["plan", "rollback", "--environment", "prod"], repo.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('environment "prod" is not declared in shipgate.yaml');
    expect(unknown.stderr).toContain("Declared environments: production.");
    const format = await shipgate(["plan", "rollback", "--format", "sarif"], repo.dir);
    expect(format.code).toBe(2);
  });
});
