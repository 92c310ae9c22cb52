/**
 * The per-statement record of a verify run: what each statement did on a real Postgres. It is data
 * (printed under `verify` in --format json, and as a table with --trace), never interpreted here.
 */
import type { LockMode } from "../../core/finding.js";
import { plural } from "../../core/plural.js";

export type VerifyPhase = "baseline" | "up" | "down" | "redo";

export interface RelationLocks {
  /** Qualified name (as the relation was called when the statement started). */
  relation: string;
  kind: string;
  /** The relation existed when the migration file began, so other sessions may be using it. */
  existing: boolean;
  /** Locks the statement took (new to its transaction), weakest first. */
  acquired: LockMode[];
  /** Locks on the relation the transaction already held before the statement. */
  heldBefore: LockMode[];
}

export interface StatementError {
  /** SQLSTATE, e.g. 42P07. */
  code: string;
  /** The condition name, e.g. duplicate_table, when known. */
  condition?: string;
  message: string;
  detail?: string;
  hint?: string;
  /** Postgres' context line (e.g. the PL/pgSQL line of a DO block). */
  where?: string;
  /** 1-based position in the file (the error cursor when Postgres gave one, else the statement). */
  line: number;
  column: number;
}

export interface StatementTrace {
  phase: VerifyPhase;
  /** Path as in findings. */
  file: string;
  line: number;
  column: number;
  endLine: number;
  /** Parse-tree kind, e.g. AlterTableStmt. */
  kind: string;
  /** First line of the statement (secrets masked). */
  sql: string;
  status: "ok" | "error" | "skipped";
  /**
   * How it ran: in-transaction (locks read before commit), autocommit (no transaction could be held
   * open: locks not observable), without-concurrently (rollback-only verification), skipped.
   */
  ranAs: "in-transaction" | "autocommit" | "without-concurrently" | "mapped" | "not-run";
  durationMs: number;
  /** Rows inserted, updated, deleted or returned; null for DDL. */
  rowCount: number | null;
  /** Relation locks taken; null when they could not be observed. */
  locks: RelationLocks[] | null;
  /** Tables and materialized views whose relfilenode changed. */
  rewrites: { relation: string; existing: boolean }[];
  /** Indexes rebuilt (relfilenode changed). */
  rebuiltIndexes: string[];
  /** e.g. "table public.users", "column public.users.email". */
  created: string[];
  dropped: string[];
  /** e.g. "table public.a → public.b". */
  renamed: string[];
  error?: StatementError;
  note?: string;
}

export type FileStatus = "verified" | "failed" | "not-run";

export interface DownTrace {
  path: string;
  convention: string;
  /** restores: up → down → up gives the same schemas; differs; failed: the down or the second up failed; empty. */
  status: "restores" | "differs" | "failed" | "empty";
  differences: string[];
  statements: StatementTrace[];
  /** The up run again after the down. */
  redo: StatementTrace[];
}

export interface FileTrace {
  path: string;
  /** Name in shipgate.schema_migrations: the path relative to the directory of shipgate.yaml. */
  name: string;
  status: FileStatus;
  /** The runner's transaction model for the file. */
  transaction: string;
  durationMs: number;
  statements: StatementTrace[];
  down?: DownTrace;
  note?: string;
}

export interface VerifyTrace {
  server: {
    /** throwaway: started for this run; database: --database-url. */
    kind: "throwaway" | "database";
    /** The URL with its password masked. */
    url: string;
    version: string;
    /** Throwaway only: initdb and start, in ms. */
    startMs?: { init: number; start: number };
  };
  /**
   * apply: statements run as the runner would, each file committed (throwaway server, or --commit);
   * rollback: everything ran inside one transaction that was rolled back.
   */
  mode: "apply" | "rollback";
  committed: boolean;
  /** Files replayed first without observation (throwaway server). */
  baseline: string[];
  /** Files the database's shipgate.schema_migrations lists as applied (skipped). */
  applied: string[];
  /** Roles created on the throwaway server because the migrations refer to them. */
  rolesCreated: string[];
  files: FileTrace[];
  durationMs: number;
}

function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

function describeLocks(locks: RelationLocks[] | null): string {
  if (locks === null) return "(not observable)";
  const shown = locks.filter((l) => l.acquired.length > 0);
  if (shown.length === 0) return "-";
  return shown
    .map((l) => `${l.acquired[l.acquired.length - 1]} ${l.relation}${l.existing ? "" : " (new)"}`)
    .join(", ");
}

/** The --trace table: one block per statement, grouped by file. Plain text. */
export function renderTrace(trace: VerifyTrace): string {
  const lines: string[] = [];
  const server =
    trace.server.kind === "throwaway"
      ? `throwaway Postgres ${trace.server.version} (started in ${fmtMs((trace.server.startMs?.init ?? 0) + (trace.server.startMs?.start ?? 0))})`
      : `${trace.server.url} (Postgres ${trace.server.version})`;
  const outcome = trace.mode === "rollback" ? ", rolled back" : trace.committed ? ", committed" : "";
  lines.push(`verify trace: ${server}${outcome}`);
  if (trace.baseline.length > 0) lines.push(`baseline replayed: ${plural(trace.baseline.length, "file")}`);
  if (trace.applied.length > 0)
    lines.push(`already applied (skipped): ${plural(trace.applied.length, "file")}`);
  if (trace.rolesCreated.length > 0)
    lines.push(`roles created for the run: ${trace.rolesCreated.join(", ")}`);
  const block = (s: StatementTrace) => {
    const head = `  ${s.phase.padEnd(4)} ${String(s.line).padStart(4)}  ${s.sql}`;
    lines.push(head);
    const facts = [
      s.status === "ok" ? fmtMs(s.durationMs) : s.status.toUpperCase(),
      s.rowCount !== null ? plural(s.rowCount, "row") : undefined,
      `locks: ${describeLocks(s.locks)}`,
      s.rewrites.length > 0 ? `rewrote: ${s.rewrites.map((r) => r.relation).join(", ")}` : undefined,
      s.rebuiltIndexes.length > 0 ? `rebuilt: ${s.rebuiltIndexes.join(", ")}` : undefined,
      s.created.length > 0 ? `created: ${s.created.join(", ")}` : undefined,
      s.dropped.length > 0 ? `dropped: ${s.dropped.join(", ")}` : undefined,
      s.renamed.length > 0 ? `renamed: ${s.renamed.join(", ")}` : undefined,
    ].filter((x) => x !== undefined);
    lines.push(`              ${facts.join("; ")}`);
    if (s.error) lines.push(`              error ${s.error.code}: ${s.error.message}`);
    if (s.note) lines.push(`              note: ${s.note}`);
  };
  for (const f of trace.files) {
    lines.push("");
    lines.push(
      `${f.path}  [${f.status}, ${f.transaction}, ${fmtMs(f.durationMs)}]${f.note ? `  ${f.note}` : ""}`,
    );
    for (const s of f.statements) block(s);
    if (f.down) {
      lines.push(`  down: ${f.down.path} (${f.down.convention}): ${f.down.status}`);
      for (const s of f.down.statements) block(s);
      for (const s of f.down.redo) block(s);
      for (const d of f.down.differences) lines.push(`    - ${d}`);
    }
  }
  lines.push("");
  lines.push(`total ${fmtMs(trace.durationMs)}`);
  return `${lines.join("\n")}\n`;
}
