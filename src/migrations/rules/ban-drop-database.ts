import { asKind } from "../ast.js";
import type { Rule } from "../rule.js";

export const banDropDatabase: Rule = {
  meta: {
    id: "ban-drop-database",
    description: "Dropping a database deletes every table and row in it.",
    severity: "error",
    messages: {
      default: "DROP DATABASE {database} deletes the whole database and every row in it",
    },
    help: "Drop databases by hand after a backup, never from a migration; if this really is intended, approve it with `-- shipgate:allow ban-drop-database reason: ...`.",
  },
  kinds: ["DropdbStmt"],
  check({ statement }) {
    const drop = asKind(statement.parsed.node, "DropdbStmt");
    if (!drop) return [];
    return [{ messageId: "default", data: { database: drop.dbname ?? "?" } }];
  },
};
