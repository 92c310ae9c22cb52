/**
 * The team API's flag routes behind the real auth hook (registerAuth) with tokens of each role:
 * listing, PATCH of every field (enabled, rollout, killed, rules, variants) in its safe order with
 * its audit rows (actor = the token's name, source = the client's address), validation 400s with
 * details, 404s, 409, 413, malformed JSON, role and scope refusals.
 */
import type { LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { declaredPermissions, type RouteApp, startRouteApp } from "../../test/support/route-app.js";
import { createFlagService, type FlagChangeResult, type FlagListEntry } from "../flags/service.js";
import { createMemoryLedger } from "../ledger/memory.js";
import type { LedgerStore } from "../ledger/types.js";
import type { AccessRules } from "./auth/roles.js";
import { flagsAdminRoutes } from "./flags-admin-routes.js";

const environments = ["staging", "production"];
const rules: Record<string, AccessRules> = { staging: {}, production: { flags: "approver" } };
type Caller = "viewer" | "deployer" | "approver" | "admin" | "stagingDeployer";
let ledger: LedgerStore;
let api: RouteApp<Caller>;
/** The audit rows before a test's requests (flag creations, archive, token creations). */
let baseline: number;

const call = (...args: Parameters<RouteApp<Caller>["call"]>): Promise<LightMyRequestResponse> =>
  api.call(...args);
const patch = (path: string, body: unknown, as?: Caller) =>
  call("PATCH", path, { body, ...(as ? { as } : {}) });

beforeEach(async () => {
  ledger = createMemoryLedger();
  const flags = createFlagService({ ledger, environments });
  await flags.createFlag(
    { key: "new-checkout", owner: "team-payments", type: "kill-switch", description: "One-page checkout" },
    "alice",
  );
  await flags.createFlag({ key: "old-search", owner: "team-search", type: "ops" }, "alice");
  await flags.archive("old-search", "alice");
  // The routes in a small app with the server's error handling, a 1 KiB body limit and the auth hook.
  api = await startRouteApp({
    ledger,
    accessRules: (environment) => rules[environment],
    bodyLimit: 1024,
    knownEnvironments: environments,
    as: "approver",
    tokens: {
      viewer: ["viewer", "vic"],
      deployer: ["deployer", "dee"],
      approver: ["approver", "ada"],
      admin: ["admin", "root"],
      stagingDeployer: ["deployer", "ci-staging", "staging"],
    },
    routes: (app) =>
      app.register(flagsAdminRoutes, {
        prefix: "/api/environments",
        flags: createFlagService({ ledger, environments, source: "test" }),
        ledger,
        knownEnvironments: environments,
      }),
  });
  baseline = (await ledger.listAudit()).length;
});

afterEach(async () => {
  await api.app.close();
});

const url = (env: string, key?: string) => `/api/environments/${env}/flags${key ? `/${key}` : ""}`;

describe("GET /api/environments/:env/flags", () => {
  it("lists the flags with their state in that environment to a viewer, archived ones left out", async () => {
    await patch(url("production", "new-checkout"), { enabled: true, rollout: 30 });
    const res = await call("GET", url("production"), { as: "viewer" });
    expect(res.statusCode).toBe(200);
    const { flags } = res.json<{ flags: FlagListEntry[] }>();
    expect(flags.map((f) => f.definition.key)).toEqual(["new-checkout"]);
    expect(flags[0]?.states).toHaveLength(1);
    expect(flags[0]?.states[0]).toMatchObject({
      environment: "production",
      state: { enabled: true, rollout: 30, updatedBy: "ada" },
    });
    const staging = await call("GET", url("staging"), { as: "viewer" });
    expect(staging.json<{ flags: FlagListEntry[] }>().flags[0]?.states).toEqual([
      { environment: "staging", state: null },
    ]);
  });

  it("answers 404 NOT_FOUND for an environment not in shipgate.yaml, naming the known ones", async () => {
    const res = await call("GET", url("prod"), { as: "viewer" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      error: {
        code: "NOT_FOUND",
        message: 'no environment "prod"',
        hint: expect.stringMatching(/staging, production/),
      },
    });
  });

  it("answers 401 without a token and 403 to a token scoped to another environment", async () => {
    expect((await call("GET", url("production"), { as: null })).statusCode).toBe(401);
    const scoped = await call("GET", url("production"), { as: "stagingDeployer" });
    expect(scoped.statusCode).toBe(403);
    expect(scoped.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect((await call("GET", url("staging"), { as: "stagingDeployer" })).statusCode).toBe(200);
  });
});

describe("PATCH /api/environments/:env/flags/:key", () => {
  it("enables and moves the rollout, audited with the token's name and the request's address", async () => {
    const res = await call("PATCH", url("production", "new-checkout"), {
      body: { enabled: true, rollout: 25 },
      ip: "203.0.113.7",
    });
    expect(res.statusCode).toBe(200);
    const { flag } = res.json<{ flag: FlagListEntry }>();
    expect(flag.definition.key).toBe("new-checkout");
    expect(flag.states).toEqual([
      { environment: "production", state: expect.objectContaining({ enabled: true, rollout: 25 }) },
    ]);
    const rows = await ledger.listAudit({ target: "flag:new-checkout" });
    // create, then the rollout before the enable (never on at the old percentage)
    expect(rows.map((r) => [r.action, r.actor, r.source, r.environment])).toEqual([
      ["flag.create", "alice", null, null],
      ["flag.rollout", "ada", "203.0.113.7", "production"],
      ["flag.enable", "ada", "203.0.113.7", "production"],
    ]);
    expect(rows[2]?.before).toMatchObject({ enabled: false, rollout: 25 });
    expect(rows[2]?.after).toMatchObject({ enabled: true, rollout: 25 });
    expect(await ledger.verifyAudit()).toMatchObject({ ok: true });
  });

  it("disables before moving the rollout, and audits nothing for a no-op", async () => {
    await patch(url("staging", "new-checkout"), { enabled: true, rollout: 100 }, "deployer");
    const before = (await ledger.listAudit()).length;
    const res = await patch(url("staging", "new-checkout"), { enabled: false, rollout: 0 }, "deployer");
    expect(res.statusCode).toBe(200);
    expect(res.json<{ flag: FlagListEntry }>().flag.states[0]?.state).toMatchObject({
      enabled: false,
      rollout: 0,
      updatedBy: "dee",
    });
    const rows = await ledger.listAudit({ afterSeq: before });
    expect(rows.map((r) => r.action)).toEqual(["flag.disable", "flag.rollout"]);
    const again = await patch(url("staging", "new-checkout"), { enabled: false }, "deployer");
    expect(again.statusCode).toBe(200);
    expect(await ledger.listAudit({ afterSeq: before })).toHaveLength(2);
  });

  it("refuses a viewer, a deployer where production needs approver, and another environment's token", async () => {
    const viewer = await patch(url("staging", "new-checkout"), { enabled: true }, "viewer");
    expect(viewer.statusCode).toBe(403);
    const deployer = await patch(url("production", "new-checkout"), { enabled: true }, "deployer");
    expect(deployer.statusCode).toBe(403);
    expect(deployer.json()).toMatchObject({
      error: { code: "FORBIDDEN", message: expect.stringMatching(/approver/) },
    });
    const scoped = await patch(url("production", "new-checkout"), { enabled: true }, "stagingDeployer");
    expect(scoped.statusCode).toBe(403);
    expect(
      (await call("PATCH", url("staging", "new-checkout"), { as: null, body: { enabled: true } })).statusCode,
    ).toBe(401);
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });

  it.each([
    [{}, /body: expected at least one of enabled, rollout/],
    [{ rollout: 101 }, /rollout: expected a whole percentage from 0 to 100/],
    [{ rollout: -1 }, /rollout: expected a whole percentage/],
    [{ rollout: 12.5 }, /rollout: expected a whole percentage/],
    [{ rollout: "25" }, /rollout: expected a whole percentage/],
    [{ enabled: "yes" }, /enabled: expected true or false/],
    [{ enabled: true, stickiness: "orgId" }, /stickiness/],
    [{ killed: "yes" }, /killed: expected true or false/],
    [[{ enabled: true }], /body: /],
    [null, /body: /],
    ["on", /body: /],
  ])("answers 400 with details for the body %j", async (body, detail) => {
    const res = await call("PATCH", url("production", "new-checkout"), { raw: JSON.stringify(body) });
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; details: string[]; hint: string } }>().error;
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details.join("\n")).toMatch(detail);
    expect(error.hint).toMatch(/rollout/);
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });

  it("kills, unkills and replaces rules and variants, one audited change each", async () => {
    const rules = [{ attribute: "country", operator: "in", values: ["DE"], serve: { enabled: true } }];
    const variants = [
      { name: "blue", weight: 50 },
      { name: "green", weight: 50, payload: { color: "#0a0" } },
    ];
    const res = await call("PATCH", url("staging", "new-checkout"), {
      as: "deployer",
      body: { rules, variants },
      ip: "198.51.100.4",
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ flag: FlagListEntry; changes: FlagChangeResult[] }>();
    expect(body.flag.states[0]?.state).toMatchObject({ rules, variants, updatedBy: "dee" });
    expect(body.changes.map((c) => [c.action, c.changed, c.environment])).toEqual([
      ["rules", true, "staging"],
      ["variants", true, "staging"],
    ]);
    const killed = await patch(url("staging", "new-checkout"), { killed: true }, "deployer");
    expect(killed.json<{ flag: FlagListEntry }>().flag.states[0]?.state).toMatchObject({ killed: true });
    const again = await patch(url("staging", "new-checkout"), { killed: true }, "deployer");
    expect(again.json<{ changes: FlagChangeResult[] }>().changes).toMatchObject([
      { action: "kill", changed: false },
    ]);
    const unkilled = await patch(url("staging", "new-checkout"), { killed: false }, "deployer");
    expect(unkilled.json<{ changes: FlagChangeResult[] }>().changes).toMatchObject([
      { action: "unkill", changed: true, after: { killed: false } },
    ]);
    const rows = await ledger.listAudit({ afterSeq: baseline });
    expect(rows.map((r) => [r.action, r.actor, r.source])).toEqual([
      ["flag.rules", "dee", "198.51.100.4"],
      ["flag.variants", "dee", "198.51.100.4"],
      ["flag.kill", "dee", "127.0.0.1"],
      ["flag.unkill", "dee", "127.0.0.1"],
    ]);
    expect(rows[0]?.after).toMatchObject({ rules });
  });

  it("applies narrowing changes first and widening ones last", async () => {
    const wide = {
      killed: false,
      enabled: true,
      rollout: 50,
      rules: [{ attribute: "plan", operator: "eq", values: ["pro"], serve: { enabled: true } }],
      variants: [{ name: "a", weight: 1 }],
    };
    await patch(url("staging", "new-checkout"), { killed: true }, "deployer");
    const widening = await patch(url("staging", "new-checkout"), wide, "deployer");
    expect(widening.json<{ changes: FlagChangeResult[] }>().changes.map((c) => c.action)).toEqual([
      "rules",
      "variants",
      "rollout",
      "enable",
      "unkill",
    ]);
    const before = (await ledger.listAudit()).length;
    const narrowing = await patch(
      url("staging", "new-checkout"),
      { enabled: false, killed: true, rollout: 0, rules: [], variants: [] },
      "deployer",
    );
    expect(narrowing.statusCode).toBe(200);
    expect((await ledger.listAudit({ afterSeq: before })).map((r) => r.action)).toEqual([
      "flag.kill",
      "flag.disable",
      "flag.rules",
      "flag.variants",
      "flag.rollout",
    ]);
  });

  it.each([
    [
      { rules: [{ attribute: "country", operator: "like", values: ["DE"], serve: { enabled: true } }] },
      "invalid targeting rules",
      /rules\[0\]\.operator/,
    ],
    [
      { rules: [{ attribute: "", values: [], serve: {} }] },
      "invalid targeting rules",
      /rules\[0\]\.attribute/,
    ],
    [
      {
        variants: [
          { name: "a", weight: 1 },
          { name: "a", weight: 2 },
        ],
      },
      "invalid variants",
      /variants: variant names must be unique/,
    ],
    [{ variants: [{ name: "a", weight: -1 }] }, "invalid variants", /variants\[0\]\.weight/],
    [{ rules: "[]", enabled: true, rollout: 200 }, "invalid flag change", /rollout: [\s\S]*rules: /],
  ])("validates rules and variants before changing anything: %j", async (body, message, detail) => {
    const res = await patch(url("staging", "new-checkout"), body, "deployer");
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; message: string; details: string[] } }>().error;
    expect(error).toMatchObject({ code: "BAD_REQUEST", message });
    expect(error.details.join("\n")).toMatch(detail);
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });

  describe("rules serving variants", () => {
    const serving = (variant: string) => [
      { attribute: "plan", operator: "eq", values: ["pro"], serve: { enabled: true, variant } },
    ];

    it("accepts rules serving a variant the same PATCH adds, applied rules first", async () => {
      const res = await patch(
        url("staging", "new-checkout"),
        { rules: serving("blue"), variants: [{ name: "blue", weight: 1 }] },
        "deployer",
      );
      expect(res.statusCode).toBe(200);
      expect(res.json<{ changes: FlagChangeResult[] }>().changes.map((c) => c.action)).toEqual([
        "rules",
        "variants",
      ]);
      expect(res.json<{ flag: FlagListEntry }>().flag.states[0]?.state).toMatchObject({
        rules: serving("blue"),
        variants: [{ name: "blue", weight: 1 }],
      });
    });

    it.each([
      [{ rules: serving("ghost") }],
      [{ rules: serving("ghost"), variants: [{ name: "blue", weight: 1 }] }],
      [{ killed: true, enabled: false, rules: serving("ghost"), variants: [{ name: "blue", weight: 1 }] }],
    ])("refuses %j with 400 naming the missing variant, and applies nothing", async (body) => {
      const res = await patch(url("staging", "new-checkout"), body, "deployer");
      expect(res.statusCode).toBe(400);
      const error = res.json<{ error: { code: string; message: string; hint: string; details: string[] } }>()
        .error;
      expect(error.code).toBe("USAGE");
      expect(error.message).toMatch(/serve a variant that flag "new-checkout" .* in staging: "ghost"$/);
      expect(error.details).toEqual([
        expect.stringMatching(/^rules\[0\]\.serve\.variant: no variant "ghost"/),
      ]);
      // Written for HTTP callers: what to send, never a shipgate command.
      expect(error.hint).toMatch(/send "variants" with them in the same PATCH|Add "ghost" to the variants/);
      expect(error.hint).not.toMatch(/\bshipgate [a-z]|(?:^|[\s(`'])--[a-z]/);
      expect(await ledger.getFlagState("new-checkout", "staging")).toBeNull();
      expect(await ledger.listAudit()).toHaveLength(baseline);
    });

    it("refuses variants that leave out one a rule serves", async () => {
      await patch(
        url("staging", "new-checkout"),
        { rules: serving("blue"), variants: [{ name: "blue", weight: 1 }] },
        "deployer",
      );
      const before = (await ledger.listAudit()).length;
      const res = await patch(
        url("staging", "new-checkout"),
        { variants: [{ name: "green", weight: 1 }] },
        "deployer",
      );
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: {
          code: "USAGE",
          message: expect.stringMatching(/"blue"$/),
          cliHint: expect.stringMatching(/shipgate flags rules new-checkout --environment staging/),
        },
      });
      expect(await ledger.listAudit()).toHaveLength(before);
    });
  });

  it("sends CLI hints (cliHint) naming shipgate flags commands with its refusals", async () => {
    const replies = [
      await patch(url("staging", "new-checkout"), { rules: [{ attribute: "", values: [] }] }, "deployer"),
      await patch(url("staging", "new-checkout"), { variants: [{ name: "a", weight: -1 }] }, "deployer"),
      await patch(
        url("staging", "new-checkout"),
        {
          rules: [
            { attribute: "plan", operator: "eq", values: ["pro"], serve: { enabled: true, variant: "x" } },
          ],
        },
        "deployer",
      ),
      await patch(url("prod", "new-checkout"), { enabled: true }),
      await patch(url("production", "nope"), { enabled: true }),
      await patch(url("production", "old-search"), { enabled: true }),
      await call("GET", url("prod"), { as: "viewer" }),
    ];
    expect(replies.map((r) => r.statusCode)).toEqual([400, 400, 400, 404, 404, 409, 404]);
    const errors = replies.map((r) => r.json<{ error: { hint: string; cliHint: string } }>().error);
    for (const { hint } of errors) expect(hint).not.toMatch(/\bshipgate [a-z]|(?:^|[\s(`'])--[a-z]/);
    expect(errors.map((e) => e.cliHint)).toEqual([
      expect.stringMatching(
        /^Pass the rules as a JSON array: shipgate flags rules new-checkout --environment staging --json '\[/,
      ),
      expect.stringMatching(
        /^Pass the variants as a JSON array: shipgate flags variants new-checkout --environment staging --json '\[/,
      ),
      expect.stringMatching(/first add "x": `shipgate flags variants new-checkout --environment staging/),
      "The server's environments: staging, production. Pass one with --environment.",
      expect.stringMatching(/shipgate flags list/),
      expect.stringMatching(/shipgate flags create/),
      "The server's environments: staging, production. Pass one with --environment.",
    ]);
  });

  it("answers 400 for a PATCH without a body", async () => {
    const res = await call("PATCH", url("production", "new-checkout"));
    expect(res.statusCode).toBe(400);
  });

  it("answers 400 BAD_REQUEST for malformed JSON and 415 for another content type", async () => {
    const malformed = await call("PATCH", url("production", "new-checkout"), { raw: '{"enabled": tru' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: "BAD_REQUEST" } });
    const text = await call("PATCH", url("production", "new-checkout"), {
      raw: "enabled=true",
      type: "text/plain",
    });
    expect(text.statusCode).toBe(415);
  });

  it("answers 413 for a body over the limit", async () => {
    const res = await patch(url("production", "new-checkout"), { enabled: true, padding: "x".repeat(4096) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });

  it("answers 404 for an unknown flag or environment, 409 for an archived flag", async () => {
    const flag = await patch(url("production", "nope"), { enabled: true });
    expect(flag.statusCode).toBe(404);
    expect(flag.json()).toMatchObject({ error: { code: "NOT_FOUND", message: 'no flag "nope"' } });
    const env = await patch(url("prod", "new-checkout"), { enabled: true });
    expect(env.statusCode).toBe(404);
    expect(env.json()).toMatchObject({ error: { code: "NOT_FOUND", message: 'no environment "prod"' } });
    const archived = await patch(url("production", "old-search"), { enabled: true });
    expect(archived.statusCode).toBe(409);
    expect(archived.json()).toMatchObject({ error: { code: "CONFLICT" } });
    expect(await ledger.listAudit()).toHaveLength(baseline);
  });

  it("answers hints that name API requests, never a shipgate command", async () => {
    const replies = [
      await patch(url("production", "nope"), { enabled: true }),
      await patch(url("production", "old-search"), { enabled: true }),
      await patch(url("production", "new-checkout"), { enabled: true }, "viewer"),
      await call("PATCH", url("production", "new-checkout"), { as: null, body: { enabled: true } }),
    ];
    expect(replies.map((r) => r.statusCode)).toEqual([404, 409, 403, 401]);
    const hints = replies.map((r) => r.json<{ error: { hint: string } }>().error.hint);
    for (const hint of hints) expect(hint).not.toMatch(/\bshipgate [a-z]|(?:^|[\s(`'])--[a-z]/);
    expect(hints[0]).toMatch(/GET \/api\/flag-definitions lists the flags; create "nope" with POST/);
    expect(hints[1]).toMatch(/create a new flag with POST \/api\/flag-definitions/);
    expect(hints[2]).toMatch(/POST \/api\/tokens/);
  });

  it("never puts a token in a reply or an audit row", async () => {
    const replies = [
      await patch(url("staging", "new-checkout"), { enabled: true }),
      await patch(url("staging", "new-checkout"), { rollout: 1000 }),
      await call("GET", url("staging"), { as: "viewer" }),
    ];
    const text = [...replies.map((r) => r.body), JSON.stringify(await ledger.listAudit())].join("\n");
    for (const token of Object.values(api.tokens)) expect(text).not.toContain(token);
  });

  it("declares the permissions read and flags", async () => {
    const seen = await declaredPermissions(flagsAdminRoutes, {
      prefix: "/api/environments",
      flags: createFlagService({ ledger, environments: [] }),
      ledger,
      knownEnvironments: [],
    });
    expect(seen).toMatchObject({
      "GET /api/environments/:env/flags": "read",
      "PATCH /api/environments/:env/flags/:key": "flags",
    });
    expect(Object.values(seen).every((p) => p === "read" || p === "flags")).toBe(true); // HEAD routes too
  });
});
