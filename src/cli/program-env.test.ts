/** The `env` command group's own argument checks (the commands' results are tested next to them). */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outputSink } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";
import { type CliIo, runCli } from "./program.js";

describe("shipgate env example", () => {
  it("refuses --check with --stdout (exit 2): --stdout would pass a stale file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-cli-env-"));
    const io: CliIo & { stdout: ReturnType<typeof outputSink>; stderr: ReturnType<typeof outputSink> } = {
      stdout: outputSink(),
      stderr: outputSink(),
      env: { NO_COLOR: "1" },
      cwd: dir,
    };
    expect(await runCli(["env", "example", "--check", "--stdout"], io)).toBe(ExitCode.usage);
    expect(io.stderr.text).toContain("--check and --stdout are exclusive");
    expect(io.stdout.text).toBe("");
    expect(readdirSync(dir)).toEqual([]);
  });
});
