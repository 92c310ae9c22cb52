/**
 * The CLI against a real team server, end to end: `shipgate serve --port 0` runs as a process over
 * a temp project (a command target whose "platform" is a node:http server of this test), tokens come
 * from `shipgate tokens create --role …`, and every release command runs as the built CLI with
 * `--server` and SHIPGATE_TOKEN: deploy and its steps, status, history, an approval required in
 * production (refused to its author, given by someone else), a rejection, a rollback, role and
 * token errors with their exit codes, the approval-requested notification, and no token in any output.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runShipgate, writeFile } from "./support/cli.js";
import { createRoleToken, type RunningServe, startServe } from "./support/serve.js";

let dir: string;
let platform: Server;
let serve: RunningServe | undefined;
const serveOutput = () => serve?.output() ?? "";
let serverUrl: string;
const tokens: Record<string, string> = {};
/** Webhook deliveries the platform server received (the environment's notifications). */
const hooks: { event: string; body: Record<string, unknown> }[] = [];
/** Every output of every command, to grep for tokens at the end. */
const outputs: string[] = [];

function project(appUrl: string): void {
  const log = (what: string) => `echo "${what}" >> ops.log`;
  writeFile(
    dir,
    "shipgate.yaml",
    `version: 1
release:
  artifact: "versions/{version}"
  start: ./run.sh
environments:
  staging:
    url: ${appUrl}
    target:
      type: command
      deploy: '${log("deploy $SHIPGATE_VERSION")}'
      switch: '${log("switch $SHIPGATE_TRAFFIC")}'
      rollback: '${log("rollback $SHIPGATE_VERSION")}'
    strategy: blue-green
    startDeadline: 3s
    tag:
      enabled: false
  production:
    url: ${appUrl}
    target:
      type: command
      deploy: '${log("deploy $SHIPGATE_VERSION")}'
      switch: '${log("switch $SHIPGATE_TRAFFIC")}'
      rollback: '${log("rollback $SHIPGATE_VERSION")}'
    strategy: blue-green
    startDeadline: 3s
    approval:
      required: 1
    notifications:
      - type: webhook
        url: ${appUrl}/hook
        events: [approval-requested]
    tag:
      enabled: false
`,
  );
  for (const v of ["v1", "v2"]) writeFile(dir, `versions/${v}/run.sh`, `#!/bin/sh\necho ${v}\n`);
}

async function shipgate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const run = await runShipgate(args, dir, { SHIPGATE_SERVER: "", SHIPGATE_TOKEN: "", ...env });
  outputs.push(run.stdout, run.stderr);
  return run;
}

