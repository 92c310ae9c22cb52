/**
 * Recording `shipgate check` reports in the ledger: keyed by HEAD and the environment, the JSON
 * report whole, the one-line summary, and every reason not to record coming back as data (never
 * failing the check). Small fake checks keep it fast; test/gate-report.e2e.test.ts runs the real ones.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Finding } from "../core/finding.js";
import { openLedger } from "../ledger/index.js";
import { gateSummary } from "./record-report.js";
import { toJsonCheckRun } from "./render.js";
import { type CheckRun, runCheck } from "./run.js";
import type { Check, CheckItem } from "./types.js";

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

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

/** A directory with shipgate.yaml (ledger at `ledgerUrl`); a git repository with one commit unless told. */
function project(options: { ledgerUrl?: string; git?: "commit" | "empty" | "none" } = {}): {
  dir: string;
  head: string | undefined;
} {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-record-"));
  dirs.push(dir);
  write(dir, ".gitignore", ".shipgate/\n");
  write(
    dir,
    "shipgate.yaml",
    `environments:\n  staging: {}\nledger:\n  url: ${JSON.stringify(options.ledgerUrl ?? "sqlite:.shipgate/ledger.db")}\n`,
  );
  const mode = options.git ?? "commit";
  if (mode === "none") return { dir, head: undefined };
  git(dir, "init", "-q", "-b", "main");
  if (mode === "empty") return { dir, head: undefined };
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "init");
  return { dir, head: git(dir, "rev-parse", "HEAD") };
}

const finding = (severity: Finding["severity"], extra: Partial<Finding> = {}): Finding => ({
  ruleId: `rule-${severity}`,
  severity,
  message: `a ${severity}`,
  ...extra,
});

/** One check yielding the given items. */
const fixed = (items: Omit<CheckItem, "group">[]): Check => ({
  id: "fake",
  run: async () => items.map((i) => ({ group: "application", ...i })),
});

const failing = fixed([
  {
    id: "fake.a",
    title: "A",
    status: "fail",
    findings: [
      finding("error"),
      finding("error", { ruleId: "other" }),
      finding("error", { suppression: { kind: "config", reason: "accepted" } }),
      finding("warning"),
    ],
  },
  { id: "fake.b", title: "B", status: "pass", findings: [finding("info")] },
]);

function run(items: CheckItem[], failed: boolean): CheckRun {
  return { base: undefined, baseLabel: undefined, environment: undefined, items, failed, durationMs: 1 };
}

describe("gateSummary", () => {
  it("counts the errors failing the gate and the unapproved warnings", () => {
    const item = (status: CheckItem["status"], findings: Finding[]): CheckItem => ({
      id: "x",
      group: "data",
      title: "x",
      status,
      findings,
    });
    expect(
      gateSummary(
        run(
          [
            item("fail", [finding("error"), finding("error"), finding("warning")]),
            item("fail", [finding("error", { suppression: { kind: "inline", reason: "ok" } })]),
            item("pass", [finding("info")]),
          ],
          true,
        ),
      ),
    ).toBe("failed: 2 errors, 1 warning");
    expect(
      gateSummary(
        run(
          [
            item("pass", [finding("warning"), finding("warning")]),
            item("skipped", [finding("warning")]),
            item("manual", [finding("warning", { suppression: { kind: "config", reason: "ok" } })]),
          ],
          false,
        ),
      ),
    ).toBe("passed: 0 errors, 3 warnings");
    expect(gateSummary(run([item("fail", [finding("error")])], true))).toBe("failed: 1 error, 0 warnings");
  });
});

