import { asKind } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { alteredCommands } from "../rule-helpers.js";

export const addingExclusionConstraint: Rule = {
  meta: {
    id: "adding-exclusion-constraint",
    description:
      "Adding an exclusion constraint to an existing table builds its index and checks every row under ACCESS EXCLUSIVE.",
    severity: "error",
    messages: {
      default:
        "ADD CONSTRAINT {constraint} EXCLUDE on {table} builds its index and checks every row while holding ACCESS EXCLUSIVE, blocking reads and writes",
    },
    help: "Exclusion constraints have no NOT VALID or USING INDEX form: declare them when the table is created, or add them in a maintenance window with a lock_timeout.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file }) {
    const reports: RuleReport[] = [];
    for (const { table, cmd } of alteredCommands(statement, file)) {
      const con = cmd?.subtype === "AT_AddConstraint" ? asKind(cmd.def, "Constraint") : undefined;
      if (con?.contype !== "CONSTR_EXCLUSION") continue;
      reports.push({
        messageId: "default",
        data: { table, constraint: con.conname ?? "(unnamed)" },
        relation: table,
      });
    }
    return reports;
  },
};
