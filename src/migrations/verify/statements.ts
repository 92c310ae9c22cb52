/**
 * What verify needs to know about a statement before running it, from the parse tree: whether it
 * can run inside a transaction block, its text without CONCURRENTLY, the tables and columns it
 * drops, the roles it refers to, whether it can change the catalog at all. Never regexes over SQL.
 */
import type { Node } from "libpg-query";
import { asKind, listName, rangeVarName } from "../ast.js";
import { nonTransactionalReason as reasonForNode } from "../non-transactional.js";
import type { ParsedFile, ParsedStatement } from "../parse.js";
import { byteToCharMapper, scanTokens } from "../parse.js";

/**
 * Why Postgres (major version `serverMajor`) refuses to run the statement inside a transaction
 * block, or undefined when it can.
 */
export function nonTransactionalReason(stmt: ParsedStatement, serverMajor = 18): string | undefined {
  return reasonForNode(stmt.node, serverMajor);
}

/**
 * The statement's text with its CONCURRENTLY keyword removed (CREATE/DROP INDEX, REINDEX TABLE …
 * CONCURRENTLY, DETACH PARTITION), so it can run inside a transaction with the same end state; the
 * replaced range is blanked with spaces, so error positions still map to the file. Undefined when
 * the statement has no such keyword or uses the parenthesised option form.
 */
export function withoutConcurrently(text: string): string | undefined {
  const tokens = scanTokens(text);
  const toChar = byteToCharMapper(text);
  const i = tokens.findIndex((t) => t.keywordKind !== 0 && t.text.toUpperCase() === "CONCURRENTLY");
  if (i < 0) return undefined;
  const previous = tokens[i - 1]?.text;
  if (previous === "(" || previous === ",") return undefined;
  const t = tokens[i] as (typeof tokens)[number];
  const start = toChar(t.start);
  const end = toChar(t.end);
  return text.slice(0, start) + " ".repeat(end - start) + text.slice(end);
}

export interface DropTarget {
  /** Qualified relation name (public. when unqualified). */
  relation: string;
  column?: string;
  /** TRUNCATE empties rather than drops. */
  truncate?: boolean;
}

/** The tables and columns a statement drops or empties: DROP TABLE / MATERIALIZED VIEW, DROP COLUMN, TRUNCATE. */
export function dropTargets(stmt: ParsedStatement): DropTarget[] {
  const node = stmt.node;
  const out: DropTarget[] = [];
  const drop = asKind(node, "DropStmt");
  if (drop && (drop.removeType === "OBJECT_TABLE" || drop.removeType === "OBJECT_MATVIEW")) {
    for (const obj of drop.objects ?? []) {
      const name = listName(asKind(obj, "List")?.items);
      if (name) out.push({ relation: name });
    }
  }
  const alter = asKind(node, "AlterTableStmt");
  if (alter && alter.objtype === "OBJECT_TABLE") {
    const relation = rangeVarName(alter.relation);
    for (const c of alter.cmds ?? []) {
      const cmd = asKind(c, "AlterTableCmd");
      if (relation && cmd?.subtype === "AT_DropColumn" && cmd.name) out.push({ relation, column: cmd.name });
    }
  }
  for (const r of asKind(node, "TruncateStmt")?.relations ?? []) {
    const relation = rangeVarName(asKind(r, "RangeVar"));
    if (relation) out.push({ relation, truncate: true });
  }
  return out;
}

function visitObjects(value: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) visitObjects(v, visit);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const o = value as Record<string, unknown>;
  visit(o);
  for (const v of Object.values(o)) visitObjects(v, visit);
}

/**
 * Roles the files refer to (GRANT … TO, OWNER TO, policies, GRANT role) minus the roles they create
 * themselves. On a throwaway server these are created first, so a GRANT to the application's role
 * does not fail there for want of the role.
 */
