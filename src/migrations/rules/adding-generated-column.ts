import { asKind, normalizeType } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { addedColumns } from "../rule-helpers.js";

const serialTypes = new Set(["serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"]);

export const addingGeneratedColumn: Rule = {
  meta: {
    id: "adding-generated-column",
    description:
      "Adding a serial, identity or stored generated column to an existing table computes a value for every row, rewriting the table under ACCESS EXCLUSIVE.",
    severity: "error",
    messages: {
      default:
        "ADD COLUMN {column} ({kind}) on {table} fills every existing row, rewriting the table while ACCESS EXCLUSIVE blocks reads and writes",
    },
    help: "Add a plain nullable column and backfill it in batches; then attach the sequence with ALTER COLUMN ... SET DEFAULT nextval(...) or ADD GENERATED ... AS IDENTITY (no rewrite), or use a virtual generated column (Postgres 18+) or a view for computed values.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog }) {
    const reports: RuleReport[] = [];
    for (const { table, def } of addedColumns(statement, file, catalog)) {
      const type = normalizeType(def.typeName).name;
      let kind: string | undefined = serialTypes.has(type) ? type : undefined;
      for (const x of def.constraints ?? []) {
        const con = asKind(x, "Constraint");
        if (con?.contype === "CONSTR_IDENTITY") kind = "identity";
        // Postgres 18 VIRTUAL generated columns are computed on read: no rewrite.
        if (con?.contype === "CONSTR_GENERATED" && con.generated_kind !== "v") kind = "stored generated";
      }
      if (kind)
        reports.push({ messageId: "default", data: { table, column: def.colname, kind }, relation: table });
    }
    return reports;
  },
};
