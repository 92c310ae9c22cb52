/** runEnvAudit's input checks on a temporary directory (the findings are tested in src/env-audit). */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runEnvAudit } from "./env-audit.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-env-audit-cmd-"));
  writeFileSync(path.join(dir, "a.js"), "process.env.A;\n");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("runEnvAudit", () => {
  it("refuses an --example that is a directory instead of auditing against nothing", async () => {
    mkdirSync(path.join(dir, "config"));
    await expect(runEnvAudit({ cwd: dir, paths: [], example: "config" })).rejects.toMatchObject({
      code: "USAGE",
      message: "example file config is a directory",
      hint: "Pass the example file itself (e.g. --example config/.env.example).",
    });
  });
});
