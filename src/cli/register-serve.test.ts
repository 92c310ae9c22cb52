/** `shipgate tokens create | list | revoke` in process: role tokens, SDK tokens, the audit rows they leave. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outputSink, runCliIn } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";
import { openLedger } from "../ledger/index.js";
import { runCli } from "./program.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-tokens-"));
  writeFileSync(join(dir, "shipgate.yaml"), "version: 1\nenvironments:\n  staging: {}\n  production: {}\n");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]) {
  return runCliIn(dir, args, { NO_COLOR: "1", SHIPGATE_ACTOR: "ana" });
}

describe("shipgate tokens", () => {
  it("creates role and SDK tokens, lists them with their role or scope, revokes, and audits from cli@host", async () => {
    const ci = await run([
      "tokens",
      "create",
      "--role",
      "deployer",
      "--name",
      "ci-staging",
      "--environment",
      "staging",
      "--format",
      "json",
    ]);
    expect(ci.code, ci.stderr).toBe(ExitCode.ok);
    const created = JSON.parse(ci.stdout) as {
      id: string;
      token: string;
      scope: string;
      environment: string;
    };
    expect(created).toMatchObject({
      scope: "deployer",
      environment: "staging",
      token: expect.stringMatching(/^sg_api_/),
    });

    const ada = await run(["tokens", "create", "--role", "viewer", "--name", "ada"]);
    expect(ada.code).toBe(ExitCode.ok);
    expect(ada.stdout).toMatch(/^sg_api_\S+\n$/);
    expect(ada.stderr).toContain("viewer token tok_");
    expect(ada.stderr).toContain("every environment");

    const sdk = await run(["tokens", "create", "--environment", "production", "--name", "web"]);
    expect(sdk.stdout).toMatch(/^sg_sdk_/);

    const list = await run(["tokens", "list"]);
    expect(list.stdout).toMatch(/NAME\s+ENVIRONMENT\s+ROLE\/SCOPE/);
    expect(list.stdout).toMatch(/ci-staging\s+staging\s+deployer\s+.*active/);
    expect(list.stdout).toMatch(/ada\s+\*\s+viewer/);
    expect(list.stdout).toMatch(/web\s+production\s+sdk/);

    const revoke = await run(["tokens", "revoke", created.id]);
    expect(revoke.code).toBe(ExitCode.ok);
    expect(revoke.stdout).toContain(`revoked ${created.id} "ci-staging" (deployer, staging)`);

    const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
    try {
      const audit = await ledger.listAudit();
      expect(audit.map((a) => [a.action, a.actor, a.source])).toEqual([
        ["token.create", "ana", `cli@${hostname()}`],
        ["token.create", "ana", `cli@${hostname()}`],
        ["token.create", "ana", `cli@${hostname()}`],
        ["token.revoke", "ana", `cli@${hostname()}`],
      ]);
      const text = JSON.stringify(audit) + list.stdout + revoke.stdout;
      expect(text).not.toContain(created.token);
      expect(text).not.toContain(ada.stdout.trim());
    } finally {
      await ledger.close();
    }
  });

  it("needs --environment for an SDK token and a known role", async () => {
    const noEnv = await run(["tokens", "create", "--name", "web"]);
    expect(noEnv.code).toBe(ExitCode.usage);
    expect(noEnv.stderr).toContain("--role");
    const badRole = await run(["tokens", "create", "--role", "root", "--name", "x"]);
    expect(badRole.code).toBe(ExitCode.usage);
    expect(badRole.stderr).toContain("viewer, deployer, approver, admin");
    const unknown = await run(["tokens", "revoke", "tok_nope"]);
    expect(unknown.code).toBe(ExitCode.usage);
    expect(unknown.stderr).toContain("shipgate tokens list");
  });
});

describe("shipgate serve", () => {
  it("says a --host that does not resolve is a usage error naming the host (not a crash)", async () => {
    const result = await run(["serve", "--host", "no-such-host.invalid", "--port", "0"]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain('"no-such-host.invalid" does not resolve');
    expect(result.stderr).toContain("--host 127.0.0.1");
    expect(result.stderr).not.toContain("this is a bug");
  });

  it("warns when it found no shipgate.yaml (started outside the project), and stops on SIGTERM with exit 0", async () => {
    const empty = mkdtempSync(join(tmpdir(), "shipgate-serve-"));
    try {
      const io = { stdout: outputSink(), stderr: outputSink(), env: { NO_COLOR: "1" }, cwd: empty };
      const running = runCli(["serve", "--port", "0"], io);
      for (let i = 0; i < 200 && !io.stdout.text.includes("listening"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(io.stdout.text).toContain("listening on http://127.0.0.1:");
      process.emit("SIGTERM"); // the listeners serve added, without a real signal
      expect(await running).toBe(ExitCode.ok);
      expect(io.stderr.text).toContain(`no shipgate.yaml in ${empty} or above`);
      expect(io.stderr.text).toContain("--config <file>");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("does not warn about the config in a project", async () => {
    const io = { stdout: outputSink(), stderr: outputSink(), env: { NO_COLOR: "1" }, cwd: dir };
    const running = runCli(["serve", "--port", "0"], io);
    for (let i = 0; i < 200 && !io.stdout.text.includes("listening"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    process.emit("SIGTERM");
    expect(await running).toBe(ExitCode.ok);
    expect(io.stderr.text).not.toContain("shipgate.yaml");
  });
});
