import type { Rule } from "../rule.js";
import { columnTypeReports } from "../rule-helpers.js";

export const preferJsonb: Rule = {
  meta: {
    id: "prefer-jsonb",
    description: "A column of type json, which has no equality operator and is slower to query than jsonb.",
    severity: "warning",
    messages: {
      default:
        "column {column} of {table} is json: json has no equality operator, so DISTINCT, GROUP BY, UNION and unique indexes on it fail, and every access re-parses the text",
    },
    help: "Use jsonb; keep json only to preserve key order, duplicate keys or exact whitespace.",
  },
  kinds: ["CreateStmt", "AlterTableStmt"],
  check({ statement }) {
    return columnTypeReports(statement.parsed.node, (c) => c.type.name === "json");
  },
};
