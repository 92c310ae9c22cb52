import type { Node, TypeName } from "libpg-query";
import { asKind, formatType, type NormalizedType, normalizeType, rangeVarName, stringList } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

/**
 * char(n) / character(n), which the parser names pg_catalog.bpchar (or bpchar when written so). An
 * unqualified name "char" is the quoted single-byte internal type "char", not char(n).
 */
function isFlagged(raw: TypeName, type: NormalizedType): boolean {
  const names = stringList(raw.names);
  return type.name === "bpchar" && !(names.length === 1 && names[0] === "char");
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

export const banCharField: Rule = {
  meta: {
    id: "ban-char-field",
    description:
      "A char(n)/character(n) column: blank-padded, never faster than text, and surprising in comparisons.",
    severity: "warning",
    optIn: true,
    messages: {
      default:
        "{column} on {table} is {type}: char(n) pads every value with spaces to n characters, ignores trailing spaces when comparing and is never faster than text in Postgres",
    },
    help: "Use text (or varchar), with a CHECK constraint on the length if a fixed size matters.",
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
