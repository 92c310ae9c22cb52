/** `shipgate audit list | verify` in process: option errors and the help's account of what is logged. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliIn } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-audit-"));
  writeFileSync(join(dir, "shipgate.yaml"), "version: 1\nledger:\n  url: 'memory:'\n");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]) {
  return runCliIn(dir, args, { NO_COLOR: "1" });
}

describe("shipgate audit list", () => {
  it("says what --after takes in words (0 or more), not 'from 0 to any'", async () => {
    const result = await run(["audit", "list", "--after", "x"]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain('--after expects a whole number (0 or more), got "x"');
    expect(result.stderr).not.toContain("to any");
  });

  it("--limit keeps its range", async () => {
    const result = await run(["audit", "list", "--limit", "0"]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain('--limit expects a whole number from 1 to 500, got "0"');
  });
});

describe("shipgate audit --help", () => {
  it("says deploys are logged too, not only flags, approvals and tokens", async () => {
    const result = await run(["--help"]);
    expect(result.stdout).toMatch(/audit\s+.*every deploy and its outcome/s);
  });
});
