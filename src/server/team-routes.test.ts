/**
 * The team API's release routes on an environment without a target (shipgate init's flags-only
 * setup), through the whole server: status, history and live answer 200 from the ledger, saying
 * there is no target; a deploy or rollback is refused with 400 CONFIG_INVALID and its hint.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoleTokens } from "../../test/support/route-app.js";
import { sampleDeploy, sampleRelease } from "../ledger/contract.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { LedgerStore } from "../ledger/types.js";
import { createServer } from "./create-server.js";

let dir: string;
let ledger: LedgerStore;
let app: FastifyInstance;
let tokens: Record<"viewer" | "admin", string>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-team-routes-"));
  writeFileSync(
    path.join(dir, "shipgate.yaml"),
    "environments:\n  staging: {}\n  production:\n    approval: { required: 1 }\n",
  );
  ledger = createMemoryLedger();
  app = await createServer({
    ledger,
    now: () => new Date("2026-05-01T10:00:00.000Z"),
    project: { cwd: dir, env: {} },
    closeGraceMs: 100,
  });
  tokens = await createRoleTokens(ledger, { viewer: ["viewer", "vera"], admin: ["admin", "ada"] }, [
    "staging",
    "production",
  ]);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: "GET" | "POST", url: string, as: "viewer" | "admin", body?: unknown) {
  return app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${tokens[as]}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

describe("an environment without a target", () => {
  it("GET /api/environments/:env answers 200 with target null and nothing deployed", async () => {
    const response = await call("GET", "/api/environments/production", "viewer");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      environment: "production",
      target: null,
      url: null,
      current: null,
      traffic: [],
      inProgress: null,
      live: null,
    });
  });

  it("GET /api/environments/:env/history answers 200 with no entries", async () => {
    const response = await call("GET", "/api/environments/staging/history", "viewer");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ entries: [] });
  });

  it("GET /api/environments/:env/live answers 200 with no releases", async () => {
    const response = await call("GET", "/api/environments/staging/live?seconds=60", "viewer");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ seconds: 60, releases: [] });
  });

  it.each([
    ["/api/environments/production/deploys", { version: "v1" }],
    ["/api/environments/production/rollback", {}],
  ])("POST %s is refused with 400 CONFIG_INVALID and the hint", async (url, body) => {
    const response = await call("POST", url, "admin", body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: {
        code: "CONFIG_INVALID",
        message: 'environment "production" has no target',
        hint: expect.stringContaining("Add environments.production.target to shipgate.yaml"),
      },
    });
  });
});

describe("GET /api/deploys/:id", () => {
  it("answers the deploy's notes as sentences, with versions for release ids", async () => {
    for (const [id, version] of [
      ["r-1", "v1"],
      ["r-2", "v2"],
    ]) {
      await ledger.saveRelease(sampleRelease({ id, version }));
    }
    await ledger.createDeploy(
      sampleDeploy({
        id: "d-notes",
        environment: "staging",
        releaseId: "r-2",
        previousReleaseId: "r-1",
        status: "succeeded",
        notes: [
          {
            type: "current-not-running",
            current: "r-1",
            releaseId: "r-2",
            strategy: "canary",
            cause: "down",
          },
        ],
      }),
    );
    const res = await call("GET", "/api/deploys/d-notes", "viewer");
    expect(res.statusCode).toBe(200);
    expect(res.json().notes).toEqual([
      "v1 is recorded as current but is not running (stopped by `shipgate down`): v2 gets all traffic once healthy; the canary steps are skipped.",
    ]);
  });
});

describe("the team routes' own refusals", () => {
  it.each([
    [
      "/api/environments/production/promote",
      409,
      "CONFLICT",
      "GET /api/environments/production shows what runs.",
      "See what runs with `shipgate status production`.",
    ],
    [
      "/api/environments/prod/abort",
      404,
      "NOT_FOUND",
      "GET /api/environments lists the environments.",
      "Known environments: staging, production.",
    ],
    [
      "/api/deploys/d-nope/approve",
      404,
      "NOT_FOUND",
      "GET /api/environments/:env shows the deploy awaiting approval.",
      "See what is waiting with `shipgate status <environment>`.",
    ],
  ])(
    "POST %s answers %i with a hint for HTTP callers and a cliHint for the CLI",
    async (url, status, code, hint, cliHint) => {
      const response = await call("POST", url, "admin", {});
      expect(response.statusCode).toBe(status);
      expect(response.json()).toEqual({ error: { code, message: expect.any(String), hint, cliHint } });
    },
  );
});
