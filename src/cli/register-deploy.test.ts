/**
 * The release commands through runCli on an environment without a target (shipgate init's
 * flags-only setup): the reads (status, history, lock status) answer from the ledger and exit 0;
 * the changes (deploy, rollback, promote, abort) are refused with CONFIG_INVALID and its hint. And
 * `abort` of a deploy request awaiting approval, on a command target.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outputSink } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";
import { type CliIo, runCli } from "./program.js";

type TestIo = CliIo & { stdout: ReturnType<typeof outputSink>; stderr: ReturnType<typeof outputSink> };

let dir: string;
const io = (): TestIo => ({ stdout: outputSink(), stderr: outputSink(), env: { NO_COLOR: "1" }, cwd: dir });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-cli-no-target-"));
  writeFileSync(
    join(dir, "shipgate.yaml"),
    "environments:\n  staging: {}\n  production:\n    approval: { required: 1 }\n",
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("an environment without a target", () => {
  it("history lists no deploys and exits 0", async () => {
    const out = io();
    expect(await runCli(["history", "production"], out)).toBe(ExitCode.ok);
    expect(out.stdout.text).toBe("production: no deploys yet.\n");
    expect(out.stderr.text).toBe("");
    const json = io();
    expect(await runCli(["history", "production", "--format", "json"], json)).toBe(ExitCode.ok);
    expect(JSON.parse(json.stdout.text)).toEqual([]);
  });

  it("history and status take $SHIPGATE_FORMAT=json; a findings format there means pretty", async () => {
    const json = { ...io(), env: { NO_COLOR: "1", SHIPGATE_FORMAT: "json" } };
    expect(await runCli(["history", "production"], json)).toBe(ExitCode.ok);
    expect(JSON.parse(json.stdout.text)).toEqual([]);
    const status = { ...io(), env: { NO_COLOR: "1", SHIPGATE_FORMAT: "json" } };
    expect(await runCli(["status", "staging"], status)).toBe(ExitCode.ok);
    expect(JSON.parse(status.stdout.text)).toMatchObject({ environment: "staging" });
    const github = { ...io(), env: { NO_COLOR: "1", SHIPGATE_FORMAT: "github" } };
    expect(await runCli(["history", "production"], github)).toBe(ExitCode.ok);
    expect(github.stdout.text).toBe("production: no deploys yet.\n");
    const flag = { ...io(), env: { NO_COLOR: "1", SHIPGATE_FORMAT: "json" } };
    expect(await runCli(["history", "production", "--format", "pretty"], flag)).toBe(ExitCode.ok);
    expect(flag.stdout.text).toBe("production: no deploys yet.\n");
  });

  it("status says no target is configured and how to add one, and exits 0", async () => {
    const out = io();
    expect(await runCli(["status", "staging"], out)).toBe(ExitCode.ok);
    expect(out.stdout.text).toContain(
      "target: none configured (add environments.staging.target to shipgate.yaml to deploy)",
    );
    expect(out.stdout.text).toContain("current: nothing deployed yet");
    expect(out.stdout.text).not.toContain("not running");
    expect(out.stderr.text).toBe("");
  });

  it("status --format json reports target null, with url, current and traffic empty", async () => {
    const out = io();
    expect(await runCli(["status", "staging", "--format", "json"], out)).toBe(ExitCode.ok);
    const result = JSON.parse(out.stdout.text);
    expect(result).toMatchObject({
      environment: "staging",
      target: null,
      url: null,
      current: null,
      traffic: [],
      inProgress: null,
      instances: null,
    });
  });

  it("lock status answers free", async () => {
    const out = io();
    expect(await runCli(["lock", "status", "staging"], out)).toBe(ExitCode.ok);
    expect(out.stdout.text).toBe("staging: free\n");
  });

  it.each([
    ["deploy", "production", "--version", "v1"],
    ["rollback", "production"],
    ["promote", "production"],
    ["abort", "production"],
  ])("%s is refused with CONFIG_INVALID, naming the key to add", async (...argv) => {
    const out = io();
    expect(await runCli(argv, out)).toBe(ExitCode.usage);
    expect(out.stderr.text).toContain('environment "production" has no target');
    expect(out.stderr.text).toContain("Add environments.production.target to shipgate.yaml");
  });
});

describe("abort of a deploy awaiting approval", () => {
  it("says the request was cancelled and nothing ran, not that traffic went back", async () => {
    writeFileSync(
      join(dir, "shipgate.yaml"),
      [
        "release:",
        '  artifact: "versions/{version}"',
        "  start: ./run.sh",
        "environments:",
        "  production:",
        "    url: http://127.0.0.1:9",
        "    approval: { required: 1 }",
        "    tag: { enabled: false }",
        "    target: { type: command, deploy: 'true', switch: 'true', rollback: 'true' }",
        "",
      ].join("\n"),
    );
    mkdirSync(join(dir, "versions/v1"), { recursive: true });
    writeFileSync(join(dir, "versions/v1/run.sh"), "#!/bin/sh\n");
    const requested = io();
    await runCli(["deploy", "production", "--version", "v1"], requested);
    expect(requested.stdout.text + requested.stderr.text).toContain("approval");
    const out = io();
    expect(await runCli(["abort", "production"], out)).toBe(ExitCode.ok);
    expect(out.stdout.text).toMatch(
      /^Cancelled deploy \S+ to production before approval; nothing ran, traffic is unchanged\.\n$/,
    );
  });
});
