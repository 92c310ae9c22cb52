import { asKind, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";

export const banTruncate: Rule = {
  meta: {
    id: "ban-truncate",
    description:
      "TRUNCATE deletes every row of an existing table and blocks all reads and writes while it runs.",
    severity: "error",
    messages: {
      default:
        "TRUNCATE {table} deletes every row of the table, under an ACCESS EXCLUSIVE lock that blocks reads and writes",
    },
    help: "Delete data deliberately, in batches, outside the migration; if emptying the table is really intended, approve it with `-- shipgate:allow ban-truncate reason: ...`.",
  },
  kinds: ["TruncateStmt"],
  check({ statement, file }) {
    const truncate = asKind(statement.parsed.node, "TruncateStmt");
    if (!truncate) return [];
    const reports: RuleReport[] = [];
    for (const r of truncate.relations ?? []) {
      const table = rangeVarName(asKind(r, "RangeVar"));
      if (table && mayBeInUse(table, file)) {
        reports.push({ messageId: "default", data: { table }, relation: table });
      }
    }
    return reports;
  },
};
