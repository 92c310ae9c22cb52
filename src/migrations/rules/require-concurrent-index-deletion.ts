import { asKind, listName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

export const requireConcurrentIndexDeletion: Rule = {
  meta: {
    id: "require-concurrent-index-deletion",
    description:
      "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table, so reads and writes queue behind it.",
    severity: "warning",
    messages: {
      default:
        "DROP INDEX {index} without CONCURRENTLY takes ACCESS EXCLUSIVE on {table}: it waits for every running query on the table, and every later query waits behind it",
    },
    help: "Use DROP INDEX CONCURRENTLY (one index per statement, outside a transaction: its own migration when the runner wraps files).",
  },
  kinds: ["DropStmt"],
  check({ statement, file, catalog }) {
    const drop = asKind(statement.parsed.node, "DropStmt");
    if (drop?.removeType !== "OBJECT_INDEX" || drop.concurrent) return [];
    const reports: RuleReport[] = [];
    for (const obj of drop.objects ?? []) {
      const name = listName(asKind(obj, "List")?.items);
      if (!name) continue;
      const index = catalog.index(name);
      // An index the catalog does not know was not created in this file: its table existed before.
      if (index && !file.existedBeforeFile(index.relation)) continue;
      // Partitioned indexes cannot be dropped concurrently: there is no safer form to suggest.
      if (index && catalog.relation(index.relation)?.kind === "partitioned-table") continue;
      const table = index?.relation ?? "its table";
      const report: RuleReport = {
        messageId: "default",
        data: { index: name, table },
        lock: "ACCESS EXCLUSIVE",
      };
      if (index) report.relation = index.relation;
      reports.push(report);
    }
    return reports;
  },
};
