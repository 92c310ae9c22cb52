/**
 * Runs one planned migration file against the database and records it in
 * shipgate.schema_migrations.
 *
 * - transaction mode: BEGIN, every statement, the history row, COMMIT. Any error rolls the whole
 *   file back, so the database is as it was before the file.
 * - autocommit mode: statement by statement; explicit BEGIN … COMMIT blocks in the file are
 *   followed. On an error the outcome says exactly which statements ran (committed), which were
 *   rolled back with their block, which failed and which never ran. The history row is written
 *   after the last statement.
 *
 * Every attempt starts from the role's session defaults (RESET ALL) with shipgate's lock_timeout
 * and statement_timeout. A lock timeout (SQLSTATE 55P03) is retried with exponential backoff: the
 * whole file in transaction mode; in autocommit mode from the failed statement (or the start of its
 * explicit block).
 */
import type pg from "pg";
import { recordAppliedMigration } from "../../pg/history.js";
import { type PgErrorInfo, pgErrorInfo } from "./database.js";
import type { PlannedFile, PlannedStatement } from "./plan.js";
import { formatDuration } from "./settings.js";

export const lockNotAvailable = "55P03";
export const queryCanceled = "57014";

export interface RetryNote {
  attempt: number;
  /** The statement that timed out waiting for a lock. */
  line: number;
  delayMs: number;
  /** Sessions holding locks on the statement's relations when it gave up, e.g. "pid 42 (psql, idle in transaction) holds AccessExclusiveLock on public.orders". */
  blockers: string[];
}

export type ApplyEvent =
  | { type: "lock-wait"; holder: string; waitedMs: number }
  | { type: "lock-acquired"; waitedMs: number }
  | { type: "backup"; done: number; total: number; table: string }
  | { type: "file-start"; file: string; index: number; total: number; mode: PlannedFile["mode"] }
  | ({ type: "retry"; file: string; retries: number } & RetryNote)
  | { type: "backup-retry"; attempt: number; retries: number; delayMs: number; blockers: string[] }
  | { type: "invalid-index-dropped"; file: string; index: string }
  | { type: "file-done"; file: string; durationMs: number }
  | { type: "command-start"; command: string };

export interface StatementFailure {
  /** Index of the failed statement; statements.length when COMMIT failed. */
  index: number;
  line: number;
  column: number;
  summary: string;
  error: PgErrorInfo;
}

export interface FileOutcome {
  name: string;
  path: string;
  mode: PlannedFile["mode"];
  status: "applied" | "failed";
  durationMs: number;
  attempts: number;
  retries: RetryNote[];
  /** Statements whose effect is in the database (all of them when applied; none for a failed transactional file). */
  ran: number[];
  /** Autocommit mode: statements of an explicit block that were rolled back with the failure. */
  rolledBack: number[];
  notRun: number[];
  failure?: StatementFailure;
}

export interface ExecuteContext {
  db: pg.ClientBase;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockRetries: number;
  retryBaseDelayMs: number;
  record: { appliedBy: string; backupId: string | null; toolVersion: string };
  onEvent?: (event: ApplyEvent) => void;
  sleep?: (ms: number) => Promise<void>;
}

const maxDelayMs = 60_000;

export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(maxDelayMs, baseMs * 2 ** (attempt - 1));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function prepareSession(ctx: ExecuteContext): Promise<void> {
  await ctx.db.query("RESET ALL");
  await ctx.db.query(
    "SELECT pg_catalog.set_config('lock_timeout', $1, false), pg_catalog.set_config('statement_timeout', $2, false)",
    [`${ctx.lockTimeoutMs}ms`, `${ctx.statementTimeoutMs}ms`],
  );
}

/** Sessions holding locks on the relations, e.g. "pid 42 (psql, idle in transaction) holds AccessExclusiveLock on orders". */
export async function lockBlockers(db: pg.ClientBase, relations: readonly string[]): Promise<string[]> {
  if (relations.length === 0) return [];
  try {
    const r = await db.query<{ pid: number; app: string; state: string; mode: string; rel: string }>(
      `SELECT DISTINCT a.pid, coalesce(a.application_name, '') AS app, coalesce(a.state, '') AS state,
              l.mode, l.relation::regclass::text AS rel
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
          AND l.relation = ANY (SELECT to_regclass(n) FROM unnest($1::text[]) AS n)
        ORDER BY a.pid, rel`,
      [relations],
    );
    return r.rows.map((b) => {
      const who = [b.app, b.state].filter((x) => x !== "").join(", ");
      return `pid ${b.pid}${who ? ` (${who})` : ""} holds ${b.mode} on ${b.rel}`;
    });
  } catch {
    return []; // diagnostics only
  }
}

