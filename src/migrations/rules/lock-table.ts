import { asKind, rangeVarName } from "../ast.js";
import { blocksReads, blocksWrites } from "../facts.js";
import type { Rule, RuleReport } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";

export const lockTable: Rule = {
  meta: {
    id: "lock-table",
    description:
      "An explicit LOCK TABLE on an existing table blocks writes (or reads and writes) until the transaction ends.",
    severity: "warning",
    messages: {
      writes: "LOCK TABLE {table} IN {lock} MODE blocks every write to {table} until the transaction commits",
      reads:
        "LOCK TABLE {table} IN {lock} MODE blocks every read and write of {table} until the transaction commits",
    },
    help: "Drop the explicit lock and let each statement take the lock it needs; if it must stay, keep the transaction short and set lock_timeout first.",
  },
  kinds: ["LockStmt"],
  check({ statement, file }) {
    const lock = asKind(statement.parsed.node, "LockStmt");
    if (!lock) return [];
    const names = new Set(
      (lock.relations ?? []).map((r) => rangeVarName(asKind(r, "RangeVar"))).filter((n) => n !== undefined),
    );
    const reports: RuleReport[] = [];
    for (const l of statement.facts.locks) {
      if (!names.has(l.relation) || !blocksWrites(l.mode) || !mayBeInUse(l.relation, file)) continue;
      reports.push({
        messageId: blocksReads(l.mode) ? "reads" : "writes",
        data: { table: l.relation, lock: l.mode },
        relation: l.relation,
        lock: l.mode,
      });
    }
    return reports;
  },
};
