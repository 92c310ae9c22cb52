/**
 * The auth layer's refusals over the whole server (createServer with a project): every 401, 403 and
 * 429 it answers, on every route (team and dashboard routes that declare no apiHints included),
 * carries a hint for an HTTP caller — an API request or the dashboard — and never a CLI command,
 * and (for role tokens) the same advice for a user of `shipgate --server …` as `cliHint`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoleTokens } from "../../../test/support/route-app.js";
import { createMemoryLedger } from "../../ledger/index.js";
import type { LedgerStore } from "../../ledger/types.js";
import { namesCliCommand } from "../api-error.js";
import { createServer, type RouteEntry } from "../create-server.js";

const config = (limit: number) => `
environments:
  staging:
    target: { type: local, port: 1 }
  production:
    target: { type: local, port: 2 }
server:
  authFailureLimit: ${limit}
`;

interface Server {
  dir: string;
  ledger: LedgerStore;
  app: FastifyInstance;
  tokens: Record<"viewer" | "stagingAdmin", string>;
}

async function startServer(limit: number): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), "shipgate-auth-hints-"));
  writeFileSync(path.join(dir, "shipgate.yaml"), config(limit));
  const ledger = createMemoryLedger();
  const app = await createServer({ ledger, project: { cwd: dir, env: {} }, closeGraceMs: 100 });
  const tokens = await createRoleTokens(
    ledger,
    { viewer: ["viewer", "vera"], stagingAdmin: ["admin", "stan", "staging"] },
    ["staging", "production"],
  );
  await app.ready();
  return { dir, ledger, app, tokens };
}

async function stopServer(server: Server): Promise<void> {
  await server.app.close();
  await server.ledger.close();
  rmSync(server.dir, { recursive: true, force: true });
}

function concrete(route: RouteEntry): string {
  return route.url
    .replace(":env", "production")
    .replace(":id", "d-missing")
    .replace(":key", "new-checkout")
    .replace("*", "app.js");
}

function hintOf(response: LightMyRequestResponse): string {
  return response.json<{ error: { hint?: string } }>().error.hint ?? "";
}

function cliHintOf(response: LightMyRequestResponse): string {
  return response.json<{ error: { cliHint?: string } }>().error.cliHint ?? "";
}

let server: Server;

beforeAll(async () => {
  server = await startServer(10_000);
});

afterAll(async () => {
  await stopServer(server);
});

async function call(method: string, url: string, token: string | null, payload?: unknown) {
  return server.app.inject({
    method: method as "GET",
    url,
    headers: {
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      ...(payload !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
}

describe("the auth layer's hints on every route", () => {
  it("401 and 403 answers name API requests or the dashboard, never a shipgate command", async () => {
    const bad: string[] = [];
    const seen = { 401: 0, 403: 0 };
    for (const route of server.app.routeTable) {
      if (route.permission === "public" || route.url === "/api/flags/stream") continue;
      const url = concrete(route);
      const body = route.method === "GET" || route.method === "DELETE" ? undefined : {};
      const answers = [
        await call(route.method, url, null, body),
        await call(route.method, url, "sg_api_not-a-real-token", body),
        await call(route.method, url, server.tokens.viewer, body),
        await call(route.method, url, server.tokens.stagingAdmin, body),
      ];
      for (const response of answers) {
        if (response.statusCode !== 401 && response.statusCode !== 403) continue;
        seen[response.statusCode]++;
        const hint = hintOf(response);
        const label = `${route.method} ${route.url} ${response.statusCode}: ${hint}`;
        if (hint === "" || namesCliCommand(hint)) bad.push(label);
        else if (!/Authorization: Bearer|\/api\/tokens|dashboard/.test(hint)) bad.push(label);
        // Role-token routes: the advice for `shipgate --server …` users goes along (SDK routes have none).
        if (route.permission !== "sdk" && !/shipgate tokens .*|SHIPGATE_TOKEN/.test(cliHintOf(response)))
          bad.push(`${label} (cliHint: ${cliHintOf(response)})`);
      }
    }
    expect(bad).toEqual([]);
    expect(seen[401]).toBeGreaterThan(20);
    expect(seen[403]).toBeGreaterThan(5);
  });

  it("403 on a team route without apiHints names the role needed and the API request that makes such a token", async () => {
    const response = await call("POST", "/api/environments/production/deploys", server.tokens.viewer, {
      version: "v2",
    });
    expect(response.statusCode).toBe(403);
    expect(hintOf(response)).toBe(
      'Use a token with that role (or log in on the dashboard with one): an admin creates one with POST /api/tokens {"role": "deployer", "name": "vera", "environment": "production"}.',
    );
    expect(cliHintOf(response)).toBe(
      "Ask an admin for a token with that role, and export it as SHIPGATE_TOKEN: `shipgate tokens create --role deployer --name vera --environment production`.",
    );
  });

  it("403 for a token scoped to another environment names a token for every environment", async () => {
    const response = await call("GET", "/api/environments/production", server.tokens.stagingAdmin);
    expect(response.statusCode).toBe(403);
    const hint = hintOf(response);
    expect(hint).toContain('POST /api/tokens {"role": "admin", "name": "<you>"}');
    expect(namesCliCommand(hint)).toBe(false);
    expect(cliHintOf(response)).toContain(
      "`shipgate tokens create --role admin --name <you>` without --environment",
    );
  });

  it("401 on a team route without apiHints says to send a bearer token or log in on the dashboard", async () => {
    const response = await call("GET", "/api/environments", null);
    expect(response.statusCode).toBe(401);
    expect(hintOf(response)).toMatch(/^Send `Authorization: Bearer <token>`.*POST \/api\/tokens.*dashboard/);
  });

  it("401 on the SDK flags API names an SDK token and the API request that creates one", async () => {
    const missing = await call("GET", "/api/flags?environment=staging", null);
    const wrong = await call("GET", "/api/flags?environment=staging", server.tokens.viewer);
    expect([missing.statusCode, wrong.statusCode]).toEqual([401, 401]);
    expect(hintOf(missing)).toMatch(/POST \/api\/tokens \{"scope": "sdk"/);
    expect(hintOf(wrong)).toMatch(/GET \/api\/tokens/);
    for (const r of [missing, wrong]) expect(namesCliCommand(hintOf(r))).toBe(false);
  });

  it("a failed dashboard login names the API request that makes a role token", async () => {
    const malformed = await call("POST", "/auth/login", null, { nope: 1 });
    const unknown = await call("POST", "/auth/login", null, { token: "sg_api_unknown" });
    expect([malformed.statusCode, unknown.statusCode]).toEqual([400, 401]);
    for (const r of [malformed, unknown]) {
      expect(hintOf(r)).toMatch(/POST \/api\/tokens \{"role": "viewer"/);
      expect(namesCliCommand(hintOf(r))).toBe(false);
    }
  });
});

describe("the auth-failure limiter's 429", () => {
  it("names what to do over the API, not a shipgate command", async () => {
    const limited = await startServer(1);
    try {
      const answers: LightMyRequestResponse[] = [];
      for (let i = 0; i < 3; i++) {
        answers.push(
          await limited.app.inject({
            method: "GET",
            url: "/api/environments",
            headers: { authorization: "Bearer sg_api_wrong" },
          }),
        );
      }
      const last = answers.at(-1) as LightMyRequestResponse;
      expect(last.statusCode).toBe(429);
      expect(hintOf(last)).toMatch(/^Wait \d+ s, then retry with a valid token.*GET \/api\/tokens/);
      expect(namesCliCommand(hintOf(last))).toBe(false);
      expect(cliHintOf(last)).toMatch(/^Wait \d+ s, .*SHIPGATE_TOKEN .*`shipgate tokens list`/);
    } finally {
      await stopServer(limited);
    }
  });
});
