/**
 * The team server's security properties over the whole app (createServer with a project):
 * every route × every role (no token, SDK token, viewer … admin) gets exactly the answer its
 * declared permission allows; self-approval and expired approval requests are refused over HTTP;
 * malformed, oversized and wrongly typed bodies get 4xx on every mutating route and never a 5xx;
 * and no secret (token, env value) appears in any reply.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoleTokens, type TokenSpec } from "../../test/support/route-app.js";
import { agentPaths } from "../deploy/targets/local/agent-files.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { Deploy, LedgerStore } from "../ledger/types.js";
import { createSdkToken } from "./api-token.js";
import { type Permission, type Role, roleAllows, roles } from "./auth/roles.js";
import { createServer, type RouteEntry } from "./create-server.js";

const secretValue = "sk_live_very_secret_value_42";
const clock = { t: Date.parse("2026-05-01T10:00:00.000Z") };
let dir: string;
let ledger: LedgerStore;
let app: FastifyInstance;
const tokens = new Map<Role | "sdk", string>();
const replies: string[] = [];

const config = `
environments:
  staging:
    target: { type: local, port: 1 }
  production:
    target: { type: local, port: 2 }
    approval: { required: 1, expiresAfter: 1h }
    access: { deploy: approver }
release:
  build: "echo building >&2; exit 7"
server:
  authFailureLimit: 10000 # the walk presents wrong tokens on purpose; the limiter has its own tests
`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-security-"));
  writeFileSync(path.join(dir, "shipgate.yaml"), config);
  ledger = createMemoryLedger();
  app = await createServer({
    ledger,
    now: () => new Date(clock.t),
    project: { cwd: dir, env: { PAYMENT_KEY: secretValue } },
    closeGraceMs: 100,
  });
  const specs = Object.fromEntries(roles.map((role) => [role, [role, `${role}-person`] as TokenSpec]));
  for (const [role, token] of Object.entries(
    await createRoleTokens(ledger, specs, ["staging", "production"]),
  )) {
    tokens.set(role as Role, token);
  }
  const sdk = await createSdkToken({
    ledger,
    environment: "staging",
    name: "web",
    actor: "setup",
    knownEnvironments: ["staging", "production"],
  });
  tokens.set("sdk", sdk.token);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
  // No reply of the whole suite carried a token or a secret value.
  const secrets = [...tokens.values(), secretValue];
  for (const body of replies) for (const secret of secrets) expect(body).not.toContain(secret);
});

async function call(method: string, url: string, as: Role | "sdk" | null, payload?: unknown, headers = {}) {
  const response = await app.inject({
    method: method as "GET",
    url,
    headers: {
      ...(as ? { authorization: `Bearer ${tokens.get(as)}` } : {}),
      ...(payload !== undefined && typeof payload !== "string" ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(payload !== undefined
      ? { payload: typeof payload === "string" ? payload : JSON.stringify(payload) }
      : {}),
  });
  replies.push(response.body);
  return response;
}

/** A concrete URL for a route pattern. */
function concrete(route: RouteEntry): string {
  return route.url
    .replace(":env", "production")
    .replace(":id", "d-missing")
    .replace(":key", "new-checkout")
    .replace("*", "app.js");
}

/** The answer a role must get from a route declaring `permission` (in production, deploy needs approver). */
function allowed(permission: string, role: Role): boolean {
  const rules = { deploy: "approver" as const };
  return roleAllows(role, permission as Permission, rules);
}

/** A deploy of r-2 to production by `actor`, waiting for approval since now. */
async function awaitingDeploy(id: string, actor: string): Promise<Deploy> {
  const deploy: Deploy = {
    id,
    environment: "production",
    kind: "deploy",
    releaseId: "r-2",
    previousReleaseId: null,
    previousTraffic: [],
    strategy: "rolling",
    status: "awaiting_approval",
    actor,
    reason: null,
    plan: [],
    notes: [],
    nextStep: 0,
    error: null,
    startedAt: new Date(clock.t).toISOString(),
    finishedAt: null,
  };
  await ledger.createDeploy(deploy);
  return deploy;
}

describe("every route × every role", () => {
  it("declares a permission on every route", () => {
    const undeclared = app.routeTable.filter((r) => r.permission === undefined);
    expect(undeclared).toEqual([]);
    expect(app.routeTable.length).toBeGreaterThan(25);
  });

  it("answers each role exactly as its route's permission says, and never 5xx", async () => {
    const failures: string[] = [];
    for (const route of app.routeTable) {
      if (route.method === "HEAD" || route.method === "OPTIONS") continue;
      if (route.url === "/api/flags/stream") continue; // an endless stream; its auth is the SDK hook of /api/flags
      if (route.url === "/auth/session") continue; // public: it answers 401 to say there is no session (auth-plugin tests)
      const url = concrete(route);
      const body = route.method === "GET" || route.method === "DELETE" ? undefined : {};
      const anonymous = await call(route.method, url, null, body);
      const expectAnonymous = route.permission === "public" ? "not 401/403" : "401";
      if (
        route.permission === "public"
          ? [401, 403].includes(anonymous.statusCode)
          : anonymous.statusCode !== 401
      ) {
        failures.push(
          `${route.method} ${route.url} without a token: ${anonymous.statusCode}, want ${expectAnonymous}`,
        );
      }
      for (const who of [...roles, "sdk"] as const) {
        const response = await call(route.method, url, who, body);
        const status = response.statusCode;
        if (status >= 500)
          failures.push(`${route.method} ${route.url} as ${who}: ${status} ${response.body}`);
        let want: "pass" | 401 | 403;
        if (route.permission === "public") want = "pass";
        else if (route.permission === "sdk") want = who === "sdk" ? "pass" : 401;
        else if (who === "sdk") want = 401;
        else want = allowed(route.permission as string, who) ? "pass" : 403;
        const ok = want === "pass" ? status !== 401 && status !== 403 : status === want;
        if (!ok) failures.push(`${route.method} ${route.url} as ${who}: ${status}, want ${want}`);
      }
    }
    expect(failures).toEqual([]);
    // Reading status and live figures never started the local target's agent (no process, no state).
    for (const environment of ["staging", "production"]) {
      expect(existsSync(agentPaths(dir, { stateDir: ".shipgate/run" }, environment).agentFile)).toBe(false);
    }
  });
});

