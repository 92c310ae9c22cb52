/**
 * The shape of a migration lint rule: one rule, one file, exporting `{ meta, check }`. `check` is
 * called once per statement with the state before it and returns reports; it never prints.
 */
import type { LockMode, Severity } from "../core/finding.js";
import type { NodeKind } from "./ast.js";
import type { Catalog } from "./catalog.js";
import type { StatementFacts } from "./facts.js";
import type { ParsedStatement } from "./parse.js";

/**
 * How the migration runner applies a file:
 * - "per-file": inside an explicit transaction (Flyway, dbmate, node-pg-migrate, Drizzle);
 * - "implicit": as one multi-statement query, which Postgres runs as one implicit transaction when
 *   the file has more than one statement (Prisma, golang-migrate);
 * - "none": statement by statement in autocommit (psql, plain SQL runners).
 */
export type TransactionModel = "per-file" | "implicit" | "none";

export interface RuleMeta {
  /** kebab-case, equal to the file name and to docs/rules/<id>.md. */
  id: string;
  /** One line: what the rule catches. */
  description: string;
  severity: Severity;
  /** The rule applies from this Postgres major version on. */
  minPgVersion?: number;
  /** The rule applies only below this Postgres major version (the hazard was fixed in it). */
  maxPgVersion?: number;
  /** Style rules are off unless enabled in config. */
  optIn?: boolean;
  /** Message templates with {placeholders}, keyed by message id. */
  messages: Record<string, string>;
  /** The safe alternative, one or two sentences. */
  help: string;
}

export interface AnalyzedStatement {
  parsed: ParsedStatement;
  facts: StatementFacts;
  /** 1-based position of the statement (for DO-block children: of the DO statement, plus the body line). */
  line: number;
  column: number;
  /** A statement a DO block runs; its parent is the DO statement. */
  parent?: AnalyzedStatement;
}

/** File-level state when a statement runs. Read-only for rules; the engine advances it. */
export interface FileState {
  readonly path: string;
  readonly transactionModel: TransactionModel;
  /** 1 inside an explicit BEGIN block, 0 outside: Postgres does not nest BEGIN (an inner one only warns). */
  readonly explicitTransactionDepth: number;
  /** Inside a transaction: an explicit BEGIN, or the runner's transaction around the file. */
  readonly inTransaction: boolean;
  /** lock_timeout in ms as set by SET in this file; 0 means "wait forever"; undefined: never set. */
  readonly lockTimeoutMs: number | undefined;
  readonly statementTimeoutMs: number | undefined;
  /**
   * Whether other sessions may be using the relation: it existed before the file, an existing
   * relation was renamed to it, or the schema model has never seen it (treated as existing, so a
   * partial history causes no misses). False for relations this file created.
   */
  existedBeforeFile(relation: string): boolean;
  /** The schema model knew the relation before this file (or an existing one was renamed to it). */
  knownBeforeFile(relation: string): boolean;
  /** Enum values added by ALTER TYPE ... ADD VALUE in the current transaction, keyed by type. */
  readonly enumValuesAddedInTransaction: ReadonlyMap<string, ReadonlySet<string>>;
  /** Relations on which the current transaction holds ACCESS EXCLUSIVE, with the statement that took it. */
  readonly accessExclusiveHeld: ReadonlyMap<string, AnalyzedStatement>;
  /** Statements before this one in the file (top level and DO-block children), in order. */
  readonly previous: readonly AnalyzedStatement[];
  /** Number of top-level statements in the file. */
  readonly statementCount: number;
}

export interface RuleOptions {
  pgVersion: number;
}

export interface RuleContext {
  statement: AnalyzedStatement;
  /** The schema before this statement. */
  catalog: Catalog;
  file: FileState;
  options: RuleOptions;
}

export interface EndOfFileContext {
  file: FileState;
  statements: readonly AnalyzedStatement[];
  options: RuleOptions;
}

export interface RuleReport {
  messageId: string;
  data?: Record<string, string | number>;
  /** Defaults to the statement being checked. */
  statement?: AnalyzedStatement;
  relation?: string;
  /** Overrides the help for this report. */
  help?: string;
  /** Overrides the lock shown for this report. */
  lock?: LockMode;
}

export interface Rule {
  meta: RuleMeta;
  /**
   * The statement kinds check() can report on, e.g. ["AlterTableStmt"]; the engine calls check()
   * only for those. Omitted: every statement.
   */
  kinds?: readonly NodeKind[];
  /** Called once per statement (of `kinds`). A rule has check, checkEnd or both. */
  check?(ctx: RuleContext): RuleReport[];
  /** End-of-file check (e.g. a transaction left open). */
  checkEnd?(ctx: EndOfFileContext): RuleReport[];
}
