import { asKind, rangeVarName } from "../ast.js";
import type { Rule } from "../rule.js";

export const renamingColumn: Rule = {
  meta: {
    id: "renaming-column",
    description: "Renaming a column of an existing table breaks running code that still uses the old name.",
    severity: "error",
    messages: {
      default: "RENAME COLUMN {from} TO {to} on {table} breaks every running query that still uses {from}",
    },
    help: "Add a column with the new name, write to both, backfill, move reads to the new column, then drop the old one in a later release; or keep the database name and rename the field in the ORM mapping.",
  },
  kinds: ["RenameStmt"],
  check({ statement, file }) {
    const rename = asKind(statement.parsed.node, "RenameStmt");
    const table = rangeVarName(rename?.relation);
    if (rename?.renameType !== "OBJECT_COLUMN" || !table || !rename.subname || !rename.newname) return [];
    if (!file.existedBeforeFile(table)) return [];
    return [
      { messageId: "default", data: { table, from: rename.subname, to: rename.newname }, relation: table },
    ];
  },
};
