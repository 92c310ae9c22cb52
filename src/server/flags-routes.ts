/**
 * The flags API for SDKs (a fastify plugin, mounted at /api/flags), behind an SDK token whose
 * environment scopes every answer:
 * - GET  /api/flags          the environment's FlagSet, `ETag: "r<revision>"`, 304 on If-None-Match;
 * - GET  /api/flags/stream   server-sent events: `event: flags` on connect and after every change;
 * - POST /api/flags/metrics  evaluation counts `{ start, end, counts }` → 202, summed per day.
 */
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { FlagEvaluationCount, LedgerStore } from "../ledger/types.js";
import { sendApiError } from "./api-error.js";
import type { FlagBroadcaster } from "./flag-broadcaster.js";
import { buildFlagSet, etagMatches, flagSetEtag } from "./flag-set.js";
import { authenticatedToken, requireApiToken } from "./token-auth.js";

export interface FlagsRoutesOptions {
  ledger: LedgerStore;
  broadcaster: FlagBroadcaster;
  now: () => Date;
  /** Largest metrics body accepted, in bytes. */
  metricsBodyLimit: number;
}

const maxCountRows = 10_000;
const dayMs = 86_400_000;

export const flagMetricsBodySchema = z.object({
  start: z.iso.datetime({ offset: true, error: "expected an ISO-8601 time such as 2026-05-01T12:00:00Z" }),
  end: z.iso.datetime({ offset: true, error: "expected an ISO-8601 time such as 2026-05-01T12:01:00Z" }),
  counts: z
    .array(
      z.object({
        flagKey: z.string().min(1).max(200),
        variant: z.string().min(1).max(200).nullable().optional(),
        enabled: z.boolean(),
        count: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      }),
    )
    .max(maxCountRows, `at most ${maxCountRows} counts per request`),
});

export type FlagMetricsBody = z.infer<typeof flagMetricsBodySchema>;

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path
      .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join("");
    return `${where || "body"}: ${issue.message}`;
  });
}

/** Sums rows with the same flag, variant and outcome; drops zero counts. */
function mergeCounts(counts: FlagMetricsBody["counts"]): FlagEvaluationCount[] {
  const merged = new Map<string, FlagEvaluationCount>();
  for (const c of counts) {
    if (c.count === 0) continue;
    const variant = c.variant ?? null;
    const key = JSON.stringify([c.flagKey, variant, c.enabled]);
    const row = merged.get(key);
    if (row) row.count += c.count;
    else merged.set(key, { flagKey: c.flagKey, variant, enabled: c.enabled, count: c.count });
  }
  return [...merged.values()];
}

export const flagsRoutes: FastifyPluginAsync<FlagsRoutesOptions> = async (app, options) => {
  const { ledger, broadcaster, now } = options;
  requireApiToken(app, ledger, ["sdk"]);

  const sdk = { permission: "sdk" } as const; // the SDK token hook above authenticates these

  app.get("/", { config: sdk }, async (request, reply) => {
    const { environment } = authenticatedToken(request);
    const revision = await ledger.flagRevision();
    const etag = flagSetEtag(revision);
    reply.header("etag", etag).header("cache-control", "no-cache").header("vary", "Authorization");
    if (etagMatches(request.headers["if-none-match"], etag)) return reply.code(304).send();
    return buildFlagSet(ledger, environment, revision);
  });

  app.get("/stream", { config: sdk, exposeHeadRoute: false }, async (request, reply) => {
    const { environment } = authenticatedToken(request);
    // Built before the stream opens: a ledger failure is still an ordinary JSON error reply.
    const initial = await buildFlagSet(ledger, environment);
    const stream = broadcaster.subscribe(environment, initial);
    // fastify destroys the stream when the client goes away, but a destroyed source leaves the
    // response open (pipe does not end it) and the half-closed socket would hold close() forever.
    stream.once("close", () => {
      if (!reply.raw.writableEnded) reply.raw.destroy();
    });
    return reply
      .header("content-type", "text/event-stream; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("x-accel-buffering", "no") // nginx and similar proxies: do not buffer the stream
      .send(stream);
  });

  app.post("/metrics", { config: sdk, bodyLimit: options.metricsBodyLimit }, async (request, reply) => {
    const { environment } = authenticatedToken(request);
    const parsed = flagMetricsBodySchema.safeParse(request.body);
    if (!parsed.success) {
      return sendApiError(reply, 400, "BAD_REQUEST", "invalid metrics body", {
        details: describeIssues(parsed.error),
        hint: 'Send { "start": ISO time, "end": ISO time, "counts": [{ "flagKey", "variant", "enabled", "count" }] }.',
      });
    }
    const start = Date.parse(parsed.data.start);
    const end = Date.parse(parsed.data.end);
    if (end < start)
      return sendApiError(reply, 400, "BAD_REQUEST", "invalid metrics body: end is before start");
    if (end > now().getTime() + dayMs) {
      return sendApiError(reply, 400, "BAD_REQUEST", "invalid metrics body: end is more than a day ahead", {
        hint: "Check the clock of the machine sending the metrics.",
      });
    }
    const counts = mergeCounts(parsed.data.counts);
    if (counts.length > 0) {
      await ledger.recordFlagEvaluations(environment, new Date(end).toISOString().slice(0, 10), counts);
    }
    return reply.code(202).send({ accepted: counts.length });
  });
};
