/** The `env` command group's own argument checks (the commands' results are tested next to them). */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCliIn } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";

describe("shipgate env example", () => {
  it("refuses --check with --stdout (exit 2): --stdout would pass a stale file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-cli-env-"));
    const run = await runCliIn(dir, ["env", "example", "--check", "--stdout"]);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.stderr).toContain("--check and --stdout are exclusive");
    expect(run.stdout).toBe("");
    expect(readdirSync(dir)).toEqual([]);
  });
});
