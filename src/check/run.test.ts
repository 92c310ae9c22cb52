import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleRelease } from "../ledger/contract.js";
import { createSqliteLedger } from "../ledger/index.js";
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
