/**
 * The HTTP server of `shipgate serve`, a fastify app over the ledger: GET /health, the flags API
 * for SDKs (/api/flags, SDK tokens), and — given a project (shipgate.yaml) — the team API (/api:
 * environments, deploys, approvals, flags, audit, tokens), the login routes (/auth) and the
 * dashboard (/). Every route declares the permission it needs; the auth hook (auth/) enforces it
 * and refuses a route that declares none. The caller owns the ledger: close() stops the flag
 * poller, ends every event stream and waits briefly for running operations, but leaves the ledger
 * open.
 */
import type { Writable } from "node:stream";
import fastify, { type FastifyInstance } from "fastify";
import { loadConfig } from "../config/load.js";
import { createFlagService } from "../flags/service.js";
import type { LedgerStore } from "../ledger/types.js";
import { registerApiErrors } from "./api-error.js";
import { auditRoutes } from "./audit-routes.js";
import { registerAuth } from "./auth/index.js";
import { dashboardRoutes } from "./dashboard-routes.js";
import { createFlagBroadcaster, type FlagBroadcaster } from "./flag-broadcaster.js";
import { flagDefinitionsRoutes } from "./flag-definitions-routes.js";
import { flagsAdminRoutes } from "./flags-admin-routes.js";
import { flagsRoutes } from "./flags-routes.js";
import { gateRoutes } from "./gate-routes.js";
import { createOperations } from "./operations.js";
import { type ProjectOptions, teamRoutes } from "./team-routes.js";
import { tokensRoutes } from "./tokens-routes.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The event-stream fan-out of the flags API (its subscriber count: connected SDK streams). */
    flagBroadcaster: FlagBroadcaster;
    /** Every route with the permission it declares (the route × role test walks them). */
    routeTable: RouteEntry[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  permission: string | undefined;
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
  /**
   * The project (where shipgate.yaml is): mounts the team API, login and the dashboard. Without
   * it the server serves the flags API for SDKs only.
   */
  project?: ProjectOptions;
  /** Tests: the CLI entry the local target's agent is started with. */
  cliEntry?: string;
  /** The dashboard's built files (default: dist/dashboard beside the server). */
  dashboardDir?: string;
  /** Trust X-Forwarded-For from a reverse proxy (fastify's trustProxy); default: server.trustProxy of the project, else false. */
  trustProxy?: boolean | string[];
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const now = options.now ?? (() => new Date());
  const bodyLimit = options.bodyLimit ?? defaultBodyLimit;
  const project = options.project;
  const loaded = project
    ? loadConfig({ cwd: project.cwd, ...(project.configPath ? { configPath: project.configPath } : {}) })
    : null;
  const app = fastify({
    trustProxy: options.trustProxy ?? loaded?.config.server.trustProxy ?? false,
    logger: options.logger ?? false,
    bodyLimit,
    // Stay strict about what a request may carry; the API is JSON only.
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
  });
  registerApiErrors(app);
  const routeTable: RouteEntry[] = [];
  app.decorate("routeTable", routeTable);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if (method === "HEAD") continue; // the HEAD fastify adds to a GET shares the GET's config
      routeTable.push({ method, url: route.url, permission: route.config?.permission });
    }
  });
  app.removeContentTypeParser("text/plain"); // the API speaks JSON only: anything else is 415
  const environments = loaded ? Object.keys(loaded.config.environments) : [];
  await registerAuth(app, {
    ledger: options.ledger,
    now,
    accessRules: (environment) => loaded?.config.environments[environment]?.access,
    ...(loaded
      ? {
          sessionTtlMs: loaded.config.server.sessionTtl,
          secureCookies: loaded.config.server.secureCookies,
          failureLimit: loaded.config.server.authFailureLimit,
        }
      : {}),
  });
  const operations = createOperations({
    now,
    onError: (operation, error) => {
      const message = `${operation.kind} of deploy ${operation.deployId} failed`;
      if (options.onError) options.onError(message, error);
      else app.log.error({ err: error }, message);
    },
  });

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
    await operations.close(closeGraceMs);
    const force = setTimeout(() => app.server.closeAllConnections(), closeGraceMs);
    force.unref();
    app.server.once("close", () => clearTimeout(force));
  });

  app.get("/health", { config: { permission: "public" } }, async () => ({ status: "ok" }));
  await app.register(flagsRoutes, {
    prefix: "/api/flags",
    ledger: options.ledger,
    broadcaster,
    now,
    metricsBodyLimit: bodyLimit,
  });
  if (project) {
    const flags = createFlagService({ ledger: options.ledger, environments, now });
    await app.register(teamRoutes, {
      prefix: "/api",
      ledger: options.ledger,
      project,
      operations,
      now,
      ...(options.cliEntry ? { cliEntry: options.cliEntry } : {}),
    });
    await app.register(flagsAdminRoutes, {
      prefix: "/api/environments",
      flags,
      ledger: options.ledger,
      knownEnvironments: environments,
    });
    await app.register(flagDefinitionsRoutes, { prefix: "/api/flag-definitions", flags });
    await app.register(gateRoutes, { prefix: "/api", ledger: options.ledger });
    await app.register(auditRoutes, { prefix: "/api/audit", ledger: options.ledger });
    await app.register(tokensRoutes, {
      prefix: "/api/tokens",
      ledger: options.ledger,
      knownEnvironments: environments,
      now,
    });
    await app.register(dashboardRoutes, options.dashboardDir ? { assetsDir: options.dashboardDir } : {});
  }
  return app;
}
