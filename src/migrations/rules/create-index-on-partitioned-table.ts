import { asKind, qualify, rangeVarName } from "../ast.js";
import type { Catalog } from "../catalog.js";
import type { Rule } from "../rule.js";

/** Every partition of `parent`, including sub-partitions. */
function partitionsOf(catalog: Catalog, parent: string): string[] {
  const out: string[] = [];
  const queue = [parent];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const rel of Object.values(catalog.data.relations)) {
      if (rel.partitionOf === current && !out.includes(rel.name)) {
        out.push(rel.name);
        queue.push(rel.name);
      }
    }
  }
  return out;
}

export const createIndexOnPartitionedTable: Rule = {
  meta: {
    id: "create-index-on-partitioned-table",
    description:
      "CREATE INDEX on a partitioned table cannot be CONCURRENTLY and blocks writes on every partition while all of them are indexed.",
    severity: "error",
    messages: {
      default:
        "CREATE INDEX on partitioned table {table} builds the index of every partition ({partitions}) under a SHARE lock, blocking writes to all of them until the last build finishes",
      concurrently:
        "CREATE INDEX CONCURRENTLY on partitioned table {table} fails: Postgres cannot build an index on a partitioned table concurrently",
    },
    help: "CREATE INDEX ... ON ONLY the parent (an invalid, empty index), CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX parent_index ATTACH PARTITION partition_index for each; the parent index becomes valid when every partition is attached.",
  },
  kinds: ["IndexStmt"],
  check({ statement, file, catalog }) {
    const index = asKind(statement.parsed.node, "IndexStmt");
    const table = rangeVarName(index?.relation);
    // ON ONLY (inh false) creates just the parent's index: that is the safe pattern's first step.
    if (!index || !table || index.relation?.inh !== true || !file.existedBeforeFile(table)) return [];
    if (catalog.relation(table)?.kind !== "partitioned-table") return [];
    // IF NOT EXISTS of an index that exists does nothing.
    if (index.if_not_exists && index.idxname && catalog.index(qualify(index.idxname, table.split(".")[0])))
      return [];
    if (index.concurrent) return [{ messageId: "concurrently", data: { table }, relation: table }];
    const partitions = partitionsOf(catalog, table);
    return [
      {
        messageId: "default",
        data: { table, partitions: partitions.length > 0 ? partitions.join(", ") : "all partitions" },
        relation: table,
      },
    ];
  },
};
