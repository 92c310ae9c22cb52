/**
 * API tokens: random secrets with a recognisable prefix (so secret scanners and people can tell
 * what leaked), shown once and stored only as their hex SHA-256. SDK tokens (`sg_sdk_…`) read one
 * environment's flags; role tokens (`sg_api_…`) act on the team server with a role, in one
 * environment or all of them. The use cases behind `shipgate tokens create | list | revoke` and
 * `/api/tokens` take the ledger as a port, audit every creation and revocation (never the token
 * or its hash), and return data.
 */
import { createHash, randomBytes } from "node:crypto";
import { ShipgateError } from "../core/errors.js";
import type { ApiTokenRecord } from "../flags/types.js";
import type { LedgerStore } from "../ledger/types.js";
import { isRole, type Role, roles } from "./auth/roles.js";

/** Every SDK token starts with this. */
export const sdkTokenPrefix = "sg_sdk_";

/** Every role (team-server) token starts with this. */
export const roleTokenPrefix = "sg_api_";

/** A new random SDK token: the prefix and 32 random bytes, base64url. */
export function generateSdkToken(): string {
  return `${sdkTokenPrefix}${randomBytes(32).toString("base64url")}`;
}

/** A new random role token: the prefix and 32 random bytes, base64url. */
export function generateRoleToken(): string {
  return `${roleTokenPrefix}${randomBytes(32).toString("base64url")}`;
}

/** The environment a role token valid in every environment records. */
export const allEnvironments = "*";

