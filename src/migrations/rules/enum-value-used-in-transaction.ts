import type { Node, RangeVar, TypeName } from "libpg-query";
import { asKind, listName, rangeVarName, stringList, walk } from "../ast.js";
import type { Catalog } from "../catalog.js";
import type { AnalyzedStatement, Rule, RuleReport } from "../rule.js";

function bareName(qualified: string): string {
  return qualified.slice(qualified.indexOf(".") + 1).toLowerCase();
}

/**
 * Whether the statement may convert a literal to the enum type: it names the type (a cast, a column
 * definition), touches a relation the catalog does not know, or names a column of the type (in an
 * expression, a SET target, an INSERT column list, or an INSERT without a column list).
 */
function mayUseType(node: Node, type: string, catalog: Catalog): boolean {
  const bare = bareName(type);
  let unknownRelation = false;
  let namesType = false;
  const enumColumns = new Set<string>();
  const enumRelations = new Set<string>();
  walk(node, (kind, body) => {
    // Casts and column definitions carry their type as a bare TypeName field.
    const typeName = kind === "TypeName" ? (body as TypeName) : (body as { typeName?: TypeName }).typeName;
    const typeNames = stringList(Array.isArray(typeName?.names) ? typeName.names : undefined);
    if (typeNames[typeNames.length - 1]?.toLowerCase() === bare) namesType = true;
    // Statement targets (INSERT/UPDATE/ALTER TABLE/CREATE INDEX ... relation) are bare RangeVar fields.
    const target = (body as { relation?: RangeVar }).relation;
    const rangeVar = kind === "RangeVar" ? (body as RangeVar) : target?.relname ? target : undefined;
    const name = rangeVarName(rangeVar);
    if (!name) return;
    const rel = catalog.relation(name);
    if (!rel) unknownRelation = true;
    for (const c of Object.values(rel?.columns ?? {})) {
      if (c.type.name === bare) {
        enumColumns.add(c.name);
        enumRelations.add(name);
      }
    }
  });
  if (namesType || unknownRelation) return true;
  if (enumColumns.size === 0) return false;
  const insert = asKind(node, "InsertStmt");
  if (insert && !insert.cols && enumRelations.has(rangeVarName(insert.relation) ?? "")) return true;
  let namesColumn = false;
  walk(node, (kind, body) => {
    if (kind === "ColumnRef") {
      const names = stringList(body.fields as Node[] | undefined);
      if (enumColumns.has(names[names.length - 1] ?? "")) namesColumn = true;
    } else if (kind === "ResTarget" || kind === "AlterTableCmd") {
      if (enumColumns.has((body as { name?: string }).name ?? "")) namesColumn = true;
    }
  });
  return namesColumn;
}

/** The statements of the current transaction before this one (after the last BEGIN/COMMIT/ROLLBACK). */
function currentTransaction(previous: readonly AnalyzedStatement[]): readonly AnalyzedStatement[] {
  for (let i = previous.length - 1; i >= 0; i--) {
    if (asKind((previous[i] as AnalyzedStatement).parsed.node, "TransactionStmt"))
      return previous.slice(i + 1);
  }
  return previous;
}

export const enumValueUsedInTransaction: Rule = {
  meta: {
    id: "enum-value-used-in-transaction",
    description:
      "A value added with ALTER TYPE ... ADD VALUE is used before the transaction that added it commits.",
    severity: "error",
    messages: {
      default:
        "'{value}' was added to {type} at line {line} in this transaction and is used before commit: Postgres fails with \"unsafe use of new value\"",
    },
    help: "Commit right after ALTER TYPE ... ADD VALUE (a separate migration where the runner wraps each file) and use the new value only after that.",
  },
  check({ statement, catalog, file }) {
    if (file.enumValuesAddedInTransaction.size === 0) return [];
    const { node, kind } = statement.parsed;
    if (kind === "AlterEnumStmt" || kind === "DoStmt") return [];
    const literals = new Set<string>();
    walk(node, (k, body) => {
      const value = (body as { sval?: { sval?: string } }).sval?.sval;
      if (k === "A_Const" && value !== undefined) literals.add(value);
    });
    const transaction = currentTransaction(file.previous);
    const reports: RuleReport[] = [];
    for (const [type, values] of file.enumValuesAddedInTransaction) {
      // Values added to an enum type created in the same transaction are safe to use.
      const createdHere = transaction.some(
        (s) => listName(asKind(s.parsed.node, "CreateEnumStmt")?.typeName) === type,
      );
      if (createdHere) continue;
      for (const value of values) {
        if (!literals.has(value) || !mayUseType(node, type, catalog)) continue;
        const added = [...transaction].reverse().find((s) => {
          const alter = asKind(s.parsed.node, "AlterEnumStmt");
          return alter?.newVal === value && alter.oldVal === undefined && listName(alter.typeName) === type;
        });
        reports.push({ messageId: "default", data: { value, type, line: added?.line ?? "?" } });
      }
    }
    return reports;
  },
};
