import type { Node, TypeName } from "libpg-query";
import { asKind, formatType, normalizeType, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

const flagged = new Set(["timestamp"]);

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

export const preferTimestamptz: Rule = {
  meta: {
    id: "prefer-timestamptz",
    description: "A timestamp without time zone column.",
    severity: "warning",
    optIn: true,
    messages: {
      default:
        "{column} on {table} is {type} without time zone: it stores wall-clock values with no offset, so the same instant reads differently under each session TimeZone",
    },
    help: "Use timestamptz (timestamp with time zone): it stores an absolute instant and converts to the session time zone on output.",
  },
  kinds: ["CreateStmt", "AlterTableStmt"],
  check({ statement }) {
    const reports: RuleReport[] = [];
    for (const c of columnTypes(statement.parsed.node)) {
      const type = normalizeType(c.type);
      if (!flagged.has(type.name)) continue;
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
