/** SDK tokens: random and prefixed, stored only as their hash, scoped to a declared environment. */
import { describe, expect, it } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { createMemoryLedger } from "../ledger/index.js";
import {
  createSdkToken,
  generateSdkToken,
  hashApiToken,
  listSdkTokens,
  revokeSdkToken,
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
    const listed = JSON.stringify(await listSdkTokens(ledger));
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

describe("revokeSdkToken", () => {
  it("revokes once, says so when it already was, and refuses an unknown id", async () => {
    const ledger = createMemoryLedger();
    const { record } = await createSdkToken({
      ledger,
      environment: "staging",
      name: "web",
      actor: "ana",
      knownEnvironments: environments,
    });
    expect(await revokeSdkToken(ledger, record.id, now)).toMatchObject({
      alreadyRevoked: false,
      token: { id: record.id, revokedAt: "2026-05-01T10:00:00.000Z" },
    });
    expect((await revokeSdkToken(ledger, record.id, now)).alreadyRevoked).toBe(true);
    await expect(revokeSdkToken(ledger, "tok_nope", now)).rejects.toMatchObject({
      code: "USAGE",
      hint: expect.stringContaining("shipgate tokens list"),
    });
  });
});
