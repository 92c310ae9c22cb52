/**
 * The audit routes behind the real auth hook: listing with paging and target, query validation,
 * verify (admin only) on intact and broken chains. The tokens live in a ledger of their own so the
 * audit rows of their creation do not shift the seqs under test.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { declaredPermissions, type RouteApp, startRouteApp } from "../../test/support/route-app.js";
import { createMemoryLedger } from "../ledger/memory.js";
import type { AuditRecord, LedgerStore } from "../ledger/types.js";
import { auditRoutes } from "./audit-routes.js";
import type { Role } from "./auth/roles.js";

let ledger: LedgerStore;
let tokenLedger: LedgerStore;
let api: RouteApp<Role>;

/** The audit routes over `audited`, behind the auth hook over the token ledger, with a token per role. */
function startApp(audited: LedgerStore): Promise<RouteApp<Role>> {
  return startRouteApp({
    ledger: tokenLedger,
    bodyLimit: 1024,
    as: "viewer",
    tokens: {
      viewer: ["viewer", "viewer-1"],
      deployer: ["deployer", "deployer-1"],
      approver: ["approver", "approver-1"],
      admin: ["admin", "admin-1"],
    },
    routes: (app) => app.register(auditRoutes, { prefix: "/api/audit", ledger: audited }),
  });
}

const get = (path: string, as: Role | null = "viewer", on = api) => on.call("GET", path, { as });

async function appendEvents(n: number): Promise<void> {
  for (let i = 1; i <= n; i += 1) {
    await ledger.appendAudit({
      actor: "ada",
      action: "flag.rollout",
      target: i % 2 === 0 ? "flag:b" : "flag:a",
      environment: "production",
      source: "203.0.113.7",
      before: { rollout: i - 1 },
      after: { rollout: i },
      at: new Date(Date.UTC(2026, 2, 1, 10, 0, i)).toISOString(),
    });
  }
}

beforeEach(async () => {
  ledger = createMemoryLedger();
  tokenLedger = createMemoryLedger();
  api = await startApp(ledger);
});

afterEach(async () => {
  await api.app.close();
});

const entries = (res: { json: <T>() => T }) => res.json<{ entries: AuditRecord[] }>().entries;

describe("GET /api/audit", () => {
  it("lists entries oldest first, 100 by default, paged by afterSeq and filtered by target", async () => {
    await appendEvents(120);
    const first = await get("/api/audit");
    expect(first.statusCode).toBe(200);
    expect(entries(first).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(entries(first)[0]).toMatchObject({
      actor: "ada",
      action: "flag.rollout",
      target: "flag:a",
      environment: "production",
      source: "203.0.113.7",
      before: { rollout: 0 },
      after: { rollout: 1 },
      prevHash: "0".repeat(64),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const next = await get("/api/audit?afterSeq=100&limit=500");
    expect(entries(next).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 101));
    const b = await get("/api/audit?target=flag:b&afterSeq=10&limit=3");
    expect(entries(b).map((e) => [e.seq, e.target])).toEqual([
      [12, "flag:b"],
      [14, "flag:b"],
      [16, "flag:b"],
    ]);
    const none = await get("/api/audit?target=flag:none");
    expect(entries(none)).toEqual([]);
  });

  it.each([
    ["limit=0", /limit: expected a whole number from 1 to 500/],
    ["limit=501", /limit: expected a whole number from 1 to 500/],
    ["limit=ten", /limit: expected a whole number/],
    ["limit=", /limit: expected a whole number/],
    ["limit=1&limit=2", /limit: /],
    ["afterSeq=-1", /afterSeq: expected a whole number/],
    ["afterSeq=1.5", /afterSeq: expected a whole number/],
    ["target=", /target: expected a target/],
    [`target=${"x".repeat(301)}`, /target: expected at most 300/],
    ["after=3", /after/],
  ])("answers 400 with details for ?%s", async (query, detail) => {
    const res = await get(`/api/audit?${query}`);
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; details: string[]; hint: string } }>().error;
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details.join("\n")).toMatch(detail);
    expect(error.hint).toMatch(/afterSeq/);
  });

  it("declares the permissions read and admin", async () => {
    const seen = await declaredPermissions(auditRoutes, { prefix: "/api/audit", ledger });
    expect(seen).toMatchObject({ "GET /api/audit": "read", "GET /api/audit/verify": "admin" });
    expect(Object.values(seen).every((p) => p === "read" || p === "admin")).toBe(true); // HEAD routes too
  });
});

describe("GET /api/audit/verify", () => {
  it("is for admins only; listing is for every role; neither without a token", async () => {
    await appendEvents(1);
    for (const role of ["viewer", "deployer", "approver"] as const) {
      const res = await get("/api/audit/verify", role);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
      expect((await get("/api/audit", role)).statusCode).toBe(200);
    }
    expect((await get("/api/audit/verify", "admin")).statusCode).toBe(200);
    expect((await get("/api/audit", "admin")).statusCode).toBe(200);
    expect((await get("/api/audit", null)).statusCode).toBe(401);
    expect((await get("/api/audit/verify", null)).statusCode).toBe(401);
  });

  it("answers the chain's verification", async () => {
    const empty = await get("/api/audit/verify", "admin");
    expect(empty.json()).toEqual({ ok: true, count: 0 });
    await appendEvents(5);
    const res = await get("/api/audit/verify", "admin");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, count: 5 });
  });

  it("answers a broken chain with the first broken row and why", async () => {
    await appendEvents(3);
    const broken: LedgerStore = {
      ...ledger,
      verifyAudit: async () => ({
        ok: false,
        count: 1,
        brokenAt: 2,
        reason: "row 2: its hash does not match",
      }),
    };
    const other = await startApp(broken);
    try {
      const res = await get("/api/audit/verify", "admin", other);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        ok: false,
        count: 1,
        brokenAt: 2,
        reason: "row 2: its hash does not match",
      });
    } finally {
      await other.app.close();
    }
  });

  it("answers 404 for a method or path it does not serve, never 500", async () => {
    const post = await api.call("POST", "/api/audit", { as: "admin", body: { x: 1 } });
    expect(post.statusCode).toBe(404);
    const nested = await get("/api/audit/verify/extra");
    expect(nested.statusCode).toBe(404);
  });
});
