import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { outputSink } from "../../test/support/cli.js";
import { ExitCode, ShipgateError } from "../core/errors.js";
import type { StatusResult } from "../deploy/service.js";
import type { DeployStep } from "../ledger/types.js";
import { type CliIo, runCli } from "./program.js";
import type { DeployDetail } from "./remote-client.js";
import { followAndReport, followDeploy, unchangedSince } from "./remote-follow.js";

const token = "sg_api_follow_secret_fedcba9876543210";

const plan = [
  { type: "start-instances", releaseId: "r-2", count: 1 },
  { type: "wait-ready", releaseId: "r-2", deadlineMs: 30_000 },
  { type: "set-traffic", traffic: [{ releaseId: "r-2", weight: 100 }] },
];

function step(index: number, status: DeployStep["status"], detail: Record<string, unknown> = {}): DeployStep {
  return {
    deployId: "d-1",
    index,
    type: (plan[index] as { type: string }).type,
    status,
    detail,
    startedAt: "2026-05-01T10:00:00.000Z",
    finishedAt: status === "running" ? null : "2026-05-01T10:00:01.500Z",
  };
}

function detail(
  status: string,
  steps: DeployStep[],
  extra: {
    nextStep?: number;
    error?: string | null;
    kind?: "deploy" | "rollback";
    valid?: number;
    notes?: string[];
  } = {},
): DeployDetail {
  return {
    deploy: {
      id: "d-1",
      environment: "production",
      kind: extra.kind ?? "deploy",
      releaseId: "r-2",
      previousReleaseId: "r-1",
      previousTraffic: [{ releaseId: "r-1", weight: 100 }],
      strategy: "rolling",
      status: status as DeployDetail["deploy"]["status"],
      actor: "ada",
      reason: null,
      plan,
      notes: [],
      nextStep: extra.nextStep ?? steps.length,
      error: extra.error ?? null,
      startedAt: "2026-05-01T10:00:00.000Z",
      finishedAt: null,
    },
    release: { id: "r-2", version: "v2" },
    previous: { id: "r-1", version: "v1" },
    notes: extra.notes ?? [],
    steps,
    approvals: {
      required: 1,
      valid: extra.valid ?? 0,
      approvers: [],
      expiresAt: null,
      expiresAfterMs: 3_600_000,
      entries: [],
    },
    analyses: [],
    operation: null,
  };
}

/** A client answering the given details in turn (the last one repeats). */
function scripted(answers: (DeployDetail | ShipgateError)[]) {
  let i = 0;
  return {
    baseUrl: "http://127.0.0.1:4900",
    calls: () => i,
    async deployDetail(id: string): Promise<DeployDetail> {
      expect(id).toBe("d-1");
      const a = answers[Math.min(i, answers.length - 1)] as DeployDetail | ShipgateError;
      i += 1;
      if (a instanceof ShipgateError) throw a;
      return a;
    },
  };
}

const noSleep = async () => {};

/** The progress lines (stderr) of following a deploy through `client`, pretty. */
async function followedLines(client: ReturnType<typeof scripted>): Promise<string[]> {
  const stderr = outputSink();
  await followAndReport({
    client,
    verb: "deploy",
    deployId: "d-1",
    format: "pretty",
    stdout: outputSink(),
    stderr,
    sleep: noSleep,
  });
  return stderr.text.split("\n").filter(Boolean);
}

