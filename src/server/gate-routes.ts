/**
 * The team API's gate route (a fastify plugin, mounted at /api), behind the global auth hook:
 * - GET /api/releases/:id/gate?environment=  (read)  `{ release: { id, version, gitSha }, gate }`:
 *   the newest `shipgate check` report stored for the release's commit. With `environment`: that
 *   environment's, else the one checked without an environment. Without: the one checked without an
 *   environment, else the newest of any. 404 NOT_FOUND (with a hint) when there is no such release,
 *   it has no commit, or no report was stored for its commit.
 */
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { CheckReport, ReleaseGate } from "../api/wire-types.js";
import { ShipgateError } from "../core/errors.js";
import type { GateReportRecord, LedgerStore } from "../ledger/types.js";
import { authApiHints } from "./api-error.js";

export interface GateRoutesOptions {
  ledger: LedgerStore;
}

/** What GET /api/releases/:id/gate answers. */
const paramsSchema = z.object({ id: z.string().min(1).max(200) }).strict();

export const gateQuerySchema = z
  .object({
    environment: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "expected an environment name such as production")
      .optional(),
  })
  .strict();

function badRequest(message: string): ShipgateError {
  return new ShipgateError("USAGE", message, {
    hint: "Use GET /api/releases/<release id>/gate?environment=<name>, e.g. /api/releases/r-0123456789abcdef/gate?environment=production.",
  });
}

/**
 * The hint of a release without a stored report: what puts one there. It names the CLI on purpose:
 * reports come from `shipgate check` runs in CI, and no API request makes one.
 */
function noReportHint(environment: string | undefined): string {
  return `run shipgate check --environment ${environment ?? "<env>"} in CI before deploying; its report is stored by commit`;
}

export const gateRoutes: FastifyPluginAsync<GateRoutesOptions> = async (app, options) => {
  const { ledger } = options;

  const route = { config: { permission: "read" as const, apiHints: authApiHints } };
  app.get("/releases/:id/gate", route, async (request): Promise<ReleaseGate> => {
    const params = paramsSchema.safeParse(request.params ?? {});
    if (!params.success) throw badRequest("invalid release id");
    const query = gateQuerySchema.safeParse(request.query ?? {});
    if (!query.success) {
      const issue = query.error.issues[0];
      throw badRequest(
        `invalid gate query: ${issue ? `${issue.path.join(".") || "query"}: ${issue.message}` : "unexpected parameters"}`,
      );
    }
    const { id } = params.data;
    const { environment } = query.data;
    const release = await ledger.getRelease(id);
    if (!release) {
      throw new ShipgateError("NOT_FOUND", `release ${id} is not in the ledger`, {
        hint: "GET /api/environments/<env>/history lists the releases deployed to an environment.",
      });
    }
    const summary = { id: release.id, version: release.version, gitSha: release.gitSha };
    if (release.gitSha === null) {
      throw new ShipgateError(
        "NOT_FOUND",
        `release ${release.version} (${release.id}) has no gate report: it was not built from a known commit`,
        { hint: noReportHint(environment) },
      );
    }
    const gate =
      environment !== undefined
        ? await ledger.latestGateReport(release.gitSha, environment)
        : ((await ledger.latestGateReport(release.gitSha, null)) ??
          (await ledger.listGateReports(release.gitSha))[0] ??
          null);
    if (!gate) {
      throw new ShipgateError(
        "NOT_FOUND",
        `no gate report for release ${release.version} (commit ${release.gitSha.slice(0, 12)}${environment ? `, environment ${environment}` : ""})`,
        { hint: noReportHint(environment) },
      );
    }
    // The ledger keeps the report `shipgate check --format json` printed (record-report.ts).
    return { release: summary, gate: gate as GateReportRecord & { report: CheckReport } };
  });
};
