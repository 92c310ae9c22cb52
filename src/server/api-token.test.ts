/**
 * API tokens: random and prefixed, stored only as their hash; SDK tokens scoped to a declared
 * environment, role tokens to one environment or all; creation and revocation audited without secrets.
 */
import { describe, expect, it } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { createMemoryLedger } from "../ledger/index.js";
import {
  createApiToken,
  createSdkToken,
  generateRoleToken,
  generateSdkToken,
  hashApiToken,
  listApiTokens,
  revokeApiToken,
  roleTokenPrefix,
  sdkTokenPrefix,
} from "./api-token.js";
import { bearerToken } from "./token-auth.js";

const environments = ["staging", "production"];
const now = () => new Date("2026-05-01T10:00:00.000Z");

describe("generateSdkToken / hashApiToken", () => {
  it("makes distinct prefixed tokens and hashes them to hex SHA-256", () => {
    const a = generateSdkToken();
    const b = generateSdkToken();
    expect(a).not.toBe(b);
    expect(a.startsWith(sdkTokenPrefix)).toBe(true);
    expect(a.length).toBeGreaterThanOrEqual(sdkTokenPrefix.length + 43);
    // Known vector: sha256("abc").
    expect(hashApiToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("bearerToken", () => {
  it("reads the token of a Bearer header only", () => {
    expect(bearerToken("Bearer sg_sdk_x")).toBe("sg_sdk_x");
    expect(bearerToken("bearer   sg_sdk_x ")).toBe("sg_sdk_x");
    expect(bearerToken("Basic abc")).toBeNull();
    expect(bearerToken("Bearer")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe("createSdkToken", () => {
  it("stores the hash, never the token, with scope sdk and the actor", async () => {
    const ledger = createMemoryLedger();
    const { record, token } = await createSdkToken({
      ledger,
      environment: "staging",
      name: "checkout-web",
      actor: "ana@laptop",
      knownEnvironments: environments,
      now,
    });
    expect(record).toMatchObject({
      environment: "staging",
      name: "checkout-web",
      scope: "sdk",
      createdBy: "ana@laptop",
      createdAt: "2026-05-01T10:00:00.000Z",
      revokedAt: null,
      hash: hashApiToken(token),
    });
    expect(await ledger.findApiTokenByHash(hashApiToken(token))).toEqual(record);
    const stored = JSON.stringify(await ledger.listApiTokens());
    expect(stored).not.toContain(token);
    const listed = JSON.stringify(await listApiTokens(ledger));
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(record.hash);
  });

  it("refuses an environment shipgate.yaml does not declare, with a hint naming the declared ones", async () => {
    const ledger = createMemoryLedger();
    const error = await createSdkToken({
      ledger,
      environment: "prod",
      name: "web",
      actor: "ana",
      knownEnvironments: environments,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipgateError);
    expect(error).toMatchObject({ code: "USAGE", hint: expect.stringContaining("staging, production") });
    expect(await ledger.listApiTokens()).toEqual([]);
  });

  it("refuses an empty name", async () => {
    const ledger = createMemoryLedger();
    await expect(
      createSdkToken({
        ledger,
        environment: "staging",
        name: "  ",
        actor: "ana",
        knownEnvironments: environments,
      }),
    ).rejects.toMatchObject({ code: "USAGE" });
  });
});

describe("revokeApiToken", () => {
  it("revokes once, says so when it already was, and refuses an unknown id", async () => {
    const ledger = createMemoryLedger();
    const { record } = await createSdkToken({
      ledger,
      environment: "staging",
      name: "web",
      actor: "ana",
      knownEnvironments: environments,
    });
    expect(await revokeApiToken(ledger, record.id, { actor: "ana", now })).toMatchObject({
      alreadyRevoked: false,
      token: { id: record.id, revokedAt: "2026-05-01T10:00:00.000Z" },
    });
    expect((await revokeApiToken(ledger, record.id, { actor: "ana", now })).alreadyRevoked).toBe(true);
    await expect(revokeApiToken(ledger, "tok_nope", { actor: "ana", now })).rejects.toMatchObject({
      code: "NOT_FOUND",
      hint: expect.stringContaining("shipgate tokens list"),
    });
  });
});

describe("createApiToken (role tokens)", () => {
  it("makes sg_api_ tokens with the role as scope, for one environment or every one (*)", async () => {
    const ledger = createMemoryLedger();
    const a = generateRoleToken();
    expect(a.startsWith(roleTokenPrefix)).toBe(true);
    expect(a.length).toBe(roleTokenPrefix.length + 43);
    const ci = await createApiToken({
      ledger,
      role: "deployer",
      environment: "staging",
      name: "ci-staging",
      actor: "ana",
      source: "cli@laptop",
      knownEnvironments: environments,
      now,
    });
    expect(ci.token.startsWith(roleTokenPrefix)).toBe(true);
    expect(ci.record).toMatchObject({
      scope: "deployer",
      environment: "staging",
      hash: hashApiToken(ci.token),
    });
    const ada = await createApiToken({
      ledger,
      role: "admin",
      environment: null,
      name: "ada",
      actor: "ana",
      knownEnvironments: environments,
      now,
    });
    expect(ada.record).toMatchObject({ scope: "admin", environment: "*" });
    const listed = await listApiTokens(ledger);
    expect(listed.map((t) => [t.name, t.scope, t.environment])).toEqual([
      ["ci-staging", "deployer", "staging"],
      ["ada", "admin", "*"],
    ]);
    expect(JSON.stringify(listed)).not.toContain(ci.record.hash);
  });

  it("refuses an unknown role or environment", async () => {
    const ledger = createMemoryLedger();
    const base = { ledger, name: "x", actor: "ana", knownEnvironments: environments };
    await expect(
      createApiToken({ ...base, role: "root" as "admin", environment: null }),
    ).rejects.toMatchObject({
      code: "USAGE",
      hint: expect.stringContaining("viewer, deployer, approver, admin"),
    });
    await expect(createApiToken({ ...base, role: "viewer", environment: "prod" })).rejects.toMatchObject({
      code: "USAGE",
      hint: expect.stringContaining("--role viewer"),
    });
    expect(await ledger.listApiTokens()).toEqual([]);
  });

  it("audits creation and revocation with actor and source, never the token or its hash", async () => {
    const ledger = createMemoryLedger();
    const { record, token } = await createApiToken({
      ledger,
      role: "approver",
      environment: null,
      name: "bo",
      actor: "ana",
      source: "cli@laptop",
      knownEnvironments: environments,
      now,
    });
    await revokeApiToken(ledger, record.id, { actor: "cy", source: "10.0.0.9", now });
    await revokeApiToken(ledger, record.id, { actor: "cy", source: "10.0.0.9", now }); // no change, no row
    const audit = await ledger.listAudit();
    expect(audit).toMatchObject([
      {
        action: "token.create",
        actor: "ana",
        source: "cli@laptop",
        target: `token:${record.id}`,
        environment: null,
        before: null,
        after: { name: "bo", scope: "approver", revokedAt: null },
      },
      {
        action: "token.revoke",
        actor: "cy",
        source: "10.0.0.9",
        before: { revokedAt: null },
        after: { revokedAt: "2026-05-01T10:00:00.000Z" },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
    expect(JSON.stringify(audit)).not.toContain(record.hash);
  });
});
