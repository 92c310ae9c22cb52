/**
 * The server's error replies: every failure answers `{ error: { code, message, hint? } }` with the
 * right status, and nothing else maps errors to HTTP. ShipgateErrors keep their code and status;
 * fastify's own request errors (malformed JSON, a body over the route's limit, an unsupported
 * content type) keep their 4xx status under a stable code, with a hint saying what to send; an
 * unknown route's 404 says where the routes are (and, as cliHint, to check `--server`); anything else
 * is a logged 500 that reveals no detail. Request headers (the Authorization token) are never part
 * of a reply or a log line.
 *
 * A hint in an HTTP answer names what to do over the API (the method and path, or the field to
 * change), never a CLI command. The domain errors a route lets through (the flag service, API
 * tokens) carry the CLI's hints ("Run `shipgate flags list`"): a route declares its own for them
 * by error code (`config.apiHints`), which replaces such a hint in every error reply of that route.
 * A hint that names no CLI command is sent as it is: the auth layer's refusals (401, 403, 429) are
 * written for HTTP callers in the first place (authApiHints), so they need no route's help.
 * The CLI's remote client shows its users CLI hints: a replaced CLI hint goes along as `cliHint`, and
 * a route's own refusals (RouteError) carry both.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCode, isShipgateError, ShipgateError } from "../core/errors.js";
import { formatBytes } from "../core/exec.js";

/**
 * A route's hint for HTTP clients: text, or made from the request (e.g. the key in its path) and
 * the domain's hint (e.g. to keep the environments it lists).
 */
export type ApiHint = string | ((request: FastifyRequest, domainHint: string) => string);

/** A route's hints by error code, replacing the CLI hints of the domain errors it lets through. */
export type ApiHints = Partial<Record<ErrorCode, ApiHint>>;

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route's hints for errors whose own hint names a CLI command (api-error.ts). */
    apiHints?: ApiHints;
  }
}

