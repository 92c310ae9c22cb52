/**
 * `migrations apply`: the production path. In order:
 *
 * 1. connect and take the migration lock (advisory lock; wait with messages, then LOCKED);
 * 2. read the history (after the lock, so nothing is applied twice) and compare it with the files:
 *    an applied file edited since refuses the run;
 * 3. plan the pending files (transaction or autocommit per file, statements, expected locks,
 *    tables touched) and lint them as they will run: an unapproved error finding refuses the run;
 * 4. back up the existing tables the pending files touch (definition and data);
 * 5. apply the files in order, each recorded in shipgate.schema_migrations (inside the file's
 *    transaction when it has one), retrying lock timeouts with backoff; or run --command and record
 *    the files after it succeeds.
 *
 * `dryRun` stops after step 3 (and the list of tables to back up) on a read-only session without
 * taking the lock: nothing in the database or on disk changes.
 */
import type pg from "pg";
import { ShipgateError } from "../../core/errors.js";
import { type Finding, failingFindings } from "../../core/finding.js";
import { whoAmI } from "../../core/process-identity.js";
import type { Report } from "../../core/report.js";
import { acquireMigrationLock, describeHolder, type HeldLock } from "../../pg/advisory-lock.js";
import { takeBackup } from "../../pg/backup.js";
import { resolveTables, type TableIdentity, tablesInSchemas } from "../../pg/backup-definition.js";
import { type BackupManifest, type BackupStore, createLocalBackupStore } from "../../pg/backup-store.js";
import { ensureHistoryTable, readAppliedMigrations, recordAppliedMigration } from "../../pg/history.js";
import type { Framework } from "../discover.js";
import type { ConfigApproval, RuleSetting } from "../lint.js";
import { loadParser } from "../parse.js";
import type { TransactionModel } from "../rule.js";
import { type LintJob, runLint } from "../run.js";
import {
  closeQuietly,
  connectDatabase,
  maskDatabaseUrl,
  pgErrorInfo,
  scrubSecrets,
  serverMajorVersion,
} from "./database.js";
import { runDelegate } from "./delegate.js";
import {
  type ApplyEvent,
  backoffDelay,
  executeFile,
  type FileOutcome,
  lockBlockers,
  lockNotAvailable,
  queryCanceled,
} from "./execute.js";
import { acceptEditSql, compareWithHistory, type MigrationFile } from "./files.js";
import { lintModelFor, type PlannedFile, planMigrations } from "./plan.js";
import { type ApplySettings, formatDuration } from "./settings.js";

