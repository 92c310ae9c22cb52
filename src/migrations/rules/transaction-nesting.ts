import { asKind } from "../ast.js";
import type { AnalyzedStatement, Rule } from "../rule.js";

/**
 * Whether a transaction block is open after `previous` and, for an explicit one, the BEGIN that
 * opened it. Postgres does not nest BEGIN: a BEGIN in an open block is ignored, and the first COMMIT
 * or ROLLBACK ends the whole block. A per-file runner opens a block before the first statement.
 */
function openBlock(
  runnerWraps: boolean,
  previous: readonly AnalyzedStatement[],
): AnalyzedStatement | "runner" | undefined {
  let block: AnalyzedStatement | "runner" | undefined = runnerWraps ? "runner" : undefined;
  for (const s of previous) {
    const txn = s.parent ? undefined : asKind(s.parsed.node, "TransactionStmt");
    if (!txn) continue;
    if ((txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START") && block === undefined)
      block = s;
    if ((txn.kind === "TRANS_STMT_COMMIT" || txn.kind === "TRANS_STMT_ROLLBACK") && !txn.chain)
      block = undefined;
    if (txn.kind === "TRANS_STMT_PREPARE") block = undefined;
  }
  return block;
}

export const transactionNesting: Rule = {
  meta: {
    id: "transaction-nesting",
    description:
      "BEGIN inside an open transaction, or BEGIN/COMMIT in a file the migration runner already runs in a transaction.",
    severity: "error",
    messages: {
      nested:
        "BEGIN inside the transaction opened on line {line}: Postgres ignores it with a warning, and the next COMMIT commits everything since line {line}",
      perFileBegin:
        "BEGIN in a file the migration runner already runs in a transaction: Postgres ignores it with a warning, and the file's COMMIT ends the runner's transaction early",
      perFileEnd:
        "{command} in a file the migration runner already runs in a transaction: it ends the runner's transaction, so the statements after it run without one and the runner cannot roll the file back",
    },
    help: "Remove BEGIN/COMMIT and let the runner's transaction cover the file; put statements that must run outside a transaction in a migration of their own with the runner's transaction turned off.",
  },
  kinds: ["TransactionStmt"],
  check({ statement, file }) {
    if (statement.parent) return [];
    const txn = asKind(statement.parsed.node, "TransactionStmt");
    if (!txn) return [];
    const begins = txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START";
    const perFile = file.transactionModel === "per-file";
    const block = openBlock(perFile, file.previous);
    if (begins) {
      if (block === undefined) return [];
      // After an early COMMIT in a per-file migration a BEGIN opens the block the runner's COMMIT
      // ends; the COMMIT was reported, so this half of the pattern is not reported again.
      if (block === "runner" || perFile) return [{ messageId: "perFileBegin" }];
      return [{ messageId: "nested", data: { line: block.line } }];
    }
    if (!perFile) return [];
    const command =
      txn.kind === "TRANS_STMT_COMMIT"
        ? "COMMIT"
        : txn.kind === "TRANS_STMT_ROLLBACK"
          ? "ROLLBACK"
          : txn.kind === "TRANS_STMT_PREPARE"
            ? "PREPARE TRANSACTION"
            : undefined;
    return command && block !== undefined ? [{ messageId: "perFileEnd", data: { command } }] : [];
  },
};
