import type { Rule } from "../rule.js";
import { columnTypeReports } from "../rule-helpers.js";

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
    return columnTypeReports(
      statement.parsed.node,
      (c) => c.type.name === "varchar" && c.type.mods.length > 0,
    );
  },
};
