/**
 * Authentication and authorization of the team server. registerAuth, called on the root instance
 * before any route, installs one onRequest hook that enforces the permission every route declares
 * in `config.permission` (a route that declares none gets 500: fail closed), resolves the caller
 * (`Authorization: Bearer sg_api_…`, or the `sg_session` cookie of a dashboard login, re-checked
 * against the ledger on every request), requires the CSRF token and a same-origin Origin on unsafe
 * requests made with the cookie, checks the role (raised by the environment's access rules when
 * the route has an `:env` parameter) and the token's environment scope, and limits failed
 * authentications per client address. It also serves POST /auth/login, GET /auth/session and
 * POST /auth/logout. No token, session id or CSRF token is ever logged, audited or echoed.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import fastifyCookie from "@fastify/cookie";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ShipgateError } from "../../core/errors.js";
import type { ApiTokenRecord } from "../../flags/types.js";
import type { LedgerStore } from "../../ledger/types.js";
import { apiError, authApiHints, RouteError, sendApiError } from "../api-error.js";
import { allEnvironments, hashApiToken } from "../api-token.js";
import { authorizationProblem, bearerFormatHint, bearerToken } from "../token-auth.js";
import { createFailureLimiter, type FailureLimiter } from "./failure-limiter.js";
import {
  type AccessRules,
  isRole,
  minimumRole,
  type Permission,
  type Principal,
  principalCovers,
  roleAllows,
} from "./roles.js";
import { createSessionStore, type Session, type SessionStore } from "./sessions.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** What the route needs; "sdk": the flags API, which authenticates SDK tokens itself. */
    permission?: Permission | "sdk";
  }
  interface FastifyRequest {
    /** The authenticated caller (set by the auth hook; null on public and SDK routes). */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** The auth state registerAuth installed (requirePermission reads the access rules). */
    shipgateAuth: AuthState;
  }
}

/** The session cookie's name. */
export const sessionCookieName = "sg_session";
/** The header unsafe cookie-authenticated requests carry the CSRF token in. */
export const csrfHeaderName = "x-csrf-token";

export interface AuthOptions {
  ledger: LedgerStore;
  /** An environment's access rules (environments.<env>.access), undefined for an unknown one. */
  accessRules: (environment: string) => AccessRules | undefined;
  now?: () => Date;
  /** How long a dashboard session lasts after login (default 8 h). */
  sessionTtlMs?: number;
  /** Failed authentications allowed per address per window (default 10). */
  failureLimit?: number;
  /** The failure window (default 60 s). */
  failureWindowMs?: number;
  /** Mark the session cookie Secure (HTTPS only) and accept only https:// origins (default false). */
  secureCookies?: boolean;
}

export interface AuthState {
  accessRules: (environment: string) => AccessRules | undefined;
  sessions: SessionStore;
  limiter: FailureLimiter;
}

const defaultSessionTtlMs = 8 * 3_600_000;
const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

// The auth layer answers HTTP callers (scripts, the CLI's remote client, the dashboard): its hints
// name API requests and the dashboard, never a CLI command (api-error.ts), on every route. Each
// refusal also carries the same advice for a user of `shipgate --server …` (cliHint).
const unauthorizedHint = authApiHints.UNAUTHORIZED;
const unauthorizedCliHint =
  "Export a valid role token as SHIPGATE_TOKEN: an admin creates one with `shipgate tokens create --role <role> --name <you>` (`shipgate tokens list` shows which are revoked).";

/** The body of POST /api/tokens creating a role token, for hints. */
function tokenRequest(role: string, name: string, environment?: string): string {
  return `{"role": "${role}", "name": "${name}"${environment === undefined ? "" : `, "environment": "${environment}"`}}`;
}

const loginBodySchema = z.object({ token: z.string().min(1).max(512) }).strict();

/** The CLI always sends `Bearer <token>`: a header in another form was changed on the way. */
const bearerFormatCliHint =
  "shipgate sends `Authorization: Bearer $SHIPGATE_TOKEN` itself: if a proxy stands between the CLI and the server, make it pass the Authorization header unchanged.";

