/**
 * `shipgate migrations lint`: returns data (the report); the CLI entry renders it and derives the
 * exit code.
 */
import { loadConfig } from "../../config/load.js";
import { type MigrationsFlags, resolveMigrations } from "../../config/resolve.js";
import { frameworks } from "../../config/schema.js";
import { Disk } from "../../core/disk.js";
import { ShipgateError } from "../../core/errors.js";
import { failingFindings } from "../../core/finding.js";
import type { Report } from "../../core/report.js";
import { toolVersion } from "../../core/version.js";
import { defaultCacheDir } from "../../migrations/cache.js";
import { discoverMigrations } from "../../migrations/discover.js";
import { engineRuleMetas } from "../../migrations/engine-rules.js";
import { decodeSource, loadParser } from "../../migrations/parse.js";
import { allRules } from "../../migrations/rules/index.js";
import { type LintJob, runLint } from "../../migrations/run.js";
import { maskSecretLiterals } from "../../migrations/secrets.js";
import { verifyRuleMetas } from "../../migrations/verify/rules.js";

export interface MigrationsLintOptions extends MigrationsFlags {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  /** Cache directory; false disables the cache. Default: $XDG_CACHE_HOME/shipgate/<project hash>. */
  cacheDir?: string | false;
  onProgress?: (done: number, total: number) => void;
  /** Where the config, the schema dump and the migrations are read (default: the file system). */
  disk?: Disk;
}

export interface MigrationsLintResult {
  report: Report;
  framework: string;
  cached: number;
  /** True when an unapproved error-severity finding exists. */
  failed: boolean;
}

/** Every id migrations config may name: lint rules, engine diagnostics and verify's findings. */
export const knownRuleIds: ReadonlySet<string> = new Set([
  ...allRules.map((r) => r.meta.id),
  ...Object.keys(engineRuleMetas),
  ...Object.keys(verifyRuleMetas),
]);

const ruleDescriptions: Readonly<Record<string, string>> = Object.fromEntries([
  ...allRules.map((r) => [r.meta.id, r.meta.description]),
  ...Object.values(engineRuleMetas).map((m) => [m.id, m.description]),
]);

export async function runMigrationsLint(options: MigrationsLintOptions): Promise<MigrationsLintResult> {
  const disk = options.disk ?? Disk.plain();
  const loaded = loadConfig({
    cwd: options.cwd,
    ...(options.configPath ? { configPath: options.configPath } : {}),
    knownRuleIds,
    disk,
  });
  const settings = resolveMigrations(
    loaded.config.migrations,
    loaded.dir,
    options.cwd,
    options.env,
    options,
    [...frameworks, "auto"],
  );
  const discovered = await discoverMigrations({
    cwd: options.cwd,
    paths: settings.paths,
    framework: settings.framework,
    transactionModel: settings.transaction,
    ...(settings.since ? { since: settings.since } : {}),
    ...(settings.sqlFrom ? { sqlFrom: settings.sqlFrom } : {}),
    disk,
  });

  const jobs: LintJob[] = [];
  if (settings.schema) {
    let bytes: Buffer;
    try {
      bytes = disk.read(settings.schema);
    } catch {
      throw new ShipgateError("FILE_NOT_FOUND", `schema dump ${settings.schema} cannot be read`, {
        hint: "Create it with `pg_dump --schema-only --no-owner $DATABASE_URL > schema.sql`, or drop --schema.",
      });
    }
    jobs.push({ source: decodeSource(settings.schema, bytes), role: "replay" });
  }
  for (const source of discovered.baseline) jobs.push({ source, role: "replay" });
  for (const source of discovered.targets) jobs.push({ source, role: "lint" });

  const cacheDir =
    options.cacheDir === false ? undefined : (options.cacheDir ?? defaultCacheDir(options.cwd, options.env));
  const run = await runLint({
    jobs,
    settings: {
      pgVersion: settings.pgVersion,
      transactionModel: "none",
      ruleSettings: settings.rules,
      approvals: settings.approvals,
    },
    toolVersion,
    ...(cacheDir ? { cacheDir } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });

  const findings = run.files.flatMap((f) => f.findings);
  // Code frames print source lines: secrets written in migrations are masked first.
  const hasSecrets = findings.some((f) => f.ruleId === "hardcoded-password");
  if (hasSecrets) await loadParser();
  const sources = new Map(
    discovered.targets.map((t) => [t.path, hasSecrets ? maskSecretLiterals(t.text) : t.text]),
  );
  return {
    report: {
      command: "migrations lint",
      files: run.files.map((f) => ({ path: f.path, class: f.class })),
      findings,
      sources,
      ruleDescriptions,
    },
    framework: discovered.framework,
    cached: run.cached,
    failed: failingFindings(findings).length > 0,
  };
}