describe("approvals over HTTP", () => {
  it("refuses self-approval with 403, and an expired request with 409", async () => {
    await awaitingDeploy("d-self", "approver-person");
    const self = await call("POST", "/api/deploys/d-self/approve", "approver", {});
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({
      error: { code: "FORBIDDEN", message: "approver-person started deploy d-self and cannot approve it" },
    });
    const viewer = await call("POST", "/api/deploys/d-self/approve", "viewer", {});
    expect(viewer.statusCode).toBe(403);

    clock.t += 3_600_000; // the request has waited approval.expiresAfter
    const late = await call("POST", "/api/deploys/d-self/approve", "admin", {});
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toContain("approval request expired");
    const detail = await call("GET", "/api/deploys/d-self", "viewer");
    expect(detail.json()).toMatchObject({
      deploy: { status: "aborted" },
      approvals: { required: 1, valid: 0 },
    });
    const audit = await call("GET", "/api/audit?target=deploy:d-self", "viewer");
    expect(audit.json().entries.map((e: { action: string }) => e.action)).toEqual([
      "deploy.approval-expired",
    ]);
  });

  it("records a rejection with the approver as actor and the client address as source", async () => {
    await awaitingDeploy("d-reject", "deployer-person");
    const rejected = await call("POST", "/api/deploys/d-reject/reject", "approver", { comment: "freeze" });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({
      status: "aborted",
      error: "rejected by approver-person: freeze",
    });
    const audit = await call("GET", "/api/audit?target=deploy:d-reject", "viewer");
    expect(audit.json().entries).toMatchObject([
      { actor: "approver-person", action: "deploy.reject", source: "127.0.0.1", environment: "production" },
    ]);
  });
});

describe("bad bodies", () => {
  const mutating = () =>
    app.routeTable.filter(
      (r) =>
        ["POST", "PATCH", "DELETE"].includes(r.method) && r.permission !== "public" && r.permission !== "sdk",
    );

  it("answers malformed JSON with 400, other content types with 415, huge bodies with 413", async () => {
    const failures: string[] = [];
    for (const route of mutating()) {
      const url = concrete(route);
      const malformed = await call(route.method, url, "admin", '{"version": ', {
        "content-type": "application/json",
      });
      if (malformed.statusCode !== 400)
        failures.push(`${route.method} ${route.url} malformed: ${malformed.statusCode}`);
      const text = await call(route.method, url, "admin", "version=v2", { "content-type": "text/plain" });
      if (text.statusCode !== 415)
        failures.push(`${route.method} ${route.url} text/plain: ${text.statusCode}`);
      const huge = await call(route.method, url, "admin", JSON.stringify({ reason: "x".repeat(200_000) }), {
        "content-type": "application/json",
      });
      if (huge.statusCode !== 413) failures.push(`${route.method} ${route.url} 200 kB: ${huge.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it("answers wrongly shaped bodies with 400 and details, never 5xx", async () => {
    const shapes: unknown[] = [[], "string", 42, null, { version: 7 }, { unknown: true }, { rollout: 101 }];
    for (const route of mutating()) {
      for (const shape of shapes) {
        const response = await call(route.method, concrete(route), "admin", JSON.stringify(shape), {
          "content-type": "application/json",
        });
        expect(response.statusCode, `${route.method} ${route.url} ${JSON.stringify(shape)}`).toBeLessThan(
          500,
        );
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
      }
    }
  });

  it("refuses a deploy whose build fails with the build's error, not 202", async () => {
    const response = await call("POST", "/api/environments/staging/deploys", "deployer", { version: "v9" });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("COMMAND_FAILED");
  });
});

describe("behind a reverse proxy", () => {
  it("records the forwarded client address only when server.trustProxy says so", async () => {
    const sources: (string | null)[] = [];
    for (const trustProxy of [false, true]) {
      const proxied = await createServer({
        ledger,
        now: () => new Date(clock.t),
        project: { cwd: dir, env: {} },
        trustProxy,
        closeGraceMs: 100,
      });
      try {
        const id = `d-proxy-${trustProxy}`;
        await awaitingDeploy(id, "deployer-person");
        const response = await proxied.inject({
          method: "POST",
          url: `/api/deploys/${id}/reject`,
          headers: {
            authorization: `Bearer ${tokens.get("approver")}`,
            "content-type": "application/json",
            "x-forwarded-for": "203.0.113.9",
          },
          payload: "{}",
        });
        expect(response.statusCode, response.body).toBe(200);
        const [row] = await ledger.listAudit({ target: `deploy:${id}` });
        sources.push(row?.source ?? null);
      } finally {
        await proxied.close();
      }
    }
    expect(sources).toEqual(["127.0.0.1", "203.0.113.9"]);
  });
});