/** After CREATE INDEX CONCURRENTLY gave up, an INVALID index may remain; a retry must drop it first. */
async function dropInvalidIndex(
  db: pg.ClientBase,
  statement: PlannedStatement | undefined,
): Promise<string | undefined> {
  if (!statement?.concurrentIndex) return undefined;
  const r = await db.query<{ name: string }>(
    `SELECT c.oid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indexrelid = to_regclass($1) AND NOT i.indisvalid`,
    [statement.concurrentIndex],
  );
  const name = r.rows[0]?.name;
  if (!name) return undefined;
  await db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  return name;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function failureAt(file: PlannedFile, index: number, error: unknown): StatementFailure {
  const statement = file.statements[index];
  const info = pgErrorInfo(error);
  let line = statement?.line ?? file.statements[file.statements.length - 1]?.line ?? 1;
  let column = statement?.column ?? 1;
  if (statement && info.position !== undefined) {
    // Postgres' position is 1-based, in characters of the statement text.
    const before = statement.text.slice(0, info.position - 1);
    const nl = before.split("\n");
    line = statement.line + nl.length - 1;
    column = nl.length > 1 ? (nl[nl.length - 1] as string).length + 1 : statement.column + before.length;
  }
  return { index, line, column, summary: statement?.summary ?? "COMMIT", error: info };
}

export async function executeFile(file: PlannedFile, ctx: ExecuteContext): Promise<FileOutcome> {
  const sleep = ctx.sleep ?? defaultSleep;
  const started = Date.now();
  const retries: RetryNote[] = [];
  const n = file.statements.length;
  let attempts = 0;
  let resumeAt = 0;

  /** Records the file as applied (inside its transaction when it has one). */
  const record = () =>
    recordAppliedMigration(ctx.db, {
      name: file.name,
      checksum: file.checksum,
      appliedBy: ctx.record.appliedBy,
      durationMs: Date.now() - started,
      backupId: ctx.record.backupId,
      toolVersion: ctx.record.toolVersion,
    });
  const outcome = (
    status: FileOutcome["status"],
    statements: Pick<FileOutcome, "ran" | "rolledBack" | "notRun"> & { failure?: StatementFailure },
  ): FileOutcome => ({
    name: file.name,
    path: file.path,
    mode: file.mode,
    status,
    durationMs: Date.now() - started,
    attempts,
    retries,
    ...statements,
  });

  const retryOrFail = async (index: number, error: unknown): Promise<boolean> => {
    if (pgErrorInfo(error).code !== lockNotAvailable || retries.length >= ctx.lockRetries) return false;
    const statement = file.statements[index];
    const note: RetryNote = {
      attempt: retries.length + 1,
      line: statement?.line ?? 1,
      delayMs: backoffDelay(ctx.retryBaseDelayMs, retries.length + 1),
      blockers: await lockBlockers(ctx.db, statement?.locks.map((l) => l.relation) ?? []),
    };
    retries.push(note);
    ctx.onEvent?.({ type: "retry", file: file.name, retries: ctx.lockRetries, ...note });
    await sleep(note.delayMs);
    const dropped = await dropInvalidIndex(ctx.db, statement);
    if (dropped) ctx.onEvent?.({ type: "invalid-index-dropped", file: file.name, index: dropped });
    return true;
  };

  for (;;) {
    attempts += 1;
    await prepareSession(ctx);
    if (file.mode === "transaction") {
      let at = 0;
      try {
        await ctx.db.query("BEGIN");
        for (; at < n; at++) await ctx.db.query((file.statements[at] as PlannedStatement).text);
        await record();
        await ctx.db.query("COMMIT");
      } catch (error) {
        await ctx.db.query("ROLLBACK").catch(() => {});
        if (await retryOrFail(at, error)) continue;
        return outcome("failed", {
          ran: [],
          rolledBack: range(0, Math.min(at, n)),
          notRun: range(Math.min(at + 1, n), n),
          failure: failureAt(file, at, error),
        });
      }
      break;
    }

    // autocommit
    let blockStart: number | undefined;
    let at = resumeAt;
    try {
      for (; at < n; at++) {
        const statement = file.statements[at] as PlannedStatement;
        await ctx.db.query(statement.text);
        if (statement.transactionControl === "begin") blockStart ??= at;
        if (statement.transactionControl === "end") blockStart = undefined;
      }
      if (blockStart !== undefined) {
        throw Object.assign(
          new Error("the file ends inside a transaction block it opened (BEGIN without COMMIT)"),
          {
            code: "25001",
          },
        );
      }
      await record();
    } catch (error) {
      if (blockStart !== undefined) await ctx.db.query("ROLLBACK").catch(() => {});
      const committedUpTo = blockStart ?? at;
      if (at < n && (await retryOrFail(at, error))) {
        resumeAt = committedUpTo;
        continue;
      }
      return outcome("failed", {
        ran: range(0, committedUpTo),
        rolledBack: range(committedUpTo, Math.min(at, n)),
        notRun: range(Math.min(at + 1, n), n),
        failure: failureAt(file, Math.min(at, n), error),
      });
    }
    break;
  }
  return outcome("applied", { ran: range(0, n), rolledBack: [], notRun: [] });
}

/** One line for a retry, e.g. for stderr. */
export function describeRetry(e: Extract<ApplyEvent, { type: "retry" }>): string {
  const who = e.blockers.length > 0 ? `; ${e.blockers.join("; ")}` : "";
  return `lock timeout in ${e.file} at line ${e.line}: retry ${e.attempt}/${e.retries} in ${formatDuration(e.delayMs)}${who}`;
}
