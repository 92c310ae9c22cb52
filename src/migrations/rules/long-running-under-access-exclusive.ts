import type { Node } from "libpg-query";
import { asKind, rangeVarName, referencedRelations, walk } from "../ast.js";
import type { Catalog } from "../catalog.js";
import type { AnalyzedStatement, FileState, Rule } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";
import { batchTarget, isBoundedBatch, modifyingStatements } from "./unbatched-backfill.js";

/** The first existing relation a query reads (CTE names are not relations). */
function readsExisting(query: Node | undefined, file: FileState): string | undefined {
  const ctes = new Set<string>();
  walk(query, (kind, body) => {
    if (kind === "CommonTableExpr" && typeof body.ctename === "string") ctes.add(`public.${body.ctename}`);
  });
  return referencedRelations(query).find((r) => !ctes.has(r) && mayBeInUse(r, file));
}

/** Describes the statement when it scans, rewrites or backfills an existing table; else undefined. */
function longRunningWork(
  statement: AnalyzedStatement,
  catalog: Catalog,
  file: FileState,
): string | undefined {
  const { node, kind } = statement.parsed;
  const index = asKind(node, "IndexStmt");
  const indexed = rangeVarName(index?.relation);
  if (indexed && mayBeInUse(indexed, file)) return `CREATE INDEX on ${indexed}`;
  for (const m of modifyingStatements(node, kind)) {
    const table = rangeVarName(m.relation);
    if (!m.relation || !table || !mayBeInUse(table, file)) continue;
    if (isBoundedBatch(m.where, batchTarget(m.relation, m.from, catalog), catalog)) continue;
    return m.kind === "UpdateStmt" ? `UPDATE of ${table}` : `DELETE from ${table}`;
  }
  const insert = asKind(node, "InsertStmt");
  const source = insert ? readsExisting(insert.selectStmt, file) : undefined;
  if (source) return `INSERT ... SELECT reading ${source}`;
  const ctas = asKind(node, "CreateTableAsStmt");
  const ctasSource = ctas && !ctas.into?.skipData ? readsExisting(ctas.query, file) : undefined;
  if (ctasSource)
    return `CREATE ${ctas?.objtype === "OBJECT_MATVIEW" ? "MATERIALIZED VIEW" : "TABLE"} AS reading ${ctasSource}`;
  const refresh = asKind(node, "RefreshMatViewStmt");
  const view = rangeVarName(refresh?.relation);
  if (view && !refresh?.skipData && mayBeInUse(view, file)) return `REFRESH MATERIALIZED VIEW ${view}`;
  const rewritten = statement.facts.rewrites[0];
  if (rewritten) return `Rewriting ${rewritten}`;
  const scanned = statement.facts.scans[0];
  if (scanned) return `Scanning all of ${scanned}`;
  return undefined;
}

export const longRunningUnderAccessExclusive: Rule = {
  meta: {
    id: "long-running-under-access-exclusive",
    description:
      "A slow statement (backfill, index build, table scan or rewrite) runs in a transaction that already holds ACCESS EXCLUSIVE on an existing table.",
    severity: "error",
    messages: {
      default:
        "{work} runs while this transaction holds ACCESS EXCLUSIVE on {tables}: every query on them, reads included, waits until the transaction commits",
    },
    help: "Commit right after the statement that takes the ACCESS EXCLUSIVE lock: put the backfill, index build or validation in its own transaction (a separate migration where the runner wraps files).",
  },
  check({ statement, catalog, file }) {
    if (file.accessExclusiveHeld.size === 0) return [];
    const work = longRunningWork(statement, catalog, file);
    if (!work) return [];
    // A relation this statement itself locks ACCESS EXCLUSIVE would be blocked by it anyway.
    const own = new Set(
      statement.facts.locks.filter((l) => l.mode === "ACCESS EXCLUSIVE").map((l) => l.relation),
    );
    const held = [...file.accessExclusiveHeld].filter(([relation]) => !own.has(relation));
    const first = held[0];
    if (!first) return [];
    return [
      {
        messageId: "default",
        data: {
          work,
          tables: held.map(([relation, s]) => `${relation} (locked at line ${s.line})`).join(", "),
        },
        relation: first[0],
        lock: "ACCESS EXCLUSIVE",
      },
    ];
  },
};
