import type { AlterTableCmd, Constraint } from "libpg-query";
import { asKind, normalizeType, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { alteredExistingTable } from "../rule-helpers.js";

function columnConstraints(cmd: AlterTableCmd): Constraint[] {
  return (asKind(cmd.def, "ColumnDef")?.constraints ?? [])
    .map((c) => asKind(c, "Constraint"))
    .filter((c) => c !== undefined);
}

/** Whether a column constraint is followed by NOT ENFORCED (PG 18), which skips validation. */
function notEnforced(constraints: readonly Constraint[], index: number): boolean {
  for (let i = index + 1; i < constraints.length; i++) {
    const type = constraints[i]?.contype;
    if (type === "CONSTR_ATTR_NOT_ENFORCED") return true;
    if (type === undefined || !type.startsWith("CONSTR_ATTR_")) return false;
  }
  return false;
}

/** ADD COLUMN gives the column a value expression (DEFAULT, serial, stored or virtual generated). */
function addsColumnWithDefault(cmd: AlterTableCmd): boolean {
  if (cmd.subtype !== "AT_AddColumn") return false;
  const def = asKind(cmd.def, "ColumnDef");
  if (normalizeType(def?.typeName).name.endsWith("serial")) return true;
  return columnConstraints(cmd).some(
    (c) => c.contype === "CONSTR_DEFAULT" || c.contype === "CONSTR_GENERATED",
  );
}

export const addingForeignKeyConstraint: Rule = {
  meta: {
    id: "adding-foreign-key-constraint",
    description:
      "Adding a foreign key to an existing table without NOT VALID blocks writes on both tables while every row is checked.",
    severity: "error",
    messages: {
      default:
        "ADD FOREIGN KEY on {table} referencing {referenced} checks every row while holding SHARE ROW EXCLUSIVE on both tables, blocking their writes",
      addColumn:
        "ADD COLUMN {column} REFERENCES {referenced} in a statement that sets a column DEFAULT checks every row of {table} while holding ACCESS EXCLUSIVE on {table} and SHARE ROW EXCLUSIVE on {referenced}",
    },
    help: "Add the constraint with NOT VALID (brief lock, no scan), then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction: validation takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file }) {
    const target = alteredExistingTable(statement, file);
    if (!target) return [];
    const { alter, table } = target;
    const cmds = (alter.cmds ?? []).map((c) => asKind(c, "AlterTableCmd")).filter((c) => c !== undefined);
    // Postgres skips validating a column's REFERENCES when no column of the statement gets a
    // default and the statement adds no table-level foreign key: the new column is all NULL.
    const columnFksValidated = cmds.some(
      (cmd) =>
        addsColumnWithDefault(cmd) ||
        (cmd.subtype === "AT_AddConstraint" && asKind(cmd.def, "Constraint")?.contype === "CONSTR_FOREIGN"),
    );
    const reports: RuleReport[] = [];
    for (const cmd of cmds) {
      if (cmd.subtype === "AT_AddConstraint") {
        const con = asKind(cmd.def, "Constraint");
        if (con?.contype !== "CONSTR_FOREIGN" || con.skip_validation) continue;
        const referenced = rangeVarName(con.pktable) ?? "the referenced table";
        reports.push({ messageId: "default", data: { table, referenced }, relation: table });
      } else if (cmd.subtype === "AT_AddColumn" && columnFksValidated) {
        const column = asKind(cmd.def, "ColumnDef")?.colname ?? "";
        const constraints = columnConstraints(cmd);
        for (const [index, con] of constraints.entries()) {
          if (con.contype !== "CONSTR_FOREIGN" || notEnforced(constraints, index)) continue;
          const referenced = rangeVarName(con.pktable) ?? "the referenced table";
          reports.push({
            messageId: "addColumn",
            data: { table, column, referenced },
            relation: table,
            help: "Add the column without the REFERENCES clause, then add the foreign key with NOT VALID and run VALIDATE CONSTRAINT in a separate transaction.",
          });
        }
      }
    }
    return reports;
  },
};
