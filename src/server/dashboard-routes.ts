/**
 * The dashboard's static files (a fastify plugin mounted at the root of `shipgate serve`):
 * - GET /               the single-page app (index.html);
 * - GET /assets/:file   its compiled ES modules, its stylesheet and uPlot (served locally, no CDN).
 *
 * Only the files of a fixed allow-list are served, looked up by exact name, so no request path can
 * reach another file. Every answer carries a strict Content-Security-Policy (no inline script or
 * style, no external origin), nosniff, no-referrer and an ETag with `cache-control: no-cache`.
 * The files are built by `npm run build` into dist/dashboard (next to dist/server); they are read
 * on first request and kept in memory.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { ShipgateError } from "../core/errors.js";

export interface DashboardRoutesOptions {
  /** Where the built dashboard files are (default: the dashboard directory beside this module's, i.e. dist/dashboard). */
  assetsDir?: string;
}

/** The Content-Security-Policy of every dashboard answer. */
export const dashboardCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Every file /assets/ serves, by the name in the URL: the compiled modules of src/dashboard (one per
 * source file; a test fails when a source file is missing here), the stylesheet, and uPlot.
 */
export const dashboardAssets: readonly string[] = [
  "api-client.js",
  "confirm-dialog.js",
  "dashboard.css",
  "dom.js",
  "environment-view.js",
  "environments-view.js",
  "flags-view.js",
  "format.js",
  "gate-view.js",
  "history-view.js",
  "live-chart.js",
  "login-view.js",
  "main.js",
  "permissions.js",
  "uPlot.iife.min.js",
  "uPlot.min.css",
];

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

interface LoadedAsset {
  body: Buffer;
  type: string;
  etag: string;
}

/** dist/dashboard when this module runs from dist/server. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL("../dashboard/", import.meta.url));
}

function contentType(name: string): string {
  const ext = name.slice(name.lastIndexOf("."));
  return contentTypes[ext] ?? "application/octet-stream";
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", dashboardCsp)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin");
}

export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, options) => {
  const dir = options.assetsDir ?? defaultDashboardDir();
  const allowed = new Set(["index.html", ...dashboardAssets]);
  const cache = new Map<string, Promise<LoadedAsset>>();

  function load(name: string): Promise<LoadedAsset> {
    let pending = cache.get(name);
    if (!pending) {
      pending = readFile(join(dir, name)).then(
        (body) => ({
          body,
          type: contentType(name),
          etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
        }),
        (error: NodeJS.ErrnoException) => {
          cache.delete(name); // a later build may add it
          throw new ShipgateError(
            "INTERNAL",
            `the dashboard file ${name} is missing from ${dir} (${error.code ?? error.message})`,
            {
              hint: "Build the dashboard with `npm run build` (it compiles src/dashboard into dist/dashboard).",
            },
          );
        },
      );
      cache.set(name, pending);
    }
    return pending;
  }

  async function send(name: string, ifNoneMatch: string | undefined, reply: FastifyReply) {
    securityHeaders(reply).header("cache-control", "no-cache");
    if (!allowed.has(name)) {
      throw new ShipgateError("NOT_FOUND", `no dashboard file ${JSON.stringify(name)}`, {
        hint: "The dashboard lives at / ; its files under /assets/ are fixed.",
      });
    }
    const asset = await load(name);
    reply.header("etag", asset.etag).type(asset.type);
    if (ifNoneMatch?.split(/\s*,\s*/).includes(asset.etag)) {
      return reply.code(304).send();
    }
    return reply.send(asset.body);
  }

  app.get("/", { config: { permission: "public" } }, (request, reply) =>
    send("index.html", request.headers["if-none-match"], reply),
  );
  app.get<{ Params: { file: string } }>(
    "/assets/:file",
    { config: { permission: "public" } },
    (request, reply) => send(request.params.file, request.headers["if-none-match"], reply),
  );
};
