import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../core/errors.js";
import { toolVersion } from "../core/version.js";
import { buildProgram, type CliIo, runCli } from "./program.js";

/** A writable that records what it is given, or throws on write. */
function sink(onWrite?: () => never): NodeJS.WriteStream & { text: string } {
  const s = {
    text: "",
    isTTY: false,
    write(chunk: string) {
      if (onWrite) onWrite();
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

function io(
  cwd: string,
  stdout = sink(),
): CliIo & { stdout: ReturnType<typeof sink>; stderr: ReturnType<typeof sink> } {
  return { stdout, stderr: sink(), env: { NO_COLOR: "1" }, cwd };
}

describe("runCli", () => {
  it("prints the version and exits 0, for --version, -v and commander's usual -V", async () => {
    for (const flag of ["--version", "-v", "-V"]) {
      const out = io(process.cwd());
      expect(await runCli([flag], out)).toBe(ExitCode.ok);
      expect(out.stdout.text.trim()).toBe(toolVersion);
    }
  });

  it("exits 2 on an unknown command", async () => {
    const out = io(process.cwd());
    expect(await runCli(["deploy-everything"], out)).toBe(ExitCode.usage);
    expect(out.stderr.text).toContain("unknown command");
  });

  it("names a misspelt option, with commander's suggestion, before a required option it leaves missing", async () => {
    const cases: [string[], string, string][] = [
      [["flags", "enable", "my-flag", "--enviroment", "production"], "--enviroment", "--environment"],
      [["flags", "create", "my-flag", "--ownr", "ada"], "--ownr", "--owner"],
      [["deploy", "production", "--verison", "v2"], "--verison", "--version"],
    ];
    for (const [argv, typo, meant] of cases) {
      const out = io(tmpdir());
      expect(await runCli(argv, out)).toBe(ExitCode.usage);
      expect(out.stderr.text).toContain(`error: unknown option '${typo}'\n(Did you mean ${meant}?)`);
      expect(out.stderr.text).not.toContain("required option");
    }
  });

  it("still reports a required option left out, and help still wins over an unknown option", async () => {
    const missing = io(tmpdir());
    expect(await runCli(["flags", "enable", "my-flag"], missing)).toBe(ExitCode.usage);
    expect(missing.stderr.text).toContain("error: required option '--environment <name>' not specified");
    const help = io(tmpdir());
    expect(await runCli(["flags", "enable", "my-flag", "--enviroment", "production", "--help"], help)).toBe(
      ExitCode.ok,
    );
    expect(help.stdout.text).toContain("--environment <name>");
    expect(help.stderr.text).toBe("");
  });

  it("turns an unexpected error into exit 70 with 'this is a bug' and the version", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-cli-"));
    writeFileSync(join(dir, "001.sql"), "CREATE TABLE t (id int);\n");
    const out = io(
      dir,
      sink(() => {
        throw new Error("stdout exploded");
      }),
    );
    const code = await runCli(["migrations", "lint", "001.sql", "--no-cache", "--format", "json"], out);
    expect(code).toBe(ExitCode.internal);
    expect(out.stderr.text).toContain("this is a bug");
    expect(out.stderr.text).toContain(toolVersion);
    expect(out.stderr.text).toContain("stdout exploded");
  });

  it("returns 1 when the gate fails and 0 when it passes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-cli-"));
    writeFileSync(join(dir, "bad.sql"), "DROP TABLE users;\n");
    writeFileSync(join(dir, "good.sql"), "CREATE TABLE t (id int);\n");
    expect(await runCli(["migrations", "lint", "bad.sql", "--no-cache"], io(dir))).toBe(ExitCode.gateFailed);
    expect(await runCli(["migrations", "lint", "good.sql", "--no-cache"], io(dir))).toBe(ExitCode.ok);
  });
});

describe("the commands that hints and messages name", () => {
  /** Every `shipgate …` span in the non-test sources: hints, notices and help name real commands. */
  function namedCommands(): { file: string; text: string }[] {
    const out: { file: string; text: string }[] = [];
    const srcDir = join(import.meta.dirname, "..");
    for (const entry of readdirSync(srcDir, { recursive: true, encoding: "utf8" })) {
      if (!entry.endsWith(".ts") || entry.endsWith(".test.ts") || entry.startsWith("dashboard")) continue;
      const source = readFileSync(join(srcDir, entry), "utf8");
      // In template literals the closing backtick is escaped: drop the backslash.
      for (const m of source.matchAll(/`shipgate ([a-z][^`$]*)`/g)) {
        out.push({ file: entry, text: (m[1] as string).replace(/\\$/, "") });
      }
    }
    return out;
  }

  it("exist: the first word is a command, and a word after a command with subcommands is one of them", () => {
    const program = buildProgram(io(tmpdir()), () => {});
    const named = namedCommands();
    expect(named.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const { file, text } of named) {
      const [first, second] = text.split(/[\s|]+/);
      const command = program.commands.find((c) => c.name() === first);
      if (!command) {
        wrong.push(`${file}: shipgate ${text}`);
        continue;
      }
      const subcommands = command.commands.map((c) => c.name());
      const takesArguments = command.registeredArguments.length > 0;
      if (subcommands.length > 0 && !takesArguments && second && /^[a-z]/.test(second)) {
        if (!subcommands.includes(second)) wrong.push(`${file}: shipgate ${text}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
