/**
 * The apply plan, as data: for each pending file, how it runs (in one transaction, or statement by
 * statement in autocommit and why), its statements with the locks the static analysis expects, and
 * the tables it alters, drops, updates, deletes from or truncates (the backup candidates).
 * `--dry-run` prints it; the executor follows it.
 */
import type { Node } from "libpg-query";
import type { LockMode } from "../../core/finding.js";
import { LineIndex } from "../../core/line-index.js";
import { asKind, rangeVarName, stringList } from "../ast.js";
import { Catalog } from "../catalog.js";
import { type Framework, transactionModelFor } from "../discover.js";
import { describeStatement } from "../facts.js";
import { nonTransactionalReason } from "../non-transactional.js";
import { type ParsedStatement, parseFile } from "../parse.js";
import type { TransactionModel } from "../rule.js";
import { maskSecretLiterals } from "../secrets.js";
import type { MigrationFile } from "./files.js";

export type ExecutionMode = "transaction" | "autocommit";

export interface PlannedLock {
  relation: string;
  mode: LockMode;
  /** False for relations created earlier in the same file (nobody else can be using them). */
  existing: boolean;
}

export interface PlannedStatement {
  /** 0-based index among the file's top-level statements. */
  index: number;
  line: number;
  column: number;
  /** The statement as sent to the server (never printed: it may hold a password literal). */
  text: string;
  /** First line of the statement, shortened, with password literals masked, for reports. */
  summary: string;
  kind: string;
  locks: PlannedLock[];
  /** Why Postgres refuses to run it inside a transaction block, when it does. */
  nonTransactional?: string;
  /** Explicit transaction control in the file. */
  transactionControl?: "begin" | "end";
  /** CREATE INDEX CONCURRENTLY: the index name (as to_regclass reads it), to clean up an invalid one. */
  concurrentIndex?: string;
}

export interface PlannedFile {
  name: string;
  path: string;
  checksum: string;
  mode: ExecutionMode;
  /** Why the file runs in autocommit (empty for transaction mode). */
  modeReason: string;
  statements: PlannedStatement[];
  /** Relations (as written, schema-qualified when the SQL qualifies them) the file changes the data or shape of. */
  touches: string[];
  /** Schemas the file drops: every table in them is a backup candidate. */
  dropsSchemas: string[];
  /** Lines holding psql meta-commands (\set, \i …): only psql can run those, so apply refuses the file. */
  psqlMetaCommands: number[];
}

