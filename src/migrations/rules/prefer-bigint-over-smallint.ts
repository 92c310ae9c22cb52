import type { Node, TypeName } from "libpg-query";
import { asKind, formatType, normalizeType, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

const flagged = new Set(["int2", "smallserial", "serial2"]);

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

export const preferBigintOverSmallint: Rule = {
  meta: {
    id: "prefer-bigint-over-smallint",
    description: "A smallint (int2) or smallserial column, which overflows at 32,767.",
    severity: "warning",
    optIn: true,
    messages: {
      default:
        "{column} on {table} is {type}, a 2-byte integer that overflows at 32,767: widening it later rewrites the table under an ACCESS EXCLUSIVE lock",
    },
    help: "Use bigint, or integer when the range is truly bounded: alignment padding usually eats the bytes smallint saves.",
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
