import { asKind, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";
import { modifyingStatements } from "./unbatched-backfill.js";

export const deletingRows: Rule = {
  meta: {
    id: "deleting-rows",
    description: "A migration deletes rows from an existing table; the data is gone for good.",
    severity: "error",
    messages: {
      delete: "DELETE from {table} removes rows for good: only a backup can bring them back",
      merge: "MERGE INTO {table} ... THEN DELETE removes rows for good: only a backup can bring them back",
    },
    help: "Make sure the rows are really unwanted (or archive them first), then approve the statement with `-- shipgate:allow deleting-rows reason: ...`; large deletes belong in a batched job (see unbatched-backfill).",
  },
  kinds: ["SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"],
  check({ statement, file }) {
    const reports: RuleReport[] = [];
    for (const m of modifyingStatements(statement.parsed.node, statement.parsed.kind)) {
      const table = rangeVarName(m.relation);
      if (m.kind === "DeleteStmt" && table && mayBeInUse(table, file)) {
        reports.push({ messageId: "delete", data: { table }, relation: table });
      }
    }
    const merge = asKind(statement.parsed.node, "MergeStmt");
    const target = rangeVarName(merge?.relation);
    const deletes = (merge?.mergeWhenClauses ?? []).some(
      (w) => asKind(w, "MergeWhenClause")?.commandType === "CMD_DELETE",
    );
    if (target && deletes && mayBeInUse(target, file)) {
      reports.push({ messageId: "merge", data: { table: target }, relation: target });
    }
    return reports;
  },
};
