/**
 * The CLI's client of the team API (`shipgate serve`, docs/team-server.md): one typed method per
 * route the release, flag, audit and token commands use, over the global fetch (undici). The server's error body
 * `{ error: { code, message, hint, details } }` becomes a ShipgateError with that code, so the CLI's exit
 * codes are the same against a server as locally; where the server sends its advice in CLI terms
 * (`cliHint`, src/server/api-error.ts) it is shown instead of the hint for HTTP callers. Every
 * successful reply is checked against a schema of the fields the CLI reads (replySchemas below), so a
 * `--server` that is not a shipgate team server (or one of another version) is a clear TARGET_FAILED,
 * not a crash in a renderer. The token travels only in the Authorization header: it is never part of
 * a message, a hint or a cause.
 */

import { z } from "zod";
import type { DeployDetail, EnvironmentSummary, HistoryEntryWithDiff, Me } from "../api/wire-types.js";
import { type ErrorCode, ShipgateError } from "../core/errors.js";
import { toolVersion } from "../core/version.js";
import type { ApprovalResult, StatusResult } from "../deploy/service.js";
import type { FlagChangeResult, FlagDetails, FlagListEntry } from "../flags/service.js";
import type { TargetingRule, Variant } from "../flags/types.js";
import type { AuditRecord, AuditVerification } from "../ledger/types.js";
import type { ApiTokenSummary } from "../server/api-token.js";

export type { DeployDetail, EnvironmentSummary, HistoryEntryWithDiff, Me };

/** `POST /api/deploys/:id/approve | reject`: the decision as the deploy service returns it. */
export type ApprovalAnswer = ApprovalResult;

/** `PATCH /api/environments/:env/flags/:key`: any of the fields; the server applies narrowing changes first. */
export interface FlagPatch {
  enabled?: boolean;
  rollout?: number;
  killed?: boolean;
  rules?: TargetingRule[];
  variants?: Variant[];
}

/** `POST /api/flag-definitions`: what `shipgate flags create` takes. */
export interface FlagCreate {
  key: string;
  owner: string;
  description?: string;
  type?: string;
  removalDate?: string | null;
}

/** `POST /api/tokens`: a role token (every environment unless one is named) or an SDK token. */
export type TokenCreate =
  | { role: string; name: string; environment?: string | null }
  | { scope: "sdk"; name: string; environment: string };

export interface RemoteClient {
  /** The server's address as shown to people (no credentials), without a trailing slash. */
  readonly baseUrl: string;
  me(): Promise<Me>;
  environments(): Promise<EnvironmentSummary[]>;
  status(environment: string): Promise<StatusResult>;
  history(environment: string, limit?: number): Promise<HistoryEntryWithDiff[]>;
  deployDetail(deployId: string): Promise<DeployDetail>;
  /** 202 `{ deployId }`; 200 `{ deployId: null, outcome: "unchanged" }` when the release already serves. */
  deploy(
    environment: string,
    body: { version: string; strategy?: string; reason?: string },
  ): Promise<{ deployId: string | null; outcome?: string }>;
  promote(environment: string): Promise<{ deployId: string }>;
  abort(environment: string, body?: { reason?: string }): Promise<{ deployId: string }>;
  /** 202 `{ deployId }`; 200 `{ deployId: null, outcome: "unchanged" }` when `to` already serves. */
  rollback(
    environment: string,
    body?: { to?: string; reason?: string; force?: boolean },
  ): Promise<{ deployId: string | null; outcome?: string }>;
  approve(deployId: string, body?: { comment?: string }): Promise<ApprovalAnswer>;
  reject(deployId: string, body?: { comment?: string }): Promise<ApprovalAnswer>;
  flags(environment: string): Promise<FlagListEntry[]>;
  patchFlag(environment: string, key: string, body: FlagPatch): Promise<FlagListEntry>;
  /** The PATCH with what it did: one FlagChangeResult per field, in the order applied. */
  changeFlag(
    environment: string,
    key: string,
    body: FlagPatch,
  ): Promise<{ flag: FlagListEntry; changes: FlagChangeResult[] }>;
  /** `GET /api/flag-definitions`: every flag with its state in `environment` (default: all). */
  listFlags(query?: { environment?: string; archived?: boolean }): Promise<FlagListEntry[]>;
  /** `GET /api/flag-definitions/:key`: definition, state per environment, latest audit entries. */
  showFlag(key: string): Promise<FlagDetails>;
  createFlag(body: FlagCreate): Promise<FlagChangeResult>;
  archiveFlag(key: string): Promise<FlagChangeResult>;
  /** `GET /api/audit`: entries oldest first. */
  audit(query?: { afterSeq?: number; limit?: number; target?: string }): Promise<AuditRecord[]>;
  /** `GET /api/audit/verify` (admin). */
  verifyAudit(): Promise<AuditVerification>;
  /** `GET /api/tokens` (admin): summaries, never a token. */
  tokens(): Promise<ApiTokenSummary[]>;
  /** `POST /api/tokens` (admin): the token, shown once, and its summary. */
  createToken(body: TokenCreate): Promise<{ token: string; record: ApiTokenSummary }>;
  /** `DELETE /api/tokens/:id` (admin). */
  revokeToken(id: string): Promise<{ token: ApiTokenSummary; alreadyRevoked: boolean }>;
}