describe("runCheck({ record: true })", () => {
  it("stores the report for HEAD and the environment in the ledger: verdict, summary, the JSON report, the actor", async () => {
    const { dir, head } = project();
    const now = new Date("2026-04-01T10:00:00Z");
    const result = await runCheck({
      cwd: dir,
      env: { SHIPGATE_ACTOR: "ci-bot" },
      environment: "staging",
      checks: [failing],
      record: true,
      now,
    });
    expect(result.failed).toBe(true);
    expect(result.recorded).toMatchObject({
      recorded: true,
      gitSha: head,
      where: "sqlite .shipgate/ledger.db",
    });
    const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
    try {
      const stored = await ledger.listGateReports(head as string);
      expect(stored).toHaveLength(1);
      const { recorded: _, ...printed } = result;
      expect(stored[0]).toStrictEqual({
        id: result.recorded?.recorded ? result.recorded.id : "",
        gitSha: head,
        environment: "staging",
        passed: false,
        summary: "failed: 2 errors, 1 warning",
        report: toJsonCheckRun(printed),
        createdAt: "2026-04-01T10:00:00.000Z",
        createdBy: "ci-bot",
      });
      expect(stored[0]?.id).toMatch(/^gr-/);
      expect(await ledger.latestGateReport(head as string, "staging")).toStrictEqual(stored[0]);
    } finally {
      await ledger.close();
    }
  });

  it("a passing run without an environment is stored with environment null; $SHIPGATE_LEDGER_URL overrides ledger.url", async () => {
    const { dir, head } = project({ ledgerUrl: "sqlite:nowhere.db" });
    const file = join(dir, ".shipgate/elsewhere.db");
    const result = await runCheck({
      cwd: dir,
      env: { SHIPGATE_LEDGER_URL: `sqlite:${file}` },
      checks: [fixed([{ id: "fake.ok", title: "ok", status: "pass", findings: [finding("warning")] }])],
      record: true,
    });
    expect(result.recorded).toMatchObject({ recorded: true });
    expect(existsSync(join(dir, "nowhere.db"))).toBe(false);
    const ledger = await openLedger(`sqlite:${file}`, dir);
    try {
      expect(await ledger.latestGateReport(head as string, null)).toMatchObject({
        environment: null,
        passed: true,
        summary: "passed: 0 errors, 1 warning",
      });
    } finally {
      await ledger.close();
    }
  });

  it("records nothing (and creates no ledger) unless asked", async () => {
    const { dir } = project();
    const result = await runCheck({ cwd: dir, env: {}, checks: [failing] });
    expect(result.recorded).toBeUndefined();
    expect(existsSync(join(dir, ".shipgate"))).toBe(false);
  });

  it("says why it did not record, without failing the check: no git, no commit, a memory: ledger", async () => {
    const cases: [ReturnType<typeof project>, string][] = [
      [project({ git: "none" }), "not a git repository (reports are stored by commit)"],
      [project({ git: "empty" }), "the repository has no commit yet (reports are stored by commit)"],
      [project({ ledgerUrl: "memory:" }), "the ledger is memory: (it keeps nothing between commands)"],
    ];
    for (const [{ dir }, why] of cases) {
      const result = await runCheck({ cwd: dir, env: {}, checks: [failing], record: true });
      expect(result.failed).toBe(true);
      expect(result.items).toHaveLength(2);
      expect(result.recorded).toEqual({ recorded: false, why });
      expect(existsSync(join(dir, ".shipgate"))).toBe(false);
    }
  });

  it("a ledger that cannot be opened is reported in one line without its password", async () => {
    const { dir } = project();
    write(dir, "blocker", "a file where the ledger's directory should be\n");
    const sqlite = await runCheck({
      cwd: dir,
      env: { SHIPGATE_LEDGER_URL: "sqlite:blocker/ledger.db" },
      checks: [failing],
      record: true,
    });
    expect(sqlite.recorded).toMatchObject({
      recorded: false,
      why: expect.stringMatching(/^sqlite blocker\/ledger\.db: /),
    });
    const password = "pw-9f8e7d6c5b";
    const postgres = await runCheck({
      cwd: dir,
      env: { SHIPGATE_LEDGER_URL: `postgres://ci:${password}@127.0.0.1:1/ledger?connect_timeout=2` },
      checks: [failing],
      record: true,
    });
    expect(postgres.recorded).toMatchObject({
      recorded: false,
      why: expect.stringMatching(/^postgres postgres:\/\/ci:\*\*\*@127\.0\.0\.1:1\/ledger/),
    });
    for (const outcome of [sqlite.recorded, postgres.recorded]) {
      const why = outcome?.recorded === false ? outcome.why : "";
      expect(why).not.toContain("\n");
      expect(why).not.toContain(password);
    }
  });
});
