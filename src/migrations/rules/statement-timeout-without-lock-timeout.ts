import { asKind } from "../ast.js";
import { blocksWrites, strongestLock } from "../facts.js";
import { parseTimeoutMs } from "../lint.js";
import type { AnalyzedStatement, Rule, RuleReport } from "../rule.js";

/**
 * A statement_timeout at most this long bounds the lock queue as tightly as a typical lock_timeout
 * does, so it is accepted as the file's lock guard.
 */
const lockQueueBudgetMs = 10_000;

interface Timeout {
  /** As written, for messages. */
  text: string;
  /** undefined when the value cannot be read (then it is treated as long). */
  ms: number | undefined;
}

/** The value a SET statement gives `name`: a Timeout, null for RESET / DEFAULT, undefined when not set. */
function setting(s: AnalyzedStatement, name: string): Timeout | null | undefined {
  const set = asKind(s.parsed.node, "VariableSetStmt");
  if (set?.name !== name) return undefined;
  if (set.kind !== "VAR_SET_VALUE") return null;
  const arg = asKind(set.args?.[0], "A_Const");
  if (arg?.ival !== undefined) return { text: String(arg.ival.ival ?? 0), ms: arg.ival.ival ?? 0 };
  const text = arg?.sval?.sval;
  if (text === undefined) return { text: "(unknown)", ms: undefined };
  return { text: `'${text}'`, ms: parseTimeoutMs(text) };
}

export const statementTimeoutWithoutLockTimeout: Rule = {
  meta: {
    id: "statement-timeout-without-lock-timeout",
    description:
      "A migration that sets statement_timeout but no lock_timeout before taking a lock that blocks reads or writes on an existing table.",
    severity: "warning",
    messages: {
      long: "statement_timeout = {timeout} is this file's only timeout: it counts the wait for the lock too, so every query on {table} can queue behind this {lock} lock for up to {timeout}",
      disabled:
        "statement_timeout = 0 turns the timeout off and no lock_timeout is set: every query on {table} can queue behind this {lock} lock until it is granted",
    },
    help: "Keep statement_timeout for the work and add `SET lock_timeout = '5s';` before the first locking statement, so a blocked lock gives up in seconds; retry on timeout.",
  },
  checkEnd({ statements }): RuleReport[] {
    let statementTimeout: Timeout | undefined;
    let lockTimeoutMs: number | undefined;
    for (const s of statements) {
      if (statementTimeout && !(lockTimeoutMs !== undefined && lockTimeoutMs > 0)) {
        const long =
          statementTimeout.ms === undefined ||
          statementTimeout.ms === 0 ||
          statementTimeout.ms > lockQueueBudgetMs;
        const lock = strongestLock(s.facts.locks.filter((l) => l.existing && blocksWrites(l.mode)));
        if (long && lock) {
          return [
            {
              messageId: statementTimeout.ms === 0 ? "disabled" : "long",
              data: { timeout: statementTimeout.text, table: lock.relation, lock: lock.mode },
              statement: s,
              relation: lock.relation,
              lock: lock.mode,
            },
          ];
        }
      }
      const st = setting(s, "statement_timeout");
      if (st !== undefined) statementTimeout = st ?? undefined;
      const lt = setting(s, "lock_timeout");
      if (lt !== undefined) lockTimeoutMs = lt?.ms;
    }
    return [];
  },
};
