import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Finding } from "../core/finding.js";
import { sampleRelease } from "../ledger/contract.js";
import { createSqliteLedger } from "../ledger/index.js";
import { countedFindings, envCheck } from "./capabilities.js";
import { gitHygieneCheck } from "./git-hygiene.js";
import { hygieneCheck } from "./hygiene.js";
import { runPlanRollback } from "./rollback-plan.js";
import { runCheck } from "./run.js";

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

/** A repository with three commits on main; shipgate.yaml keeps its ledger at `ledgerUrl`. */
function repo(ledgerUrl = "sqlite:.shipgate/ledger.db"): { dir: string; commits: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-check-base-"));
  write(dir, ".gitignore", ".shipgate/\n");
  write(
    dir,
    "shipgate.yaml",
    `environments:\n  production: {}\n  staging: {}\nledger:\n  url: ${ledgerUrl}\n`,
  );
  git(dir, "init", "-q", "-b", "main");
  const commits: string[] = [];
  for (const n of [1, 2, 3]) {
    write(dir, `f${n}.txt`, `${n}\n`);
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", `commit ${n}`);
    commits.push(git(dir, "rev-parse", "HEAD"));
  }
  return { dir, commits };
}

async function deployed(file: string, environment: string, version: string, gitSha: string): Promise<void> {
  const ledger = await createSqliteLedger(file);
  const id = `r-${version}`;
  await ledger.saveRelease(sampleRelease({ id, version, gitSha }));
  await ledger.setEnvironmentState({
    environment,
    currentReleaseId: id,
    traffic: [{ releaseId: id, weight: 100 }],
    updatedAt: new Date().toISOString(),
  });
  await ledger.close();
}

describe("the base of the change", () => {
  it("defaults to the commit of the release serving --environment per the ledger", async () => {
    const { dir, commits } = repo();
    await deployed(join(dir, ".shipgate/ledger.db"), "production", "v1", commits[0] as string);
    const run = await runCheck({ cwd: dir, env: {}, environment: "production", checks: [] });
    expect(run.base).toBe(commits[0]);
    expect(run.baseLabel).toBe("last deploy to production (v1)");
  });

  it("$SHIPGATE_LEDGER_URL overrides ledger.url", async () => {
    const { dir, commits } = repo("sqlite:nowhere.db");
    const file = join(dir, ".shipgate/elsewhere.db");
    await deployed(file, "production", "v2", commits[1] as string);
    const run = await runCheck({
      cwd: dir,
      env: { SHIPGATE_LEDGER_URL: `sqlite:${file}` },
      environment: "production",
      checks: [],
    });
    expect(run.base).toBe(commits[1]);
    expect(existsSync(join(dir, "nowhere.db"))).toBe(false);
  });

  it("falls back to origin/main, else main, when the environment was never deployed or no ledger exists", async () => {
    const { dir, commits } = repo();
    const none = await runCheck({ cwd: dir, env: {}, environment: "production", checks: [] });
    expect(none).toMatchObject({ base: commits[2], baseLabel: "main" });
    // Read only: checking never creates the ledger.
    expect(existsSync(join(dir, ".shipgate/ledger.db"))).toBe(false);

    await deployed(join(dir, ".shipgate/ledger.db"), "staging", "v1", commits[0] as string);
    const otherEnv = await runCheck({ cwd: dir, env: {}, environment: "production", checks: [] });
    expect(otherEnv.baseLabel).toBe("main");
    git(dir, "update-ref", "refs/remotes/origin/main", commits[1] as string);
    const remote = await runCheck({ cwd: dir, env: {}, environment: "production", checks: [] });
    expect(remote).toMatchObject({ base: commits[1], baseLabel: "origin/main" });
  });

  it("says so when the deployed commit is not in this clone, and uses origin/main", async () => {
    const { dir, commits } = repo();
    await deployed(join(dir, ".shipgate/ledger.db"), "production", "v9", "f".repeat(40));
    const run = await runCheck({ cwd: dir, env: {}, environment: "production", checks: [] });
    expect(run.base).toBe(commits[2]);
    expect(run.baseLabel).toBe(
      "main (the production release v9, ffffffffffff, is not in this clone: fetch it or pass --base)",
    );
  });

  it("--base wins over the ledger; without --environment the ledger is not read", async () => {
    const { dir, commits } = repo();
    await deployed(join(dir, ".shipgate/ledger.db"), "production", "v1", commits[0] as string);
    const given = await runCheck({
      cwd: dir,
      env: {},
      base: commits[1] as string,
      environment: "production",
      checks: [],
    });
    expect(given).toMatchObject({ base: commits[1], baseLabel: commits[1] });
    const noEnv = await runCheck({ cwd: dir, env: {}, checks: [] });
    expect(noEnv.baseLabel).toBe("main");
  });

  it("an invalid ledger URL is a config error naming the accepted forms", async () => {
    const { dir } = repo();
    await expect(
      runCheck({
        cwd: dir,
        env: { SHIPGATE_LEDGER_URL: "mysql://x" },
        environment: "production",
        checks: [],
      }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});

describe("items without a base say why, and what helps", () => {
  const diffItems = ["hygiene.debug-leftovers", "hygiene.secrets", "git.fast-forward", "env.newly-required"];

  it("outside a git repository: not a git repository (never 'pass --base', which is refused there)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-check-nogit-"));
    write(dir, "shipgate.yaml", "environments:\n  production: {}\n");
    const run = await runCheck({ cwd: dir, env: {}, checks: [hygieneCheck, gitHygieneCheck, envCheck] });
    const items = run.items.filter((i) => diffItems.includes(i.id));
    expect(items).toHaveLength(diffItems.length);
    for (const item of items) {
      expect(item.status).toBe("skipped");
      expect(item.detail).toContain("not a git repository");
      expect(item.detail).not.toContain("--base");
    }
    const plan = await runPlanRollback({ cwd: dir, env: {} });
    expect(plan.schema.text).toContain("not a git repository");
  });

  it("in a repository without a default branch: names the branches tried and --base", async () => {
    const { dir } = repo();
    git(dir, "branch", "-m", "main", "develop");
    const run = await runCheck({ cwd: dir, env: {}, checks: [hygieneCheck] });
    expect(run.items[0]?.detail).toBe(
      "no base: none of origin/main, origin/master, main, master exists here (pass --base <ref>)",
    );
  });
});

describe("item details count in words", () => {
  it("1 debug leftover, not 1 debug leftovers; findings by what they mean for the gate", async () => {
    const { dir, commits } = repo();
    write(dir, "src/app.ts", 'console.log("here");\n');
    const run = await runCheck({ cwd: dir, env: {}, base: commits[2] as string, checks: [hygieneCheck] });
    expect(run.items.find((i) => i.id === "hygiene.debug-leftovers")?.detail).toBe("1 debug leftover");
    const f = (severity: "error" | "warning" | "info", approved = false): Finding => ({
      ruleId: "r",
      severity,
      message: "m",
      ...(approved ? { suppression: { kind: "config", reason: "ok" } } : {}),
    });
    expect(countedFindings([f("error"), f("warning")])).toBe("1 error, 1 warning");
    expect(
      countedFindings([f("error"), f("error"), f("warning"), f("warning"), f("info"), f("error", true)]),
    ).toBe("2 errors, 2 warnings, 1 info, 1 approved");
    expect(countedFindings([])).toBeUndefined();
  });
});