/** Whether a hint names a CLI command (`shipgate flags list`) or option (`--environment`). */
export function namesCliCommand(hint: string): boolean {
  return /\bshipgate [a-z]/.test(hint) || /(?:^|[\s(`'])--[a-z]/.test(hint);
}

/**
 * The auth layer's hints (auth/auth-plugin.ts, token-auth.ts): what a caller of the HTTP API without
 * a fitting token does. They name API requests and the dashboard, never a CLI command, so every
 * route sends them as they are, whether or not it declares apiHints. Routes may still spread them
 * into their apiHints.
 */
export const authApiHints = {
  UNAUTHORIZED:
    "Send `Authorization: Bearer <token>` with a valid role token (an admin creates one with POST /api/tokens; GET /api/tokens shows which are revoked), or log in on the dashboard.",
  FORBIDDEN:
    'Use a token whose role and environment allow this: an admin creates one with POST /api/tokens {"role", "name", "environment"?} (without "environment" it covers every environment).',
} as const satisfies ApiHints;

/** The hint an HTTP answer carries for an error with `code` and the domain's `hint`. */
function apiHintFor(code: string, hint: string, request: FastifyRequest): string {
  if (!namesCliCommand(hint)) return hint;
  const routeHint = request.routeOptions?.config?.apiHints?.[code as ErrorCode];
  if (routeHint !== undefined) return typeof routeHint === "string" ? routeHint : routeHint(request, hint);
  // No API hint declared (or no API equivalent, e.g. `shipgate check` runs in CI): sent as it is.
  return hint;
}

export interface ApiErrorBody {
  /**
   * `cliHint`: the same advice for the CLI's remote client (`shipgate --server …`), naming a
   * `shipgate` command, sent when it differs from `hint` (which names the API).
   */
  error: { code: string; message: string; hint?: string; cliHint?: string; details?: string[] };
}

/**
 * A refusal written by a route itself, with both hints: `hint` names what to do over the API,
 * `cliHint` what a CLI user does (the same words the local command would print).
 */
export class RouteError extends ShipgateError {
  readonly cliHint: string;

  constructor(code: ErrorCode, message: string, hints: { hint: string; cliHint: string }) {
    super(code, message, { hint: hints.hint });
    this.cliHint = hints.cliHint;
  }
}

/** Stable codes for the HTTP statuses the API answers with. */
const statusCodes: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  406: "NOT_ACCEPTABLE",
  408: "REQUEST_TIMEOUT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
  503: "UNAVAILABLE",
};

export function apiError(
  code: string,
  message: string,
  extra: { hint?: string | undefined; cliHint?: string | undefined; details?: string[] } = {},
): ApiErrorBody {
  return {
    error: {
      code,
      message,
      ...(extra.hint ? { hint: extra.hint } : {}),
      ...(extra.cliHint && extra.cliHint !== extra.hint ? { cliHint: extra.cliHint } : {}),
      ...(extra.details && extra.details.length > 0 ? { details: extra.details } : {}),
    },
  };
}

/**
 * Sends an error reply (for handlers and hooks that answer an error themselves), with the route's API
 * hints. A CLI hint the route's API hint replaced goes along as `cliHint`, for the CLI's remote client.
 */
export function sendApiError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  extra: { hint?: string; cliHint?: string; details?: string[] } = {},
): FastifyReply {
  const hint = extra.hint ? apiHintFor(code, extra.hint, reply.request) : undefined;
  const cliHint = extra.cliHint ?? (extra.hint !== undefined && hint !== extra.hint ? extra.hint : undefined);
  return reply
    .code(status)
    .header("cache-control", "no-store")
    .send(
      apiError(code, message, {
        ...(extra.details ? { details: extra.details } : {}),
        ...(hint ? { hint } : {}),
        ...(cliHint ? { cliHint } : {}),
      }),
    );
}

/** An unknown route's hints: where the routes are, and for the CLI, the --server it was given. */
export const notFoundHints = {
  hint: "The team API's routes are under /api (GET /api/me, GET /api/environments, …; docs/team-server.md lists them; they are mounted when the server runs in a project with a shipgate.yaml), the flags API for SDKs under /api/flags, and GET /health answers when the server is up.",
  cliHint:
    "Check --server / SHIPGATE_SERVER: the address of `shipgate serve` without a path (e.g. http://127.0.0.1:4900), started in the project (its shipgate.yaml), and running the same shipgate version as this CLI.",
} as const;

/** What to send instead, for fastify's own refusals of a request body (by its error code). */
function bodyErrorHint(error: FastifyError, request: FastifyRequest): string | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `Send a smaller body: this route takes at most ${formatBytes(request.routeOptions.bodyLimit)}.`;
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "The API takes JSON bodies only: send the body as JSON with `content-type: application/json`.";
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return "Send valid JSON (check the quoting: in a shell, wrap the body in single quotes), e.g. '{\"enabled\":true}'.";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "Send a JSON body (`{}` when the route needs no fields), or leave out `content-type: application/json` when there is no body.";
    default:
      return undefined;
  }
}

/** Installs the error and not-found handlers on the root instance. */
export function registerApiErrors(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    sendApiError(
      reply,
      404,
      "NOT_FOUND",
      `no route ${request.method} ${request.url.split("?")[0]}`,
      notFoundHints,
    ),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isShipgateError(error)) {
      if (error.httpStatus >= 500) request.log.error({ err: error }, "request failed");
      return sendApiError(reply, error.httpStatus, error.code, error.message, {
        ...(error.hint ? { hint: error.hint } : {}),
        ...(error instanceof RouteError ? { cliHint: error.cliHint } : {}),
        details: error.details,
      });
    }
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const hint = bodyErrorHint(error, request);
      return sendApiError(
        reply,
        status,
        statusCodes[status] ?? `HTTP_${status}`,
        error.message,
        hint ? { hint } : {},
      );
    }
    request.log.error({ err: error }, "request failed");
    return sendApiError(reply, 500, "INTERNAL", "internal error; the server log has the details");
  });
}
