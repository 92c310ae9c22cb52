/**
 * The team API's audit routes (a fastify plugin, mounted at /api/audit), behind the global auth hook:
 * - GET /api/audit?afterSeq=&limit=&target=  (read)   `{ entries: AuditRecord[] }`, oldest first;
 * - GET /api/audit/verify                     (admin)  the chain's AuditVerification.
 * The log is the ledger's hash-chained one; these routes only read it.
 */
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { LedgerStore } from "../ledger/types.js";
import { authApiHints, sendApiError } from "./api-error.js";
import { describeRequestIssues } from "./flags-admin-routes.js";

export interface AuditRoutesOptions {
  ledger: LedgerStore;
}

/** The most entries one request may ask for. */
export const maxAuditPage = 500;
export const defaultAuditPage = 100;

/** A whole number written in a query string, within [min, max]. */
function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `expected a whole number from ${min} to ${max}`)
        .max(max, `expected a whole number from ${min} to ${max}`),
    );
}

export const auditQuerySchema = z
  .object({
    afterSeq: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional(),
    limit: wholeNumber(1, maxAuditPage).default(defaultAuditPage),
    target: z
      .string()
      .min(1, "expected a target such as flag:new-checkout or deploy:<id>")
      .max(300, "expected at most 300 characters")
      .optional(),
  })
  .strict();

export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (app, options) => {
  const { ledger } = options;

  app.get("/", { config: { permission: "read", apiHints: authApiHints } }, async (request, reply) => {
    const parsed = auditQuerySchema.safeParse(request.query ?? {});
    if (!parsed.success) {
      return sendApiError(reply, 400, "BAD_REQUEST", "invalid audit query", {
        details: describeRequestIssues(parsed.error, "query"),
        hint: `Use ?afterSeq=<last seq seen>&limit=1..${maxAuditPage}&target=flag:<key>, e.g. /api/audit?target=flag:new-checkout&limit=50.`,
      });
    }
    const { afterSeq, limit, target } = parsed.data;
    const entries = await ledger.listAudit({
      limit,
      ...(afterSeq !== undefined ? { afterSeq } : {}),
      ...(target !== undefined ? { target } : {}),
    });
    return { entries };
  });

  app.get(
    "/verify",
    { config: { permission: "admin", apiHints: authApiHints } },
    async () => await ledger.verifyAudit(),
  );
};
