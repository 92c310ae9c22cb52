/**
 * The HTTP server of `shipgate serve`, a fastify app over the ledger: GET /health and the flags API
 * for SDKs (/api/flags). Further APIs (issue #10: deploys, approvals, audit, the dashboard) mount as
 * more encapsulated plugins with their own auth. The caller owns the ledger: close() stops the
 * flag poller and ends every event stream, but leaves the ledger open.
 */
import type { Writable } from "node:stream";
import fastify, { type FastifyInstance } from "fastify";
import type { LedgerStore } from "../ledger/types.js";
import { registerApiErrors } from "./api-error.js";
import { createFlagBroadcaster, type FlagBroadcaster } from "./flag-broadcaster.js";
import { flagsRoutes } from "./flags-routes.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The event-stream fan-out of the flags API (its subscriber count: connected SDK streams). */
    flagBroadcaster: FlagBroadcaster;
  }
}

/** Largest request body by default (64 KiB); bigger ones get 413. */
export const defaultBodyLimit = 64 * 1024;

export interface ServerOptions {
  ledger: LedgerStore;
  /** The clock (tests). */
  now?: () => Date;
  /** How often the flag revision is polled for event streams (default 200 ms). */
  pollMs?: number;
  /** How often streams get a keep-alive comment (default 15 s). */
  keepAliveMs?: number;
  /** Request logging (pino, JSON lines; false by default). A stream receives the lines (tests). */
  logger?: boolean | { stream: Writable; level?: string };
  /** Largest request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /**
   * On close(), how long requests in flight may take before every connection is cut (default 2 s).
   * Idle keep-alive connections close at once; this catches clients that hold a connection open
   * without finishing a request (Node's server.close() would wait for them for minutes).
   */
  closeGraceMs?: number;
  /** Background failures (a flag poll that could not read the ledger); default: the logger. */
  onError?: (message: string, error: unknown) => void;
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const now = options.now ?? (() => new Date());
  const bodyLimit = options.bodyLimit ?? defaultBodyLimit;
  const app = fastify({
    logger: options.logger ?? false,
    bodyLimit,
    // Stay strict about what a request may carry; the API is JSON only.
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
  });
  registerApiErrors(app);
  app.removeContentTypeParser("text/plain"); // the API speaks JSON only: anything else is 415

  const broadcaster = createFlagBroadcaster({
    ledger: options.ledger,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.keepAliveMs !== undefined ? { keepAliveMs: options.keepAliveMs } : {}),
    onError: (error) => {
      if (options.onError) options.onError("flag poll failed", error);
      else app.log.error({ err: error }, "flag poll failed");
    },
  });
  app.decorate("flagBroadcaster", broadcaster);
  // Event streams never end by themselves: end them before fastify waits for open requests, and
  // cut what is still open after the grace period.
  const closeGraceMs = options.closeGraceMs ?? 2000;
  app.addHook("preClose", async () => {
    broadcaster.close();
    const force = setTimeout(() => app.server.closeAllConnections(), closeGraceMs);
    force.unref();
    app.server.once("close", () => clearTimeout(force));
  });

  app.get("/health", async () => ({ status: "ok" }));
  await app.register(flagsRoutes, {
    prefix: "/api/flags",
    ledger: options.ledger,
    broadcaster,
    now,
    metricsBodyLimit: bodyLimit,
  });
  return app;
}
