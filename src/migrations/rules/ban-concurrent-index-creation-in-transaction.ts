import { asKind } from "../ast.js";
import { concurrentStatement } from "../non-transactional.js";
import type { AnalyzedStatement, Rule, TransactionModel } from "../rule.js";

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
    const name = concurrentStatement(statement.parsed.node);
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
