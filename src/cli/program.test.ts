import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../core/errors.js";
import { toolVersion } from "../core/version.js";
import { type CliIo, runCli } from "./program.js";

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
  it("prints the version and exits 0", async () => {
    const out = io(process.cwd());
    expect(await runCli(["--version"], out)).toBe(ExitCode.ok);
    expect(out.stdout.text.trim()).toBe(toolVersion);
  });

  it("exits 2 on an unknown command", async () => {
    const out = io(process.cwd());
    expect(await runCli(["deploy-everything"], out)).toBe(ExitCode.usage);
    expect(out.stderr.text).toContain("unknown command");
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
