/**
 * The flag definition routes behind the real auth hook (registerAuth) with tokens of each role:
 * list (per environment, archived on request), show (definition, states, audit), create and
 * archive by admins only with their audit rows (actor = the token's name, source = the client's
 * address), validation 400s with details, 404, 409 and the declared permissions.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { declaredPermissions, type RouteApp, startRouteApp } from "../../test/support/route-app.js";
import {
  createFlagService,
  type FlagChangeResult,
  type FlagDetails,
  type FlagListEntry,
} from "../flags/service.js";
import { createMemoryLedger } from "../ledger/memory.js";
import type { LedgerStore } from "../ledger/types.js";
import { flagDefinitionsRoutes } from "./flag-definitions-routes.js";
import { flagsAdminRoutes } from "./flags-admin-routes.js";

const environments = ["staging", "production"];
type Caller = "viewer" | "deployer" | "approver" | "admin" | "stagingAdmin";
let ledger: LedgerStore;
let api: RouteApp<Caller>;
let baseline: number;
const now = () => new Date("2026-03-01T10:00:00Z");

const call = (...args: Parameters<RouteApp<Caller>["call"]>): Promise<LightMyRequestResponse> =>
  api.call(...args);
const create = (body: unknown, as?: Caller, ip?: string) =>
  call("POST", "/api/flag-definitions", { body, ...(as ? { as } : {}), ...(ip ? { ip } : {}) });

beforeEach(async () => {
  ledger = createMemoryLedger();
  const flags = createFlagService({ ledger, environments, now });
  await flags.createFlag(
    { key: "new-checkout", owner: "team-payments", type: "release", removalDate: "2026-09-30" },
    "alice",
  );
  await flags.setRollout("new-checkout", "production", 25, "alice");
  await flags.enable("new-checkout", "production", "alice");
  await flags.createFlag({ key: "old-search", owner: "team-search", type: "ops" }, "alice");
  await flags.archive("old-search", "alice");
  api = await startRouteApp({
    ledger,
    bodyLimit: 4096,
    knownEnvironments: environments,
    as: "admin",
    tokens: {
      viewer: ["viewer", "vic"],
      deployer: ["deployer", "dee"],
      approver: ["approver", "ada"],
      admin: ["admin", "root"],
      stagingAdmin: ["admin", "ops-staging", "staging"],
    },
    routes: async (app) => {
      const flags = createFlagService({ ledger, environments, now });
      await app.register(flagDefinitionsRoutes, { prefix: "/api/flag-definitions", flags });
      await app.register(flagsAdminRoutes, {
        prefix: "/api/environments",
        flags,
        ledger,
        knownEnvironments: environments,
      });
    },
  });
  baseline = (await ledger.listAudit()).length;
});

afterEach(async () => {
  await api.app.close();
});

describe("GET /api/flag-definitions", () => {
  it("lists every flag with its state in every environment, archived ones on request", async () => {
    const res = await call("GET", "/api/flag-definitions", { as: "viewer" });
    expect(res.statusCode).toBe(200);
    const { flags } = res.json<{ flags: FlagListEntry[] }>();
    expect(flags.map((f) => f.definition.key)).toEqual(["new-checkout"]);
    expect(flags[0]?.states.map((s) => [s.environment, s.state?.enabled ?? null])).toEqual([
      ["staging", null],
      ["production", true],
    ]);
    const all = await call("GET", "/api/flag-definitions?archived=true", { as: "viewer" });
    expect(all.json<{ flags: FlagListEntry[] }>().flags.map((f) => f.definition.key)).toEqual([
      "new-checkout",
      "old-search",
    ]);
    const one = await call("GET", "/api/flag-definitions?environment=production", { as: "viewer" });
    expect(one.json<{ flags: FlagListEntry[] }>().flags[0]?.states).toEqual([
      { environment: "production", state: expect.objectContaining({ rollout: 25 }) },
    ]);
  });

  it("refuses an unknown environment, a bad query, no token, and another environment's scoped token", async () => {
    const unknown = await call("GET", "/api/flag-definitions?environment=prod", { as: "viewer" });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({
      error: { code: "USAGE", hint: expect.stringMatching(/staging/) },
    });
    const bad = await call("GET", "/api/flag-definitions?archived=yes&color=red", { as: "viewer" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { details: string[] } }>().error.details.join("\n")).toMatch(
      /archived: expected true or false/,
    );
    // The CLI (--server) shows its own advice.
    expect(bad.json<{ error: { cliHint: string } }>().error.cliHint).toMatch(/shipgate flags list/);
    expect((await call("GET", "/api/flag-definitions", { as: null })).statusCode).toBe(401);
    const scoped = await call("GET", "/api/flag-definitions?environment=production", { as: "stagingAdmin" });
    expect(scoped.statusCode).toBe(403);
  });
});

describe("GET /api/flag-definitions/:key", () => {
  it("shows the definition, the state per environment and the audit entries to a viewer", async () => {
    const res = await call("GET", "/api/flag-definitions/new-checkout", { as: "viewer" });
    expect(res.statusCode).toBe(200);
    const details = res.json<FlagDetails>();
    expect(details.definition).toMatchObject({ key: "new-checkout", owner: "team-payments" });
    expect(details.states.map((s) => s.environment)).toEqual(environments);
    expect(details.audit.map((a) => a.action)).toEqual(["enable", "rollout", "create"]);
  });

  it("answers 404 NOT_FOUND for an unknown flag", async () => {
    const res = await call("GET", "/api/flag-definitions/nope", { as: "viewer" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: "NOT_FOUND", message: 'no flag "nope"' } });
  });
});

describe("POST /api/flag-definitions", () => {
  it("creates a flag as an admin, audited with the token's name and the client's address", async () => {
    const res = await create(
      { key: "dark-mode", owner: "team-web", description: "Dark theme", type: "ops" },
      "admin",
      "203.0.113.9",
    );
    expect(res.statusCode).toBe(201);
    const { change } = res.json<{ change: FlagChangeResult }>();
    expect(change).toMatchObject({
      key: "dark-mode",
      action: "create",
      changed: true,
      environment: null,
      after: {
        owner: "team-web",
        description: "Dark theme",
        type: "ops",
        removalDate: null,
        createdBy: "root",
      },
    });
    const rows = await ledger.listAudit({ afterSeq: baseline });
    expect(rows.map((r) => [r.action, r.target, r.actor, r.source])).toEqual([
      ["flag.create", "flag:dark-mode", "root", "203.0.113.9"],
    ]);
  });

  it("defaults to a release flag, which needs a removal date (the service's 400)", async () => {
    const res = await create({ key: "new-search", owner: "team-search" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: { code: "USAGE", message: 'release flag "new-search" needs a removal date' },
    });
    const ok = await create({ key: "new-search", owner: "team-search", removalDate: "2026-06-30" });
    expect(ok.json<{ change: FlagChangeResult }>().change.after).toMatchObject({ type: "release" });
  });

  it.each(["viewer", "deployer", "approver"] as const)(
    "refuses a %s (403) and records nothing",
    async (role) => {
      const res = await create({ key: "dark-mode", owner: "team-web", type: "ops" }, role);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        error: { code: "FORBIDDEN", message: expect.stringMatching(/admin/) },
      });
      expect(await ledger.listAudit()).toHaveLength(baseline);
      expect(await ledger.getFlag("dark-mode")).toBeNull();
    },
  );

  it.each([
    [{}, /key: [\s\S]*owner: /],
    [{ key: "x", owner: "y", type: "feature" }, /type: expected one of release, kill-switch/],
    [{ key: "x", owner: "y", type: "ops", color: "red" }, /color/],
    [{ key: 7, owner: "y" }, /key: expected a flag key/],
    [{ key: "x", owner: "y", removalDate: "next friday" }, /removalDate: expected a date/],
    [[], /body: /],
  ])("answers 400 with details for the body %j", async (body, detail) => {
    const res = await create(body);
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; details: string[]; hint: string; cliHint: string } }>()
      .error;
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details.join("\n")).toMatch(detail);
    expect(error.hint).toMatch(/owner/);
    expect(error.cliHint).toMatch(/^Run `shipgate flags create <key> --owner <team>/);
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });

  it("answers 400 from the service for a bad key or a past removal date", async () => {
    const key = await create({ key: "9lives", owner: "y", type: "ops" });
    expect(key.json()).toMatchObject({ error: { code: "USAGE", message: 'invalid flag key "9lives"' } });
    const date = await create({ key: "x", owner: "y", removalDate: "2026-02-01" });
    expect(date.json()).toMatchObject({
      error: { code: "USAGE", message: expect.stringMatching(/in the past/) },
    });
  });

  it("answers 409 CONFLICT for a key that exists, archived or not", async () => {
    const taken = await create({ key: "new-checkout", owner: "y", type: "ops" });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({
      error: { code: "CONFLICT", message: 'flag "new-checkout" already exists' },
    });
    const archived = await create({ key: "old-search", owner: "y", type: "ops" });
    expect(archived.json()).toMatchObject({
      error: { code: "CONFLICT", message: 'flag "old-search" already exists (archived)' },
    });
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });
});

describe("POST /api/flag-definitions/:key/archive", () => {
  it("archives as an admin: off everywhere, read-only afterwards, audited", async () => {
    const res = await call("POST", "/api/flag-definitions/new-checkout/archive", {
      body: {},
      ip: "192.0.2.1",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ change: FlagChangeResult }>().change).toMatchObject({
      action: "archive",
      after: { archivedAt: expect.any(String) },
    });
    const rows = await ledger.listAudit({ afterSeq: baseline });
    expect(rows.map((r) => [r.action, r.actor, r.source])).toEqual([["flag.archive", "root", "192.0.2.1"]]);
    const patch = await call("PATCH", "/api/environments/staging/flags/new-checkout", {
      as: "deployer",
      body: { enabled: true },
    });
    expect(patch.statusCode).toBe(409);
    const again = await call("POST", "/api/flag-definitions/new-checkout/archive", { body: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      error: { code: "CONFLICT", message: expect.stringMatching(/is archived \(since 2026-03-01\)/) },
    });
  });

  it("refuses a deployer, an admin token scoped to one environment, and answers 404 for an unknown flag", async () => {
    const deployer = await call("POST", "/api/flag-definitions/new-checkout/archive", {
      as: "deployer",
      body: {},
    });
    expect(deployer.statusCode).toBe(403);
    const scoped = await call("POST", "/api/flag-definitions/new-checkout/archive", {
      as: "stagingAdmin",
      body: {},
    });
    expect(scoped.statusCode).toBe(403);
    expect(scoped.json()).toMatchObject({ error: { message: expect.stringMatching(/every environment/) } });
    const missing = await call("POST", "/api/flag-definitions/nope/archive", { body: {} });
    expect(missing.statusCode).toBe(404);
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });
});

describe("permissions", () => {
  it("declares read for the reads and admin for create and archive; no token in any reply or row", async () => {
    const seen = await declaredPermissions(flagDefinitionsRoutes, {
      prefix: "/api/flag-definitions",
      flags: createFlagService({ ledger, environments }),
    });
    expect(seen).toMatchObject({
      "GET /api/flag-definitions": "read",
      "GET /api/flag-definitions/:key": "read",
      "POST /api/flag-definitions": "admin",
      "POST /api/flag-definitions/:key/archive": "admin",
    });
    expect(Object.values(seen).every((p) => p === "read" || p === "admin")).toBe(true);

    const replies = [
      await create({ key: "dark-mode", owner: "team-web", type: "ops" }),
      await create({ key: "dark-mode", owner: "team-web", type: "ops" }, "viewer"),
      await call("GET", "/api/flag-definitions/dark-mode", { as: "viewer" }),
    ];
    const text = [...replies.map((r) => r.body), JSON.stringify(await ledger.listAudit())].join("\n");
    for (const token of Object.values(api.tokens)) expect(text).not.toContain(token);
  });
});

describe("error hints", () => {
  // The flag service and the auth layer name CLI commands in their hints (the CLI prints them); an
  // HTTP answer names what to do over the API instead.
  const cliCommand = /\bshipgate [a-z]|(?:^|[\s(`'])--[a-z]/;

  async function expectApiHints(replies: [LightMyRequestResponse, number][]): Promise<void> {
    for (const [res, status] of replies) {
      const { error } = res.json<{ error: { code: string; hint?: string } }>();
      const label = `${res.statusCode} ${error.code}: ${error.hint}`;
      expect(res.statusCode, label).toBe(status);
      expect(error.hint, label).toEqual(expect.any(String));
      expect(error.hint, label).not.toMatch(cliCommand);
    }
  }

  it("name API requests and fields, never a shipgate command, in every error answer", async () => {
    const list = await call("GET", "/api/flag-definitions?environment=prod", { as: "viewer" });
    expect(list.json().error.hint).toMatch(/Declared environments: staging, production\. Use \?environment=/);
    const missing = await call("GET", "/api/flag-definitions/nope", { as: "viewer" });
    expect(missing.json().error.hint).toMatch(/GET \/api\/flag-definitions lists the flags/);
    const taken = await create({ key: "new-checkout", owner: "y", type: "ops" });
    expect(taken.json().error.hint).toMatch(/GET \/api\/flag-definitions\/new-checkout shows/);
    const archive = (key: string, as: Caller = "admin") =>
      call("POST", `/api/flag-definitions/${key}/archive`, { as, body: {} });
    await expectApiHints([
      [list, 400],
      [await call("GET", "/api/flag-definitions?archived=yes", { as: "viewer" }), 400],
      [await call("GET", "/api/flag-definitions", { as: null }), 401],
      [await call("GET", "/api/flag-definitions", { token: "sg_api_unknown" }), 401],
      [await call("GET", "/api/flag-definitions?environment=production", { as: "stagingAdmin" }), 403],
      [missing, 404],
      [await call("GET", "/api/flag-definitions/new-checkout", { as: null }), 401],
      [await create({ key: "dark-mode", owner: "team-web", type: "ops" }, "viewer"), 403],
      [await create({}), 400],
      [await create({ key: "dark-mode", owner: " ", type: "ops" }), 400],
      [await create({ key: "dark-mode", owner: "team-web" }), 400],
      [await create({ key: "dark-mode", owner: "team-web", removalDate: "2026-13-45" }), 400],
      [taken, 409],
      [await archive("new-checkout", "stagingAdmin"), 403],
      [await archive("new-checkout", "deployer"), 403],
      [await archive("nope"), 404],
      [await archive("old-search"), 409],
    ]);
  });

  it("names the audit check over the API when a change cannot be audited", async () => {
    // The service's ledger refuses audit rows; the auth hook keeps the real one.
    const refusing = new Proxy(ledger, {
      get: (target, property, receiver) =>
        property === "appendAudit"
          ? async () => {
              throw new Error("disk full");
            }
          : Reflect.get(target, property, receiver),
    });
    const app = await startRouteApp({
      ledger,
      knownEnvironments: environments,
      as: "admin",
      tokens: { admin: ["admin", "root"] },
      routes: async (server) => {
        const flags = createFlagService({ ledger: refusing, environments, now });
        await server.register(flagDefinitionsRoutes, { prefix: "/api/flag-definitions", flags });
      },
    });
    try {
      const created = await app.call("POST", "/api/flag-definitions", {
        body: { key: "dark-mode", owner: "team-web", type: "ops" },
      });
      const archived = await app.call("POST", "/api/flag-definitions/new-checkout/archive", { body: {} });
      await expectApiHints([
        [created, 503],
        [archived, 503],
      ]);
      expect(created.json().error.hint).toMatch(
        /GET \/api\/audit\/verify; GET \/api\/flag-definitions\/dark-mode/,
      );
    } finally {
      await app.app.close();
    }
  });
});
