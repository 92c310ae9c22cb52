import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCompatGraphql, runCompatOpenapi } from "./compat.js";

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

const openapi =
  'openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /a:\n    get:\n      responses:\n        "200": {description: ok}\n';
const sdl = "type Query {\n  a: String\n}\n";

/** A repository whose first commit holds `files`, then a second commit with `later`. */
function repoWithHistory(files: Record<string, string>, later: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-compat-cmd-"));
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir });
  git("init", "-q", "-b", "main");
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  git("add", "-A");
  git("commit", "-qm", "v1");
  for (const [file, text] of Object.entries(later)) writeFileSync(join(dir, file), text);
  git("add", "-A");
  git("commit", "-qm", "v2");
  return dir;
}

describe("compat inputs that are not spec files", () => {
  const run = { openapi: runCompatOpenapi, graphql: runCompatGraphql } as const;
  const good = { openapi: ["good.yaml", openapi], graphql: ["good.graphql", sdl] } as const;

  for (const kind of ["openapi", "graphql"] as const) {
    it(`${kind}: a directory, as base or head, says it is a directory and expects a file (exit 2)`, async () => {
      const dir = repoWithConfig("version: 1\n");
      mkdirSync(join(dir, "specs"));
      const [file, text] = good[kind];
      writeFileSync(join(dir, file), text);
      for (const specs of [
        ["specs", file],
        [file, "specs"],
      ]) {
        const error = await run[kind]({ cwd: dir, specs }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: "USAGE", exitCode: 2 });
        expect((error as Error).message).toMatch(
          new RegExp(`^specs is a directory: compat ${kind} expects a`),
        );
        expect((error as { hint?: string }).hint).toMatch(/Name the file inside it \(e\.g\. specs\//);
      }
    });

    it(`${kind}: a directory listed in compat.${kind} names the config entry`, async () => {
      const dir = repoWithConfig(`compat:\n  ${kind}: [specs]\n`);
      mkdirSync(join(dir, "specs"));
      const error = await run[kind]({ cwd: dir, specs: [], since: "HEAD" }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "USAGE",
        message: expect.stringMatching(/^specs, listed under compat\.\w+ in shipgate\.yaml, is a directory/),
        hint: expect.stringContaining(`Fix or remove the entry under compat.${kind}`),
      });
    });

    it(`${kind}: an empty file says it is empty (exit 2)`, async () => {
      const [file, text] = good[kind];
      const dir = repoWithConfig("version: 1\n");
      writeFileSync(join(dir, file), text);
      writeFileSync(join(dir, "empty"), "");
      const error = await run[kind]({ cwd: dir, specs: [file, "empty"] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "USAGE", exitCode: 2, message: "empty is empty" });
      expect((error as { hint?: string }).hint).toMatch(/or fix the path/);
    });

    it(`${kind}: a base at the --since ref that does not load says to pick a later ref, not to fix it`, async () => {
      const [file, text] = good[kind];
      const broken = kind === "openapi" ? "openapi: 3.0.3\ninfo: {title: t\n" : "type Query {\n";
      for (const base of [broken, ""]) {
        const dir = repoWithHistory({ [file]: base }, { [file]: text });
        const error = await run[kind]({ cwd: dir, specs: [file], since: "HEAD~1" }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: "USAGE", exitCode: 2 });
        expect((error as Error).message).toMatch(new RegExp(`^${file.replace(".", "\\.")} at HEAD~1 `));
        const hint = (error as { hint?: string }).hint ?? "";
        expect(hint).toContain(`${file} as it was at HEAD~1 does not load`);
        expect(hint).toContain("pass a later --since ref");
        expect(hint).not.toMatch(/Fix the (syntax|SDL)|Write the/);
        // the head is still judged as a file to fix
        writeFileSync(join(dir, file), base);
        const head = await run[kind]({ cwd: dir, specs: [file], since: "HEAD" }).catch((e: unknown) => e);
        expect((head as { hint?: string }).hint).not.toContain("later --since ref");
      }
    });
  }
});
