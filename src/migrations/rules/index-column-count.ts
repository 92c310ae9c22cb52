import { asKind, rangeVarName } from "../ast.js";
import type { Rule } from "../rule.js";

/** strong_migrations' guidance: past three key columns an index rarely pays for its writes. */
const maxColumns = 3;

export const indexColumnCount: Rule = {
  meta: {
    id: "index-column-count",
    description: "A non-unique index with more than three key columns.",
    severity: "info",
    optIn: true,
    messages: {
      default:
        "index {index} on {table} has {count} key columns: past three, extra columns seldom make lookups faster but make the index larger and every write slower",
    },
    help: "Index the two or three most selective columns (equality conditions first); a unique index may need more, and INCLUDE columns do not count.",
  },
  kinds: ["IndexStmt"],
  check({ statement }) {
    const index = asKind(statement.parsed.node, "IndexStmt");
    if (!index || index.unique) return [];
    const count = index.indexParams?.length ?? 0;
    if (count <= maxColumns) return [];
    const table = rangeVarName(index.relation);
    const data = { index: index.idxname ?? "(unnamed)", table: table ?? "", count };
    return [table ? { messageId: "default", data, relation: table } : { messageId: "default", data }];
  },
};