type Resolution =
  | { kind: "none" }
  | {
      kind: "invalid";
      message: string;
      staleCookie: boolean;
      /** Hints other than the unknown-token ones (a header that is not `Bearer <token>`). */
      hints?: { hint: string; cliHint: string };
    }
  | { kind: "ok"; principal: Principal; session: { id: string; session: Session } | null };

function principalFrom(record: ApiTokenRecord, via: Principal["via"]): Principal | null {
  if (!isRole(record.scope) || record.revokedAt !== null) return null;
  return {
    tokenId: record.id,
    name: record.name,
    role: record.scope,
    environment: record.environment === allEnvironments ? null : record.environment,
    via,
  };
}

/** Compares two secrets in constant time (their SHA-256, so lengths never leak either). */
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Why `principal` may not act with `permission` (in `environment`, under its rules), or null when
 * it may. FORBIDDEN names the role needed or the token's environment.
 */
export function permissionError(
  principal: Principal,
  permission: Exclude<Permission, "public">,
  environment?: string,
  rules?: AccessRules,
): RouteError | null {
  if (environment !== undefined && !principalCovers(principal, environment)) {
    return new RouteError(
      "FORBIDDEN",
      `the token "${principal.name}" may act on ${principal.environment ?? "every environment"} only, not on ${environment}`,
      {
        hint: `Use a token for ${environment}, or one for every environment: an admin creates one with POST /api/tokens ${tokenRequest(principal.role, "<you>")} (without "environment" it covers every environment).`,
        cliHint: `Use a token for ${environment}, or one for every environment (\`shipgate tokens create --role ${principal.role} --name <you>\` without --environment), exported as SHIPGATE_TOKEN.`,
      },
    );
  }
  if (roleAllows(principal.role, permission, rules)) return null;
  const needed = minimumRole(permission, rules);
  return new RouteError(
    "FORBIDDEN",
    `this needs the ${needed} role${environment !== undefined && needed !== minimumRole(permission) ? ` in ${environment}` : ""}; the token "${principal.name}" has ${principal.role}`,
    {
      hint: `Use a token with that role (or log in on the dashboard with one): an admin creates one with POST /api/tokens ${tokenRequest(needed, principal.name, environment)}.`,
      cliHint: `Ask an admin for a token with that role, and export it as SHIPGATE_TOKEN: \`shipgate tokens create --role ${needed} --name ${principal.name}${environment !== undefined ? ` --environment ${environment}` : ""}\`.`,
    },
  );
}

/** The authenticated caller of a request; UNAUTHORIZED on a route without credentials. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) {
    throw new RouteError("UNAUTHORIZED", "this request carries no valid credentials", {
      hint: unauthorizedHint,
      cliHint: unauthorizedCliHint,
    });
  }
  return request.principal;
}

/**
 * For handlers that learn the environment from a resource (a deploy id): throws UNAUTHORIZED
 * without a caller, FORBIDDEN when its role (under the environment's access rules) or its token's
 * environment scope does not allow `permission`.
 */
export function requirePermission(
  request: FastifyRequest,
  permission: Exclude<Permission, "public">,
  environment?: string,
): Principal {
  const principal = principalOf(request);
  const rules = environment === undefined ? undefined : request.server.shipgateAuth.accessRules(environment);
  const error = permissionError(principal, permission, environment, rules);
  if (error !== null) throw error;
  return principal;
}

