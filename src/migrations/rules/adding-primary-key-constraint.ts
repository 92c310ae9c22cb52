import { asKind, qualify } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { alteredCommands } from "../rule-helpers.js";

export const addingPrimaryKeyConstraint: Rule = {
  meta: {
    id: "adding-primary-key-constraint",
    description:
      "Adding a primary key to an existing table builds its index (and checks its columns for NULLs) under ACCESS EXCLUSIVE.",
    severity: "error",
    messages: {
      default:
        "ADD PRIMARY KEY on {table} builds the index while holding ACCESS EXCLUSIVE, blocking reads and writes for the whole build",
      addColumn:
        "ADD COLUMN {column} PRIMARY KEY on {table} builds the index while holding ACCESS EXCLUSIVE, blocking reads and writes for the whole build",
      usingIndexNullable:
        "ADD PRIMARY KEY USING INDEX on {table} sets NOT NULL on {columns}, which scans every row while holding ACCESS EXCLUSIVE",
    },
    help: "Build a unique index first with CREATE UNIQUE INDEX CONCURRENTLY on NOT NULL columns, then attach it: ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY USING INDEX (a brief lock).",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog, options }) {
    const reports: RuleReport[] = [];
    for (const { table, cmd } of alteredCommands(statement, file)) {
      if (cmd?.subtype === "AT_AddConstraint") {
        const con = asKind(cmd.def, "Constraint");
        if (con?.contype !== "CONSTR_PRIMARY") continue;
        if (con.indexname === undefined) {
          reports.push({ messageId: "default", data: { table }, relation: table });
          continue;
        }
        // USING INDEX is quick, unless a column is nullable: then Postgres runs SET NOT NULL.
        const schema = table.slice(0, table.indexOf("."));
        const index = catalog.index(qualify(con.indexname, schema));
        const nullable = (index?.columns ?? []).filter((name) => {
          const col = catalog.column(table, name);
          if (!col || col.notNull) return false;
          return !(options.pgVersion >= 12 && catalog.hasValidatedNotNullCheck(table, name));
        });
        if (nullable.length > 0) {
          reports.push({
            messageId: "usingIndexNullable",
            data: { table, columns: nullable.join(", ") },
            relation: table,
            help: "Make the columns NOT NULL first without a long lock: ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a separate transaction, then SET NOT NULL (Postgres 12+ skips the scan), and attach the index.",
          });
        }
      } else if (cmd?.subtype === "AT_AddColumn") {
        const def = asKind(cmd.def, "ColumnDef");
        if (cmd.missing_ok && catalog.column(table, def?.colname)) continue;
        const primary = (def?.constraints ?? []).some(
          (x) => asKind(x, "Constraint")?.contype === "CONSTR_PRIMARY",
        );
        if (primary)
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
