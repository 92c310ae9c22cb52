/**
 * Runs migration statements one by one on a real Postgres connection and observes each: the locks
 * it took (pg_locks of this backend, read before the transaction ends), what it created, dropped,
 * renamed and rewrote (the catalog's object list before and after, relfilenodes included), its
 * duration, rows and error.
 *
 * Two modes:
 * - "apply": as the migration runner would. A file the runner wraps in a transaction runs in one
 *   (BEGIN … COMMIT); other statements run in their own short transaction so their locks can still
 *   be read before COMMIT — except those Postgres refuses inside a transaction block (CREATE INDEX
 *   CONCURRENTLY, VACUUM …), which run in autocommit, their locks not observable. Used on the
 *   throwaway server and with --commit.
 * - "rollback-only": one transaction around everything, rolled back at the end, so nothing is ever
 *   committed to a database verify did not create. Each file runs inside a savepoint (a failing file
 *   is undone like a transactional file); the file's own BEGIN/COMMIT/ROLLBACK become savepoint
 *   commands; CONCURRENTLY statements run without CONCURRENTLY (same end state, lock not observed);
 *   other statements that cannot run in a transaction are skipped and reported.
 */
import type pg from "pg";
import { ShipgateError } from "../../core/errors.js";
import type { LockMode } from "../../core/finding.js";
import { LineIndex } from "../../core/line-index.js";
import { maskUrlPasswords } from "../../env/mask.js";
import { diffObjects, listObjects, type ObjectList } from "../../pg/catalog-snapshot.js";
import type { MigrationSource } from "../lint.js";
import type { ParsedFile, ParsedStatement } from "../parse.js";
import type { TransactionModel } from "../rule.js";
import { type HeldLocks, heldLocksFromRows, ownLocksSql, readOwnLocks, sortModes } from "./locks.js";
import {
  mayChangeCatalog,
  nonTransactionalReason,
  statementSummary,
  transactionKind,
  withoutConcurrently,
} from "./statements.js";
import type { RelationLocks, StatementError, StatementTrace, VerifyPhase } from "./trace.js";

export type SessionMode = "apply" | "rollback-only";

/** A statement as it ran, with what the merge needs beyond the trace. */
export interface ExecutedStatement {
  stmt: ParsedStatement;
  trace: StatementTrace;
  /** Locks held before the statement, by relation name (lock masking inside a transaction). */
  heldBefore: ReadonlyMap<string, readonly LockMode[]>;
  /** Whether a relation of this name existed before or after the statement. */
  relationExists(name: string): boolean;
}

export interface PhaseInput {
  phase: VerifyPhase;
  parsed: ParsedFile;
  source: MigrationSource;
  /** The SQL text statements are cut from (psql meta-commands blanked), same offsets as parsed.text. */
  text: string;
  /** Text shown in the trace (secrets masked), same offsets. */
  displayText: string;
  /** Relation oids that existed when the migration began. */
  existing: ReadonlySet<number>;
  /** false: run without reading locks and objects (baseline replay). */
  observe: boolean;
  /** Called before each statement runs (e.g. to count the rows it will drop). */
  beforeStatement?: (stmt: ParsedStatement) => Promise<void>;
}

/** The first syntax error of a file: the runner fails there, so verify does too. */
function firstSyntaxError(parsed: ParsedFile): { start: number; message: string } | undefined {
  let first: { start: number; message: string } | undefined;
  for (const d of parsed.diagnostics) {
    if (d.ruleId === "syntax-error" && (first === undefined || d.start < first.start)) first = d;
  }
  return first;
}

export interface PhaseResult {
  executed: ExecutedStatement[];
  failed?: ExecutedStatement;
  /** After a failure: the database is back where the phase started (the file's transaction rolled back). */
  rolledBack: boolean;
  durationMs: number;
}

