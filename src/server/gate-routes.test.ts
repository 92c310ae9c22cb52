/**
 * GET /api/releases/:id/gate on a tiny app (the error handler and the plugin; the permission is
 * enforced by the real server's auth hook, walked by the route × role test): the stored report of a
 * release's commit, the environment fallback, and 404s with a hint for what has none.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildRouteApp, declaredPermissions } from "../../test/support/route-app.js";
import { sampleGateReport, sampleRelease } from "../ledger/contract.js";
import { createMemoryLedger } from "../ledger/memory.js";
import type { LedgerStore } from "../ledger/types.js";
import { gateRoutes } from "./gate-routes.js";

const sha = sampleRelease().gitSha as string;
let ledger: LedgerStore;
let app: FastifyInstance;
const gateApp = (on: LedgerStore) =>
  buildRouteApp((app) => app.register(gateRoutes, { prefix: "/api", ledger: on }));

beforeEach(async () => {
  ledger = createMemoryLedger();
  app = await gateApp(ledger);
  await ledger.saveRelease(sampleRelease());
});

afterEach(async () => {
  await app.close();
  await ledger.close();
});

const get = (url: string) => app.inject({ method: "GET", url });

describe("GET /api/releases/:id/gate", () => {
  it("answers the release and the newest report stored for its commit and environment", async () => {
    await ledger.recordGateReport(sampleGateReport({ id: "gr-old", createdAt: "2026-01-01T00:00:01Z" }));
    await ledger.recordGateReport(
      sampleGateReport({ id: "gr-new", passed: true, summary: "passed: 0 errors, 2 warnings" }),
    );
    const res = await get("/api/releases/r-0123456789abcdef/gate?environment=production");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      release: { id: "r-0123456789abcdef", version: "v1", gitSha: sha },
      gate: sampleGateReport({ id: "gr-new", passed: true, summary: "passed: 0 errors, 2 warnings" }),
    });
  });

  it("falls back to the report checked without an environment, and without ?environment to the newest of any", async () => {
    await ledger.recordGateReport(sampleGateReport({ id: "gr-none", environment: null }));
    expect((await get("/api/releases/r-0123456789abcdef/gate?environment=staging")).json().gate.id).toBe(
      "gr-none",
    );
    expect((await get("/api/releases/r-0123456789abcdef/gate")).json().gate.id).toBe("gr-none");

    const other = createMemoryLedger();
    const otherApp = await gateApp(other);
    try {
      await other.saveRelease(sampleRelease());
      await other.recordGateReport(sampleGateReport({ id: "gr-staging", environment: "staging" }));
      const res = await otherApp.inject({ method: "GET", url: "/api/releases/r-0123456789abcdef/gate" });
      expect(res.json().gate).toMatchObject({ id: "gr-staging", environment: "staging" });
    } finally {
      await otherApp.close();
      await other.close();
    }
  });

  it("404 NOT_FOUND for a release the ledger does not hold", async () => {
    const res = await get("/api/releases/r-missing/gate");
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({
      code: "NOT_FOUND",
      message: "release r-missing is not in the ledger",
    });
  });

  it("404 NOT_FOUND with the hint to run shipgate check when the commit has no report", async () => {
    await ledger.recordGateReport(sampleGateReport({ gitSha: "f".repeat(40) }));
    const res = await get("/api/releases/r-0123456789abcdef/gate?environment=production");
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: "NOT_FOUND",
        message: `no gate report for release v1 (commit ${sha.slice(0, 12)}, environment production)`,
        hint: "run shipgate check --environment production in CI before deploying; its report is stored by commit",
      },
    });
  });

  it("404 NOT_FOUND with the hint when the release has no commit", async () => {
    await ledger.saveRelease(sampleRelease({ id: "r-nogit", gitSha: null }));
    const res = await get("/api/releases/r-nogit/gate");
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({
      code: "NOT_FOUND",
      hint: "run shipgate check --environment <env> in CI before deploying; its report is stored by commit",
    });
  });

  it("400 for a malformed environment or an unknown query parameter", async () => {
    for (const url of [
      "/api/releases/r-0123456789abcdef/gate?environment=%20bad%20",
      "/api/releases/r-0123456789abcdef/gate?env=production",
    ]) {
      const res = await get(url);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("USAGE");
    }
  });

  it("declares the read permission for the auth hook", async () => {
    // fastify adds HEAD beside GET, with the same config; the plugin has no other route.
    expect(await declaredPermissions(gateRoutes, { prefix: "/api", ledger })).toEqual({
      "GET /api/releases/:id/gate": "read",
      "HEAD /api/releases/:id/gate": "read",
    });
  });
});