export function referencedRoles(files: readonly ParsedFile[]): string[] {
  const referenced = new Set<string>();
  const created = new Set<string>();
  for (const file of files) {
    for (const stmt of file.statements) {
      const create = asKind(stmt.node, "CreateRoleStmt");
      if (create?.role) created.add(create.role);
      // RoleSpecs appear wrapped ({ RoleSpec: {...} }) and bare (AlterTableCmd.newowner).
      visitObjects(stmt.node, (o) => {
        if (o.roletype === "ROLESPEC_CSTRING" && typeof o.rolename === "string") referenced.add(o.rolename);
      });
      for (const r of asKind(stmt.node, "GrantRoleStmt")?.granted_roles ?? []) {
        const name = asKind(r, "AccessPriv")?.priv_name;
        if (name) referenced.add(name);
      }
    }
  }
  return [...referenced].filter((r) => !created.has(r)).sort();
}

/**
 * Statements that cannot create, drop, rename or rewrite a catalog object (plain DML, SET, SHOW,
 * transaction control, COMMENT, GRANT, LOCK, ALTER TABLE subcommands that only change settings), so
 * verify skips reading the object list after them. A trigger or rule doing DDL on INSERT would be
 * missed; that is rare enough to be worth the speed.
 */
const catalogNeutralKinds = new Set<string>([
  "InsertStmt",
  "UpdateStmt",
  "DeleteStmt",
  "MergeStmt",
  "VariableSetStmt",
  "VariableShowStmt",
  "TransactionStmt",
  "NotifyStmt",
  "ListenStmt",
  "UnlistenStmt",
  "CommentStmt",
  "SecLabelStmt",
  "GrantStmt",
  "GrantRoleStmt",
  "AlterDefaultPrivilegesStmt",
  "LockStmt",
]);

/** ALTER TABLE subcommands that change no object and never rewrite. */
const neutralAlterTableCommands = new Set<string>([
  "AT_ColumnDefault",
  "AT_ValidateConstraint",
  "AT_SetStatistics",
  "AT_SetOptions",
  "AT_ResetOptions",
  "AT_SetStorage",
  "AT_SetCompression",
  "AT_SetRelOptions",
  "AT_ResetRelOptions",
  "AT_ReplaceRelOptions",
  "AT_ClusterOn",
  "AT_DropCluster",
  "AT_EnableTrig",
  "AT_EnableAlwaysTrig",
  "AT_EnableReplicaTrig",
  "AT_DisableTrig",
  "AT_EnableTrigAll",
  "AT_DisableTrigAll",
  "AT_EnableTrigUser",
  "AT_DisableTrigUser",
  "AT_EnableRowSecurity",
  "AT_DisableRowSecurity",
  "AT_ForceRowSecurity",
  "AT_NoForceRowSecurity",
  "AT_ReplicaIdentity",
]);

export function mayChangeCatalog(stmt: ParsedStatement): boolean {
  if (catalogNeutralKinds.has(stmt.kind)) return false;
  const alter = asKind(stmt.node, "AlterTableStmt");
  if (alter?.cmds?.length) {
    return !alter.cmds.every((c) => neutralAlterTableCommands.has(asKind(c, "AlterTableCmd")?.subtype ?? ""));
  }
  return true;
}

/** The SQL text verify sends for each statement: psql meta-command lines (already reported) blanked. */
export function executableText(file: ParsedFile): string {
  let text = file.text;
  for (const d of file.diagnostics) {
    if (d.ruleId !== "psql-meta-command") continue;
    let end = text.indexOf("\n", d.start);
    if (end === -1) end = text.length;
    text = text.slice(0, d.start) + " ".repeat(end - d.start) + text.slice(end);
  }
  return text;
}

/** A short one-line summary of a statement for the trace: its first line, at most 100 characters. */
export function statementSummary(text: string): string {
  const first = text.trim().split("\n")[0]?.trim() ?? "";
  const more = text.trim().includes("\n");
  const cut = first.length > 100 ? `${first.slice(0, 99)}…` : first;
  return more && !cut.endsWith("…") ? `${cut} …` : cut;
}

/** Whether a node is a transaction-control statement, and which. */
export function transactionKind(node: Node): { kind: string; chain: boolean } | undefined {
  const t = asKind(node, "TransactionStmt");
  return t?.kind ? { kind: t.kind, chain: Boolean(t.chain) } : undefined;
}