export interface RemoteClientOptions {
  /** The server, e.g. http://127.0.0.1:4900 ($SHIPGATE_SERVER or --server). */
  baseUrl: string;
  /** An API token ($SHIPGATE_TOKEN); undefined or empty is a usage error. */
  token: string | undefined;
  /** Tests: another fetch. Default: the global fetch (undici). */
  fetch?: typeof globalThis.fetch;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

const knownCodes: readonly ErrorCode[] = [
  "USAGE",
  "CONFIG_NOT_FOUND",
  "CONFIG_INVALID",
  "FILE_NOT_FOUND",
  "GIT_FAILED",
  "COMMAND_FAILED",
  "DATABASE_FAILED",
  "GATE_FAILED",
  "MIGRATION_FAILED",
  "LOCKED",
  "LEDGER_FAILED",
  "TARGET_FAILED",
  "DEPLOY_ROLLED_BACK",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "INTERNAL",
];

/** The server's generic codes for fastify's own request errors (src/server/api-error.ts). */
const genericCodes: Record<string, ErrorCode> = {
  BAD_REQUEST: "USAGE",
  PAYLOAD_TOO_LARGE: "USAGE",
  UNSUPPORTED_MEDIA_TYPE: "USAGE",
  TOO_MANY_REQUESTS: "RATE_LIMITED",
};

/** Maps a code from the wire to the CLI's closed set: known codes stay, anything else is INTERNAL. */
export function errorCodeFromWire(code: unknown): ErrorCode {
  if (typeof code !== "string") return "INTERNAL";
  if ((knownCodes as readonly string[]).includes(code)) return code as ErrorCode;
  return genericCodes[code] ?? "INTERNAL";
}

/** Parses --server / $SHIPGATE_SERVER: an http(s) URL; credentials in it are refused (they would show in `ps`). */
export function parseServerUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ShipgateError("USAGE", `--server expects a URL such as http://127.0.0.1:4900, got "${value}"`, {
      hint: "Example: shipgate --server https://shipgate.example.com status production",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ShipgateError("USAGE", `--server expects an http or https URL, got "${url.protocol}"`, {
      hint: "Example: shipgate --server https://shipgate.example.com status production",
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new ShipgateError("USAGE", "--server must not contain credentials", {
      hint: "Put the API token in $SHIPGATE_TOKEN instead.",
    });
  }
  return url;
}

const tokenHint =
  "Create a token on the server's ledger with `shipgate tokens create --role deployer --name <you>` and export it as SHIPGATE_TOKEN.";

// The replies' shapes as far as the CLI reads them (src/api/wire-types.ts declares them whole, as
// types only). Objects are loose: fields a newer server adds pass through to `--format json`.
const str = z.string();
const strOrNull = z.string().nullable();
const anObject = z.looseObject({});
const release = z.looseObject({ id: str, version: str });

const statusSchema = z.looseObject({
  environment: str,
  url: strOrNull,
  target: z.looseObject({ type: str }).nullable().optional(),
  current: z
    .looseObject({
      id: str,
      version: str,
      gitSha: strOrNull,
      deployedAt: strOrNull,
      deployedBy: strOrNull,
    })
    .nullable(),
  traffic: z.array(z.looseObject({ releaseId: str, version: str, weight: z.number() })),
  inProgress: z
    .looseObject({
      id: str,
      version: str,
      strategy: str,
      status: str,
      step: z.number(),
      steps: z.number(),
      approval: z
        .looseObject({
          required: z.number(),
          valid: z.number(),
          approvers: z.array(str),
          expiresAt: strOrNull,
        })
        .nullable()
        .optional(),
    })
    .nullable(),
  undeployed: z
    .array(z.looseObject({ sha: str, subject: str }))
    .nullable()
    .optional(),
  live: z
    .looseObject({
      seconds: z.number(),
      thresholds: z.looseObject({ errorRate: z.number(), p99Ms: z.number() }),
      releases: z.array(
        z.looseObject({
          version: str,
          rps: z.number(),
          errorRate: z.number().nullable(),
          p99Ms: z.number().nullable(),
          alerts: z.array(str),
        }),
      ),
    })
    .nullable()
    .optional(),
  analysis: z.looseObject({ deployId: str, phase: str, verdict: str, summary: str }).nullable().optional(),
  instances: z
    .array(
      z.looseObject({
        id: str,
        state: str,
        port: z.number(),
        pid: z.number().nullable(),
        restarts: z.number(),
      }),
    )
    .nullable()
    .optional(),
  lock: z.looseObject({ holder: str, acquiredAt: str }).nullable().optional(),
  recovered: strOrNull.optional(),
});

const historyEntry = z.looseObject({
  id: str,
  kind: str,
  version: str,
  previousVersion: strOrNull,
  strategy: str,
  status: str,
  actor: str,
  reason: strOrNull,
  error: strOrNull,
  startedAt: str,
});

/**
 * A deploy as `shipgate approve` and the follow of a deploy read it: the deploy, its release and its
 * approvals; the lists a deploy has not filled yet may be absent (nothing recorded: empty).
 */
const deployDetailSchema = z.looseObject({
  deploy: z.looseObject({
    id: str,
    environment: str,
    kind: str.optional(),
    status: str,
    plan: z.array(z.looseObject({ type: str })).default([]),
    nextStep: z.number().default(0),
    error: strOrNull.default(null),
  }),
  release,
  previous: release.nullable().default(null),
  notes: z.array(str).default([]),
  steps: z
    .array(
      z.looseObject({
        index: z.number().int().nonnegative(),
        status: str,
        detail: anObject,
        startedAt: str,
        finishedAt: strOrNull,
      }),
    )
    .default([]),
  approvals: z.looseObject({ required: z.number(), valid: z.number() }),
  analyses: z.array(z.looseObject({ id: str, phase: str, verdict: str, summary: str })).default([]),
  operation: z
    .looseObject({
      state: str,
      error: z.looseObject({ code: str, message: str, hint: str.optional() }).nullable(),
    })
    .nullable()
    .default(null),
});

const deployStarted = z.looseObject({ deployId: strOrNull, outcome: str.optional() });
const approvalAnswer = z.looseObject({
  deployId: str,
  status: str,
  approvals: z.looseObject({ required: z.number(), valid: z.number() }).optional(),
});
const flagEntry = z.looseObject({ definition: z.looseObject({ key: str }), states: z.array(anObject) });
const flagChange = z.looseObject({ key: str, action: str });
const tokenSummary = z.looseObject({ id: str });

/** Each reply the CLI reads, by the client method that reads it. */
const replySchemas = {
  me: z.looseObject({ name: str, role: str }),
  environments: z.looseObject({ environments: z.array(z.looseObject({ name: str })) }),
  status: statusSchema,
  history: z.looseObject({ entries: z.array(historyEntry) }),
  deployDetail: deployDetailSchema,
  deployStarted,
  deployRunning: z.looseObject({ deployId: str }),
  approval: approvalAnswer,
  flags: z.looseObject({ flags: z.array(anObject) }),
  flag: z.looseObject({ flag: anObject }),
  flagChanges: z.looseObject({ flag: anObject, changes: z.array(anObject) }),
  flagList: z.looseObject({ flags: z.array(flagEntry) }),
  flagDetails: z.looseObject({
    definition: z.looseObject({ key: str }),
    states: z.array(anObject),
    audit: z.array(anObject),
  }),
  flagChange: z.looseObject({ change: flagChange }),
  audit: z.looseObject({ entries: z.array(anObject) }),
  auditVerification: z.looseObject({ ok: z.boolean() }),
  tokens: z.looseObject({ tokens: z.array(tokenSummary) }),
  tokenCreated: z.looseObject({ token: str, record: tokenSummary }),
  tokenRevoked: z.looseObject({ token: tokenSummary, alreadyRevoked: z.boolean() }),
} satisfies Record<string, z.ZodType>;

/** `path: problem` of a reply that does not fit its schema (at most `max` of them). */
function replyProblems(error: z.ZodError, max = 5): string[] {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "the reply"}: ${issue.message}`);
}

export function createRemoteClient(options: RemoteClientOptions): RemoteClient {
  const url = parseServerUrl(options.baseUrl);
  const baseUrl = url.href.replace(/\/+$/, "");
  if (options.token === undefined || options.token.trim() === "") {
    throw new ShipgateError("USAGE", `no API token for ${baseUrl}: SHIPGATE_TOKEN is not set`, {
      hint: tokenHint,
    });
  }
  const token: string = options.token.trim();
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const enc = encodeURIComponent;

  /** The server's answer, not a team server's: what was wrong, and where to look. */
  function notATeamServer(method: string, path: string, what: string, details: string[] = []): ShipgateError {
    return new ShipgateError(
      "TARGET_FAILED",
      redact(
        `the server at ${baseUrl} did not answer as a shipgate team server (${method} ${path}: ${what})`,
        token,
      ),
      {
        hint: `Check --server / SHIPGATE_SERVER: it must be the address of \`shipgate serve\` (GET ${baseUrl}/health answers {"status":"ok"}). If it is, the server may run another shipgate version than this CLI (${toolVersion}): run the same version on both.`,
        ...(details.length > 0 ? { details: details.map((d) => redact(d, token)) } : {}),
      },
    );
  }

  /**
   * One request; a successful reply is checked against `schema` (the fields the CLI reads) and
   * returned as `T`, the wire type that declares the rest.
   */
  async function call<T>(method: string, path: string, schema: z.ZodType, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: "application/json",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // Only the error's code goes into the message: never the request (its headers hold the token).
      const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
      const code =
        typeof cause?.code === "string"
          ? cause.code
          : (error as { name?: unknown })?.name === "TimeoutError"
            ? `no answer within ${Math.round(timeoutMs / 1000)} s`
            : "connection failed";
      throw new ShipgateError("TARGET_FAILED", `cannot reach the team server at ${baseUrl} (${code})`, {
        hint: `Is \`shipgate serve\` running at ${baseUrl}? Check --server / SHIPGATE_SERVER.`,
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const err = (
        parsed as
          | {
              error?: {
                code?: unknown;
                message?: unknown;
                hint?: unknown;
                cliHint?: unknown;
                details?: unknown;
              };
            }
          | undefined
      )?.error;
      const details = Array.isArray(err?.details)
        ? err.details.filter((d): d is string => typeof d === "string").map((d) => redact(d, token))
        : [];
      const code = errorCodeFromWire(err?.code ?? statusCode(response.status));
      const message =
        typeof err?.message === "string"
          ? err.message
          : `the team server answered ${response.status} to ${method} ${path}`;
      // The server's hint for the CLI where it differs from the one for HTTP callers (api-error.ts).
      const hint =
        typeof err?.cliHint === "string"
          ? err.cliHint
          : typeof err?.hint === "string"
            ? err.hint
            : code === "UNAUTHORIZED"
              ? tokenHint
              : code === "RATE_LIMITED"
                ? `Retry after ${response.headers.get("retry-after") ?? "a minute"} s.`
                : undefined;
      throw new ShipgateError(code, redact(message, token), {
        ...(hint ? { hint: redact(hint, token) } : {}),
        ...(details.length > 0 ? { details } : {}),
      });
    }
    if (parsed === undefined) {
      const type = response.headers.get("content-type")?.split(";")[0]?.trim();
      throw notATeamServer(
        method,
        path,
        `${response.status} with ${text === "" ? "an empty body" : `a body that is not JSON${type ? ` (${type})` : ""}`}`,
      );
    }
    const checked = schema.safeParse(parsed);
    if (!checked.success) {
      const problems = replyProblems(checked.error);
      throw notATeamServer(method, path, `unexpected reply: ${problems[0] ?? "invalid"}`, problems);
    }
    // The schema checked the fields the CLI reads; T (the wire type) declares the rest.
    return checked.data as T;
  }

  return {
    baseUrl,
    me: () => call<Me>("GET", "/api/me", replySchemas.me),
    environments: async () =>
      (
        await call<{ environments: EnvironmentSummary[] }>(
          "GET",
          "/api/environments",
          replySchemas.environments,
        )
      ).environments,
    status: (env) => call<StatusResult>("GET", `/api/environments/${enc(env)}`, replySchemas.status),
    history: async (env, limit = 20) =>
      (
        await call<{ entries: HistoryEntryWithDiff[] }>(
          "GET",
          `/api/environments/${enc(env)}/history?limit=${limit}`,
          replySchemas.history,
        )
      ).entries,
    deployDetail: (id) => call<DeployDetail>("GET", `/api/deploys/${enc(id)}`, replySchemas.deployDetail),
    deploy: (env, body) =>
      call("POST", `/api/environments/${enc(env)}/deploys`, replySchemas.deployStarted, body),
    promote: (env) => call("POST", `/api/environments/${enc(env)}/promote`, replySchemas.deployRunning, {}),
    abort: (env, body = {}) =>
      call("POST", `/api/environments/${enc(env)}/abort`, replySchemas.deployRunning, body),
    rollback: (env, body = {}) =>
      call("POST", `/api/environments/${enc(env)}/rollback`, replySchemas.deployStarted, body),
    approve: (id, body = {}) => call("POST", `/api/deploys/${enc(id)}/approve`, replySchemas.approval, body),
    reject: (id, body = {}) => call("POST", `/api/deploys/${enc(id)}/reject`, replySchemas.approval, body),
    flags: async (env) =>
      (
        await call<{ flags: FlagListEntry[] }>(
          "GET",
          `/api/environments/${enc(env)}/flags`,
          replySchemas.flags,
        )
      ).flags,
    patchFlag: async (env, key, body) =>
      (
        await call<{ flag: FlagListEntry }>(
          "PATCH",
          `/api/environments/${enc(env)}/flags/${enc(key)}`,
          replySchemas.flag,
          body,
        )
      ).flag,
    changeFlag: (env, key, body) =>
      call("PATCH", `/api/environments/${enc(env)}/flags/${enc(key)}`, replySchemas.flagChanges, body),
    listFlags: async (query = {}) =>
      (
        await call<{ flags: FlagListEntry[] }>(
          "GET",
          `/api/flag-definitions${queryString({
            environment: query.environment,
            archived: query.archived ? "true" : undefined,
          })}`,
          replySchemas.flagList,
        )
      ).flags,
    showFlag: (key) =>
      call<FlagDetails>("GET", `/api/flag-definitions/${enc(key)}`, replySchemas.flagDetails),
    createFlag: async (body) =>
      (
        await call<{ change: FlagChangeResult }>(
          "POST",
          "/api/flag-definitions",
          replySchemas.flagChange,
          body,
        )
      ).change,
    archiveFlag: async (key) =>
      (
        await call<{ change: FlagChangeResult }>(
          "POST",
          `/api/flag-definitions/${enc(key)}/archive`,
          replySchemas.flagChange,
          {},
        )
      ).change,
    audit: async (query = {}) =>
      (
        await call<{ entries: AuditRecord[] }>(
          "GET",
          `/api/audit${queryString({
            afterSeq: query.afterSeq?.toString(),
            limit: query.limit?.toString(),
            target: query.target,
          })}`,
          replySchemas.audit,
        )
      ).entries,
    verifyAudit: () => call<AuditVerification>("GET", "/api/audit/verify", replySchemas.auditVerification),
    tokens: async () =>
      (await call<{ tokens: ApiTokenSummary[] }>("GET", "/api/tokens", replySchemas.tokens)).tokens,
    createToken: (body) => call("POST", "/api/tokens", replySchemas.tokenCreated, body),
    revokeToken: (id) => call("DELETE", `/api/tokens/${enc(id)}`, replySchemas.tokenRevoked),
  };
}

/** `?a=1&b=2` of the defined values (empty when none). */
function queryString(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined) params.set(name, value);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

/** The code for a status when the body has none (e.g. a proxy's 502 page). */
function statusCode(status: number): string {
  const byStatus: Record<number, ErrorCode> = {
    400: "USAGE",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITED",
  };
  return byStatus[status] ?? "INTERNAL";
}

/** A server should never echo the token; if one did, it still never reaches the terminal. */
function redact(text: string, token: string): string {
  return text.split(token).join("[token]");
}

/**
 * The client the CLI uses when a server is set (`--server`, else $SHIPGATE_SERVER; empty counts
 * as unset, as CI sets unset secrets to ""), with the token from $SHIPGATE_TOKEN; null otherwise.
 */
export function remoteClientFromCli(input: {
  server: string | undefined;
  env: NodeJS.ProcessEnv;
  fetch?: typeof globalThis.fetch;
}): RemoteClient | null {
  const server = input.server?.trim() || input.env.SHIPGATE_SERVER?.trim();
  if (!server) return null;
  return createRemoteClient({
    baseUrl: server,
    token: input.env.SHIPGATE_TOKEN,
    ...(input.fetch ? { fetch: input.fetch } : {}),
  });
}
