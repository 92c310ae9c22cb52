import type { Rule } from "../rule.js";
import { columnTypeReports } from "../rule-helpers.js";

const flagged = new Set(["int2", "smallserial", "serial2"]);

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
    return columnTypeReports(statement.parsed.node, (c) => flagged.has(c.type.name));
  },
};
