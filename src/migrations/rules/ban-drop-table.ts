import { asKind, listName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";

export const banDropTable: Rule = {
  meta: {
    id: "ban-drop-table",
    description: "Dropping a table deletes all its rows and breaks running code that still uses it.",
    severity: "error",
    messages: {
      default: "DROP TABLE {table} deletes the table and every row in it, and breaks code that still uses it",
      referenced:
        "DROP TABLE {table} deletes the table and every row in it; foreign keys on {referencing} reference it (the drop fails without CASCADE, and CASCADE drops those constraints)",
    },
    help: "Stop using the table and deploy that first, back it up, then drop it in a later migration with `-- shipgate:allow ban-drop-table reason: ...`.",
  },
  kinds: ["DropStmt"],
  check({ statement, catalog, file }) {
    const drop = asKind(statement.parsed.node, "DropStmt");
    if (drop?.removeType !== "OBJECT_TABLE") return [];
    const names = (drop.objects ?? [])
      .map((o) => listName(asKind(o, "List")?.items))
      .filter((n): n is string => n !== undefined);
    const reports: RuleReport[] = [];
    for (const table of names) {
      if (!mayBeInUse(table, file, Boolean(drop.missing_ok))) continue;
      const referencing = new Set<string>();
      for (const rel of Object.values(catalog.data.relations)) {
        if (rel.name === table || names.includes(rel.name)) continue;
        for (const c of Object.values(rel.constraints)) {
          if (c.kind === "foreign-key" && c.references === table) referencing.add(rel.name);
        }
      }
      reports.push(
        referencing.size > 0
          ? {
              messageId: "referenced",
              data: { table, referencing: [...referencing].sort().join(", ") },
              relation: table,
            }
          : { messageId: "default", data: { table }, relation: table },
      );
    }
    return reports;
  },
};