describe("followDeploy / followAndReport", () => {
  it("prints each step as it starts and finishes, then the deploy summary (exit 0)", async () => {
    const client = scripted([
      detail("running", [step(0, "running")]),
      detail("running", [step(0, "succeeded"), step(1, "running")]),
      detail("succeeded", [step(0, "succeeded"), step(1, "succeeded"), step(2, "succeeded")]),
    ]);
    const stdout = outputSink();
    const stderr = outputSink();
    const code = await followAndReport({
      client,
      verb: "deploy",
      deployId: "d-1",
      format: "pretty",
      stdout,
      stderr,
      sleep: noSleep,
    });
    expect(code).toBe(ExitCode.ok);
    expect(stderr.text.split("\n").filter(Boolean)).toEqual([
      "[1/3] start 1 instance of v2 …",
      "[1/3] start 1 instance of v2 … ok (1.5 s)",
      "[2/3] wait until v2 is ready (deadline 30 s) …",
      "[2/3] wait until v2 is ready (deadline 30 s) … ok (1.5 s)",
      "[3/3] traffic: v2 100% … ok (1.5 s)",
    ]);
    expect(stdout.text).toBe("Deployed v2 to production (rolling, deploy d-1).\n");
  });

  it("says first, once, why the plan differs from its strategy (the deploy's notes)", async () => {
    const note =
      "v1 is recorded as current but is not running (stopped by `shipgate down`): v2 gets all traffic once healthy; the rolling steps are skipped.";
    const client = scripted([
      detail("running", [step(0, "running")], { notes: [note] }),
      detail("succeeded", [step(0, "succeeded"), step(1, "succeeded"), step(2, "succeeded")], {
        notes: [note],
      }),
    ]);
    const lines = await followedLines(client);
    expect(lines[0]).toContain(note);
    expect(lines.filter((l) => l.includes(note))).toHaveLength(1);
    expect(lines[1]).toBe("[1/3] start 1 instance of v2 …");
  });

  it("prints a hook step once, with its outcome, as the local deploy does", async () => {
    const hookPlan = [
      { type: "hook", hook: "pre-deploy" },
      { type: "set-traffic", traffic: [{ releaseId: "r-2", weight: 100 }] },
      { type: "hook", hook: "post-deploy" },
    ];
    const hookStep = (index: number, status: DeployStep["status"], ran: boolean): DeployStep => ({
      ...step(0, status, status === "running" ? {} : { ran }),
      index,
      type: (hookPlan[index] as { type: string }).type,
    });
    const withPlan = (d: DeployDetail): DeployDetail => ({ ...d, deploy: { ...d.deploy, plan: hookPlan } });
    const client = scripted([
      withPlan(detail("running", [hookStep(0, "running", false)])),
      withPlan(detail("running", [hookStep(0, "succeeded", false), hookStep(1, "succeeded", false)])),
      withPlan(
        detail("running", [
          hookStep(0, "succeeded", false),
          hookStep(1, "succeeded", false),
          hookStep(2, "running", true),
        ]),
      ),
      withPlan(
        detail("succeeded", [
          hookStep(0, "succeeded", false),
          hookStep(1, "succeeded", false),
          hookStep(2, "succeeded", true),
        ]),
      ),
    ]);
    expect(await followedLines(client)).toEqual([
      "[1/3] hook pre-deploy: none",
      "[2/3] traffic: v2 100% … ok (1.5 s)",
      "[3/3] hook post-deploy: ran (1.5 s)",
    ]);
  });

  it("exits 3 with the failed step and the rollback when the deploy was rolled back", async () => {
    const client = scripted([
      detail(
        "rolled_back",
        [
          step(0, "succeeded"),
          step(1, "failed", {
            error: "not ready in 30 s",
            details: ["booting", "fatal: no DATABASE_URL"],
            hint: "Its full log: .shipgate/run/production/instances/i1.log.",
          }),
        ],
        { error: "v2 was not ready in 30 s" },
      ),
    ]);
    const stdout = outputSink();
    const stderr = outputSink();
    const code = await followAndReport({
      client,
      verb: "deploy",
      deployId: "d-1",
      format: "pretty",
      stdout,
      stderr,
      sleep: noSleep,
    });
    expect(code).toBe(ExitCode.deployRolledBack);
    expect(stderr.text).toContain(
      "[2/3] wait until v2 is ready (deadline 30 s) … FAILED: not ready in 30 s\n" +
        "      | booting\n      | fatal: no DATABASE_URL\n" +
        "      Its full log: .shipgate/run/production/instances/i1.log.",
    );
    expect(stderr.text).toContain("rolling back: v2 was not ready in 30 s");
    expect(stdout.text).toContain("FAILED and was rolled back: v2 was not ready in 30 s");
  });

  it("stops at awaiting_approval and says how to approve, with the dashboard URL (exit 0)", async () => {
    const stdout = outputSink();
    const code = await followAndReport({
      client: scripted([detail("awaiting_approval", [], { nextStep: 0 })]),
      verb: "deploy",
      deployId: "d-1",
      format: "pretty",
      stdout,
      stderr: outputSink(),
      sleep: noSleep,
    });
    expect(code).toBe(ExitCode.ok);
    expect(stdout.text).toContain("awaits approval: 0 of 1 (deploy d-1)");
    expect(stdout.text).toContain("`shipgate approve production`");
    expect(stdout.text).toContain("http://127.0.0.1:4900/");
    expect(stdout.text).toContain("someone other than ada");
  });

  it("stops at a pause and says how to promote (exit 0); --format json prints the DeployResult", async () => {
    const stdout = outputSink();
    const stderr = outputSink();
    const code = await followAndReport({
      client: scripted([detail("paused", [step(0, "succeeded")], { nextStep: 1 })]),
      verb: "deploy",
      deployId: "d-1",
      format: "json",
      stdout,
      stderr,
      sleep: noSleep,
    });
    expect(code).toBe(ExitCode.ok);
    expect(stderr.text).toContain("paused: waiting for `shipgate promote`");
    const json = JSON.parse(stdout.text) as { outcome: string; deployId: string; plan: unknown[] };
    expect(json).toMatchObject({ outcome: "paused", deployId: "d-1", environment: "production" });
    expect(json.plan).toHaveLength(3);
  });

  it("ignores answers showing the state before the request (promote of a paused canary)", async () => {
    const client = scripted([
      detail("paused", [step(0, "succeeded")], { nextStep: 1 }),
      detail("running", [step(0, "succeeded"), step(1, "running")]),
      detail("succeeded", [step(0, "succeeded"), step(1, "succeeded"), step(2, "succeeded")]),
    ]);
    const stdout = outputSink();
    const stderr = outputSink();
    const stale = unchangedSince({ id: "d-1", status: "paused", step: 1 });
    const code = await followAndReport({
      client,
      verb: "promote",
      deployId: "d-1",
      format: "pretty",
      stdout,
      stderr,
      sleep: noSleep,
      ...(stale ? { stale } : {}),
    });
    expect(code).toBe(ExitCode.ok);
    expect(stderr.text).not.toContain("paused:");
    expect(stdout.text).toBe("Promoted: deploy d-1 completed.\n");
  });

  it("takes a stale answer as final after maxStalePolls, and polls a not-yet-recorded deploy again", async () => {
    const client = scripted([
      new ShipgateError("NOT_FOUND", "no deploy d-1"),
      detail("paused", [], { nextStep: 1 }),
    ]);
    const sleeps: number[] = [];
    const d = await followDeploy({
      client,
      deployId: "d-1",
      write: () => {},
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      stale: () => true,
      maxStalePolls: 3,
    });
    expect(d.deploy.status).toBe("paused");
    expect(sleeps).toEqual([500, 500, 500, 500]);
  });

  it("fails with the server operation's error when it ended without the ledger showing it", async () => {
    const stuck = detail("paused", [step(0, "succeeded")], { nextStep: 1 });
    stuck.operation = {
      deployId: "d-1",
      environment: "production",
      kind: "promote",
      actor: "ada",
      startedAt: "2026-05-01T10:00:00.000Z",
      state: "failed",
      error: { code: "LOCKED", message: "the deploy lock is held", hint: "wait" },
    };
    const error = await followDeploy({
      client: scripted([stuck]),
      deployId: "d-1",
      write: () => {},
      sleep: noSleep,
      stale: () => true,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipgateError);
    expect((error as ShipgateError).code).toBe("LOCKED");
    expect((error as ShipgateError).exitCode).toBe(ExitCode.gateFailed);
  });

  it("abort: aborted exits 0; a failed rollback exits 3", async () => {
    const out = outputSink();
    expect(
      await followAndReport({
        client: scripted([detail("aborted", [])]),
        verb: "abort",
        deployId: "d-1",
        format: "pretty",
        stdout: out,
        stderr: outputSink(),
        sleep: noSleep,
      }),
    ).toBe(ExitCode.ok);
    expect(out.text).toBe("Aborted deploy d-1; traffic is back on the previous release.\n");
    const rb = outputSink();
    expect(
      await followAndReport({
        client: scripted([detail("failed", [], { kind: "rollback", error: "boom" })]),
        verb: "rollback",
        deployId: "d-1",
        format: "pretty",
        stdout: rb,
        stderr: outputSink(),
        sleep: noSleep,
      }),
    ).toBe(ExitCode.deployRolledBack);
    expect(rb.text).toContain("Rollback of production to v2 FAILED: boom");
  });

  it("abort of a request awaiting approval says it was cancelled and no traffic moved (exit 0)", async () => {
    const out = outputSink();
    expect(
      await followAndReport({
        client: scripted([detail("aborted", [], { error: "cancelled by ada before approval" })]),
        verb: "abort",
        deployId: "d-1",
        format: "pretty",
        stdout: out,
        stderr: outputSink(),
        sleep: noSleep,
      }),
    ).toBe(ExitCode.ok);
    expect(out.text).toBe(
      "Cancelled deploy d-1 of v2 to production before approval; nothing ran, traffic is unchanged.\n",
    );
    expect(out.text).not.toContain("traffic is back");
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI (runCli) against a fake team server on 127.0.0.1:0

let server: Server;
let url: string;
let requests: string[] = [];
let routes: Record<string, () => { status: number; body: unknown }> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const key = `${req.method} ${req.url}`;
      requests.push(`${key} ${req.headers.authorization === `Bearer ${token}` ? "auth" : "no-auth"}`);
      const route = routes[key];
      const a = route
        ? route()
        : { status: 404, body: { error: { code: "NOT_FOUND", message: `no route ${key}` } } };
      res.writeHead(a.status, { "content-type": "application/json" });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  routes = {};
});

function cliIo(env: NodeJS.ProcessEnv = { SHIPGATE_TOKEN: token }) {
  const io = {
    stdout: outputSink(),
    stderr: outputSink(),
    env: { NO_COLOR: "1", ...env },
    cwd: process.cwd(),
  };
  return io as CliIo & { stdout: ReturnType<typeof outputSink>; stderr: ReturnType<typeof outputSink> };
}

const statusResult = (inProgress: StatusResult["inProgress"]): StatusResult => ({
  environment: "production",
  url: "https://example.com",
  current: {
    id: "r-1",
    version: "v1",
    gitSha: null,
    deployedAt: "2026-05-01T09:00:00.000Z",
    deployedBy: "ada",
  },
  traffic: [{ releaseId: "r-1", version: "v1", weight: 100 }],
  inProgress,
  instances: null,
  undeployed: null,
  lock: null,
  recovered: null,
  live: null,
  analysis: null,
});

describe("shipgate --server", () => {
  it("deploy posts to the server, follows the deploy and exits 0; the token is never printed", async () => {
    let polls = 0;
    routes = {
      "POST /api/environments/production/deploys": () => ({ status: 202, body: { deployId: "d-1" } }),
      "GET /api/deploys/d-1": () => {
        polls += 1;
        return polls === 1
          ? { status: 200, body: detail("running", [step(0, "succeeded")]) }
          : {
              status: 200,
              body: detail("succeeded", [step(0, "succeeded"), step(1, "succeeded"), step(2, "succeeded")]),
            };
      },
    };
    const io = cliIo();
    const code = await runCli(["--server", url, "deploy", "production", "--version", "v2"], io);
    expect(io.stderr.text).toContain("[3/3] traffic: v2 100% … ok");
    expect(io.stdout.text).toBe("Deployed v2 to production (rolling, deploy d-1).\n");
    expect(code).toBe(ExitCode.ok);
    expect(requests).toEqual([
      "POST /api/environments/production/deploys auth",
      "GET /api/deploys/d-1 auth",
      "GET /api/deploys/d-1 auth",
    ]);
    expect(io.stdout.text + io.stderr.text).not.toContain(token);
  });

  it("status renders the server's StatusResult (SHIPGATE_SERVER, option after the command)", async () => {
    routes = {
      "GET /api/environments/production": () => ({ status: 200, body: statusResult(null) }),
    };
    const io = cliIo({ SHIPGATE_TOKEN: token, SHIPGATE_SERVER: url });
    expect(await runCli(["status", "production"], io)).toBe(ExitCode.ok);
    expect(io.stdout.text).toContain("current: v1 (r-1) deployed 2026-05-01 09:00:00 UTC by ada");
    const json = cliIo();
    expect(await runCli(["status", "production", "--server", url, "--format", "json"], json)).toBe(0);
    expect(JSON.parse(json.stdout.text)).toMatchObject({ environment: "production" });
  });

  it("status against a server that is not a team server exits 2 with what was wrong, not as a bug", async () => {
    routes = { "GET /api/environments/production": () => ({ status: 200, body: { hello: "world" } }) };
    const io = cliIo();
    expect(await runCli(["status", "production", "--server", url], io)).toBe(ExitCode.usage);
    expect(io.stderr.text).toContain(`the server at ${url} did not answer as a shipgate team server`);
    expect(io.stderr.text).toContain("Check --server / SHIPGATE_SERVER");
    expect(io.stderr.text).not.toContain("this is a bug");
    expect(io.stdout.text).toBe("");
  });

  it("exits 2 on a 401 and on a missing token, with hints and no token in the output", async () => {
    routes = {
      "GET /api/environments/production/history?limit=20": () => ({
        status: 401,
        body: { error: { code: "UNAUTHORIZED", message: "unknown or revoked API token" } },
      }),
    };
    const io = cliIo();
    expect(await runCli(["--server", url, "history", "production"], io)).toBe(ExitCode.usage);
    expect(io.stderr.text).toContain("error: unknown or revoked API token");
    expect(io.stdout.text + io.stderr.text).not.toContain(token);
    const none = cliIo({});
    expect(await runCli(["--server", url, "status", "production"], none)).toBe(ExitCode.usage);
    expect(none.stderr.text).toContain("SHIPGATE_TOKEN is not set");
    expect(none.stderr.text).toContain("shipgate tokens create --role deployer --name <you>");
  });

  it("refuses options the server does not take, and local-only commands, with USAGE", async () => {
    const dry = cliIo();
    expect(await runCli(["--server", url, "deploy", "production", "--version", "v2", "--dry-run"], dry)).toBe(
      ExitCode.usage,
    );
    expect(dry.stderr.text).toContain("--dry-run is not supported with --server");
    const schema = cliIo();
    expect(await runCli(["--server", url, "rollback", "production", "--schema"], schema)).toBe(
      ExitCode.usage,
    );
    const down = cliIo();
    expect(await runCli(["--server", url, "down", "production"], down)).toBe(ExitCode.usage);
    expect(down.stderr.text).toContain("not with --server");
    expect(requests).toEqual([]);
  });

  it("approve finds the deploy awaiting approval, approves it and follows the run", async () => {
    let polls = 0;
    routes = {
      "GET /api/environments/production": () => ({
        status: 200,
        body: statusResult({
          id: "d-1",
          version: "v2",
          strategy: "rolling",
          status: "awaiting_approval",
          step: 0,
          steps: 3,
          actor: "grace",
          approval: null,
        }),
      }),
      "POST /api/deploys/d-1/approve": () => ({
        status: 200,
        body: { deployId: "d-1", status: "awaiting_approval", approvals: { required: 1, valid: 1 } },
      }),
      "GET /api/deploys/d-1": () => {
        polls += 1;
        return polls === 1
          ? { status: 200, body: detail("awaiting_approval", [], { nextStep: 0, valid: 1 }) }
          : {
              status: 200,
              body: detail("succeeded", [step(0, "succeeded"), step(1, "succeeded"), step(2, "succeeded")]),
            };
      },
    };
    const io = cliIo();
    const code = await runCli(["--server", url, "approve", "production", "--comment", "looks good"], io);
    expect(io.stdout.text).toBe("Deployed v2 to production (rolling, deploy d-1).\n");
    expect(code).toBe(ExitCode.ok);
    expect(io.stderr.text).toContain("approved deploy d-1 (1 of 1)");
  });

  it("approve of one's own deploy exits 1 (FORBIDDEN); with nothing waiting, 1 (CONFLICT)", async () => {
    routes = {
      "POST /api/deploys/d-9/approve": () => ({
        status: 403,
        body: { error: { code: "FORBIDDEN", message: "ada started deploy d-9 and cannot approve it" } },
      }),
      "GET /api/environments/production": () => ({ status: 200, body: statusResult(null) }),
      // --deploy: the CLI checks the deploy is in the environment named before deciding.
      "GET /api/deploys/d-9": () => ({ status: 200, body: detail("awaiting_approval", [], { nextStep: 0 }) }),
    };
    const own = cliIo();
    expect(await runCli(["--server", url, "approve", "production", "--deploy", "d-9"], own)).toBe(
      ExitCode.gateFailed,
    );
    expect(own.stderr.text).toContain("cannot approve it");
    const nothing = cliIo();
    expect(await runCli(["--server", url, "reject", "production"], nothing)).toBe(ExitCode.gateFailed);
    expect(nothing.stderr.text).toContain("no deploy awaits approval in production");
  });

  it("reject prints the decision and exits 0", async () => {
    routes = {
      "POST /api/deploys/d-1/reject": () => ({ status: 200, body: { deployId: "d-1", status: "aborted" } }),
      "GET /api/deploys/d-1": () => ({ status: 200, body: detail("awaiting_approval", [], { nextStep: 0 }) }),
    };
    const io = cliIo();
    expect(await runCli(["--server", url, "reject", "production", "--deploy", "d-1"], io)).toBe(ExitCode.ok);
    expect(io.stdout.text).toBe("Rejected deploy d-1 in production; it will not run.\n");
  });
});
