/** Small predicates shared by several rules. */
import type { AlterTableCmd, AlterTableStmt, ColumnDef, Node, TypeName } from "libpg-query";
import { asKind, formatType, type NormalizedType, normalizeType, rangeVarName } from "./ast.js";
import type { Catalog } from "./catalog.js";
import type { AnalyzedStatement, FileState, RuleReport } from "./rule.js";

/**
 * Whether other sessions may be using a relation a statement names: FileState.existedBeforeFile,
 * except that `IF EXISTS` on a relation the schema model never knew is taken at its word.
 */
export function mayBeInUse(relation: string, file: FileState, missingOk = false): boolean {
  if (!file.existedBeforeFile(relation)) return false;
  return !(missingOk && !file.knownBeforeFile(relation));
}

/** A column type a statement declares: CREATE TABLE and ADD COLUMN definitions, ALTER COLUMN ... TYPE. */
export interface DeclaredColumnType {
  table: string | undefined;
  column: string;
  raw: TypeName;
  type: NormalizedType;
}

export function declaredColumnTypes(node: Node): DeclaredColumnType[] {
  const out: DeclaredColumnType[] = [];
  const add = (table: string | undefined, column: string | undefined, raw: TypeName | undefined) => {
    if (column && raw) out.push({ table, column, raw, type: normalizeType(raw) });
  };
  const create = asKind(node, "CreateStmt");
  for (const elt of create?.tableElts ?? []) {
    const def = asKind(elt, "ColumnDef");
    add(rangeVarName(create?.relation), def?.colname, def?.typeName);
  }
  const alter = asKind(node, "AlterTableStmt");
  for (const c of alter?.cmds ?? []) {
    const cmd = asKind(c, "AlterTableCmd");
    const def = asKind(cmd?.def, "ColumnDef");
    if (cmd?.subtype === "AT_AddColumn") add(rangeVarName(alter?.relation), def?.colname, def?.typeName);
    if (cmd?.subtype === "AT_AlterColumnType") add(rangeVarName(alter?.relation), cmd.name, def?.typeName);
  }
  return out;
}

/** Reports every declared column whose type `flagged` matches, with {column}, {table} and {type}. */
export function columnTypeReports(node: Node, flagged: (c: DeclaredColumnType) => boolean): RuleReport[] {
  return declaredColumnTypes(node)
    .filter(flagged)
    .map((c) => ({
      messageId: "default",
      data: { column: c.column, table: c.table ?? "", type: formatType(c.type) },
      ...(c.table ? { relation: c.table } : {}),
    }));
}

/** The ALTER TABLE a statement runs, when its table may be in use (not created earlier in this file). */
export function alteredExistingTable(
  statement: AnalyzedStatement,
  file: FileState,
): { alter: AlterTableStmt; table: string } | undefined {
  const alter = asKind(statement.parsed.node, "AlterTableStmt");
  const table = rangeVarName(alter?.relation);
  if (alter?.objtype !== "OBJECT_TABLE" || !table || !file.existedBeforeFile(table)) return undefined;
  return { alter, table };
}

/**
 * The columns an ALTER TABLE ... ADD COLUMN adds to a table that may be in use. ADD COLUMN IF NOT
 * EXISTS of a column the catalog already has adds nothing and is left out.
 */
export function addedColumns(
  statement: AnalyzedStatement,
  file: FileState,
  catalog: Catalog,
): { table: string; cmd: AlterTableCmd; def: ColumnDef & { colname: string } }[] {
  const out: { table: string; cmd: AlterTableCmd; def: ColumnDef & { colname: string } }[] = [];
  for (const { table, cmd } of alteredCommands(statement, file)) {
    const def = cmd.subtype === "AT_AddColumn" ? asKind(cmd.def, "ColumnDef") : undefined;
    if (def?.colname === undefined) continue;
    if (cmd.missing_ok && catalog.column(table, def.colname)) continue;
    out.push({ table, cmd, def: def as ColumnDef & { colname: string } });
  }
  return out;
}

/** `NULL`, or `NULL::type`. */
export function isNullLiteral(expr: Node | undefined): boolean {
  const cast = asKind(expr, "TypeCast");
  if (cast) return isNullLiteral(cast.arg);
  return asKind(expr, "A_Const")?.isnull === true;
}

/** Every command of an ALTER TABLE on a table that may be in use, each with the table's name. */
export function alteredCommands(
  statement: AnalyzedStatement,
  file: FileState,
): { table: string; cmd: AlterTableCmd }[] {
  const target = alteredExistingTable(statement, file);
  if (!target) return [];
  const out: { table: string; cmd: AlterTableCmd }[] = [];
  for (const c of target.alter.cmds ?? []) {
    const cmd = asKind(c, "AlterTableCmd");
    if (cmd) out.push({ table: target.table, cmd });
  }
  return out;
}