/** The hex SHA-256 of a token: the only form the ledger stores or looks up. */
export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface CreateSdkTokenOptions {
  ledger: LedgerStore;
  environment: string;
  name: string;
  /** Who creates it (recorded as createdBy and as the audit row's actor). */
  actor: string;
  /** From where, for the audit row: "cli@<host>" or the request's IP. */
  source?: string | null;
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

export interface CreateApiTokenOptions {
  ledger: LedgerStore;
  /** The role the token acts with on the team server. */
  role: Role;
  /** The one environment it may act on, or null for every environment. */
  environment: string | null;
  name: string;
  /** Who creates it (recorded as createdBy and as the audit row's actor). */
  actor: string;
  /** From where, for the audit row: "cli@<host>" or the request's IP. */
  source?: string | null;
  /** The environments the token may name (shipgate.yaml's environments). */
  knownEnvironments: readonly string[];
  now?: () => Date;
}

/** A new token: the record stored (with the hash) and the token, shown once. */
export type CreatedApiToken = CreatedSdkToken;

function checkEnvironment(environment: string, knownEnvironments: readonly string[], example: string): void {
  if (knownEnvironments.includes(environment)) return;
  throw new ShipgateError("USAGE", `environment "${environment}" is not declared in shipgate.yaml`, {
    hint:
      knownEnvironments.length === 0
        ? `Declare it under environments: in shipgate.yaml (e.g. environments: { staging: {} }), then run \`${example.replace("<env>", "<name>")}\` again.`
        : `Use one of: ${knownEnvironments.join(", ")} (e.g. \`${example.replace("<env>", knownEnvironments[0] ?? "<env>")}\`), or declare it under environments: in shipgate.yaml.`,
  });
}

function checkName(raw: string, example: string): string {
  const name = raw.trim();
  if (name === "" || name.length > maxNameLength) {
    throw new ShipgateError("USAGE", `a token name must have 1 to ${maxNameLength} characters`, {
      hint: `Name it after who or what uses it, e.g. \`${example}\`.`,
    });
  }
  return name;
}

function newTokenId(): string {
  return `tok_${randomBytes(6).toString("hex")}`;
}

async function saveAndAudit(
  ledger: LedgerStore,
  record: ApiTokenRecord,
  source: string | null | undefined,
): Promise<void> {
  await ledger.saveApiToken(record);
  await ledger.appendAudit({
    actor: record.createdBy,
    action: "token.create",
    target: `token:${record.id}`,
    environment: record.environment === allEnvironments ? null : record.environment,
    source: source ?? null,
    before: null,
    after: summarizeApiToken(record),
    at: record.createdAt,
  });
}

/** Creates an SDK token for one environment; USAGE for an unknown environment or an empty name. */
export async function createSdkToken(options: CreateSdkTokenOptions): Promise<CreatedSdkToken> {
  const { environment } = options;
  checkEnvironment(
    environment,
    options.knownEnvironments,
    `shipgate tokens create --environment <env> --name ${options.name.trim() || "my-app"}`,
  );
  const name = checkName(
    options.name,
    `shipgate tokens create --environment ${environment} --name checkout-web`,
  );
  const token = generateSdkToken();
  const record: ApiTokenRecord = {
    id: newTokenId(),
    hash: hashApiToken(token),
    name,
    environment,
    scope: "sdk",
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    createdBy: options.actor,
    revokedAt: null,
  };
  await saveAndAudit(options.ledger, record, options.source);
  return { record, token };
}

/**
 * Creates a role token for the team server, for one environment or (null) all of them; USAGE for
 * an unknown role or environment or an empty name.
 */
export async function createApiToken(options: CreateApiTokenOptions): Promise<CreatedApiToken> {
  const { role, environment } = options;
  if (!isRole(role)) {
    throw new ShipgateError("USAGE", `"${String(role)}" is not a role`, {
      hint: `Use one of: ${roles.join(", ")} (e.g. \`shipgate tokens create --role viewer --name ada\`).`,
    });
  }
  if (environment !== null) {
    checkEnvironment(
      environment,
      options.knownEnvironments,
      `shipgate tokens create --role ${role} --name ${options.name.trim() || "ci"} --environment <env>`,
    );
  }
  const name = checkName(options.name, `shipgate tokens create --role ${role} --name ada`);
  const token = generateRoleToken();
  const record: ApiTokenRecord = {
    id: newTokenId(),
    hash: hashApiToken(token),
    name,
    environment: environment ?? allEnvironments,
    scope: role,
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    createdBy: options.actor,
    revokedAt: null,
  };
  await saveAndAudit(options.ledger, record, options.source);
  return { record, token };
}

/** A token as listings show it: never the token, never its hash. */
export interface ApiTokenSummary {
  id: string;
  name: string;
  /** The environment it is scoped to; "*" for a role token valid in every environment. */
  environment: string;
  /** "sdk", or the role of a team-server token. */
  scope: ApiTokenRecord["scope"];
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export function summarizeApiToken(record: ApiTokenRecord): ApiTokenSummary {
  return {
    id: record.id,
    name: record.name,
    environment: record.environment,
    scope: record.scope,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    revokedAt: record.revokedAt,
  };
}

/** Every token (SDK and role), without secrets. */
export async function listApiTokens(ledger: LedgerStore): Promise<ApiTokenSummary[]> {
  return (await ledger.listApiTokens()).map(summarizeApiToken);
}

export interface RevokeApiTokenOptions {
  /** Who revokes it (the audit row's actor). */
  actor: string;
  /** From where: "cli@<host>" or the request's IP. */
  source?: string | null;
  now?: () => Date;
}

/**
 * Revokes a token at once (the server checks on every request, so its sessions end too) and
 * audits it; NOT_FOUND when there is no such id. Revoking a revoked token changes nothing.
 */
export async function revokeApiToken(
  ledger: LedgerStore,
  id: string,
  options: RevokeApiTokenOptions,
): Promise<{ token: ApiTokenSummary; alreadyRevoked: boolean }> {
  const at = (options.now ?? (() => new Date()))().toISOString();
  const before = (await ledger.listApiTokens()).find((t) => t.id === id);
  if (before === undefined) {
    throw new ShipgateError("NOT_FOUND", `there is no API token with id "${id}"`, {
      hint: "Run `shipgate tokens list` to see the token ids.",
    });
  }
  const revoked = await ledger.revokeApiToken(id, at);
  const after = (await ledger.listApiTokens()).find((t) => t.id === id) ?? before;
  if (revoked) {
    await ledger.appendAudit({
      actor: options.actor,
      action: "token.revoke",
      target: `token:${id}`,
      environment: after.environment === allEnvironments ? null : after.environment,
      source: options.source ?? null,
      before: summarizeApiToken(before),
      after: summarizeApiToken(after),
      at,
    });
  }
  return { token: summarizeApiToken(after), alreadyRevoked: !revoked };
}
