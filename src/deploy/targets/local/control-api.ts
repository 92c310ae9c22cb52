/**
 * The local agent's control API: paths and request bodies, validated with zod on the agent's side.
 * Every request carries `Authorization: Bearer <token>` (the token is in agent.json, mode 0600).
 *
 *   GET  /v1/state                 AgentState
 *   GET  /v1/metrics               TargetMetrics (per-release golden signals, restarts, error signatures)
 *   GET  /v1/metrics/series?seconds=N   per-release points of the last N seconds (one per 5 s)
 *   GET  /v1/instances/<id>/logs   { lines, readiness } — the instance's last output lines (masked)
 *   POST /v1/instances             { spec, count }          → { ids }
 *   POST /v1/instances/stop        { ids, drain }           → { stopped }
 *   PUT  /v1/traffic               { traffic, sticky? }     → { traffic }
 *   PUT  /v1/preview               { releaseId | null }     → { previewUrl }
 *   POST /v1/shutdown              { drain? }               → 202; drains everything, stops, exits
 *
 * Errors answer { error: { code, message, hint, details } } with the ShipgateError's HTTP status.
 */
import { z } from "zod";
import { probeSchema } from "../../../config/deploy-schema.js";

const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const instanceSpecSchema = z
  .object({
    releaseId: z.string().min(1).max(200),
    cwd: z.string().min(1),
    command: z.string().min(1),
    env: z.record(z.string(), z.string()),
    readiness: probeSchema,
    liveness: probeSchema,
  })
  .strict();

export const drainSchema = z
  .object({ timeoutMs: z.number().int().min(0), graceMs: z.number().int().min(0) })
  .strict();

export const stickySchema = z
  .object({
    header: z.string().regex(token, "expected an HTTP header name"),
    cookie: z.string().regex(token, "expected a cookie name"),
  })
  .strict();

export const startInstancesBody = z
  .object({ spec: instanceSpecSchema, count: z.number().int().min(1).max(64) })
  .strict();

export const stopInstancesBody = z.object({ ids: z.array(z.string().min(1)), drain: drainSchema }).strict();

export const trafficBody = z
  .object({
    traffic: z.array(
      z.object({ releaseId: z.string().min(1), weight: z.number().int().min(0).max(100) }).strict(),
    ),
    sticky: stickySchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const ids = body.traffic.map((t) => t.releaseId);
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: "custom", path: ["traffic"], message: "a release is listed twice" });
    }
    const sum = body.traffic.reduce((s, t) => s + t.weight, 0);
    if (body.traffic.length > 0 && sum !== 100) {
      ctx.addIssue({ code: "custom", path: ["traffic"], message: `weights sum to ${sum}, expected 100` });
    }
  });

export const previewBody = z.object({ releaseId: z.string().min(1).nullable() }).strict();

export const shutdownBody = z.object({ drain: drainSchema.optional() }).strict();

export interface ErrorBody {
  error: { code: string; message: string; hint: string | null; details: string[] };
}
