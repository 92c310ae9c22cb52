import { asKind, qualify, rangeVarName } from "../ast.js";
import type { AnalyzedStatement, Rule, RuleReport, TransactionModel } from "../rule.js";

/**
 * A transaction number for each statement: statements with the same number commit together.
 * DO-block children run in their parent's transaction.
 */
function transactionIds(
  statements: readonly AnalyzedStatement[],
  model: TransactionModel,
  statementCount: number,
): Map<AnalyzedStatement, number> {
  const ids = new Map<AnalyzedStatement, number>();
  const autocommit = model === "none" || (model === "implicit" && statementCount <= 1);
  let id = 0;
  let depth = 0;
  for (const s of statements) {
    if (s.parent) {
      ids.set(s, ids.get(s.parent) ?? id);
      continue;
    }
    const kind = asKind(s.parsed.node, "TransactionStmt")?.kind;
    if (kind === "TRANS_STMT_BEGIN" || kind === "TRANS_STMT_START") {
      if (depth === 0 && autocommit) id++;
      depth++;
      ids.set(s, id);
    } else if (
      kind === "TRANS_STMT_COMMIT" ||
      kind === "TRANS_STMT_ROLLBACK" ||
      kind === "TRANS_STMT_PREPARE"
    ) {
      ids.set(s, id);
      depth = Math.max(0, depth - 1);
      id++;
    } else if (depth === 0 && autocommit) {
      ids.set(s, ++id);
      id++;
    } else {
      ids.set(s, id);
    }
  }
  return ids;
}

/** The relation a statement creates (CREATE TABLE / VIEW / TABLE AS, or RENAME TO), if any. */
function createdRelation(s: AnalyzedStatement): string | undefined {
  const node = s.parsed.node;
  const create = asKind(node, "CreateStmt");
  if (create) return rangeVarName(create.relation);
  const ctas = asKind(node, "CreateTableAsStmt");
  if (ctas) return rangeVarName(ctas.into?.rel);
  const view = asKind(node, "ViewStmt");
  if (view) return rangeVarName(view.view);
  const rename = asKind(node, "RenameStmt");
  const from = rangeVarName(rename?.relation);
  const renamesRelation =
    rename?.renameType === "OBJECT_TABLE" ||
    rename?.renameType === "OBJECT_VIEW" ||
    rename?.renameType === "OBJECT_MATVIEW" ||
    rename?.renameType === "OBJECT_FOREIGN_TABLE";
  if (renamesRelation && rename?.newname && from)
    return qualify(rename.newname, from.slice(0, from.indexOf(".")));
  return undefined;
}

export const renamingTable: Rule = {
  meta: {
    id: "renaming-table",
    description: "Renaming an existing table breaks running code that still uses the old name.",
    severity: "error",
    messages: {
      default: "RENAME of {table} TO {to} breaks every running query that still uses {table}",
    },
    help: "Create the new table and migrate code to it over several releases, or, in the same transaction as the rename, CREATE VIEW with the old name AS SELECT * FROM the new table so old code keeps working until it is gone.",
  },
  // At the end of the file: a rename followed, in the same transaction, by a view with the old name
  // keeps old code working (simple views are updatable), so it is not reported.
  checkEnd({ file, statements }) {
    const ids = transactionIds(statements, file.transactionModel, file.statementCount);
    const reports: RuleReport[] = [];
    for (const [i, s] of statements.entries()) {
      const rename = asKind(s.parsed.node, "RenameStmt");
      const table = rangeVarName(rename?.relation);
      if (rename?.renameType !== "OBJECT_TABLE" || !table || !rename.newname) continue;
      // A table created (or renamed into place) earlier in this file is not in use yet.
      if (statements.slice(0, i).some((earlier) => createdRelation(earlier) === table)) continue;
      const compatView = statements.slice(i + 1).some((later) => {
        const view = asKind(later.parsed.node, "ViewStmt");
        return view !== undefined && rangeVarName(view.view) === table && ids.get(later) === ids.get(s);
      });
      if (compatView) continue;
      const to = qualify(rename.newname, table.slice(0, table.indexOf(".")));
      reports.push({ messageId: "default", data: { table, to }, statement: s, relation: table });
    }
    return reports;
  },
};
