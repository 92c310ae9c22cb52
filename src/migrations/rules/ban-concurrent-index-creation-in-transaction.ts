import type { DefElem, Node } from "libpg-query";
import { asKind } from "../ast.js";
import type { AnalyzedStatement, Rule, TransactionModel } from "../rule.js";

/** defGetBoolean: no argument is true; "false"/"off" and 0 are false. */
function isTrue(def: DefElem): boolean {
  if (def.arg === undefined) return true;
  const int = asKind(def.arg, "Integer");
  if (int) return (int.ival ?? 0) !== 0;
  const s = asKind(def.arg, "String")?.sval?.toLowerCase();
  return s !== "false" && s !== "off";
}

/** The name of a statement Postgres refuses inside a transaction block, or undefined. */
function nonTransactionalStatement(node: Node): string | undefined {
  const index = asKind(node, "IndexStmt");
  if (index?.concurrent) return "CREATE INDEX CONCURRENTLY";
  const drop = asKind(node, "DropStmt");
  if (drop?.concurrent && drop.removeType === "OBJECT_INDEX") return "DROP INDEX CONCURRENTLY";
  const reindex = asKind(node, "ReindexStmt");
  if (reindex) {
    const concurrently = (reindex.params ?? [])
      .map((p) => asKind(p, "DefElem"))
      .some((d) => d?.defname === "concurrently" && isTrue(d));
    if (reindex.kind === "REINDEX_OBJECT_SCHEMA") return "REINDEX SCHEMA";
    if (reindex.kind === "REINDEX_OBJECT_DATABASE") return "REINDEX DATABASE";
    if (reindex.kind === "REINDEX_OBJECT_SYSTEM") return "REINDEX SYSTEM";
    return concurrently ? "REINDEX CONCURRENTLY" : undefined;
  }
  for (const c of asKind(node, "AlterTableStmt")?.cmds ?? []) {
    const cmd = asKind(c, "AlterTableCmd");
    if (cmd?.subtype === "AT_DetachPartition" && asKind(cmd.def, "PartitionCmd")?.concurrent) {
      return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
    }
  }
  return undefined;
}

/**
 * The transaction block open after `previous`, as Postgres tracks it: "runner" for the runner's own
 * transaction around a per-file migration, the opening BEGIN for an explicit block. BEGIN inside an
 * open block does not nest (Postgres only warns), and COMMIT/ROLLBACK end the whole block.
 */
function openBlock(
  model: TransactionModel,
  previous: readonly AnalyzedStatement[],
): AnalyzedStatement | "runner" | undefined {
  let block: AnalyzedStatement | "runner" | undefined = model === "per-file" ? "runner" : undefined;
  for (const s of previous) {
    const txn = s.parent ? undefined : asKind(s.parsed.node, "TransactionStmt");
    if (!txn) continue;
    if ((txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START") && block === undefined)
      block = s;
    if (
      (txn.kind === "TRANS_STMT_COMMIT" || txn.kind === "TRANS_STMT_ROLLBACK") &&
      !txn.chain &&
      block !== undefined
    ) {
      block = undefined;
    }
    if (txn.kind === "TRANS_STMT_PREPARE") block = undefined;
  }
  return block;
}

export const banConcurrentIndexCreationInTransaction: Rule = {
  meta: {
    id: "ban-concurrent-index-creation-in-transaction",
    description:
      "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH PARTITION CONCURRENTLY inside a transaction block, where Postgres refuses to run them.",
    severity: "error",
    messages: {
      explicit:
        "{statement} cannot run inside a transaction block, and the BEGIN on line {line} opened one: the migration fails",
      perFile:
        "{statement} cannot run inside a transaction block, and the migration runner wraps this file in one (transaction model per-file): the migration fails",
      implicit:
        "{statement} cannot run inside a transaction block, and the runner sends this file as one multi-statement query, which Postgres runs as one implicit transaction (transaction model implicit): the migration fails",
      function: "{statement} cannot be executed from a function: this DO block always fails",
    },
    help: "Run the statement in a migration of its own, outside any transaction: no BEGIN/COMMIT around it, no DO block, and the runner's transaction turned off for that file (e.g. dbmate `transaction:false`, Flyway `executeInTransaction=false`).",
  },
  kinds: ["IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt"],
  check({ statement, file }) {
    const name = nonTransactionalStatement(statement.parsed.node);
    if (!name) return [];
    if (statement.parent) return [{ messageId: "function", data: { statement: name } }];
    const block = openBlock(file.transactionModel, file.previous);
    if (block === "runner") return [{ messageId: "perFile", data: { statement: name } }];
    if (block) return [{ messageId: "explicit", data: { statement: name, line: block.line } }];
    if (file.transactionModel === "implicit" && file.statementCount > 1) {
      return [{ messageId: "implicit", data: { statement: name } }];
    }
    return [];
  },
};
