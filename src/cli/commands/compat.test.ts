import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCompatOpenapi } from "./compat.js";

function repoWithConfig(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-compat-cmd-"));
  writeFileSync(join(dir, "shipgate.yaml"), config);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "v1");
  return dir;
}

describe("compat --since with the specs of compat.openapi", () => {
  it("a listed spec that does not exist names the config entry to fix, not the CLI usage", async () => {
    const dir = repoWithConfig("compat:\n  openapi: [api/openapi.yaml]\n");
    const error = await runCompatOpenapi({ cwd: dir, specs: [], since: "HEAD" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "FILE_NOT_FOUND",
      message: "api/openapi.yaml, listed under compat.openapi in shipgate.yaml, does not exist",
    });
    expect((error as { hint?: string }).hint).toContain("Fix or remove the entry under compat.openapi");
  });

  it("a spec named on the command line keeps the usage hint", async () => {
    const dir = repoWithConfig("version: 1\n");
    await expect(runCompatOpenapi({ cwd: dir, specs: ["nope.yaml"], since: "HEAD" })).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
      message: "nope.yaml does not exist",
      hint: expect.stringContaining("Usage: shipgate compat openapi"),
    });
  });
});
