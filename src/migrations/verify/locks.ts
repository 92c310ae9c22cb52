/**
 * The relation locks this backend holds, read from pg_locks (pid = pg_backend_pid()) while the
 * transaction is still open: Postgres releases them at commit, so this is the only moment they can
 * be seen from inside.
 */
import type pg from "pg";
import type { LockMode } from "../../core/finding.js";
import { lockModes } from "../../core/finding.js";

/** pg_locks.mode → the LockMode names of finding.ts. */
export const pgLockModeNames: Readonly<Record<string, LockMode>> = {
  AccessShareLock: "ACCESS SHARE",
  RowShareLock: "ROW SHARE",
  RowExclusiveLock: "ROW EXCLUSIVE",
  ShareUpdateExclusiveLock: "SHARE UPDATE EXCLUSIVE",
  ShareLock: "SHARE",
  ShareRowExclusiveLock: "SHARE ROW EXCLUSIVE",
  ExclusiveLock: "EXCLUSIVE",
  AccessExclusiveLock: "ACCESS EXCLUSIVE",
};

/** Held relation locks: oid → modes. */
export type HeldLocks = Map<number, Set<LockMode>>;

/** The locks query, also appended to a migration statement so both run in one round trip. */
export const ownLocksSql = `SELECT l.relation::bigint AS oid, l.mode
  FROM pg_catalog.pg_locks l
 WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
   AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())`;

export async function readOwnLocks(db: Pick<pg.ClientBase, "query">): Promise<HeldLocks> {
  const result = await db.query<{ oid: string; mode: string }>({
    name: "shipgate_own_locks",
    text: ownLocksSql,
  });
  return heldLocksFromRows(result.rows);
}

/** The rows of ownLocksSql as held locks. */
export function heldLocksFromRows(rows: readonly { oid: string; mode: string }[]): HeldLocks {
  const out: HeldLocks = new Map();
  for (const r of rows) {
    const mode = pgLockModeNames[r.mode];
    if (!mode) continue;
    const oid = Number(r.oid);
    const set = out.get(oid) ?? new Set<LockMode>();
    set.add(mode);
    out.set(oid, set);
  }
  return out;
}

export function lockRankOf(mode: LockMode): number {
  return lockModes.indexOf(mode);
}

export function strongest(modes: Iterable<LockMode>): LockMode | undefined {
  let best: LockMode | undefined;
  for (const m of modes) if (best === undefined || lockRankOf(m) > lockRankOf(best)) best = m;
  return best;
}

/** Sorted weakest first. */
export function sortModes(modes: Iterable<LockMode>): LockMode[] {
  return [...modes].sort((a, b) => lockRankOf(a) - lockRankOf(b));
}