/** A release command on the server, as `who`. */
function as(who: string, args: string[]): Promise<CliRun> {
  return shipgate(["--server", serverUrl, ...args], { SHIPGATE_TOKEN: tokens[who] ?? "" });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-remote-"));
  platform = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      if (req.url === "/hook") {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        hooks.push({ event: String(parsed.event ?? parsed.type), body: parsed });
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => platform.listen(0, "127.0.0.1", resolve));
  project(`http://127.0.0.1:${(platform.address() as AddressInfo).port}`);
  tokens.ada = await createRoleToken(dir, "approver", "ada");
  tokens.grace = await createRoleToken(dir, "approver", "grace");
  tokens.vic = await createRoleToken(dir, "viewer", "vic");
  serve = await startServe(dir);
  serverUrl = serve.url;
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await new Promise<void>((resolve) => platform?.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe("shipgate --server (against shipgate serve)", () => {
  it("deploys on the server, printing its steps, and status/history read the server's ledger", async () => {
    const deployed = await as("ada", ["deploy", "staging", "--version", "v1", "--reason", "first"]);
    expect(deployed.code, deployed.stderr + serveOutput()).toBe(0);
    expect(deployed.stdout).toMatch(/^Deployed v1 to staging \(blue-green, deploy d-\S+\)\.\n$/);
    expect(deployed.stderr).toMatch(/\[\d+\/\d+\] .* … ok/);

    const status = await as("vic", ["status", "staging"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("current: v1");
    expect(status.stdout).toContain("by ada");

    const history = await as("vic", ["history", "staging", "--format", "json"]);
    expect(history.code, history.stderr).toBe(0);
    const entries = JSON.parse(history.stdout) as { version: string; actor: string; reason: string }[];
    expect(entries[0]).toMatchObject({ version: "v1", actor: "ada", reason: "first" });
  });

  it("waits for approval in production: the author is refused (1), another approver starts it (0)", async () => {
    const waiting = await as("ada", ["deploy", "production", "--version", "v1"]);
    expect(waiting.code, waiting.stderr + serveOutput()).toBe(0);
    expect(waiting.stdout).toContain("awaits approval");
    expect(waiting.stdout).toContain("shipgate approve production");
    expect(waiting.stdout).toContain(serverUrl);
    // The request notified the environment's webhook, naming the version and who asked.
    expect(hooks.map((h) => h.event)).toEqual(["approval-requested"]);
    expect(JSON.stringify(hooks[0]?.body)).toContain("ada");

    const own = await as("ada", ["approve", "production"]);
    expect(own.code, own.stderr).toBe(1);
    expect(own.stderr).toMatch(/ada .*cannot approve/);

    const approved = await as("grace", ["approve", "production", "--comment", "checked"]);
    expect(approved.code, approved.stderr + serveOutput()).toBe(0);
    expect(approved.stdout).toMatch(/^Deployed v1 to production/);

    const nothing = await as("grace", ["approve", "production"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("no deploy awaits approval in production");
  });

  it("a rejected request ends without running (0)", async () => {
    const waiting = await as("ada", ["deploy", "production", "--version", "v2"]);
    expect(waiting.code, waiting.stderr).toBe(0);
    const rejected = await as("grace", ["reject", "production", "--comment", "not today"]);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain("Rejected deploy");
    const status = await as("vic", ["status", "production", "--format", "json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ current: { version: "v1" }, inProgress: null });
  });

  it("rolls back on the server (0)", async () => {
    const v2 = await as("ada", ["deploy", "staging", "--version", "v2"]);
    expect(v2.code, v2.stderr).toBe(0);
    const rolled = await as("ada", ["rollback", "staging", "--reason", "errors"]);
    expect(rolled.code, rolled.stderr + serveOutput()).toBe(0);
    expect(rolled.stdout).toContain("Rolled back staging to v1 from v2");

    // --to the release that serves: nothing runs on the server, nothing is recorded.
    const deploys = JSON.parse((await as("vic", ["history", "staging", "--format", "json"])).stdout).length;
    const same = await as("ada", ["rollback", "staging", "--to", "v1"]);
    expect(same.code, same.stderr + serveOutput()).toBe(0);
    expect(same.stdout).toBe("v1 already serves staging: nothing to roll back.\n");
    expect(JSON.parse((await as("vic", ["history", "staging", "--format", "json"])).stdout)).toHaveLength(
      deploys,
    );
  });

  it("role, token and usage errors keep the documented exit codes", async () => {
    const viewer = await as("vic", ["deploy", "staging", "--version", "v2"]);
    expect(viewer.code).toBe(1); // FORBIDDEN
    const unknown = await shipgate(["--server", serverUrl, "status", "staging"], {
      SHIPGATE_TOKEN: "sg_api_not_a_real_token_000000000000",
    });
    expect(unknown.code).toBe(2); // UNAUTHORIZED
    const missing = await shipgate(["--server", serverUrl, "status", "staging"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("shipgate tokens create --role deployer --name <you>");
    const dry = await as("ada", ["deploy", "staging", "--version", "v2", "--dry-run"]);
    expect(dry.code).toBe(2);
    expect(dry.stderr).toContain("--dry-run is not supported with --server");
  });

  it("approve works locally too (no --server): the approval runs the deploy in the CLI process", async () => {
    const waiting = await shipgate(["deploy", "production", "--version", "v2"], { SHIPGATE_ACTOR: "ada" });
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(waiting.stdout).toContain("awaits approval: 0 of 1");
    expect(waiting.stdout).toContain("`shipgate approve production`");
    const own = await shipgate(["approve", "production"], { SHIPGATE_ACTOR: "ada" });
    expect(own.code).toBe(1);
    const approved = await shipgate(["approve", "production", "--format", "json"], {
      SHIPGATE_ACTOR: "grace",
    });
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ outcome: "succeeded", status: "succeeded" });
    expect(approved.stderr).toMatch(/\[\d+\/\d+\] traffic: v2 100% … ok/);
  });

  it("never prints a token", () => {
    const all = outputs.join("\n") + serveOutput();
    for (const token of Object.values(tokens)) expect(all.includes(token)).toBe(false);
  });
});
