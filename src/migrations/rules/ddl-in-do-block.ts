import { plural } from "../../core/plural.js";
import type { NodeKind } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

/** Statements a DO block may run that are not DDL: queries, data changes, session and transaction control. */
const notDdl = new Set<NodeKind>([
  "SelectStmt",
  "InsertStmt",
  "UpdateStmt",
  "DeleteStmt",
  "MergeStmt",
  "CallStmt",
  "DoStmt",
  "LockStmt",
  "TransactionStmt",
  "VariableSetStmt",
  "VariableShowStmt",
  "NotifyStmt",
  "ListenStmt",
  "UnlistenStmt",
  "DeclareCursorStmt",
  "FetchStmt",
  "ClosePortalStmt",
  "CopyStmt",
  "ExplainStmt",
  "PrepareStmt",
  "ExecuteStmt",
  "DeallocateStmt",
  "DiscardStmt",
  "CheckPointStmt",
]);

export const ddlInDoBlock: Rule = {
  meta: {
    id: "ddl-in-do-block",
    description:
      "Schema changes run inside a DO block, where reviewers and most migration tools do not see them.",
    severity: "warning",
    messages: {
      hidden:
        "`{statement}` runs inside a DO block ({via}): reviewers and tools that only read top-level statements miss it",
      dynamic: "this DO block runs {executes} whose SQL is built at run time and cannot be checked",
    },
    help: "Write schema changes as plain top-level statements (use IF NOT EXISTS / IF EXISTS for idempotency); keep DO blocks for logic that needs them.",
  },
  check({ statement }) {
    const parsed = statement.parsed;
    const reports: RuleReport[] = [];
    // Additive DDL (the idempotent CREATE TYPE / CREATE ROLE blocks ORMs generate) is harmless, and
    // every rule checks the children anyway: point out only DDL that changes or locks what exists.
    if (statement.parent && !notDdl.has(parsed.kind) && statement.facts.class !== "additive") {
      const text = parsed.text.trim().replace(/\s+/g, " ");
      const statementName = text.length > 60 ? `${text.slice(0, 57)}...` : text;
      const via = parsed.embedded?.via === "execute" ? "through EXECUTE of a string" : "as plpgsql";
      reports.push({ messageId: "hidden", data: { statement: statementName, via } });
    }
    if (parsed.kind === "DoStmt" && parsed.dynamicExecutes > 0) {
      reports.push({
        messageId: "dynamic",
        data: { executes: plural(parsed.dynamicExecutes, "dynamic EXECUTE statement") },
      });
    }
    return reports;
  },
};
