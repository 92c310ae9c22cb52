/** /api/tokens: admins only; created tokens work at once; every creation and revocation is audited without secrets. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RouteApp, startRouteApp } from "../../test/support/route-app.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { LedgerStore } from "../ledger/types.js";
import { hashApiToken } from "./api-token.js";
import { type Role, roles } from "./auth/roles.js";
import { tokensRoutes } from "./tokens-routes.js";

const environments = ["staging", "production"];
const now = () => new Date("2026-05-01T10:00:00.000Z");

let api: RouteApp<Role>;
let ledger: LedgerStore;
const call = (...args: Parameters<RouteApp<Role>["call"]>) => api.call(...args);

beforeEach(async () => {
  ledger = createMemoryLedger();
  api = await startRouteApp({
    ledger,
    now,
    knownEnvironments: environments,
    as: "admin",
    tokens: Object.fromEntries(roles.map((role) => [role, [role, role]])) as Record<Role, [Role, string]>,
    routes: async (app) => {
      await app.register(tokensRoutes, {
        prefix: "/api/tokens",
        ledger,
        knownEnvironments: environments,
        now,
      });
      app.get("/api/me", { config: { permission: "read" } }, async (request) => request.principal);
    },
  });
});
afterEach(async () => {
  await api.app.close();
});

describe("tokensRoutes", () => {
  it("answers admins only", async () => {
    for (const role of roles) {
      const list = await call("GET", "/api/tokens", { as: role });
      expect(list.statusCode, role).toBe(role === "admin" ? 200 : 403);
      const create = await call("POST", "/api/tokens", { as: role, body: { role: "viewer", name: "x" } });
      expect(create.statusCode, role).toBe(role === "admin" ? 201 : 403);
      const revoke = await call("DELETE", "/api/tokens/tok_x", { as: role });
      expect(revoke.statusCode, role).toBe(role === "admin" ? 404 : 403);
    }
    expect((await call("GET", "/api/tokens", { as: null })).statusCode).toBe(401);
  });

  it("creates a role token that works for bearer auth at once, revokes it, and audits both without secrets", async () => {
    const created = await call("POST", "/api/tokens", {
      body: { role: "deployer", name: "ci-staging", environment: "staging" },
      ip: "198.51.100.4",
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers["cache-control"]).toBe("no-store");
    const { token, record } = created.json() as { token: string; record: { id: string } };
    expect(token.startsWith("sg_api_")).toBe(true);
    expect(record).toEqual({
      id: expect.stringMatching(/^tok_/),
      name: "ci-staging",
      environment: "staging",
      scope: "deployer",
      createdAt: "2026-05-01T10:00:00.000Z",
      createdBy: "admin",
      revokedAt: null,
    });
    const me = await call("GET", "/api/me", { token });
    expect(me.json()).toEqual({
      tokenId: record.id,
      name: "ci-staging",
      role: "deployer",
      environment: "staging",
      via: "token",
    });

    const list = await call("GET", "/api/tokens");
    const listed = list.json().tokens as { id: string; scope: string }[];
    expect(listed.find((t) => t.id === record.id)).toMatchObject({
      scope: "deployer",
      environment: "staging",
    });
    expect(list.body).not.toContain(token);
    expect(list.body).not.toContain(hashApiToken(token));

    const revoke = await call("DELETE", `/api/tokens/${record.id}`, { ip: "198.51.100.4" });
    expect(revoke.json()).toMatchObject({
      alreadyRevoked: false,
      token: { id: record.id, revokedAt: "2026-05-01T10:00:00.000Z" },
    });
    expect((await call("DELETE", `/api/tokens/${record.id}`)).json().alreadyRevoked).toBe(true);
    expect((await call("GET", "/api/me", { token })).statusCode).toBe(401);

    const audit = await ledger.listAudit({ target: `token:${record.id}` });
    expect(audit.map((a) => [a.action, a.actor, a.source, a.environment])).toEqual([
      ["token.create", "admin", "198.51.100.4", "staging"],
      ["token.revoke", "admin", "198.51.100.4", "staging"],
    ]);
    expect(audit[1]?.before).toMatchObject({ revokedAt: null });
    expect(audit[1]?.after).toMatchObject({ revokedAt: "2026-05-01T10:00:00.000Z" });
    const everything = JSON.stringify(await ledger.listAudit({ limit: 1000 }));
    for (const secret of [token, hashApiToken(token), ...Object.values(api.tokens)]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toContain(hashApiToken(api.tokens.admin));
    expect((await ledger.verifyAudit()).ok).toBe(true);
  });

  it("creates an SDK token for one environment and a role token for every environment", async () => {
    const sdk = await call("POST", "/api/tokens", {
      body: { scope: "sdk", name: "web", environment: "production" },
    });
    expect(sdk.statusCode).toBe(201);
    expect(sdk.json().token.startsWith("sg_sdk_")).toBe(true);
    expect(sdk.json().record).toMatchObject({ scope: "sdk", environment: "production" });
    const all = await call("POST", "/api/tokens", { body: { role: "viewer", name: "ada" } });
    expect(all.json().record).toMatchObject({ scope: "viewer", environment: "*" });
  });

  it("refuses bad bodies with 400 and an unknown id with 404", async () => {
    const bad = [
      { role: "root", name: "x" },
      { role: "viewer" },
      { scope: "sdk", name: "web" },
      { role: "viewer", name: "x", environment: "nowhere" },
      { role: "viewer", name: "x", extra: 1 },
    ];
    for (const payload of bad) {
      const response = await call("POST", "/api/tokens", { body: payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const unknownEnvironment = await call("POST", "/api/tokens", {
      body: { role: "viewer", name: "x", environment: "nowhere" },
    });
    expect(unknownEnvironment.json().error.hint).not.toMatch(/shipgate [a-z]/);
    expect(unknownEnvironment.json().error.hint).toMatch(/"environment" is one of/);
    const missing = await call("DELETE", "/api/tokens/tok_nope");
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.hint).toBe("GET /api/tokens lists the token ids.");
  });

  it("sends the CLI hint its API hint replaced as cliHint, for `shipgate --server … tokens`", async () => {
    const missing = await call("DELETE", "/api/tokens/tok_nope");
    expect(missing.json().error.cliHint).toBe("Run `shipgate tokens list` to see the token ids.");
    const unknownEnvironment = await call("POST", "/api/tokens", {
      body: { role: "viewer", name: "x", environment: "nowhere" },
    });
    expect(unknownEnvironment.json().error.cliHint).toContain("shipgate tokens create");
  });
});