export interface PlanOptions {
  pending: readonly MigrationFile[];
  /** Applied files still on disk, in order: replayed so the lock analysis knows the schema. */
  baseline: readonly MigrationFile[];
  serverMajor: number;
  framework: Framework;
  /** The resolved migrations.transaction setting (auto: shipgate decides per file). */
  transaction: TransactionModel | "auto";
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A name as to_regclass reads it: quoted parts, unqualified when the SQL did not qualify it. */
function regclassName(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

function rangeVarRegclass(rv: { schemaname?: string; relname?: string } | undefined): string | undefined {
  return rv?.relname === undefined ? undefined : regclassName(rv.schemaname, rv.relname);
}

function listRegclass(nodes: Node[] | undefined): string | undefined {
  const parts = stringList(nodes);
  const name = parts[parts.length - 1];
  if (name === undefined) return undefined;
  return regclassName(parts.length > 1 ? parts[parts.length - 2] : undefined, name);
}

function transactionControl(node: Node): PlannedStatement["transactionControl"] {
  const t = asKind(node, "TransactionStmt");
  if (!t) return undefined;
  if (t.kind === "TRANS_STMT_BEGIN" || t.kind === "TRANS_STMT_START") return "begin";
  if (t.kind === "TRANS_STMT_COMMIT" || t.kind === "TRANS_STMT_ROLLBACK" || t.kind === "TRANS_STMT_PREPARE")
    return t.chain ? undefined : "end";
  return undefined;
}

/** Relations whose shape or data a statement changes, and schemas it drops. */
function touchedBy(stmt: ParsedStatement, touches: Set<string>, schemas: Set<string>): void {
  const node = stmt.node;
  const add = (name: string | undefined) => {
    if (name) touches.add(name);
  };
  const alter = asKind(node, "AlterTableStmt");
  if (alter && (alter.objtype === undefined || alter.objtype === "OBJECT_TABLE"))
    add(rangeVarRegclass(alter.relation));
  const drop = asKind(node, "DropStmt");
  if (drop?.removeType === "OBJECT_TABLE") {
    for (const o of drop.objects ?? []) add(listRegclass(asKind(o, "List")?.items));
  }
  if (drop?.removeType === "OBJECT_SCHEMA") {
    for (const o of drop.objects ?? []) {
      const s = asKind(o, "String")?.sval;
      if (s) schemas.add(s);
    }
  }
  for (const r of asKind(node, "TruncateStmt")?.relations ?? []) add(rangeVarRegclass(asKind(r, "RangeVar")));
  add(rangeVarRegclass(asKind(node, "UpdateStmt")?.relation));
  add(rangeVarRegclass(asKind(node, "DeleteStmt")?.relation));
  add(rangeVarRegclass(asKind(node, "MergeStmt")?.relation));
  const rename = asKind(node, "RenameStmt");
  if (
    rename &&
    (rename.renameType === "OBJECT_TABLE" ||
      rename.renameType === "OBJECT_COLUMN" ||
      rename.renameType === "OBJECT_TABCONSTRAINT") &&
    (rename.relationType === undefined || rename.relationType === "OBJECT_TABLE")
  ) {
    add(rangeVarRegclass(rename.relation));
  }
  for (const child of stmt.children) touchedBy(child, touches, schemas);
}

function summarize(text: string): string {
  const first = text
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith("--"));
  const line = (first ?? text.trim()).replace(/\s+/g, " ");
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

function decideMode(
  file: MigrationFile,
  statements: readonly PlannedStatement[],
  options: PlanOptions,
): { mode: ExecutionMode; reason: string } {
  if (options.transaction === "none")
    return { mode: "autocommit", reason: "migrations.transaction (or --transaction) is none" };
  const own = file.source.transactionModel;
  if (own === "none" && options.transaction === "auto" && transactionModelFor(options.framework) !== "none")
    return {
      mode: "autocommit",
      reason: "the file opts out of a transaction (e.g. dbmate transaction:false)",
    };
  const control = statements.find((s) => s.transactionControl !== undefined);
  if (control)
    return { mode: "autocommit", reason: `the file manages its own transactions (line ${control.line})` };
  const refused = statements.find((s) => s.nonTransactional !== undefined);
  if (refused)
    return {
      mode: "autocommit",
      reason: `${refused.nonTransactional} (line ${refused.line}) cannot run inside a transaction block`,
    };
  return { mode: "transaction", reason: "" };
}

/** Plans the pending files. The Postgres parser must be loaded (loadParser). */
export function planMigrations(options: PlanOptions): PlannedFile[] {
  const pgVersion = Math.min(18, Math.max(10, options.serverMajor));
  const catalog = new Catalog();
  for (const f of options.baseline) for (const s of parseFile(f.source).statements) catalog.apply(s);
  return options.pending.map((file) => {
    const parsed = parseFile(file.source);
    const lines = new LineIndex(parsed.text);
    // Same length as the text, with the characters of password literals replaced by '*'.
    const shown = /password|sslkey|passfile/i.test(parsed.text)
      ? maskSecretLiterals(parsed.text)
      : parsed.text;
    const createdHere = new Set<string>();
    const scope = { existedBeforeFile: (r: string) => !createdHere.has(r) };
    const touches = new Set<string>();
    const schemas = new Set<string>();
    const statements = parsed.statements.map((stmt, index): PlannedStatement => {
      const locks = new Map<string, PlannedLock>();
      const collect = (s: ParsedStatement) => {
        for (const l of describeStatement(s, catalog, scope, pgVersion).locks) {
          if (!locks.has(l.relation))
            locks.set(l.relation, { relation: l.relation, mode: l.mode, existing: l.existing });
        }
        const created =
          rangeVarName(asKind(s.node, "CreateStmt")?.relation) ??
          rangeVarName(asKind(s.node, "CreateTableAsStmt")?.into?.rel) ??
          rangeVarName(asKind(s.node, "ViewStmt")?.view);
        if (created && !catalog.relation(created)) createdHere.add(created);
        catalog.apply({ ...s, children: [] });
        for (const child of s.children) collect(child);
      };
      collect(stmt);
      touchedBy(stmt, touches, schemas);
      const pos = lines.position(stmt.start);
      const planned: PlannedStatement = {
        index,
        line: pos.line,
        column: pos.column,
        text: stmt.text,
        summary: summarize(shown.slice(stmt.start, stmt.end)),
        kind: stmt.kind,
        locks: [...locks.values()],
      };
      const refused = nonTransactionalReason(stmt.node, options.serverMajor);
      if (refused) planned.nonTransactional = refused;
      const control = transactionControl(stmt.node);
      if (control) planned.transactionControl = control;
      const createIndex = asKind(stmt.node, "IndexStmt");
      if (createIndex?.concurrent && createIndex.idxname)
        planned.concurrentIndex = regclassName(createIndex.relation?.schemaname, createIndex.idxname);
      return planned;
    });
    const { mode, reason } = decideMode(file, statements, options);
    return {
      name: file.name,
      path: file.path,
      checksum: file.checksum,
      mode,
      modeReason: reason,
      statements,
      touches: [...touches],
      dropsSchemas: [...schemas],
      psqlMetaCommands: parsed.diagnostics
        .filter((d) => d.ruleId === "psql-meta-command")
        .map((d) => lines.position(d.start).line),
    };
  });
}

/** The transaction model the linter should assume for a planned file: the one apply will use. */
export function lintModelFor(file: PlannedFile): TransactionModel {
  return file.mode === "transaction" ? "per-file" : "none";
}
