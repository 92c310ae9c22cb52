/**
 * shipgate's record of applied migrations, kept in the database they were applied to:
 * `shipgate.schema_migrations`. `migrations apply` writes a row per file in the same transaction as
 * the file (when the file runs in one); `status` and `verify` read it to split applied from pending.
 *
 * A migration's name is its path relative to the directory of shipgate.yaml (forward slashes), so it
 * does not depend on the directory a command runs from; the checksum (sha256 of the file's bytes)
 * tells when an applied file was edited afterwards.
 */
import { createHash } from "node:crypto";
import type pg from "pg";

export const historySchema = "shipgate";
export const historyTable = "shipgate.schema_migrations";

export interface AppliedMigration {
  name: string;
  checksum: string;
  appliedAt: Date;
  appliedBy: string;
  durationMs: number;
  /** The backup taken before the file ran, if any. */
  backupId: string | null;
  toolVersion: string;
}

/** The subset of pg.Client / pg.PoolClient the history needs. */
export type Queryable = Pick<pg.ClientBase, "query">;

export function migrationChecksum(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Creates the schema and table when missing (idempotent, safe to run concurrently). */
export async function ensureHistoryTable(db: Queryable): Promise<void> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${historySchema}`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${historyTable} (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL,
    duration_ms integer NOT NULL,
    backup_id text,
    tool_version text NOT NULL
  )`);
}

/** The applied migrations in the order they were applied; [] when the table does not exist. */
export async function readAppliedMigrations(db: Queryable): Promise<AppliedMigration[]> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [historyTable]);
  if (exists.rows[0]?.t == null) return [];
  const result = await db.query<{
    name: string;
    checksum: string;
    applied_at: Date;
    applied_by: string;
    duration_ms: number;
    backup_id: string | null;
    tool_version: string;
  }>(`SELECT name, checksum, applied_at, applied_by, duration_ms, backup_id, tool_version
      FROM ${historyTable} ORDER BY applied_at, name`);
  return result.rows.map((r) => ({
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at,
    appliedBy: r.applied_by,
    durationMs: r.duration_ms,
    backupId: r.backup_id,
    toolVersion: r.tool_version,
  }));
}

/** Records one applied file; run it inside the file's transaction when there is one. */
export async function recordAppliedMigration(
  db: Queryable,
  entry: Omit<AppliedMigration, "appliedAt">,
): Promise<void> {
  await db.query(
    `INSERT INTO ${historyTable} (name, checksum, applied_by, duration_ms, backup_id, tool_version)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.name, entry.checksum, entry.appliedBy, entry.durationMs, entry.backupId, entry.toolVersion],
  );
}
