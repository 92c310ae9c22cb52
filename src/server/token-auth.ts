/**
 * Bearer-token authentication: `Authorization: Bearer <token>` → hex SHA-256 → the ledger's token
 * record, which must exist, not be revoked, and carry the scope the route needs. Checked on every
 * request (a revoked token stops working at once). Failures answer 401 with one message for
 * unknown, revoked and out-of-scope tokens alike, and never echo the token. An Authorization header
 * that is not `Bearer <token>` (a bare token, another scheme) is told so, not "unknown token"
 * (authorizationProblem, shared with the team API's auth hook). Their hints name API requests, not
 * CLI commands: the caller is an app or SDK speaking HTTP.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiTokenRecord } from "../flags/types.js";
import type { LedgerStore } from "../ledger/types.js";
import { sendApiError } from "./api-error.js";
import { hashApiToken } from "./api-token.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated API token (set by requireApiToken's hook; null on public routes). */
    apiToken: ApiTokenRecord | null;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? null;
}

/** The hint for an Authorization header that is not `Bearer <token>` (HTTP callers). */
export const bearerFormatHint =
  'Send the token as `Authorization: Bearer <token>`: the word Bearer, a space, then the token (e.g. `curl -H "Authorization: Bearer $TOKEN"`).';

/**
 * What is wrong with an Authorization header that bearerToken does not accept (null: nothing, or
 * no header). The message names the scheme only when it looks like one (letters, at most 16), so a
 * token sent in its place is never echoed.
 */
export function authorizationProblem(header: string | undefined): string | null {
  if (header === undefined || bearerToken(header) !== null) return null;
  const must = "it must be `Authorization: Bearer <token>`";
  const scheme = /^([A-Za-z][A-Za-z-]{0,15})(?:[ \t]|$)/.exec(header.trim())?.[1];
  if (scheme === undefined || !/[ \t]/.test(header.trim())) {
    return scheme?.toLowerCase() === "bearer"
      ? `the Authorization header has no token after Bearer: ${must}`
      : `the Authorization header has no scheme (a bare token?): ${must}`;
  }
  return scheme.toLowerCase() === "bearer"
    ? `the Authorization header must carry one token after Bearer: ${must}`
    : `the Authorization header uses the ${scheme} scheme: ${must}`;
}

export type TokenCheck =
  | { state: "valid"; token: ApiTokenRecord }
  | { state: "missing" }
  /** A header that is not `Bearer <token>`; `message` says what is wrong (authorizationProblem). */
  | { state: "malformed"; message: string }
  | { state: "rejected" };

/** Looks a presented token up; rejected when unknown, revoked or not of one of `scopes`. */
export async function checkApiToken(
  ledger: LedgerStore,
  header: string | undefined,
  scopes: readonly ApiTokenRecord["scope"][],
): Promise<TokenCheck> {
  const problem = authorizationProblem(header);
  if (problem !== null) return { state: "malformed", message: problem };
  const presented = bearerToken(header);
  if (presented === null) return { state: "missing" };
  const record = await ledger.findApiTokenByHash(hashApiToken(presented));
  if (record === null || record.revokedAt !== null || !scopes.includes(record.scope)) {
    return { state: "rejected" };
  }
  return { state: "valid", token: record };
}

/**
 * Adds an onRequest hook to `app` (an encapsulated plugin: only its routes) that requires a token
 * of one of `scopes` and sets request.apiToken. It runs before the body is read.
 */
export function requireApiToken(
  app: FastifyInstance,
  ledger: LedgerStore,
  scopes: readonly ApiTokenRecord["scope"][],
): void {
  if (!app.hasRequestDecorator("apiToken")) app.decorateRequest("apiToken", null);
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const check = await checkApiToken(ledger, request.headers.authorization, scopes);
    if (check.state === "valid") {
      request.apiToken = check.token;
      return;
    }
    reply.header("www-authenticate", 'Bearer realm="shipgate"');
    if (check.state === "malformed") {
      return sendApiError(reply, 401, "UNAUTHORIZED", check.message, { hint: bearerFormatHint });
    }
    return check.state === "missing"
      ? sendApiError(reply, 401, "UNAUTHORIZED", "an API token is required", {
          hint: 'Send `Authorization: Bearer <token>` with an SDK token for the environment; an admin creates one with POST /api/tokens {"scope": "sdk", "name": "<app>", "environment": "<env>"}.',
        })
      : sendApiError(
          reply,
          401,
          "UNAUTHORIZED",
          "the API token is unknown, revoked or not valid for this API",
          {
            hint: "Check the SDK token your app is configured with (an SDK token, for this environment, not revoked); an admin lists the tokens and whether they are revoked with GET /api/tokens.",
          },
        );
  });
}

/** The authenticated token of a request behind requireApiToken. */
export function authenticatedToken(request: FastifyRequest): ApiTokenRecord {
  if (request.apiToken === null) throw new Error("route is missing requireApiToken"); // a wiring bug
  return request.apiToken;
}
