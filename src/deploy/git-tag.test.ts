import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { createDeployTag, deployTagName } from "./git-tag.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-tag-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  vi.unstubAllEnvs();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"];

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
}

/** A repository with two commits; returns its directory and the first commit's sha. */
function repo(): { cwd: string; first: string; head: string } {
  const cwd = tempDir();
  git(cwd, "init", "-q", "-b", "main");
  writeFileSync(join(cwd, "a.txt"), "a");
  git(cwd, "add", "a.txt");
  git(cwd, ...identity, "commit", "-q", "-m", "first");
  const first = git(cwd, "rev-parse", "HEAD");
  git(cwd, ...identity, "commit", "-q", "--allow-empty", "-m", "second");
  return { cwd, first, head: git(cwd, "rev-parse", "HEAD") };
}

describe("deployTagName", () => {
  it("is deploy-<env>-YYYYMMDD-HHMMSS in UTC", () => {
    expect(deployTagName("production", new Date("2026-03-04T05:06:07.890Z"))).toBe(
      "deploy-production-20260304-050607",
    );
    expect(deployTagName("staging", new Date("2026-12-31T23:59:59+02:00"))).toBe(
      "deploy-staging-20261231-215959",
    );
  });
});

describe("createDeployTag", () => {
  it("creates an annotated tag with the message on the given commit", async () => {
    const { cwd, first } = repo();
    const result = await createDeployTag({
      cwd,
      name: "deploy-production-20260304-050607",
      sha: first,
      message: "v1 deployed to production by alice",
    });
    expect(result).toEqual({ name: "deploy-production-20260304-050607", pushed: false });
    expect(git(cwd, "cat-file", "-t", "deploy-production-20260304-050607")).toBe("tag");
    expect(git(cwd, "rev-parse", "deploy-production-20260304-050607^{commit}")).toBe(first);
    expect(git(cwd, "tag", "-l", "--format=%(contents:subject)", "deploy-production-20260304-050607")).toBe(
      "v1 deployed to production by alice",
    );
  });

  it("appends -2, -3 … when the name is taken", async () => {
    const { cwd, first, head } = repo();
    const name = "deploy-production-20260304-050607";
    expect((await createDeployTag({ cwd, name, sha: first, message: "one" })).name).toBe(name);
    expect((await createDeployTag({ cwd, name, sha: head, message: "two" })).name).toBe(`${name}-2`);
    expect((await createDeployTag({ cwd, name, sha: head, message: "three" })).name).toBe(`${name}-3`);
    expect(git(cwd, "rev-parse", `${name}^{commit}`)).toBe(first);
    expect(git(cwd, "rev-parse", `${name}-3^{commit}`)).toBe(head);
  });

  it("pushes to a remote when asked", async () => {
    const { cwd, head } = repo();
    const bare = tempDir();
    git(bare, "init", "-q", "--bare");
    git(cwd, "remote", "add", "origin", bare);
    const result = await createDeployTag({
      cwd,
      name: "deploy-staging-20260101-000000",
      sha: head,
      message: "pushed",
      push: { remote: "origin" },
    });
    expect(result).toEqual({ name: "deploy-staging-20260101-000000", pushed: true });
    expect(git(bare, "cat-file", "-t", "deploy-staging-20260101-000000")).toBe("tag");
    expect(git(bare, "rev-parse", "deploy-staging-20260101-000000^{commit}")).toBe(head);
  });

  it("returns a failing push instead of throwing; the tag stays", async () => {
    const { cwd, head } = repo();
    git(cwd, "remote", "add", "origin", join(tempDir(), "no-such-remote.git"));
    const result = await createDeployTag({
      cwd,
      name: "deploy-production-20260101-000000",
      sha: head,
      message: "m",
      push: { remote: "origin" },
    });
    expect(result.pushed).toBe(false);
    expect(result.pushError).toContain("git push origin deploy-production-20260101-000000 failed");
    expect(git(cwd, "cat-file", "-t", "deploy-production-20260101-000000")).toBe("tag");

    const unknown = await createDeployTag({
      cwd,
      name: "t2",
      sha: head,
      message: "m",
      push: { remote: "nope" },
    });
    expect(unknown.pushed).toBe(false);
    expect(unknown.pushError).toContain("nope");
  });

  it("works without a configured git identity (CI runners)", async () => {
    const { cwd, head } = repo();
    const home = tempDir();
    vi.stubEnv("HOME", home);
    vi.stubEnv("XDG_CONFIG_HOME", home);
    vi.stubEnv("GIT_CONFIG_NOSYSTEM", "1");
    vi.stubEnv("GIT_CONFIG_GLOBAL", join(home, "none"));
    vi.stubEnv("EMAIL", "");
    const result = await createDeployTag({
      cwd,
      name: "deploy-ci-20260101-000000",
      sha: head,
      message: "ci",
    });
    expect(result.name).toBe("deploy-ci-20260101-000000");
    expect(git(cwd, "cat-file", "-t", "deploy-ci-20260101-000000")).toBe("tag");
  });

  it("an unknown commit or a directory outside git is GIT_FAILED", async () => {
    const { cwd } = repo();
    await expect(
      createDeployTag({ cwd, name: "x", sha: "0".repeat(40), message: "m" }),
    ).rejects.toBeInstanceOf(ShipgateError);
    await expect(
      createDeployTag({ cwd: tempDir(), name: "x", sha: "HEAD", message: "m" }),
    ).rejects.toMatchObject({ code: "GIT_FAILED" });
  });
});
