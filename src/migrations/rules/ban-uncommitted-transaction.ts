import { asKind } from "../ast.js";
import type { AnalyzedStatement, Rule } from "../rule.js";

/**
 * The BEGIN whose explicit block is still open after `statements`. Postgres does not nest BEGIN: a
 * BEGIN in an open block is ignored, and the first COMMIT or ROLLBACK ends the whole block.
 */
function openBegin(statements: readonly AnalyzedStatement[]): AnalyzedStatement | undefined {
  let open: AnalyzedStatement | undefined;
  for (const s of statements) {
    const txn = s.parent ? undefined : asKind(s.parsed.node, "TransactionStmt");
    if (!txn) continue;
    if ((txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START") && open === undefined) open = s;
    if ((txn.kind === "TRANS_STMT_COMMIT" || txn.kind === "TRANS_STMT_ROLLBACK") && !txn.chain)
      open = undefined;
    if (txn.kind === "TRANS_STMT_PREPARE") open = undefined;
  }
  return open;
}

export const banUncommittedTransaction: Rule = {
  meta: {
    id: "ban-uncommitted-transaction",
    description: "A BEGIN without a matching COMMIT or ROLLBACK by the end of the migration file.",
    severity: "error",
    messages: {
      default:
        "BEGIN without COMMIT: the transaction is still open when the file ends, so its changes are rolled back when the session closes, or its locks stay held while the connection sits idle in transaction",
    },
    help: "End the file with COMMIT (or remove the BEGIN and let the runner manage the transaction).",
  },
  checkEnd({ file, statements }) {
    // A per-file runner commits whatever block is open at the end (transaction-nesting reports the BEGIN).
    if (file.transactionModel === "per-file") return [];
    const begin = openBegin(statements);
    return begin ? [{ messageId: "default", statement: begin }] : [];
  },
};
