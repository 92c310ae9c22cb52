/** runEnvVerify on a temporary directory: what the code makes required, and where findings link. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runEnvVerify } from "./env-verify.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-env-verify-cmd-"));
  writeFileSync(path.join(dir, "staging.env"), "OTHER=1\n");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const verify = () =>
  runEnvVerify({ cwd: dir, env: {}, environment: "staging", paths: [], source: { dotenv: "staging.env" } });

describe("runEnvVerify", () => {
  it("does not require a variable the code only tests for (`in`), and links findings to the verify docs", async () => {
    writeFileSync(path.join(dir, "a.js"), 'if ("SENTRY_DSN" in process.env) {}\nprocess.env.REQUIRED;\n');
    writeFileSync(path.join(dir, "s.py"), 'import os\nif "PY_DSN" in os.environ:\n    pass\n');
    const result = await verify();
    expect(result.summary.missing).toEqual(["REQUIRED"]);
    expect(result.summary.required).toBe(1);
    expect(result.report.findings.map((f) => f.docsUrl)).toEqual([
      "https://github.com/shipgate/shipgate/blob/main/docs/env.md#shipgate-env-verify",
    ]);
  });
});
