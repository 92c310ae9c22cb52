import type { Node, TypeName } from "libpg-query";
import { asKind, formatType, type NormalizedType, normalizeType, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

/** varchar(n); plain varchar has no limit and is text under another name. */
function isFlagged(_raw: TypeName, type: NormalizedType): boolean {
  return type.name === "varchar" && type.mods.length > 0;
}

interface ColumnType {
  table: string | undefined;
  column: string;
  type: TypeName;
}

/** The column types a statement declares: CREATE TABLE and ADD COLUMN definitions, ALTER COLUMN ... TYPE. */
function columnTypes(node: Node): ColumnType[] {
  const out: ColumnType[] = [];
  const create = asKind(node, "CreateStmt");
  for (const elt of create?.tableElts ?? []) {
    const def = asKind(elt, "ColumnDef");
    if (def?.typeName && def.colname) {
      out.push({ table: rangeVarName(create?.relation), column: def.colname, type: def.typeName });
    }
  }
  const alter = asKind(node, "AlterTableStmt");
  for (const c of alter?.cmds ?? []) {
    const cmd = asKind(c, "AlterTableCmd");
    const def = asKind(cmd?.def, "ColumnDef");
    if (!def?.typeName) continue;
    const column =
      cmd?.subtype === "AT_AddColumn"
        ? def.colname
        : cmd?.subtype === "AT_AlterColumnType"
          ? cmd.name
          : undefined;
    if (column) out.push({ table: rangeVarName(alter?.relation), column, type: def.typeName });
  }
  return out;
}

export const preferTextField: Rule = {
  meta: {
    id: "prefer-text-field",
    description: "A varchar(n) column, whose length limit can only be changed with ALTER COLUMN TYPE.",
    severity: "warning",
    optIn: true,
    messages: {
      default:
        "{column} on {table} is {type}: changing the limit later needs ALTER COLUMN TYPE, which takes an ACCESS EXCLUSIVE lock, rewrites the table when the limit shrinks and fails while a view uses the column",
    },
    help: "Use text, with a CHECK (char_length(col) <= n) constraint if a limit is needed: a CHECK can be swapped with NOT VALID + VALIDATE without blocking writes.",
  },
  kinds: ["CreateStmt", "AlterTableStmt"],
  check({ statement }) {
    const reports: RuleReport[] = [];
    for (const c of columnTypes(statement.parsed.node)) {
      const type = normalizeType(c.type);
      if (!isFlagged(c.type, type)) continue;
      const report: RuleReport = {
        messageId: "default",
        data: { column: c.column, table: c.table ?? "", type: formatType(type) },
      };
      if (c.table) report.relation = c.table;
      reports.push(report);
    }
    return reports;
  },
};
