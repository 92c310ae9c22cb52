import { blocksWrites, strongestLock } from "../facts.js";
import type { Rule } from "../rule.js";

export const requireLockTimeout: Rule = {
  meta: {
    id: "require-lock-timeout",
    description:
      "A statement that blocks reads or writes on an existing table runs without a lock_timeout (or with lock_timeout = 0).",
    severity: "warning",
    messages: {
      missing:
        "{lock} lock on {table} taken without lock_timeout: if the lock is not granted at once, every query on {table} queues behind this statement",
      zero: "lock_timeout is 0, which waits forever: every query on {table} can queue behind this {lock} lock",
    },
    help: "Put `SET lock_timeout = '5s';` at the top of the migration and retry on timeout.",
  },
  check({ statement, file }) {
    if (file.lockTimeoutMs !== undefined && file.lockTimeoutMs > 0) return [];
    const lock = strongestLock(statement.facts.locks.filter((l) => l.existing && blocksWrites(l.mode)));
    if (!lock) return [];
    return [
      {
        messageId: file.lockTimeoutMs === 0 ? "zero" : "missing",
        data: { table: lock.relation, lock: lock.mode },
        relation: lock.relation,
        lock: lock.mode,
      },
    ];
  },
};
