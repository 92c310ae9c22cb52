import { asKind, formatType, isTrivialUsing, normalizeType } from "../ast.js";
import { isBinaryCompatibleChange } from "../facts.js";
import type { Rule, RuleReport } from "../rule.js";
import { alteredCommands } from "../rule-helpers.js";

/**
 * A USING expression that is just the column, or the column cast to the target type: Postgres
 * strips it to the plain conversion, so it rewrites only when the conversion itself does.
 */
export const changingColumnType: Rule = {
  meta: {
    id: "changing-column-type",
    description:
      "ALTER COLUMN ... TYPE that is not binary-compatible rewrites an existing table and rebuilds its indexes under ACCESS EXCLUSIVE.",
    severity: "error",
    messages: {
      default:
        "ALTER COLUMN {column} TYPE {to} on {table} (from {from}) rewrites the table and rebuilds its indexes while ACCESS EXCLUSIVE blocks reads and writes",
      using:
        "ALTER COLUMN {column} TYPE {to} ... USING on {table} rewrites the table and rebuilds its indexes while ACCESS EXCLUSIVE blocks reads and writes",
      unknownType:
        "ALTER COLUMN {column} TYPE {to} on {table}: the current type of {column} is unknown, so this may rewrite the table under ACCESS EXCLUSIVE (pass the schema with --schema so shipgate can tell)",
    },
    help: "Add a new column of the new type, write to both, backfill in batches, switch readers, then drop the old column. Widening varchar, varchar to text and raising numeric precision need no rewrite.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog }) {
    const reports: RuleReport[] = [];
    for (const { table, cmd } of alteredCommands(statement, file)) {
      const def = cmd?.subtype === "AT_AlterColumnType" ? asKind(cmd.def, "ColumnDef") : undefined;
      if (!cmd?.name || !def) continue;
      const column = cmd.name;
      const to = normalizeType(def.typeName);
      const data = { table, column, to: formatType(to) };
      const using = def.raw_default;
      if (using !== undefined && !isTrivialUsing(using, column, def.typeName)) {
        reports.push({ messageId: "using", data, relation: table });
        continue;
      }
      const current = catalog.column(table, column);
      if (!current) {
        reports.push({ messageId: "unknownType", data, relation: table });
        continue;
      }
      if (isBinaryCompatibleChange(current.type, to)) continue;
      reports.push({
        messageId: "default",
        data: { ...data, from: formatType(current.type) },
        relation: table,
      });
    }
    return reports;
  },
};
