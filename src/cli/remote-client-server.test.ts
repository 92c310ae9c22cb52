/**
 * The remote client against the real team server (createServer over a temp project, listening on
 * 127.0.0.1:0): the client's reply schemas accept what the server answers, and the server's
 * refusals (an unknown route) reach the CLI with the server's CLI hint.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoleTokens } from "../../test/support/route-app.js";
import { isShipgateError } from "../core/errors.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { LedgerStore } from "../ledger/types.js";
import { createServer } from "../server/create-server.js";
import { createRemoteClient, type RemoteClient } from "./remote-client.js";

let dir: string;
let ledger: LedgerStore;
let app: FastifyInstance;
let client: RemoteClient;
let baseUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-remote-client-"));
  writeFileSync(
    path.join(dir, "shipgate.yaml"),
    "environments:\n  staging: {}\n  production:\n    approval: { required: 1 }\n",
  );
  ledger = createMemoryLedger();
  app = await createServer({ ledger, project: { cwd: dir, env: {} }, closeGraceMs: 100 });
  const tokens = await createRoleTokens(ledger, { admin: ["admin", "ada"] }, ["staging", "production"]);
  await app.listen({ port: 0, host: "127.0.0.1" });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  client = createRemoteClient({ baseUrl, token: tokens.admin });
});

afterAll(async () => {
  await app.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the remote client against the team server", () => {
  it("accepts the server's replies (the reply schemas match the routes)", async () => {
    expect(await client.me()).toMatchObject({ name: "ada", role: "admin" });
    expect((await client.environments()).map((e) => e.name)).toEqual(["staging", "production"]);
    expect(await client.status("production")).toMatchObject({ environment: "production", current: null });
    expect(await client.history("production")).toEqual([]);
    expect(await client.listFlags()).toEqual([]);
    expect((await client.tokens()).length).toBeGreaterThan(0);
    expect(Array.isArray(await client.audit())).toBe(true);
    expect(await client.verifyAudit()).toMatchObject({ ok: true });
  });

  it("shows an unknown route's CLI hint (a server of another version)", async () => {
    const error = await client.deployDetail("d-none").catch((e: unknown) => e);
    // An unknown deploy is the route's own 404; an unknown route is the not-found handler's.
    expect(isShipgateError(error) && error.code).toBe("NOT_FOUND");
    const raw = await fetch(`${baseUrl}/api/v9/anything`);
    expect(raw.status).toBe(404);
    expect(((await raw.json()) as { error: { cliHint?: string } }).error.cliHint).toContain(
      "--server / SHIPGATE_SERVER",
    );
  });
});