const conditionNames: Readonly<Record<string, string>> = {
  "0A000": "feature_not_supported",
  "22001": "string_data_right_truncation",
  "22003": "numeric_value_out_of_range",
  "22P02": "invalid_text_representation",
  "23502": "not_null_violation",
  "23503": "foreign_key_violation",
  "23505": "unique_violation",
  "23514": "check_violation",
  "23P01": "exclusion_violation",
  "25001": "active_sql_transaction",
  "25P02": "in_failed_sql_transaction",
  "2BP01": "dependent_objects_still_exist",
  "2D000": "invalid_transaction_termination",
  "40P01": "deadlock_detected",
  "42501": "insufficient_privilege",
  "42601": "syntax_error",
  "42701": "duplicate_column",
  "42703": "undefined_column",
  "42704": "undefined_object",
  "42710": "duplicate_object",
  "42723": "duplicate_function",
  "42804": "datatype_mismatch",
  "42809": "wrong_object_type",
  "42830": "invalid_foreign_key",
  "42883": "undefined_function",
  "42P01": "undefined_table",
  "42P06": "duplicate_schema",
  "42P07": "duplicate_table",
  "42P16": "invalid_table_definition",
  "55000": "object_not_in_prerequisite_state",
  "55P03": "lock_not_available",
  "57014": "query_canceled",
  "58P01": "undefined_file",
};

export function conditionName(code: string): string | undefined {
  return conditionNames[code];
}

interface PgError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
}

function asPgError(error: unknown): PgError | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & Partial<PgError>;
  return typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) ? (e as PgError) : undefined;
}

/** Postgres counts the error cursor in characters (code points) from 1. */
function cursorOffset(text: string, position: number): number {
  let offset = 0;
  for (let n = 1; n < position && offset < text.length; n++) {
    offset += (text.codePointAt(offset) as number) > 0xffff ? 2 : 1;
  }
  return offset;
}

const tableLike = new Set(["table", "materialized view", "view", "foreign table"]);

export class VerifySession {
  private objects: ObjectList | undefined;
  /** Locks this backend holds; undefined when unknown (read again before the next statement). */
  private held: HeldLocks | undefined = new Map();
  /** apply mode: a transaction is open (the runner's, the file's own, or a wrapper). */
  private txnOpen = false;
  private savepoints = 0;
  /** Set while a scratch section runs (see beginScratch). */
  private scratch: { savepoint?: string; objects: ObjectList | undefined } | undefined;

  constructor(
    readonly client: pg.Client,
    readonly mode: SessionMode,
    private readonly maskedUrl: string,
  ) {}

  /** Statements run inside a transaction that is never committed (rollback-only mode, or a scratch section). */
  private get rollbackOnly(): boolean {
    return this.mode === "rollback-only" || this.scratch !== undefined;
  }

  /**
   * Starts a scratch section: everything until endScratch() runs rollback-only (savepoints, no
   * commit) and is then undone, in either mode. The down round trip runs in one, so whatever the
   * down does, the next migration starts from the state the up left.
   */
  async beginScratch(): Promise<void> {
    if (this.scratch) throw new Error("scratch sections do not nest");
    if (this.mode === "rollback-only") {
      this.scratch = { savepoint: await this.savepoint(), objects: this.objects };
      return;
    }
    if (this.txnOpen) await this.sql("COMMIT");
    await this.sql("BEGIN");
    this.txnOpen = true;
    this.held = new Map();
    this.scratch = { objects: this.objects };
  }

  async endScratch(): Promise<void> {
    const scratch = this.scratch;
    if (!scratch) return;
    this.scratch = undefined;
    if (scratch.savepoint) await this.rollbackTo(scratch.savepoint);
    else {
      await this.sql("ROLLBACK");
      this.txnOpen = false;
      this.invalidate();
    }
    // Everything since beginScratch is undone: the objects are as they were then.
    this.objects = scratch.objects;
  }

  /** rollback-only: opens the transaction that finish() rolls back. */
  async start(): Promise<void> {
    if (this.mode === "rollback-only") await this.sql("BEGIN");
  }

  /** rollback-only: rolls everything back. */
  async finish(): Promise<void> {
    this.scratch = undefined;
    if (this.mode === "rollback-only") await this.sql("ROLLBACK");
    else if (this.txnOpen) await this.sql("ROLLBACK");
    this.txnOpen = false;
  }

