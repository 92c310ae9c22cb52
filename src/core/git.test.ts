import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShipgateError } from "./errors.js";
import { gitChangedFiles, gitFileAtRef, gitRepoRoot, gitResolveCommit } from "./git.js";

const made: string[] = [];

afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
}

async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "shipgate-git-")));
  made.push(dir);
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ShipgateError);
    return error as ShipgateError;
  }
  throw new Error("expected a ShipgateError");
}

let root: string;
let first: string;

beforeAll(async () => {
  root = await tempDir();
  git(root, "init", "-q", "-b", "main");
  git(root, "config", "user.name", "Test");
  git(root, "config", "user.email", "test@example.com");
  git(root, "config", "commit.gpgsign", "false");
  await mkdir(join(root, "db"));
  await writeFile(join(root, "db/1_a.sql"), "CREATE TABLE a (id int);");
  await writeFile(join(root, "db/2_b.sql"), "CREATE TABLE b (id int);");
  await writeFile(join(root, "db/gone.sql"), "SELECT 1;");
  await writeFile(join(root, ".gitignore"), "*.log\n");
  git(root, "add", ".");
  git(root, "commit", "-q", "-m", "first");
  first = git(root, "rev-parse", "HEAD");
  await writeFile(join(root, "db/2_b.sql"), "CREATE TABLE b (id bigint);");
  await writeFile(join(root, "db/3_c.sql"), "CREATE TABLE c (id int);");
  git(root, "add", ".");
  git(root, "commit", "-q", "-m", "second");
  // Working tree: a staged new file, an untracked file, an ignored file, a deleted file.
  await writeFile(join(root, "db/4_d.sql"), "CREATE TABLE d (id int);");
  git(root, "add", "db/4_d.sql");
  await writeFile(join(root, "db/5 e.sql"), "CREATE TABLE e (id int);");
  await writeFile(join(root, "db/debug.log"), "noise");
  await unlink(join(root, "db/gone.sql"));
});

describe("gitRepoRoot", () => {
  it("finds the work tree root from a subdirectory", async () => {
    expect(await gitRepoRoot(join(root, "db"))).toBe(root);
  });

  it("raises GIT_FAILED outside a repository", async () => {
    const outside = await tempDir();
    const error = await failure(gitRepoRoot(outside));
    expect(error.code).toBe("GIT_FAILED");
    expect(error.message).toContain("not inside a git repository");
    expect(error.hint).toContain("--since");
  });
});

describe("gitResolveCommit", () => {
  it("resolves refs to commit ids", async () => {
    expect(await gitResolveCommit(root, "HEAD~1")).toBe(first);
    expect(await gitResolveCommit(root, "main")).toBe(git(root, "rev-parse", "HEAD"));
  });

  it("raises GIT_FAILED for unknown refs and option-like input", async () => {
    const unknown = await failure(gitResolveCommit(root, "origin/main"));
    expect(unknown.code).toBe("GIT_FAILED");
    expect(unknown.message).toBe('unknown git ref "origin/main"');
    expect(unknown.hint).toContain("git fetch origin main");
    const local = await failure(gitResolveCommit(root, "no-such-branch"));
    expect(local.hint).toContain("check the ref name");
    const option = await failure(gitResolveCommit(root, "--output=/tmp/x"));
    expect(option.code).toBe("GIT_FAILED");
  });
});

describe("gitChangedFiles", () => {
  it("lists committed, staged and untracked changes, without deleted or ignored files", async () => {
    expect(await gitChangedFiles(root, first)).toEqual(
      ["db/2_b.sql", "db/3_c.sql", "db/4_d.sql", "db/5 e.sql"].map((p) => join(root, p)),
    );
    expect(await gitChangedFiles(join(root, "db"), "HEAD")).toEqual(
      ["db/4_d.sql", "db/5 e.sql"].map((p) => join(root, p)),
    );
  });

  it("raises GIT_FAILED for an unknown ref", async () => {
    const error = await failure(gitChangedFiles(root, "v9.9.9"));
    expect(error.code).toBe("GIT_FAILED");
    expect(error.hint).toBeTruthy();
  });
});

describe("gitFileAtRef", () => {
  it("reads a file as it was at a ref, relative to cwd or absolute", async () => {
    const old = await gitFileAtRef(root, first, "db/2_b.sql");
    expect(Buffer.from(old ?? []).toString("utf8")).toBe("CREATE TABLE b (id int);");
    const fromSubdir = await gitFileAtRef(join(root, "db"), "HEAD", "2_b.sql");
    expect(Buffer.from(fromSubdir ?? []).toString("utf8")).toBe("CREATE TABLE b (id bigint);");
    const absolute = await gitFileAtRef(root, "HEAD", join(root, "db/gone.sql"));
    expect(Buffer.from(absolute ?? []).toString("utf8")).toBe("SELECT 1;");
  });

  it("returns undefined for a file that did not exist at the ref", async () => {
    expect(await gitFileAtRef(root, first, "db/3_c.sql")).toBeUndefined();
  });

  it("raises GIT_FAILED for an unknown ref", async () => {
    const error = await failure(gitFileAtRef(root, "nope", "db/1_a.sql"));
    expect(error.code).toBe("GIT_FAILED");
  });
});
