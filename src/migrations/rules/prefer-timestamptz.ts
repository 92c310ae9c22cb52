import type { Rule } from "../rule.js";
import { columnTypeReports } from "../rule-helpers.js";

const flagged = new Set(["timestamp"]);

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
    return columnTypeReports(statement.parsed.node, (c) => flagged.has(c.type.name));
  },
};
