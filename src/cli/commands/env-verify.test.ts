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

describe("runEnvVerify with an environment shipgate.yaml does not declare", () => {
  beforeEach(() => {
    writeFileSync(
      path.join(dir, "shipgate.yaml"),
      "version: 1\nenvironments:\n  staging: {}\n  production: {}\n",
    );
  });

  it("names the declared environments and the closest one to a typo", async () => {
    const run = runEnvVerify({ cwd: dir, env: {}, environment: "producton", paths: [] });
    await expect(run).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: 'environment "producton" is not declared in shipgate.yaml',
      hint: expect.stringMatching(/^Did you mean production\? Declared environments: staging, production\./),
    });
  });

  it("suggests nothing for a name that is no typo of a declared one", async () => {
    const run = runEnvVerify({ cwd: dir, env: {}, environment: "qa", paths: [] });
    await expect(run).rejects.toMatchObject({ hint: expect.stringMatching(/^Declared environments: /) });
  });

  it("warns with the closest declared environment when a source is given on the command line", async () => {
    const result = await runEnvVerify({
      cwd: dir,
      env: {},
      environment: "stagng",
      paths: [],
      source: { dotenv: "staging.env" },
    });
    const warning = result.report.findings.find((f) => f.ruleId === "env-undeclared-environment");
    expect(warning?.help).toMatch(/^Did you mean staging\? If so, fix the name;/);
    expect(result.failed).toBe(false);
  });
});
