import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../core/errors.js";
import { replayLint } from "./lint-replay.js";
import { type CliIo, runCli } from "./program.js";

function sink(isTTY = false): NodeJS.WriteStream & { text: string } {
  const s = {
    text: "",
    isTTY,
    write(chunk: string | Uint8Array) {
      s.text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

function io(cwd: string, env: NodeJS.ProcessEnv = { NO_COLOR: "1" }, tty = false) {
  return { stdout: sink(tty), stderr: sink(), env, cwd } satisfies CliIo;
}

/** A project with one safe and one unsafe migration, and a cache directory inside it. */
function project(): { dir: string; argv: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-replay-"));
  const migrations = join(dir, "migrations");
  mkdirSync(migrations);
  writeFileSync(join(migrations, "001_create.sql"), "CREATE TABLE users (id bigint PRIMARY KEY);\n");
  writeFileSync(join(migrations, "002_drop.sql"), "DROP TABLE users;\n");
  return {
    dir,
    argv: ["migrations", "lint", "migrations", "--format", "json", "--cache-dir", join(dir, ".cache")],
  };
}

async function lint(argv: string[], out: ReturnType<typeof io>): Promise<number> {
  return runCli(argv, out);
}

describe("replayLint", () => {
  it("prints the saved answer and exit code of an unchanged re-run", async () => {
    const { dir, argv } = project();
    const first = io(dir);
    expect(await lint(argv, first)).toBe(ExitCode.gateFailed);
    const again = io(dir);
    expect(replayLint(argv, again)).toBe(ExitCode.gateFailed);
    expect(again.stdout.text).toBe(first.stdout.text);
    expect(JSON.parse(again.stdout.text).findings.length).toBeGreaterThan(0);
  });

  it("has no answer before a first run, or for a command line it did not see", async () => {
    const { dir, argv } = project();
    expect(replayLint(argv, io(dir))).toBeUndefined();
    await lint(argv, io(dir));
    expect(replayLint([...argv.slice(0, 3), "--format", "sarif", ...argv.slice(5)], io(dir))).toBeUndefined();
    expect(replayLint(["migrations", "verify", ...argv.slice(2)], io(dir))).toBeUndefined();
  });

  it("lints again when a migration is edited, added or removed", async () => {
    const { dir, argv } = project();
    await lint(argv, io(dir));
    writeFileSync(join(dir, "migrations/002_drop.sql"), "DROP TABLE usersx;\n");
    expect(replayLint(argv, io(dir))).toBeUndefined();

    await lint(argv, io(dir));
    writeFileSync(join(dir, "migrations/003_more.sql"), "SELECT 1;\n");
    expect(replayLint(argv, io(dir))).toBeUndefined();

    await lint(argv, io(dir));
    expect(replayLint(argv, io(dir))).toBeDefined();
    rmSync(join(dir, "migrations/003_more.sql"));
    expect(replayLint(argv, io(dir))).toBeUndefined();
  });

  it("lints again when a shipgate.yaml appears where the config lookup found none", async () => {
    const { dir, argv } = project();
    await lint(argv, io(dir));
    writeFileSync(join(dir, "shipgate.yaml"), "migrations:\n  pgVersion: 11\n");
    expect(replayLint(argv, io(dir))).toBeUndefined();
  });

  it("lints again when the environment or the terminal differ", async () => {
    const { dir, argv } = project();
    await lint(argv, io(dir));
    expect(replayLint(argv, io(dir))).toBeDefined();
    expect(replayLint(argv, io(dir, { NO_COLOR: "1", SHIPGATE_PG_VERSION: "11" }))).toBeUndefined();
    expect(replayLint(argv, io(dir, { NO_COLOR: "1" }, true))).toBeUndefined();
    // shell bookkeeping that never reaches the lint does not count
    expect(replayLint(argv, io(dir, { NO_COLOR: "1", OLDPWD: "/somewhere" }))).toBeDefined();
  });

  it("saves nothing with --no-cache, or when a command prints the SQL", async () => {
    const { dir, argv } = project();
    await lint([...argv.slice(0, 5), "--no-cache"], io(dir));
    await lint(
      ["migrations", "lint", "--sql-from", "cat migrations/002_drop.sql", ...argv.slice(3)],
      io(dir),
    );
    const cache = join(dir, ".cache");
    const saved = (() => {
      try {
        return readdirSync(cache).filter((n) => n.startsWith("lint-replay."));
      } catch {
        return [];
      }
    })();
    expect(saved).toEqual([]);
  });

  it("ignores a damaged answer file and lints", async () => {
    const { dir, argv } = project();
    await lint(argv, io(dir));
    const cache = join(dir, ".cache");
    for (const name of readdirSync(cache).filter((n) => n.startsWith("lint-replay.")))
      writeFileSync(join(cache, name), "{not json\n");
    expect(replayLint(argv, io(dir))).toBeUndefined();
  });

  it("keeps the answers of the last few command lines only", async () => {
    const { dir, argv } = project();
    for (const format of ["json", "sarif", "markdown", "github", "pretty", "json"]) {
      await lint([...argv.slice(0, 4), format, ...argv.slice(5)], io(dir));
    }
    expect(readdirSync(join(dir, ".cache")).filter((n) => n.startsWith("lint-replay."))).toHaveLength(4);
  });
});
