/**
 * The server's error replies: every failure answers `{ error: { code, message, hint? } }` with the
 * right status, and nothing else maps errors to HTTP. ShipgateErrors keep their code and status;
 * fastify's own request errors (malformed JSON, a body over the limit, an unsupported content
 * type) keep their 4xx status under a stable code; anything else is a logged 500 that reveals no
 * detail. Request headers (the Authorization token) are never part of a reply or a log line.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { isShipgateError } from "../core/errors.js";

export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string; details?: string[] };
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
  extra: { hint?: string | undefined; details?: string[] } = {},
): ApiErrorBody {
  return {
    error: {
      code,
      message,
      ...(extra.hint ? { hint: extra.hint } : {}),
      ...(extra.details && extra.details.length > 0 ? { details: extra.details } : {}),
    },
  };
}

/** Sends an error reply (for handlers and hooks that answer an error themselves). */
export function sendApiError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  extra: { hint?: string; details?: string[] } = {},
): FastifyReply {
  return reply
    .code(status)
    .header("cache-control", "no-store")
    .send(apiError(code, message, extra));
}

/** Installs the error and not-found handlers on the root instance. */
export function registerApiErrors(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    sendApiError(reply, 404, "NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isShipgateError(error)) {
      if (error.httpStatus >= 500) request.log.error({ err: error }, "request failed");
      return sendApiError(reply, error.httpStatus, error.code, error.message, {
        ...(error.hint ? { hint: error.hint } : {}),
        details: error.details,
      });
    }
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendApiError(reply, status, statusCodes[status] ?? `HTTP_${status}`, error.message);
    }
    request.log.error({ err: error }, "request failed");
    return sendApiError(reply, 500, "INTERNAL", "internal error; the server log has the details");
  });
}
