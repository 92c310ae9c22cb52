/**
 * End-to-end: `shipgate check` (the built CLI, as a real process) stores its report in the ledger by
 * commit, on a temporary git repository whose change drops a column; the stored report is the JSON
 * the check prints, holds no secret value, and `--no-record` stores nothing. `npm test` builds dist/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger } from "../src/ledger/index.js";
import type { GateReportRecord } from "../src/ledger/types.js";
import { runShipgate, writeFile as write } from "./support/cli.js";

// Secret values the change holds: none may reach the stored report.
const envSecret = "STRIPE_VALUE_in_staging_env_4kq8";
const committedSecret = "STRIPE_VALUE_committed_env_7xz2";
const token = "ghp_Q3x9LmZ7kRp4Wv2NcT8bYh6Jd1Fs5Ga0Ue7K";
const env = { SHIPGATE_ACTOR: "ci-bot", SHIPGATE_LEDGER_URL: "" };

let dir: string;
let head: string;

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
}

const shipgate = (...args: string[]) => runShipgate(args, dir, env);

async function reportsFor(sha: string): Promise<GateReportRecord[]> {
  const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
  try {
    return await ledger.listGateReports(sha);
  } finally {
    await ledger.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-gate-report-"));
  write(
    dir,
    "shipgate.yaml",
    [
      "migrations:",
      "  paths: [db/migrations]",
      "environments:",
      "  staging:",
      "    env:",
      "      dotenv: deploy/staging.env",
      "",
    ].join("\n"),
  );
  write(dir, ".gitignore", ".shipgate/\ndeploy/\n");
  write(dir, ".env.example", "DATABASE_URL=\nSTRIPE_KEY=\n");
  write(dir, "src/app.ts", "export const db = process.env.DATABASE_URL;\n");
  write(dir, "db/migrations/001_init.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n");
  write(dir, "deploy/staging.env", `DATABASE_URL=postgres://db/app\nSTRIPE_KEY=${envSecret}\n`);
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "init");
  git("checkout", "-q", "-b", "drop-email");
  write(dir, "db/migrations/002_drop_email.sql", "ALTER TABLE users DROP COLUMN email;\n");
  write(dir, "src/pay.ts", "export const key = process.env.STRIPE_KEY;\n");
  write(dir, "src/github.ts", `export const token = "${token}";\n`);
  write(dir, ".env.local", `STRIPE_KEY=${committedSecret}\n`);
  git("add", "-A");
  git("commit", "-qm", "drop users.email");
  head = git("rev-parse", "HEAD");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("shipgate check stores its report by commit (built CLI)", () => {
  it("records the report for HEAD and staging: the verdict, a one-line summary, the JSON it prints", async () => {
    const r = await shipgate("check", "--environment", "staging", "--format", "json");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe("");
    const printed = JSON.parse(r.stdout) as {
      failed: boolean;
      items: { id: string; findings: { ruleId: string }[] }[];
    };
    expect(printed.failed).toBe(true);

    const stored = await reportsFor(head);
    expect(stored).toHaveLength(1);
    const [gate] = stored as [GateReportRecord];
    expect(gate).toMatchObject({ gitSha: head, environment: "staging", passed: false, createdBy: "ci-bot" });
    expect(gate.summary).toMatch(/^failed: \d+ errors?, \d+ warnings?$/);
    expect(gate.report).toStrictEqual(printed);
    const findings = (gate.report as typeof printed).items.flatMap((i) => i.findings.map((f) => f.ruleId));
    expect(findings).toContain("ban-drop-column");
  });

  it("the stored report holds no secret value of the change or its env file", () => {
    const files = readdirSync(join(dir, ".shipgate")).filter((f) => f.startsWith("ledger.db"));
    const bytes = files.map((f) => readFileSync(join(dir, ".shipgate", f)).toString("latin1")).join("\n");
    expect(bytes).toContain("ban-drop-column");
    for (const secret of [envSecret, committedSecret, token]) expect(bytes).not.toContain(secret);
  });

  it("--no-record stores nothing", async () => {
    write(dir, "README.md", "docs\n");
    git("add", "-A");
    git("commit", "-qm", "docs");
    const next = git("rev-parse", "HEAD");
    const r = await shipgate("check", "--environment", "staging", "--no-record");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(await reportsFor(next)).toEqual([]);
    expect(await reportsFor(head)).toHaveLength(1);
  });

  it("a ledger that keeps nothing: the check still runs, and one line on stderr says the report was not recorded", async () => {
    const r = await runShipgate(["check", "--environment", "staging"], dir, {
      ...env,
      SHIPGATE_LEDGER_URL: "memory:",
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^shipgate check: FAILED/);
    expect(r.stderr).toBe(
      "gate report not recorded: the ledger is memory: (it keeps nothing between commands)\n",
    );
    expect(existsSync(join(dir, "memory:"))).toBe(false);
  });
});
