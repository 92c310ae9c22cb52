import { stringList } from "../ast.js";
import type { Rule } from "../rule.js";
import { columnTypeReports, type DeclaredColumnType } from "../rule-helpers.js";

/**
 * char(n) / character(n), which the parser names pg_catalog.bpchar (or bpchar when written so). An
 * unqualified name "char" is the quoted single-byte internal type "char", not char(n).
 */
function isCharN({ raw, type }: DeclaredColumnType): boolean {
  const names = stringList(raw.names);
  return type.name === "bpchar" && !(names.length === 1 && names[0] === "char");
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
    return columnTypeReports(statement.parsed.node, isCharN);
  },
};
