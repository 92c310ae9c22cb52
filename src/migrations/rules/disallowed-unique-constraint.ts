import { asKind } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { alteredCommands } from "../rule-helpers.js";

export const disallowedUniqueConstraint: Rule = {
  meta: {
    id: "disallowed-unique-constraint",
    description:
      "Adding a UNIQUE constraint to an existing table builds its index under ACCESS EXCLUSIVE, blocking reads and writes for the whole build.",
    severity: "error",
    messages: {
      default:
        "ADD CONSTRAINT {constraint} UNIQUE on {table} builds the unique index while holding ACCESS EXCLUSIVE, blocking reads and writes for the whole build",
      addColumn:
        "ADD COLUMN {column} UNIQUE on {table} builds the unique index while holding ACCESS EXCLUSIVE, blocking reads and writes for the whole build",
    },
    help: "Build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then attach it: ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX (a brief lock).",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog }) {
    const reports: RuleReport[] = [];
    for (const { table, cmd } of alteredCommands(statement, file)) {
      if (cmd?.subtype === "AT_AddConstraint") {
        const con = asKind(cmd.def, "Constraint");
        if (con?.contype !== "CONSTR_UNIQUE" || con.indexname !== undefined) continue;
        reports.push({
          messageId: "default",
          data: { table, constraint: con.conname ?? "(unnamed)" },
          relation: table,
        });
      } else if (cmd?.subtype === "AT_AddColumn") {
        const def = asKind(cmd.def, "ColumnDef");
        // ADD COLUMN IF NOT EXISTS of a column that exists does nothing.
        if (cmd.missing_ok && catalog.column(table, def?.colname)) continue;
        const unique = (def?.constraints ?? []).some(
          (x) => asKind(x, "Constraint")?.contype === "CONSTR_UNIQUE",
        );
        if (unique)
          reports.push({
            messageId: "addColumn",
            data: { table, column: def?.colname ?? "" },
            relation: table,
          });
      }
    }
    return reports;
  },
};