  /** Runs a query of verify's own (not a migration statement); the lock state must be read again. */
  async aux<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.held = undefined;
    return await this.sql<R>(text, values);
  }

  /** The object list now (cached between statements). */
  async currentObjects(): Promise<ObjectList> {
    this.objects ??= await this.guard(() => listObjects(this.client));
    return this.objects;
  }

  /** Relation oids in the database now: the "existing" set of a migration about to run. */
  async relationOids(): Promise<Set<number>> {
    const out = new Set<number>();
    for (const o of (await this.currentObjects()).values()) if (o.oid !== undefined) out.add(o.oid);
    return out;
  }

  invalidate(): void {
    this.objects = undefined;
    this.held = undefined;
  }

  /** After a query of verify's own that may have taken locks (it changed no object). */
  invalidateLocks(): void {
    this.held = undefined;
  }

  async savepoint(): Promise<string> {
    const name = `shipgate_sp_${++this.savepoints}`;
    await this.sql(`SAVEPOINT ${name}`);
    return name;
  }

  async rollbackTo(name: string): Promise<void> {
    await this.sql(`ROLLBACK TO SAVEPOINT ${name}`);
    await this.sql(`RELEASE SAVEPOINT ${name}`);
    this.invalidate();
  }

  async release(name: string): Promise<void> {
    await this.sql(`RELEASE SAVEPOINT ${name}`);
  }

  private async sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return await this.guard(() => this.client.query<R>(text, values));
  }

  /** Errors of verify's own queries are database failures, never migration findings. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ShipgateError) throw error;
      throw new ShipgateError(
        "DATABASE_FAILED",
        `verify lost its connection to ${this.maskedUrl}: ${maskUrlPasswords((error as Error).message)}`,
        {
          cause: error,
          hint: "Check that the database is reachable and that the user may read pg_catalog, then run shipgate migrations verify again.",
        },
      );
    }
  }

  private async currentLocks(): Promise<HeldLocks> {
    this.held ??= await this.guard(() => readOwnLocks(this.client));
    return this.held;
  }

  private static inTransaction(model: TransactionModel, statements: number): boolean {
    return model === "per-file" || (model === "implicit" && statements > 1);
  }

  /** Runs every statement of one file (or down) in order; stops at the first error. */
  async runPhase(input: PhaseInput): Promise<PhaseResult> {
    const started = performance.now();
    const statements = input.parsed.statements;
    const model = input.source.transactionModel ?? "none";
    const lines = new LineIndex(input.parsed.text);
    const executed: ExecutedStatement[] = [];
    let committed = false;
    let phaseSavepoint: string | undefined;
    /** rollback-only: the savepoint standing for the file's own BEGIN. */
    let userSavepoint: string | undefined;

    // Each file starts with the server's settings, as under `migrations apply`: a SET in an earlier
    // file (lock_timeout, search_path, TimeZone) does not leak into this one.
    await this.sql("RESET ALL");
    if (this.rollbackOnly) phaseSavepoint = await this.savepoint();
    else if (VerifySession.inTransaction(model, statements.length)) {
      await this.sql("BEGIN");
      this.txnOpen = true;
      this.held = new Map();
    }

    const fail = async (failedAt: ExecutedStatement): Promise<PhaseResult> => {
      let rolledBack: boolean;
      if (this.rollbackOnly) {
        await this.rollbackTo(phaseSavepoint as string);
        rolledBack = true;
      } else {
        if (this.txnOpen) await this.sql("ROLLBACK");
        this.txnOpen = false;
        rolledBack = !committed;
        this.invalidate();
      }
      return { executed, failed: failedAt, rolledBack, durationMs: performance.now() - started };
    };

    const syntaxError = firstSyntaxError(input.parsed);
    const failAtSyntaxError = async (): Promise<PhaseResult> => {
      const at = lines.position((syntaxError as { start: number }).start);
      // Not part of `executed` (nothing ran): only the trace and the error are read.
      const entry: ExecutedStatement = {
        stmt: statements[0] as ParsedStatement,
        heldBefore: new Map(),
        relationExists: () => false,
        trace: {
          phase: input.phase,
          file: input.source.path,
          line: at.line,
          column: at.column,
          endLine: at.line,
          kind: "syntax error",
          sql: statementSummary(input.displayText.slice((syntaxError as { start: number }).start)),
          status: "error",
          ranAs: "not-run",
          durationMs: 0,
          rowCount: null,
          locks: null,
          rewrites: [],
          rebuiltIndexes: [],
          created: [],
          dropped: [],
          renamed: [],
          error: {
            code: "42601",
            condition: "syntax_error",
            message: (syntaxError as { message: string }).message,
            line: at.line,
            column: at.column,
          },
        },
      };
      return await fail(entry);
    };

    for (const stmt of statements) {
      if (syntaxError && stmt.start > syntaxError.start) return await failAtSyntaxError();
      const text = input.text.slice(stmt.start, stmt.end);
      const start = lines.position(stmt.start);
      const trace: StatementTrace = {
        phase: input.phase,
        file: input.source.path,
        line: start.line,
        column: start.column,
        endLine: lines.position(Math.max(stmt.end - 1, stmt.start)).line,
        kind: stmt.kind,
        sql: statementSummary(input.displayText.slice(stmt.start, stmt.end)),
        status: "ok",
        ranAs: "in-transaction",
        durationMs: 0,
        rowCount: null,
        locks: null,
        rewrites: [],
        rebuiltIndexes: [],
        created: [],
        dropped: [],
        renamed: [],
      };
      const entry: ExecutedStatement = { stmt, trace, heldBefore: new Map(), relationExists: () => false };
      executed.push(entry);
      await input.beforeStatement?.(stmt);

      // The file's own transaction control.
      const txn = transactionKind(stmt.node);
      if (txn) {
        const t0 = performance.now();
        if (this.rollbackOnly) {
          trace.ranAs = "mapped";
          const begins = txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START";
          const ends = ["TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"].includes(txn.kind);
          if (begins && !userSavepoint) {
            userSavepoint = await this.savepoint();
            trace.note = `BEGIN ran as SAVEPOINT ${userSavepoint}`;
          } else if (ends && userSavepoint) {
            if (txn.kind === "TRANS_STMT_ROLLBACK") await this.rollbackTo(userSavepoint);
            else await this.release(userSavepoint);
            trace.note = `${txn.kind === "TRANS_STMT_ROLLBACK" ? "ROLLBACK" : "COMMIT"} ran as ${txn.kind === "TRANS_STMT_ROLLBACK" ? "ROLLBACK TO" : "RELEASE"} SAVEPOINT ${userSavepoint}`;
            userSavepoint = undefined;
            if (txn.chain) userSavepoint = await this.savepoint();
          } else if (
            txn.kind === "TRANS_STMT_SAVEPOINT" ||
            txn.kind === "TRANS_STMT_RELEASE" ||
            txn.kind === "TRANS_STMT_ROLLBACK_TO"
          ) {
            const result = await this.runUser(text, entry, lines, input, stmt);
            if (result === "error") return await fail(entry);
            if (txn.kind === "TRANS_STMT_ROLLBACK_TO") this.invalidate();
            continue;
          } else {
            trace.status = "skipped";
            trace.ranAs = "not-run";
            trace.note = "transaction control that has no effect inside verify's rollback-only transaction";
          }
        } else {
          const result = await this.runUser(text, entry, lines, input, stmt);
          if (result === "error") return await fail(entry);
          // Undone work: the object list is read again before the next statement.
          if (txn.kind === "TRANS_STMT_ROLLBACK" || txn.kind === "TRANS_STMT_ROLLBACK_TO") this.invalidate();
          if (txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START") {
            this.txnOpen = true;
          } else if (
            (["TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"].includes(txn.kind) && !txn.chain) ||
            txn.kind === "TRANS_STMT_PREPARE"
          ) {
            if (this.txnOpen) committed = true;
            this.txnOpen = false;
            this.held = new Map();
          }
        }
        trace.durationMs = performance.now() - t0;
        continue;
      }

      const reason = nonTransactionalReason(stmt);
      if (reason && this.rollbackOnly) {
        const alt = withoutConcurrently(text);
        if (alt === undefined) {
          trace.status = "skipped";
          trace.ranAs = "not-run";
          trace.note = `${reason} cannot run inside a transaction block; not executed`;
          continue;
        }
        const result = await this.observe(alt, entry, lines, input, stmt, "none");
        trace.ranAs = "without-concurrently";
        trace.note = `${reason}: ran without CONCURRENTLY inside verify's transaction (same result, lock not observed)`;
        if (result === "error") return await fail(entry);
        continue;
      }
      if (reason && !this.txnOpen) {
        // As the runner does in autocommit: locks are released when the statement ends.
        const result = await this.observe(text, entry, lines, input, stmt, "none");
        trace.ranAs = "autocommit";
        trace.note = `${reason} runs outside a transaction: its locks are released before they can be read`;
        if (result === "error") return await fail(entry);
        committed = true;
        continue;
      }
      // Inside the open transaction; or, in autocommit, in the implicit transaction of a two-statement
      // query (the statement, then the lock query) so the locks are read before it commits.
      const implicit = !this.rollbackOnly && !this.txnOpen;
      const result = await this.observe(
        text,
        entry,
        lines,
        input,
        stmt,
        implicit ? "implicit" : "in-transaction",
      );
      if (result === "error") {
        if (!implicit) return await fail(entry);
        this.invalidate();
        return { executed, failed: entry, rolledBack: !committed, durationMs: performance.now() - started };
      }
      if (implicit) committed = true;
    }

    if (syntaxError) return await failAtSyntaxError();
    if (this.rollbackOnly) {
      if (userSavepoint) await this.release(userSavepoint);
      await this.release(phaseSavepoint as string);
    } else if (this.txnOpen) {
      await this.sql("COMMIT");
      this.txnOpen = false;
      this.held = new Map();
    }
    return { executed, rolledBack: false, durationMs: performance.now() - started };
  }

  /** Transaction control and savepoint commands of the file itself: run as they are, no locks read. */
  private async runUser(
    text: string,
    entry: ExecutedStatement,
    lines: LineIndex,
    input: PhaseInput,
    stmt: ParsedStatement,
  ): Promise<"ok" | "error"> {
    return await this.observe(text, entry, lines, input, stmt, "none");
  }

  /** Runs one statement and records what it did. */
  private async observe(
    text: string,
    entry: ExecutedStatement,
    lines: LineIndex,
    input: PhaseInput,
    stmt: ParsedStatement,
    locks: "implicit" | "in-transaction" | "none",
  ): Promise<"ok" | "error"> {
    const trace = entry.trace;
    const watch = input.observe;
    const readLocks = watch && locks !== "none";
    const before = watch ? await this.currentObjects() : undefined;
    const heldBefore: HeldLocks | undefined = !readLocks
      ? undefined
      : locks === "implicit"
        ? new Map()
        : await this.currentLocks();
    const t0 = performance.now();
    let results: pg.QueryResult[];
    try {
      // "\n;\n": a trailing line comment in the statement cannot swallow the lock query.
      const result = await this.client.query(readLocks ? `${text}\n;\n${ownLocksSql}` : text);
      results = Array.isArray(result) ? (result as pg.QueryResult[]) : [result];
    } catch (error) {
      trace.durationMs = performance.now() - t0;
      const pgError = asPgError(error);
      if (!pgError) {
        throw new ShipgateError(
          "DATABASE_FAILED",
          `verify lost its connection to ${this.maskedUrl}: ${maskUrlPasswords((error as Error).message)}`,
          {
            cause: error,
            hint: "Check that the database is reachable, then run shipgate migrations verify again.",
          },
        );
      }
      trace.status = "error";
      trace.error = this.describeError(pgError, text, stmt, lines);
      this.invalidate();
      return "error";
    }
    trace.durationMs = performance.now() - t0;
    const single = results[0];
    trace.rowCount =
      typeof single?.rowCount === "number" && single.command !== "CREATE" ? single.rowCount : null;
    if (!watch || !before) {
      this.invalidate();
      return "ok";
    }
    const heldAfter = readLocks
      ? heldLocksFromRows((results[results.length - 1]?.rows ?? []) as { oid: string; mode: string }[])
      : undefined;
    const after = await this.guard(() => this.listAfter(stmt, before));
    this.objects = after;
    // After an implicit transaction its locks are gone; inside a transaction they are still held.
    this.held = locks === "implicit" ? new Map() : locks === "none" ? undefined : heldAfter;
    entry.relationExists = (name) => {
      for (const list of [before, after])
        for (const o of list.values()) if (o.oid !== undefined && o.name === name) return true;
      return false;
    };

    const nameOf = (oid: number) => after.get(`rel:${oid}`) ?? before.get(`rel:${oid}`);
    if (heldAfter && heldBefore) {
      const locks: RelationLocks[] = [];
      const beforeByName = new Map<string, LockMode[]>();
      for (const [oid, modes] of heldBefore) {
        const o = nameOf(oid);
        if (o) beforeByName.set(before.get(`rel:${oid}`)?.name ?? o.name, sortModes(modes));
      }
      for (const [oid, modes] of heldAfter) {
        const o = before.get(`rel:${oid}`) ?? after.get(`rel:${oid}`);
        if (!o) continue; // a system catalog, a temporary relation, or shipgate's own table
        const prior = heldBefore.get(oid) ?? new Set<LockMode>();
        const acquired = [...modes].filter((m) => !prior.has(m));
        if (acquired.length === 0) continue;
        locks.push({
          relation: o.name,
          kind: o.kind,
          existing: input.existing.has(oid),
          acquired: sortModes(acquired),
          heldBefore: sortModes(prior),
        });
      }
      trace.locks = locks;
      entry.heldBefore = beforeByName;
    }
    const diff = diffObjects(before, after);
    for (const r of diff.rewritten) {
      if (tableLike.has(r.kind))
        trace.rewrites.push({ relation: r.relation, existing: input.existing.has(r.oid) });
      else if (r.kind === "index") trace.rebuiltIndexes.push(r.relation);
    }
    // Dropped and created again under the same name (an index or constraint rebuilt by a type change).
    const created = new Set(diff.created.map((o) => `${o.kind} ${o.name}`));
    const dropped = new Set(diff.dropped.map((o) => `${o.kind} ${o.name}`));
    for (const o of diff.created) {
      const key = `${o.kind} ${o.name}`;
      if (!dropped.has(key)) continue;
      created.delete(key);
      dropped.delete(key);
      if (o.kind === "index") trace.rebuiltIndexes.push(o.name);
    }
    trace.created = [...created];
    trace.dropped = [...dropped];
    trace.renamed = diff.renamed.map((r) => `${r.kind} ${r.from} → ${r.to}`);
    return "ok";
  }

  /** The object list after a statement: unchanged when it cannot have changed the catalog. */
  private async listAfter(stmt: ParsedStatement, before: ObjectList): Promise<ObjectList> {
    return mayChangeCatalog(stmt) ? await listObjects(this.client) : before;
  }

  private describeError(e: PgError, text: string, stmt: ParsedStatement, lines: LineIndex): StatementError {
    const position = e.position ? Number(e.position) : undefined;
    const offset =
      position !== undefined && Number.isFinite(position)
        ? stmt.start + cursorOffset(text, position)
        : stmt.start;
    const at = lines.position(offset);
    const out: StatementError = {
      code: e.code,
      message: maskUrlPasswords(e.message),
      line: at.line,
      column: at.column,
    };
    const condition = conditionName(e.code);
    if (condition) out.condition = condition;
    if (e.detail) out.detail = maskUrlPasswords(e.detail);
    if (e.hint) out.hint = e.hint;
    if (e.where) out.where = e.where;
    return out;
  }

  /** Objects known to the session right now, for callers that ran aux queries. */
  get knownObjects(): ObjectList | undefined {
    return this.objects;
  }
}

export { tableLike };