export interface ApplyOptions {
  url: string;
  files: readonly MigrationFile[];
  framework: Framework;
  transaction: TransactionModel | "auto";
  settings: ApplySettings;
  ruleSettings: Readonly<Record<string, RuleSetting>>;
  approvals: readonly ConfigApproval[];
  toolVersion: string;
  dryRun?: boolean;
  /** Delegate the applying to the framework's runner. */
  command?: string;
  /** Working directory and environment of --command. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where --command's output goes (default: process.stderr). */
  commandOutput?: NodeJS.WritableStream;
  store?: BackupStore;
  onEvent?: (event: ApplyEvent) => void;
  /** Poll interval of the advisory lock (tests). */
  lockPollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BackupCandidate {
  name: string;
  /** False when the table cannot be backed up (partitioned, a partition, inherited, not a table). */
  included: boolean;
  reason?: string;
}

export interface BackupSummaryResult {
  id: string;
  dir: string;
  tables: { name: string; rows: number; bytes: number }[];
}

export type ApplyStatus = "up-to-date" | "planned" | "applied" | "refused" | "failed";

export interface ApplyResult {
  status: ApplyStatus;
  dryRun: boolean;
  /** Masked. */
  database: string;
  serverVersion: number;
  lock: { key: string; waitedMs: number } | null;
  settings: { lockTimeoutMs: number; statementTimeoutMs: number; lockRetries: number };
  appliedBefore: number;
  edited: { name: string; path: string }[];
  missingFiles: string[];
  outOfOrder: string[];
  plan: PlannedFile[];
  backupCandidates: BackupCandidate[];
  backup: BackupSummaryResult | null;
  /** Why no backup was taken although tables would be backed up. */
  backupSkipped?: string;
  /** Lint findings of the pending files (as they will run). */
  findings: Finding[];
  lintReport?: Report;
  outcomes: FileOutcome[];
  delegated?: { command: string; durationMs: number };
  error?: ShipgateError;
}

const lintDefaultsUnderApply: Record<string, RuleSetting> = {
  // apply sets lock_timeout itself for every statement.
  "require-lock-timeout": "off",
  "statement-timeout-without-lock-timeout": "off",
};

async function backupCandidates(db: pg.ClientBase, plan: readonly PlannedFile[]): Promise<BackupCandidate[]> {
  const names = [...new Set(plan.flatMap((f) => f.touches))];
  const schemas = [...new Set(plan.flatMap((f) => f.dropsSchemas))];
  const inSchemas = await tablesInSchemas(db, schemas);
  const found = await resolveTables(db, [...names, ...inSchemas]);
  const seen = new Set<number>();
  const out: BackupCandidate[] = [];
  for (const t of found) {
    if (seen.has(t.oid)) continue;
    seen.add(t.oid);
    const reason =
      t.kind === "partitioned-table"
        ? "partitioned tables are not backed up yet"
        : t.kind === "partition"
          ? "partitions are not backed up yet"
          : t.kind === "inherited"
            ? "tables with inheritance parents are not backed up yet"
            : t.kind === "other"
              ? "not an ordinary table"
              : undefined;
    out.push(reason ? { name: t.name, included: false, reason } : { name: t.name, included: true });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function statementLine(file: PlannedFile, index: number): string {
  const s = file.statements[index];
  return s ? `line ${s.line}: ${s.summary}` : "recording the file in shipgate.schema_migrations";
}

function failureError(
  outcome: FileOutcome,
  file: PlannedFile,
  backup: BackupSummaryResult | null,
  settings: ApplySettings,
  url: string,
): ShipgateError {
  const f = outcome.failure;
  const err = f?.error;
  const code = err?.code ? ` (SQLSTATE ${err.code})` : "";
  const message = `${file.path} failed at line ${f?.line ?? "?"}: ${scrubSecrets(err?.message ?? "unknown error", url)}${code}`;
  const details: string[] = [];
  if (err?.detail) details.push(`detail: ${scrubSecrets(err.detail, url)}`);
  if (err?.hint) details.push(`postgres hint: ${scrubSecrets(err.hint, url)}`);
  if (outcome.mode === "transaction") {
    details.push(
      `${file.path} ran in one transaction: it was rolled back, the database is as it was before it`,
    );
  } else {
    details.push(`${file.path} ran statement by statement (${file.modeReason}):`);
    for (const i of outcome.ran) details.push(`  ran (committed): ${statementLine(file, i)}`);
    for (const i of outcome.rolledBack)
      details.push(`  rolled back with its transaction block: ${statementLine(file, i)}`);
    details.push(`  failed: ${statementLine(file, f?.index ?? 0)}`);
    for (const i of outcome.notRun) details.push(`  not run: ${statementLine(file, i)}`);
  }
  for (const r of outcome.retries) {
    details.push(
      `lock timeout at line ${r.line} (attempt ${r.attempt})${r.blockers.length > 0 ? `: ${r.blockers.join("; ")}` : ""}`,
    );
  }
  const restore = backup
    ? ` To go back to the data before this run: shipgate migrations restore ${backup.id} --database-url <url>.`
    : "";
  let hint: string;
  if (err?.code === lockNotAvailable) {
    hint = `Another session held a lock this file needs for longer than lock_timeout (${formatDuration(settings.lockTimeoutMs)}), ${outcome.attempts} time${outcome.attempts === 1 ? "" : "s"}. Find it in pg_stat_activity (the sessions are listed above), wait for it or end it, then run shipgate migrations apply again; or raise --lock-timeout / --lock-retries.`;
  } else if (err?.code === queryCanceled) {
    hint = `The statement ran longer than statement_timeout (${formatDuration(settings.statementTimeoutMs)}). Raise --statement-timeout (migrations.statementTimeout) for this deploy, or batch the work, then run shipgate migrations apply again.`;
  } else if (outcome.mode === "transaction") {
    hint = `Fix ${file.path} and run shipgate migrations apply again: nothing of it was applied.`;
  } else {
    hint = `The statements listed as ran are committed. Make ${file.path} safe to re-run (IF NOT EXISTS / IF EXISTS) or move the remaining statements into a new file, then run shipgate migrations apply again.`;
    if (file.statements[f?.index ?? -1]?.concurrentIndex)
      hint +=
        " A failed CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it with DROP INDEX CONCURRENTLY before re-running.";
  }
  return new ShipgateError("MIGRATION_FAILED", message, { details, hint: hint + restore });
}

/** Runs `migrations apply` (or its dry run); never throws for migration failures: see result.error. */
export async function applyMigrations(options: ApplyOptions): Promise<ApplyResult> {
  const { settings } = options;
  const dryRun = options.dryRun ?? false;
  const database = maskDatabaseUrl(options.url);
  const result: ApplyResult = {
    status: "planned",
    dryRun,
    database,
    serverVersion: 0,
    lock: null,
    settings: {
      lockTimeoutMs: settings.lockTimeoutMs,
      statementTimeoutMs: settings.statementTimeoutMs,
      lockRetries: settings.lockRetries,
    },
    appliedBefore: 0,
    edited: [],
    missingFiles: [],
    outOfOrder: [],
    plan: [],
    backupCandidates: [],
    backup: null,
    findings: [],
    outcomes: [],
  };
  const db = await connectDatabase(options.url, {
    applicationName: dryRun ? "shipgate migrations apply --dry-run" : "shipgate migrations apply",
  });
  let lock: HeldLock | undefined;
  try {
    // A dry run cannot write, even by mistake.
    if (dryRun) await db.query("SET default_transaction_read_only = on");
    result.serverVersion = await serverMajorVersion(db);
    if (!dryRun) {
      lock = await acquireMigrationLock(db, {
        waitMs: settings.advisoryLockWaitMs,
        ...(options.lockPollMs !== undefined ? { pollMs: options.lockPollMs } : {}),
        onWait: (holder, waitedMs) =>
          options.onEvent?.({ type: "lock-wait", holder: describeHolder(holder), waitedMs }),
      });
      result.lock = { key: lock.key, waitedMs: lock.waitedMs };
      options.onEvent?.({ type: "lock-acquired", waitedMs: lock.waitedMs });
    }

    const history = await readAppliedMigrations(db);
    const comparison = compareWithHistory(options.files, history);
    result.appliedBefore = comparison.applied.length;
    result.missingFiles = comparison.applied.filter((a) => a.state === "missing-file").map((a) => a.name);
    result.outOfOrder = comparison.outOfOrder;
    const edited = comparison.applied.filter((a) => a.state === "edited");
    result.edited = edited.map((a) => ({ name: a.name, path: a.file?.path ?? a.name }));
    // Refused before planning: nothing is planned, linted or listed for backup, so the run reports
    // only the refusal (a plan of the other files would read as what is about to happen).
    if (edited.length > 0) {
      result.status = "refused";
      result.error = new ShipgateError(
        "MIGRATION_FAILED",
        `${edited.length} applied migration${edited.length === 1 ? " was" : "s were"} edited after being applied`,
        {
          details: edited.map(
            (a) =>
              `${a.file?.path ?? a.name}: checksum differs from the one recorded on ${a.appliedAt.toISOString()}`,
          ),
          hint: `Revert the edit and put the change in a new migration. If the edit is harmless (e.g. a comment) and the database already matches it, accept it with: ${edited.map(acceptEditSql).join(" ")}`,
        },
      );
      return result;
    }

    await loadParser();
    const appliedNames = new Set(history.map((h) => h.name));
    result.plan = planMigrations({
      pending: comparison.pending,
      baseline: options.files.filter((f) => appliedNames.has(f.name)),
      serverMajor: result.serverVersion,
      framework: options.framework,
      transaction: options.transaction,
    });

    const planByPath = new Map(result.plan.map((p) => [p.path, p]));
    // Every file is applied (replayed into the schema model) or pending (linted as it will run).
    const jobs: LintJob[] = options.files.map((f) => {
      const planned = planByPath.get(f.path);
      return planned
        ? { source: { ...f.source, transactionModel: lintModelFor(planned) }, role: "lint" as const }
        : { source: f.source, role: "replay" as const };
    });
    const lint = await runLint({
      jobs,
      settings: {
        pgVersion: Math.min(18, Math.max(10, result.serverVersion)),
        transactionModel: "none",
        ruleSettings: {
          ...(settings.lockTimeoutMs > 0 ? lintDefaultsUnderApply : {}),
          ...options.ruleSettings,
        },
        approvals: [...options.approvals],
      },
      toolVersion: options.toolVersion,
    });
    result.findings = lint.files.flatMap((f) => f.findings);
    result.lintReport = {
      command: "migrations apply",
      files: lint.files.map((f) => ({ path: f.path, class: f.class })),
      findings: result.findings,
      sources: new Map(comparison.pending.map((f) => [f.path, f.source.text])),
    };
    result.backupCandidates = await backupCandidates(db, result.plan);

    const failing = failingFindings(result.findings);
    const metaCommands = result.plan.filter((p) => p.psqlMetaCommands.length > 0);
    if (metaCommands.length > 0) {
      result.status = "refused";
      result.error = new ShipgateError(
        "MIGRATION_FAILED",
        "psql meta-commands cannot be applied outside psql: nothing was applied",
        {
          details: metaCommands.map((p) => `${p.path}: line ${p.psqlMetaCommands.join(", ")}`),
          hint: 'Remove the meta-commands (\\set, \\i, \\connect …) from the migrations, or let psql apply them: shipgate migrations apply --command "psql -v ON_ERROR_STOP=1 …".',
        },
      );
      return result;
    }
    if (failing.length > 0) {
      result.status = "refused";
      result.error = new ShipgateError(
        "MIGRATION_FAILED",
        `the pending migrations have ${failing.length} unapproved error finding${failing.length === 1 ? "" : "s"}: nothing was applied`,
        {
          details: failing.map((f) => `${f.file}:${f.line}: ${f.ruleId}: ${f.message}`),
          hint: "Make the statements safe (each finding's help says how), or approve a deliberate one with a reason on the line before it: -- shipgate:allow <rule-id> reason: <why>. `shipgate migrations apply --dry-run` shows the plan.",
        },
      );
      return result;
    }
    if (result.plan.length === 0) {
      result.status = "up-to-date";
      return result;
    }
    if (dryRun) {
      result.status = "planned";
      return result;
    }

    const included = result.backupCandidates.filter((c) => c.included).map((c) => c.name);
    if (included.length > 0 && !settings.backups.enabled) {
      result.backupSkipped = "backups are disabled (migrations.backups.enabled: false)";
    } else if (included.length > 0) {
      const store = options.store ?? createLocalBackupStore(settings.backups.dir);
      const backupDb = await connectDatabase(options.url, {
        applicationName: "shipgate migrations apply (backup)",
      });
      try {
        const tables: TableIdentity[] = await resolveTables(backupDb, included);
        let manifest: BackupManifest;
        // COPY waits for ACCESS SHARE: behind a long ACCESS EXCLUSIVE it times out and is retried like a migration.
        for (let attempt = 1; ; attempt++) {
          try {
            manifest = await takeBackup({
              db: backupDb,
              tables,
              store,
              database,
              migrations: result.plan.map((p) => p.name),
              toolVersion: options.toolVersion,
              lockTimeoutMs: settings.lockTimeoutMs,
              onProgress: (done, total, table) => options.onEvent?.({ type: "backup", done, total, table }),
            });
            break;
          } catch (error) {
            if (pgErrorInfo(error).code !== lockNotAvailable || attempt > settings.lockRetries) throw error;
            const delayMs = backoffDelay(settings.retryBaseDelayMs, attempt);
            const blockers = await lockBlockers(db, included);
            options.onEvent?.({
              type: "backup-retry",
              attempt,
              retries: settings.lockRetries,
              delayMs,
              blockers,
            });
            await (options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(delayMs);
          }
        }
        result.backup = {
          id: manifest.id,
          dir: store.location,
          tables: manifest.tables.map((t) => ({ name: t.name, rows: t.rows, bytes: t.bytes })),
        };
      } catch (error) {
        if (error instanceof ShipgateError) throw error;
        throw new ShipgateError(
          "MIGRATION_FAILED",
          `the backup failed, so nothing was applied: ${scrubSecrets(pgErrorInfo(error).message, options.url)}`,
          {
            cause: error,
            hint:
              pgErrorInfo(error).code === lockNotAvailable
                ? `Another session held an ACCESS EXCLUSIVE lock on a table to back up for longer than lock_timeout (${formatDuration(settings.lockTimeoutMs)}) ${settings.lockRetries + 1} times. Wait for it (see pg_stat_activity) and run shipgate migrations apply again.`
                : `Check that ${store.location} is writable and the role may read the tables; or turn backups off for this project (migrations.backups.enabled: false).`,
          },
        );
      } finally {
        await closeQuietly(backupDb);
      }
    }

    await ensureHistoryTable(db);
    const record = {
      appliedBy: whoAmI(options.env),
      backupId: result.backup?.id ?? null,
      toolVersion: options.toolVersion,
    };

    if (options.command !== undefined) {
      options.onEvent?.({ type: "command-start", command: maskDatabaseUrl(options.command) });
      let durationMs: number;
      try {
        durationMs = await runDelegate({
          command: options.command,
          cwd: options.cwd,
          env: options.env,
          lockTimeoutMs: settings.lockTimeoutMs,
          statementTimeoutMs: settings.statementTimeoutMs,
          output: options.commandOutput ?? process.stderr,
        });
      } catch (error) {
        result.status = "failed";
        const restore = result.backup
          ? ` To go back to the data before this run: shipgate migrations restore ${result.backup.id} --database-url <url>.`
          : "";
        result.error = new ShipgateError(
          "MIGRATION_FAILED",
          error instanceof ShipgateError ? error.message : String(error),
          {
            details: [
              "shipgate recorded none of the pending files: the runner's own history says which of them it applied",
              ...result.plan.map((p) => `pending: ${p.path}`),
            ],
            hint: `Check the runner's output above, fix the migration and run shipgate migrations apply --command again.${restore}`,
          },
        );
        return result;
      }
      result.delegated = { command: maskDatabaseUrl(options.command), durationMs };
      await db.query("BEGIN");
      try {
        for (const p of result.plan) {
          await recordAppliedMigration(db, { name: p.name, checksum: p.checksum, durationMs, ...record });
        }
        await db.query("COMMIT");
      } catch (error) {
        await db.query("ROLLBACK").catch(() => {});
        throw error;
      }
      result.outcomes = result.plan.map((p) => ({
        name: p.name,
        path: p.path,
        mode: p.mode,
        status: "applied",
        durationMs,
        attempts: 1,
        retries: [],
        ran: p.statements.map((s) => s.index),
        rolledBack: [],
        notRun: [],
      }));
      result.status = "applied";
      return result;
    }

    for (const [i, file] of result.plan.entries()) {
      options.onEvent?.({
        type: "file-start",
        file: file.name,
        index: i,
        total: result.plan.length,
        mode: file.mode,
      });
      const outcome = await executeFile(file, {
        db,
        lockTimeoutMs: settings.lockTimeoutMs,
        statementTimeoutMs: settings.statementTimeoutMs,
        lockRetries: settings.lockRetries,
        retryBaseDelayMs: settings.retryBaseDelayMs,
        record,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(options.sleep ? { sleep: options.sleep } : {}),
      });
      result.outcomes.push(outcome);
      if (outcome.status === "failed") {
        result.status = "failed";
        result.error = failureError(outcome, file, result.backup, settings, options.url);
        return result;
      }
      options.onEvent?.({ type: "file-done", file: file.name, durationMs: outcome.durationMs });
    }
    result.status = "applied";
    return result;
  } finally {
    if (lock) await lock.release().catch(() => {});
    await closeQuietly(db);
  }
}
