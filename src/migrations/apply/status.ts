/**
 * `migrations status`: applied migrations (from shipgate.schema_migrations) and pending ones (files
 * not in it), with applied files edited since and history rows whose file is gone. Read-only.
 */
import { describeHolder, migrationLockHolder } from "../../pg/advisory-lock.js";
import { readAppliedMigrations } from "../../pg/history.js";
import { closeQuietly, connectDatabase, maskDatabaseUrl } from "./database.js";
import { type AppliedState, compareWithHistory, type MigrationFile } from "./files.js";

export interface StatusEntry {
  name: string;
  /** Display path of the file, when it exists. */
  path: string | null;
  appliedAt: string;
  appliedBy: string;
  durationMs: number;
  backupId: string | null;
  state: AppliedState;
}

export interface StatusResult {
  database: string;
  applied: StatusEntry[];
  pending: { name: string; path: string }[];
  outOfOrder: string[];
  /** Set while another run holds the migration lock. */
  runningElsewhere?: string;
  /** True when an applied file was edited after it was applied (an error). */
  failed: boolean;
}

export async function migrationStatus(options: {
  url: string;
  files: readonly MigrationFile[];
}): Promise<StatusResult> {
  const db = await connectDatabase(options.url, { applicationName: "shipgate migrations status" });
  try {
    await db.query("SET default_transaction_read_only = on");
    const comparison = compareWithHistory(options.files, await readAppliedMigrations(db));
    const holder = await migrationLockHolder(db);
    const result: StatusResult = {
      database: maskDatabaseUrl(options.url),
      applied: comparison.applied.map((a) => ({
        name: a.name,
        path: a.file?.path ?? null,
        appliedAt: a.appliedAt.toISOString(),
        appliedBy: a.appliedBy,
        durationMs: a.durationMs,
        backupId: a.backupId,
        state: a.state,
      })),
      pending: comparison.pending.map((f) => ({ name: f.name, path: f.path })),
      outOfOrder: comparison.outOfOrder,
      failed: comparison.applied.some((a) => a.state === "edited"),
    };
    if (holder) result.runningElsewhere = describeHolder(holder);
    return result;
  } finally {
    await closeQuietly(db);
  }
}