/** Installs cookies, the auth hook and the /auth routes on `app` (the root instance, before any route). */
export async function registerAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const { ledger } = options;
  const now = options.now ?? (() => new Date());
  const ttlMs = options.sessionTtlMs ?? defaultSessionTtlMs;
  const secure = options.secureCookies ?? false;
  const sessions = createSessionStore({ ttlMs });
  const limiter = createFailureLimiter({
    limit: options.failureLimit ?? 10,
    windowMs: options.failureWindowMs ?? 60_000,
  });
  const cookieOptions = { httpOnly: true, sameSite: "strict", path: "/", secure } as const;

  if (!app.hasReplyDecorator("setCookie")) await app.register(fastifyCookie);
  app.decorateRequest("principal", null);
  app.decorate("shipgateAuth", { accessRules: options.accessRules, sessions, limiter });

  function sessionCookie(request: FastifyRequest): string | null {
    const value = request.cookies[sessionCookieName];
    return value === undefined || value === "" ? null : value;
  }

  async function resolve(request: FastifyRequest, allowBearer: boolean): Promise<Resolution> {
    const header = request.headers.authorization;
    if (allowBearer && header !== undefined) {
      const problem = authorizationProblem(header);
      if (problem !== null) {
        return {
          kind: "invalid",
          message: problem,
          staleCookie: false,
          hints: { hint: bearerFormatHint, cliHint: bearerFormatCliHint },
        };
      }
      const presented = bearerToken(header);
      const record = presented === null ? null : await ledger.findApiTokenByHash(hashApiToken(presented));
      const principal = record === null ? null : principalFrom(record, "token");
      if (principal === null) {
        return {
          kind: "invalid",
          message: "the API token is unknown, revoked or not a team-server token",
          staleCookie: false,
        };
      }
      return { kind: "ok", principal, session: null };
    }
    const id = sessionCookie(request);
    if (id === null) return { kind: "none" };
    const session = sessions.get(id, now().getTime());
    const record = session === null ? null : await ledger.findApiTokenByHash(session.tokenHash);
    const principal =
      record === null || record.id !== session?.tokenId ? null : principalFrom(record, "session");
    if (session === null || principal === null) {
      sessions.delete(id);
      return {
        kind: "invalid",
        message: "the session has expired or its token was revoked; log in again",
        staleCookie: true,
      };
    }
    return { kind: "ok", principal, session: { id, session } };
  }

  function unauthorized(reply: FastifyReply, resolution: Exclude<Resolution, { kind: "ok" }>): FastifyReply {
    reply.header("www-authenticate", 'Bearer realm="shipgate"');
    if (resolution.kind === "invalid" && resolution.staleCookie) {
      reply.clearCookie(sessionCookieName, cookieOptions);
    }
    return sendApiError(
      reply,
      401,
      "UNAUTHORIZED",
      resolution.kind === "none" ? "this needs an API token or a dashboard session" : resolution.message,
      (resolution.kind === "invalid" ? resolution.hints : undefined) ?? {
        hint: unauthorizedHint,
        cliHint: unauthorizedCliHint,
      },
    );
  }

  /** Whether the request's Origin (when it has one) is this server's own. */
  function sameOrigin(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    const host = request.headers.host;
    if (host === undefined) return false;
    return origin === `https://${host}` || (!secure && origin === `http://${host}`);
  }

  function crossSite(reply: FastifyReply): FastifyReply {
    return sendApiError(reply, 403, "FORBIDDEN", "cross-site request refused", {
      hint: `Requests made with the dashboard session must come from the dashboard itself and send its CSRF token in ${csrfHeaderName}; scripts should use \`Authorization: Bearer <token>\` instead.`,
    });
  }

  /** For an unsafe request made with the session cookie: the CSRF header and a same-origin Origin. */
  function csrfValid(request: FastifyRequest, session: Session): boolean {
    const presented = request.headers[csrfHeaderName];
    return typeof presented === "string" && sameSecret(presented, session.csrfToken) && sameOrigin(request);
  }

  app.addHook("onRequest", async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === undefined) return; // no route: the not-found handler answers
    const permission = request.routeOptions.config.permission;
    if (permission === undefined) {
      request.log.error({ route: url }, "route declares no permission");
      return sendApiError(reply, 500, "INTERNAL", "route declares no permission", {
        hint: "This is a bug in shipgate: every route must declare config.permission. Please report it.",
      });
    }
    if (permission === "public" || permission === "sdk") return;

    const resolution = await resolve(request, true);
    if (resolution.kind !== "ok") return unauthorized(reply, resolution);
    if (resolution.session !== null && !safeMethods.has(request.method)) {
      if (!csrfValid(request, resolution.session.session)) return crossSite(reply);
    }
    request.principal = resolution.principal;
    const environment = (request.params as Record<string, string | undefined> | undefined)?.env;
    const error = permissionError(
      resolution.principal,
      permission,
      environment,
      environment === undefined ? undefined : options.accessRules(environment),
    );
    if (error !== null)
      return sendApiError(reply, 403, error.code, error.message, {
        hint: error.hint ?? "",
        cliHint: error.cliHint,
      });
  });

  // Every 401 answered to a request that presented credentials (a token, a session cookie, a login)
  // is a failure of its address; requests without credentials guess nothing and are not counted.
  // Past the limit, failures answer 429 with Retry-After. Valid credentials are never refused: one
  // client with a revoked token (or every client behind a proxy without trustProxy) must not lock
  // the healthy ones out, and a 256-bit token cannot be guessed whatever the rate.
  app.addHook("onSend", async (request, reply, payload) => {
    if (reply.statusCode !== 401) return payload;
    const presented =
      request.headers.authorization !== undefined ||
      request.cookies?.[sessionCookieName] !== undefined ||
      request.routeOptions.url === "/auth/login";
    if (!presented) return payload;
    const at = now().getTime();
    const verdict = limiter.check(request.ip, at); // before this failure: the first `limit` answer 401
    limiter.recordFailure(request.ip, at);
    if (!verdict.blocked) return payload;
    reply.code(429).header("retry-after", String(verdict.retryAfterSeconds));
    return JSON.stringify(
      apiError("RATE_LIMITED", "too many failed authentications from this address", {
        hint: `Wait ${verdict.retryAfterSeconds} s, then retry with a valid token (an admin sees which are revoked with GET /api/tokens).`,
        cliHint: `Wait ${verdict.retryAfterSeconds} s, then retry with a valid token in SHIPGATE_TOKEN (\`shipgate tokens list\` shows which are revoked).`,
      }),
    );
  });

  app.post("/auth/login", { config: { permission: "public" } }, async (request, reply) => {
    if (!sameOrigin(request)) return crossSite(reply);
    const body = loginBodySchema.safeParse(request.body);
    if (!body.success) {
      throw new ShipgateError("USAGE", 'the login body must be {"token": "sg_api_…"}', {
        hint: 'Send {"token": "<role token>"}; an admin creates a role token with POST /api/tokens {"role": "viewer", "name": "<you>"}.',
      });
    }
    const record = await ledger.findApiTokenByHash(hashApiToken(body.data.token));
    const principal = record === null ? null : principalFrom(record, "session");
    if (record === null || principal === null) {
      return sendApiError(
        reply,
        401,
        "UNAUTHORIZED",
        "the token is unknown, revoked or not a team-server token",
        {
          hint: 'Log in with a role token (sg_api_…) that is not revoked; an admin creates one with POST /api/tokens {"role": "viewer", "name": "<you>"}. SDK tokens cannot log in.',
        },
      );
    }
    const previous = sessionCookie(request);
    if (previous !== null) sessions.delete(previous);
    const { id, session } = sessions.create(record, now().getTime());
    reply.setCookie(sessionCookieName, id, { ...cookieOptions, maxAge: Math.floor(ttlMs / 1000) });
    reply.header("cache-control", "no-store");
    return { principal, csrfToken: session.csrfToken };
  });

  app.get("/auth/session", { config: { permission: "public" } }, async (request, reply) => {
    const resolution = await resolve(request, false);
    if (resolution.kind !== "ok" || resolution.session === null) {
      return unauthorized(reply, resolution.kind === "ok" ? { kind: "none" } : resolution);
    }
    reply.header("cache-control", "no-store");
    return { principal: resolution.principal, csrfToken: resolution.session.session.csrfToken };
  });

  app.post("/auth/logout", { config: { permission: "public" } }, async (request, reply) => {
    const id = sessionCookie(request);
    if (id === null) return { loggedOut: false };
    const session = sessions.get(id, now().getTime());
    if (session !== null) {
      if (!csrfValid(request, session)) return crossSite(reply);
      sessions.delete(id);
    }
    reply.clearCookie(sessionCookieName, cookieOptions);
    return { loggedOut: session !== null };
  });
}
