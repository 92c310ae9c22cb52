/**
 * The deploy's migrate step: the release's migrations (from its stored artifact) are linted, backed
 * up and applied through `migrations apply` before the new release starts. While the old release
 * still serves, only expand (additive) changes may run: a transformative or destructive statement
 * refuses the deploy before anything is applied.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ShipgateError } from "../core/errors.js";
import { toolVersion } from "../core/version.js";
import type { Deploy, Release } from "../ledger/types.js";
import {
  applyMigrations,
  loadMigrationFiles,
  maskDatabaseUrl,
  resolveApplySettings,
} from "../migrations/apply/index.js";
import { unsealEnv } from "./secrets.js";
import type { DeployContext } from "./service.js";

export async function runMigrationsForDeploy(
  ctx: DeployContext,
  release: Release,
  deploy: Deploy,
): Promise<Record<string, unknown>> {
  const variable = ctx.envConfig.databaseUrlEnv as string;
  const env = release.envSealed ? unsealEnv(release.envSealed, ctx.key) : {};
  const url = env[variable];
  if (!url) {
    throw new ShipgateError("CONFIG_INVALID", `${variable} is not in the release's env snapshot`, {
      hint: `Define ${variable} in the environment's env source (environments.${ctx.environment}.env in shipgate.yaml).`,
    });
  }
  const dir = path.join(release.artifact.path, ctx.config.release.migrations);
  if (!existsSync(dir)) return { skipped: `no ${ctx.config.release.migrations}/ directory in the release` };
  const { framework, files } = await loadMigrationFiles({
    cwd: release.artifact.path,
    configDir: release.artifact.path,
    paths: [dir],
    framework: ctx.config.migrations.framework,
    transaction: ctx.config.migrations.transaction,
  });
  const settings = resolveApplySettings(ctx.config.migrations, ctx.configDir, ctx.configDir, {});
  const common = {
    url,
    files,
    framework,
    transaction: ctx.config.migrations.transaction,
    settings,
    ruleSettings: ctx.config.migrations.rules,
    approvals: ctx.config.migrations.approvals,
    toolVersion,
    cwd: release.artifact.path,
    env: {},
  };
  const planned = await applyMigrations({ ...common, dryRun: true });
  const contracting = planned.findings.filter(
    (f) => f.class !== undefined && f.class !== "additive" && f.suppression === undefined,
  );
  if (deploy.previousReleaseId !== null && contracting.length > 0) {
    const list = contracting.map((f) => `${f.file}:${f.line} ${f.ruleId} (${f.class})`).join("; ");
    throw new ShipgateError(
      "MIGRATION_FAILED",
      `the release's migrations are not expand-only while the previous release still serves: ${list}`,
      {
        hint: "Split the change: ship the expand part with this release, and the contract part (drops, renames, type changes) in a later release once no running code uses the old shape.",
      },
    );
  }
  if (planned.error) throw planned.error;
  if (planned.plan.length === 0) return { database: maskDatabaseUrl(url), applied: [] };
  const result = await applyMigrations(common);
  if (result.error) throw result.error;
  if (result.backup) {
    await ctx.ledger.recordBackup({
      id: result.backup.id,
      deployId: deploy.id,
      environment: ctx.environment,
      location: result.backup.dir,
      tables: result.backup.tables.map((t) => t.name),
      checksum: result.backup.id,
      createdAt: ctx.now().toISOString(),
    });
  }
  return {
    database: maskDatabaseUrl(url),
    applied: result.outcomes.map((o) => o.name),
    backup: result.backup?.id ?? null,
  };
}
