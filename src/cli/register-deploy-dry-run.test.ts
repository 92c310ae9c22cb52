/**
 * `deploy --dry-run` and `rollback --dry-run` on a local target whose agent is not running: they print
 * the plan and exit 0 without starting the agent (no process left behind, nothing listening).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outputSink } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";
import { openLedger } from "../ledger/index.js";
import { type CliIo, runCli } from "./program.js";

type TestIo = CliIo & { stdout: ReturnType<typeof outputSink>; stderr: ReturnType<typeof outputSink> };

let dir: string;
const io = (): TestIo => ({ stdout: outputSink(), stderr: outputSink(), env: { NO_COLOR: "1" }, cwd: dir });
const agentFile = () => join(dir, ".shipgate/run/local/agent.json");

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-cli-dry-run-"));
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app/server.js"), "// never started\n");
  writeFileSync(
    join(dir, "shipgate.yaml"),
    [
      "release:",
      "  artifact: app",
      "  start: node server.js",
      "environments:",
      "  local:",
      "    target: { type: local, port: 4990 }",
      "",
    ].join("\n"),
  );
});

afterEach(() => {
  // Without the fix a dry run started an agent: stop it so that a failing run leaves nothing behind.
  if (existsSync(agentFile())) {
    const { pid } = JSON.parse(readFileSync(agentFile(), "utf8")) as { pid: number };
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("--dry-run on a local target that is not running", () => {
  it("deploy prints the plan and never starts the agent", async () => {
    const out = io();
    expect(await runCli(["deploy", "local", "--version", "v1", "--dry-run"], out)).toBe(ExitCode.ok);
    expect(out.stdout.text).toContain("Plan: rolling deploy of v1");
    expect(existsSync(agentFile())).toBe(false);
  });

  it("rollback prints the plan and never starts the agent", async () => {
    // Two releases that served local, recorded in the project's ledger (nothing ran).
    const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
    try {
      for (const [i, id] of ["r-v1", "r-v2"].entries()) {
        await ledger.saveRelease({
          id,
          version: id.slice(2),
          gitSha: null,
          artifact: { hash: id, path: join(dir, "app"), bytes: 0, files: 0 },
          start: "node server.js",
          config: {},
          envKeys: [],
          envSealed: null,
          createdAt: new Date(i).toISOString(),
          createdBy: "test",
        });
        const at = new Date(1000 * (i + 1)).toISOString();
        await ledger.createDeploy({
          id: `d${i}`,
          environment: "local",
          kind: "deploy",
          releaseId: id,
          previousReleaseId: i === 0 ? null : "r-v1",
          previousTraffic: [],
          strategy: "rolling",
          status: "succeeded",
          actor: "test",
          reason: null,
          plan: [],
          notes: [],
          nextStep: 0,
          error: null,
          startedAt: at,
          finishedAt: at,
        });
      }
      await ledger.setEnvironmentState({
        environment: "local",
        currentReleaseId: "r-v2",
        traffic: [{ releaseId: "r-v2", weight: 100 }],
        updatedAt: new Date(2000).toISOString(),
      });
    } finally {
      await ledger.close();
    }
    const out = io();
    expect(await runCli(["rollback", "local", "--dry-run"], out)).toBe(ExitCode.ok);
    expect(out.stdout.text).toContain("Plan: rollback deploy of v1");
    expect(existsSync(agentFile())).toBe(false);
  });
});
