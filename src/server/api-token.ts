/**
 * SDK API tokens: random secrets with a recognisable prefix (so secret scanners and people can tell
 * what leaked), shown once and stored only as their hex SHA-256. The use cases behind
 * `shipgate tokens create | list | revoke` take the ledger as a port and return data.
 */
import { createHash, randomBytes } from "node:crypto";
import { ShipgateError } from "../core/errors.js";
import type { ApiTokenRecord } from "../flags/types.js";
import type { LedgerStore } from "../ledger/types.js";

/** Every SDK token starts with this. */
export const sdkTokenPrefix = "sg_sdk_";

/** A new random SDK token: the prefix and 32 random bytes, base64url. */
export function generateSdkToken(): string {
  return `${sdkTokenPrefix}${randomBytes(32).toString("base64url")}`;
}

/** The hex SHA-256 of a token: the only form the ledger stores or looks up. */
export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface CreateSdkTokenOptions {
  ledger: LedgerStore;
  environment: string;
  name: string;
  /** Who creates it (recorded as createdBy). */
  actor: string;
  /** The environments the token may name (shipgate.yaml's environments). */
  knownEnvironments: readonly string[];
  now?: () => Date;
}

export interface CreatedSdkToken {
  record: ApiTokenRecord;
  /** The token itself: shown once, never stored. */
  token: string;
}

const maxNameLength = 100;

/** Creates an SDK token for one environment; USAGE for an unknown environment or an empty name. */
export async function createSdkToken(options: CreateSdkTokenOptions): Promise<CreatedSdkToken> {
  const { environment, knownEnvironments } = options;
  if (!knownEnvironments.includes(environment)) {
    throw new ShipgateError("USAGE", `environment "${environment}" is not declared in shipgate.yaml`, {
      hint:
        knownEnvironments.length === 0
          ? "Declare it under environments: in shipgate.yaml (e.g. environments: { staging: {} }), then run `shipgate tokens create --environment <name> --name <name>` again."
          : `Use one of: ${knownEnvironments.join(", ")} (e.g. \`shipgate tokens create --environment ${knownEnvironments[0]} --name ${options.name || "my-app"}\`), or declare it under environments: in shipgate.yaml.`,
    });
  }
  const name = options.name.trim();
  if (name === "" || name.length > maxNameLength) {
    throw new ShipgateError("USAGE", `a token name must have 1 to ${maxNameLength} characters`, {
      hint: `Name it after the app that uses it, e.g. \`shipgate tokens create --environment ${environment} --name checkout-web\`.`,
    });
  }
  const token = generateSdkToken();
  const record: ApiTokenRecord = {
    id: `tok_${randomBytes(6).toString("hex")}`,
    hash: hashApiToken(token),
    name,
    environment,
    scope: "sdk",
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    createdBy: options.actor,
    revokedAt: null,
  };
  await options.ledger.saveApiToken(record);
  return { record, token };
}

/** A token as listings show it: never the token, never its hash. */
export interface ApiTokenSummary {
  id: string;
  name: string;
  environment: string;
  scope: ApiTokenRecord["scope"];
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export function summarizeApiToken(record: ApiTokenRecord): ApiTokenSummary {
  const { hash: _hash, ...summary } = record;
  return summary;
}

/** Every token, without secrets. */
export async function listSdkTokens(ledger: LedgerStore): Promise<ApiTokenSummary[]> {
  return (await ledger.listApiTokens()).map(summarizeApiToken);
}

/** Revokes a token at once (the server checks on every request); USAGE when there is no such id. */
export async function revokeSdkToken(
  ledger: LedgerStore,
  id: string,
  now: () => Date = () => new Date(),
): Promise<{ token: ApiTokenSummary; alreadyRevoked: boolean }> {
  const revoked = await ledger.revokeApiToken(id, now().toISOString());
  const record = (await ledger.listApiTokens()).find((t) => t.id === id);
  if (record === undefined) {
    throw new ShipgateError("USAGE", `there is no API token with id "${id}"`, {
      hint: "Run `shipgate tokens list` to see the token ids.",
    });
  }
  return { token: summarizeApiToken(record), alreadyRevoked: !revoked };
}
