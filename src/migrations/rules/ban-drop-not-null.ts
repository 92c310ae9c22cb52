import type { Rule, RuleReport } from "../rule.js";
import { alteredCommands } from "../rule-helpers.js";

export const banDropNotNull: Rule = {
  meta: {
    id: "ban-drop-not-null",
    description:
      "Dropping NOT NULL on a column of an existing table lets in NULLs that running code may not expect.",
    severity: "info",
    messages: {
      default:
        "DROP NOT NULL on {table}.{column}: running code and downstream readers may assume {column} is never NULL",
    },
    help: "Make sure every reader handles NULL in this column before deploying the change, then approve it with `-- shipgate:allow ban-drop-not-null reason: ...`.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog }) {
    const reports: RuleReport[] = [];
    for (const { table, cmd } of alteredCommands(statement, file)) {
      if (cmd?.subtype !== "AT_DropNotNull" || !cmd.name) continue;
      // A column the catalog knows to be nullable: DROP NOT NULL changes nothing.
      const column = catalog.column(table, cmd.name);
      if (column && !column.notNull) continue;
      reports.push({ messageId: "default", data: { table, column: cmd.name }, relation: table });
    }
    return reports;
  },
};
