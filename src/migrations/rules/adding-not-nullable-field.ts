import { asKind, stringList } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { alteredExistingTable } from "../rule-helpers.js";

export const addingNotNullableField: Rule = {
  meta: {
    id: "adding-not-nullable-field",
    description:
      "SET NOT NULL on a column of an existing table scans every row under ACCESS EXCLUSIVE, unless a validated CHECK (col IS NOT NULL) proves it (Postgres 12+).",
    severity: "error",
    messages: {
      default:
        "SET NOT NULL on {table}.{column} scans every row while holding ACCESS EXCLUSIVE, blocking reads and writes",
      constraint:
        "ADD CONSTRAINT {constraint} NOT NULL {column} on {table} scans every row while holding ACCESS EXCLUSIVE, blocking reads and writes",
    },
    help: "Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a separate transaction, then SET NOT NULL (Postgres 12+ skips the scan because of the validated check) and drop the check.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog, options }) {
    const target = alteredExistingTable(statement, file);
    if (!target) return [];
    const { alter, table } = target;
    const proven = (column: string): boolean => {
      // Already NOT NULL: nothing to check. A validated CHECK (col IS NOT NULL) lets PG 12+ skip the scan.
      if (catalog.column(table, column)?.notNull) return true;
      return options.pgVersion >= 12 && catalog.hasValidatedNotNullCheck(table, column);
    };
    const help =
      options.pgVersion < 12
        ? "Before Postgres 12, SET NOT NULL always scans the table: keep a CHECK (col IS NOT NULL) constraint instead (added NOT VALID, then VALIDATE CONSTRAINT in a separate transaction), or run it in a maintenance window."
        : undefined;
    const reports: RuleReport[] = [];
    const report = (messageId: string, data: Record<string, string>) =>
      reports.push(help ? { messageId, data, relation: table, help } : { messageId, data, relation: table });
    for (const c of alter.cmds ?? []) {
      const cmd = asKind(c, "AlterTableCmd");
      if (cmd?.subtype === "AT_SetNotNull" && cmd.name) {
        if (!proven(cmd.name)) report("default", { table, column: cmd.name });
      } else if (cmd?.subtype === "AT_AddConstraint") {
        // Postgres 18: ADD CONSTRAINT name NOT NULL col is SET NOT NULL with a constraint name.
        const con = asKind(cmd.def, "Constraint");
        if (con?.contype !== "CONSTR_NOTNULL" || con.skip_validation) continue;
        for (const column of stringList(con.keys)) {
          if (!proven(column))
            report("constraint", { table, column, constraint: con.conname ?? "(unnamed)" });
        }
      }
    }
    return reports;
  },
};
