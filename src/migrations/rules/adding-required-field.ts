import { asKind, normalizeType } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { addedColumns, isNullLiteral } from "../rule-helpers.js";

export const addingRequiredField: Rule = {
  meta: {
    id: "adding-required-field",
    description:
      "Adding a NOT NULL column without a DEFAULT to an existing table fails as soon as the table has a row.",
    severity: "error",
    messages: {
      default:
        "ADD COLUMN {column} {constraint} without a DEFAULT on {table}: existing rows would be NULL, so the migration fails unless the table is empty",
    },
    help: "Add the column nullable (or with a DEFAULT, which is instant on Postgres 11+ for constant values), backfill it, then enforce NOT NULL with a validated CHECK (col IS NOT NULL) and SET NOT NULL.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog }) {
    const reports: RuleReport[] = [];
    for (const { table, def } of addedColumns(statement, file, catalog)) {
      const constraints = (def.constraints ?? [])
        .map((x) => asKind(x, "Constraint"))
        .filter((x) => x !== undefined);
      const required = constraints.find(
        (x) => x.contype === "CONSTR_NOTNULL" || x.contype === "CONSTR_PRIMARY",
      );
      if (!required) continue;
      // serial, identity and generated columns get a value for every existing row.
      if (normalizeType(def.typeName).name.endsWith("serial")) continue;
      const hasValue = constraints.some(
        (x) =>
          x.contype === "CONSTR_IDENTITY" ||
          x.contype === "CONSTR_GENERATED" ||
          (x.contype === "CONSTR_DEFAULT" && !isNullLiteral(x.raw_expr)),
      );
      if (hasValue) continue;
      reports.push({
        messageId: "default",
        data: {
          table,
          column: def.colname,
          constraint: required.contype === "CONSTR_PRIMARY" ? "PRIMARY KEY" : "NOT NULL",
        },
        relation: table,
      });
    }
    return reports;
  },
};
