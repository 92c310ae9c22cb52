import type { Rule, RuleReport } from "../rule.js";
import { alteredCommands } from "../rule-helpers.js";

export const dropForeignKey: Rule = {
  meta: {
    id: "drop-foreign-key",
    description:
      "Dropping a foreign key takes ACCESS EXCLUSIVE on the table and on the table it references, so queries on both queue behind it.",
    severity: "warning",
    messages: {
      default:
        "DROP CONSTRAINT {constraint} (a foreign key) takes ACCESS EXCLUSIVE on {table} and on the referenced table {referenced}: queries on both queue behind it while it waits for the locks",
    },
    help: "Set a short lock_timeout (e.g. `SET lock_timeout = '2s'`) and retry on timeout, and run it when no long transaction uses either table.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file, catalog }) {
    const reports: RuleReport[] = [];
    for (const { table, cmd } of alteredCommands(statement, file)) {
      if (cmd?.subtype !== "AT_DropConstraint" || !cmd.name) continue;
      const con = catalog.relation(table)?.constraints[cmd.name];
      if (con?.kind !== "foreign-key" || !con.references) continue;
      reports.push({
        messageId: "default",
        data: { table, constraint: cmd.name, referenced: con.references },
        relation: table,
        lock: "ACCESS EXCLUSIVE",
      });
    }
    return reports;
  },
};
