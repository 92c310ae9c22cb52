/**
 * The migration lock: a Postgres session-level advisory lock that every `shipgate migrations apply`
 * and `restore` takes before it reads the history, so two deploys never migrate the same database at
 * once. Advisory locks are per database, held by a connection and released when it closes (so a
 * crashed deploy never leaves the lock behind), and unaffected by ROLLBACK.
 *
 * The key is fixed and documented (docs/migrations-apply.md): the first 8 bytes of
 * sha256("shipgate:migrations") read as a signed 64-bit integer. Other tools' keys (e.g. Prisma's
 * 72707369) do not collide with it.
 */
import { ShipgateError } from "../core/errors.js";
import type { Queryable } from "./history.js";

/** sha256("shipgate:migrations"), first 8 bytes, big-endian, signed. */
export const migrationLockKey = "2857546840390226928";

/** Who holds the lock: a row of pg_stat_activity. */
export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  backendStart: Date | null;
  state: string | null;
}

export interface AcquireOptions {
  /** How long to wait for a holder to let go, in ms; 0 fails at once. */
  waitMs: number;
  /** Poll interval in ms (default 500). */
  pollMs?: number;
  /** Called before each wait with the current holder (when visible) and the time waited so far. */
  onWait?: (holder: LockHolder | undefined, waitedMs: number) => void;
  /** Key override (tests). */
  key?: string;
}

export interface HeldLock {
  key: string;
  /** ms spent waiting. */
  waitedMs: number;
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The session holding the advisory lock `key` in the current database, if it is visible. */
export async function migrationLockHolder(
  db: Queryable,
  key: string = migrationLockKey,
): Promise<LockHolder | undefined> {
  // A bigint key is stored as classid = high 32 bits, objid = low 32 bits, objsubid = 1.
  const result = await db.query<{
    pid: number;
    application_name: string | null;
    client_addr: string | null;
    backend_start: Date | null;
    state: string | null;
  }>(
    `SELECT l.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start, a.state
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid::bigint = (($1::bigint >> 32) & 4294967295)
        AND l.objid::bigint = ($1::bigint & 4294967295)
        AND l.pid <> pg_backend_pid()
      LIMIT 1`,
    [key],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    pid: row.pid,
    applicationName: row.application_name ?? "",
    clientAddr: row.client_addr,
    backendStart: row.backend_start,
    state: row.state,
  };
}

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return "another session";
  const app = holder.applicationName ? ` "${holder.applicationName}"` : "";
  const from = holder.clientAddr ? ` from ${holder.clientAddr}` : "";
  const since = holder.backendStart ? `, connected since ${holder.backendStart.toISOString()}` : "";
  return `pid ${holder.pid}${app}${from}${since}`;
}

/**
 * Takes the migration lock on `db`'s session, polling pg_try_advisory_lock until `waitMs` has
 * passed. Throws LOCKED naming the holder when it cannot. The lock lasts until release() or until
 * the connection closes.
 */
export async function acquireMigrationLock(db: Queryable, options: AcquireOptions): Promise<HeldLock> {
  const key = options.key ?? migrationLockKey;
  const pollMs = options.pollMs ?? 500;
  const started = Date.now();
  for (;;) {
    const got = await db.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key]);
    const waitedMs = Date.now() - started;
    if (got.rows[0]?.ok) {
      let released = false;
      return {
        key,
        waitedMs,
        async release() {
          if (released) return;
          released = true;
          await db.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
        },
      };
    }
    const holder = await migrationLockHolder(db, key);
    if (waitedMs >= options.waitMs) {
      throw new ShipgateError(
        "LOCKED",
        `another migration run holds the migration lock (${describeHolder(holder)}); waited ${Math.round(waitedMs / 1000)} s`,
        {
          hint: `Wait for the other deploy to finish and run the command again, or wait longer with --lock-wait 10min (migrations.advisoryLockWait). If no deploy is running, find the session with \`SELECT * FROM pg_stat_activity WHERE pid = ${holder?.pid ?? "<pid>"}\`.`,
        },
      );
    }
    options.onWait?.(holder, waitedMs);
    await sleep(Math.min(pollMs, Math.max(0, options.waitMs - waitedMs)) || 1);
  }
}
