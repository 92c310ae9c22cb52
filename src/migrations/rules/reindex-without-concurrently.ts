import { asKind, rangeVarName } from "../ast.js";
import type { Rule } from "../rule.js";

export const reindexWithoutConcurrently: Rule = {
  meta: {
    id: "reindex-without-concurrently",
    description:
      "REINDEX without CONCURRENTLY blocks writes to the table, and reads that use the index, while indexes are rebuilt.",
    severity: "error",
    minPgVersion: 12,
    messages: {
      default:
        "REINDEX {target} without CONCURRENTLY holds SHARE on the table (blocking writes) and ACCESS EXCLUSIVE on each rebuilt index (blocking reads that use it) until the rebuild finishes",
    },
    help: "Use REINDEX ... CONCURRENTLY (Postgres 12+), outside a transaction: its own migration when the runner wraps files.",
  },
  kinds: ["ReindexStmt"],
  check({ statement, file, catalog }) {
    const reindex = asKind(statement.parsed.node, "ReindexStmt");
    if (!reindex) return [];
    const concurrent = (reindex.params ?? []).some((p) => asKind(p, "DefElem")?.defname === "concurrently");
    if (concurrent) return [];
    switch (reindex.kind) {
      case "REINDEX_OBJECT_INDEX": {
        const name = rangeVarName(reindex.relation);
        const index = catalog.index(name);
        // An index the catalog does not know was not created in this file: its table existed before.
        if (!name || (index && !file.existedBeforeFile(index.relation))) return [];
        return [
          index
            ? { messageId: "default", data: { target: `INDEX ${name}` }, relation: index.relation }
            : { messageId: "default", data: { target: `INDEX ${name}` } },
        ];
      }
      case "REINDEX_OBJECT_TABLE": {
        const table = rangeVarName(reindex.relation);
        if (!table || !file.existedBeforeFile(table)) return [];
        return [{ messageId: "default", data: { target: `TABLE ${table}` }, relation: table }];
      }
      case "REINDEX_OBJECT_SCHEMA":
        return [{ messageId: "default", data: { target: `SCHEMA ${reindex.name ?? ""}` } }];
      case "REINDEX_OBJECT_DATABASE":
        return [{ messageId: "default", data: { target: "DATABASE" } }];
      default:
        // REINDEX SYSTEM cannot run concurrently: there is nothing safer to suggest.
        return [];
    }
  },
};
