import type { Constraint } from "libpg-query";
import { asKind, normalizeType } from "../ast.js";
import { isVolatileExpression } from "../facts.js";
import type { Rule, RuleReport } from "../rule.js";
import { addedColumns, isNullLiteral } from "../rule-helpers.js";

export const addingFieldWithDefault: Rule = {
  meta: {
    id: "adding-field-with-default",
    description:
      "Adding a column with a volatile DEFAULT (or any non-null DEFAULT before Postgres 11) rewrites the whole table under ACCESS EXCLUSIVE.",
    severity: "error",
    messages: {
      volatile:
        "ADD COLUMN {column} on {table} has a volatile DEFAULT, evaluated for every existing row: the table is rewritten while ACCESS EXCLUSIVE blocks reads and writes",
      beforePg11:
        "ADD COLUMN {column} with a DEFAULT on {table} rewrites the table on Postgres {version} (before 11) while ACCESS EXCLUSIVE blocks reads and writes",
    },
    help: "Add the column without a default, then ALTER COLUMN ... SET DEFAULT (applies to new rows only) and backfill existing rows in small batches.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog, options }) {
    const reports: RuleReport[] = [];
    for (const { table, def } of addedColumns(statement, file, catalog)) {
      // serial columns are adding-generated-column's.
      if (normalizeType(def.typeName).name.endsWith("serial")) continue;
      const dflt = (def.constraints ?? [])
        .map((x) => asKind(x, "Constraint"))
        .find((x): x is Constraint => x?.contype === "CONSTR_DEFAULT");
      if (!dflt || isNullLiteral(dflt.raw_expr)) continue;
      const data = { table, column: def.colname, version: options.pgVersion };
      if (isVolatileExpression(dflt.raw_expr)) reports.push({ messageId: "volatile", data, relation: table });
      else if (options.pgVersion < 11) reports.push({ messageId: "beforePg11", data, relation: table });
    }
    return reports;
  },
};
