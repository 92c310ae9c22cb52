import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSecretKey } from "../deploy/secrets.js";
import { openLedger } from "../ledger/open.js";
import { ensureStateDir, ensureStateDirOf, stateGitignoreRules, stateGitignoreText } from "./state-dir.js";

function gitRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-state-dir-"));
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

function write(root: string, rel: string, text = "x\n"): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

/** What `git add -A` would stage, sorted. */
function staged(dir: string): string[] {
  const out = execFileSync("git", ["add", "-A", "--dry-run"], { cwd: dir, encoding: "utf8" });
  return out
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/^add '(.*)'$/, "$1"))
    .sort();
}

const gitignore = (dir: string) => readFileSync(join(dir, ".shipgate/.gitignore"), "utf8");

describe(".shipgate/.gitignore", () => {
  it("keeps everything in .shipgate/ out of git but the hooks and itself", () => {
    const dir = gitRepo();
    ensureStateDir(dir);
    for (const f of [
      "ledger.db",
      "ledger.db-wal",
      "secret.key",
      "run/staging/state.key",
      "run/staging/agent.log",
      "run/staging/instances/r-1-0.log",
      "run/staging/hooks/x",
      "artifacts/abc/server.js",
      "backups/b-1/manifest.json",
      "hooks/pre-deploy",
      "hooks/lib/common.sh",
    ]) {
      write(dir, `.shipgate/${f}`);
    }
    write(dir, "server.js");
    expect(staged(dir)).toEqual([
      ".shipgate/.gitignore",
      ".shipgate/hooks/lib/common.sh",
      ".shipgate/hooks/pre-deploy",
      "server.js",
    ]);
  });

  it("replaces the one an older shipgate wrote, and keeps a person's lines after its rules", () => {
    expect(stateGitignoreText(undefined)).toBe(stateGitignoreRules);
    expect(stateGitignoreText("secret.key\n")).toBe(stateGitignoreRules);
    expect(stateGitignoreText(stateGitignoreRules)).toBe(stateGitignoreRules);
    const mine = "secret.key\n!/backups/\n!/backups/**\n";
    const merged = stateGitignoreText(mine);
    expect(merged.startsWith(stateGitignoreRules)).toBe(true);
    expect(merged.endsWith(mine)).toBe(true);
    expect(stateGitignoreText(merged)).toBe(merged);

    const dir = gitRepo();
    write(dir, ".shipgate/.gitignore", "secret.key\n");
    write(dir, ".shipgate/ledger.db");
    ensureStateDir(dir);
    expect(gitignore(dir)).toBe(stateGitignoreRules);
    expect(staged(dir)).toEqual([".shipgate/.gitignore"]);
  });

  it("ensureStateDirOf acts only for paths inside a .shipgate/ folder, on the project above it", () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-state-dir-"));
    ensureStateDirOf(join(dir, "data/ledger.db"));
    ensureStateDirOf(join(dir, "..", "elsewhere.db"));
    expect(() => gitignore(dir)).toThrow();
    ensureStateDirOf(join(dir, ".shipgate/run/local/instances"));
    expect(gitignore(dir)).toBe(stateGitignoreRules);
  });

  it("is written by every path that creates .shipgate/: the SQLite ledger and the secret key", async () => {
    const forLedger = mkdtempSync(join(tmpdir(), "shipgate-state-dir-"));
    const ledger = await openLedger("sqlite:.shipgate/ledger.db", forLedger);
    await ledger.close();
    expect(gitignore(forLedger)).toBe(stateGitignoreRules);

    const forKey = mkdtempSync(join(tmpdir(), "shipgate-state-dir-"));
    write(forKey, ".shipgate/secret.key", `${Buffer.alloc(32, 1).toString("base64")}\n`);
    write(forKey, ".shipgate/.gitignore", "secret.key\n");
    await loadSecretKey({ configDir: forKey, env: {} });
    expect(gitignore(forKey)).toBe(stateGitignoreRules);
  });
});
