import { asKind, rangeVarName } from "../ast.js";
import type { Rule } from "../rule.js";

export const requireConcurrentIndexCreation: Rule = {
  meta: {
    id: "require-concurrent-index-creation",
    description:
      "CREATE INDEX without CONCURRENTLY on an existing table blocks every write while the index builds.",
    severity: "error",
    messages: {
      default:
        "CREATE INDEX on {table} without CONCURRENTLY holds a SHARE lock that blocks writes for the whole build",
    },
    help: "Use CREATE INDEX CONCURRENTLY, outside a transaction (one statement per migration where the runner wraps files).",
  },
  kinds: ["IndexStmt"],
  check({ statement, catalog, file }) {
    const index = asKind(statement.parsed.node, "IndexStmt");
    if (!index || index.concurrent) return [];
    const table = rangeVarName(index.relation);
    if (!table || !file.existedBeforeFile(table)) return [];
    // ON ONLY builds nothing; a partitioned parent cannot be indexed concurrently at all
    // (create-index-on-partitioned-table explains the safe pattern).
    if (index.relation?.inh !== true || catalog.relation(table)?.kind === "partitioned-table") return [];
    return [{ messageId: "default", data: { table }, relation: table }];
  },
};
