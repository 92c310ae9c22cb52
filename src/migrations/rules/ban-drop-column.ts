import { asKind, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

export const banDropColumn: Rule = {
  meta: {
    id: "ban-drop-column",
    description: "Dropping a column loses its data and breaks running code that still reads or writes it.",
    severity: "error",
    messages: {
      default: "DROP COLUMN {column} on {table} deletes its data and breaks code that still uses it",
    },
    help: "Stop reading and writing the column and deploy that first (ignore it in the ORM), then drop it in a later migration with `-- shipgate:allow ban-drop-column reason: ...`.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file }) {
    const alter = asKind(statement.parsed.node, "AlterTableStmt");
    const table = rangeVarName(alter?.relation);
    if (!alter || !table || !file.existedBeforeFile(table)) return [];
    const reports: RuleReport[] = [];
    for (const c of alter.cmds ?? []) {
      const cmd = asKind(c, "AlterTableCmd");
      if (cmd?.subtype === "AT_DropColumn" && cmd.name) {
        reports.push({ messageId: "default", data: { table, column: cmd.name }, relation: table });
      }
    }
    return reports;
  },
};
