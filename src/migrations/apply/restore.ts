/**
 * `migrations restore <id>`: restores tables from a backup under the migration lock (so it never
 * races an apply), verifies row counts and checksums, and says which migrations the history still
 * records as applied although their effect on these tables was just undone.
 */
import { ShipgateError } from "../../core/errors.js";
import { acquireMigrationLock, describeHolder, type HeldLock } from "../../pg/advisory-lock.js";
import { type RestoreResult, restoreBackup } from "../../pg/backup.js";
import type { BackupManifest, BackupStore } from "../../pg/backup-store.js";
import { readAppliedMigrations } from "../../pg/history.js";
import { closeQuietly, connectDatabase, maskDatabaseUrl, pgErrorInfo, scrubSecrets } from "./database.js";
import type { ApplyEvent } from "./execute.js";

export interface RestoreOptions {
  url: string;
  store: BackupStore;
  id: string;
  /** Table names: qualified (public.users) or, when unambiguous, bare (users). */
  tables?: readonly string[];
  advisoryLockWaitMs: number;
  onEvent?: (event: ApplyEvent) => void;
  onProgress?: (done: number, total: number, step: string) => void;
}

export interface RestoreReport extends RestoreResult {
  /** Masked URL of the database restored into. */
  database: string;
  /** Masked URL the backup was taken from. */
  backupDatabase: string;
  createdAt: string;
  /** Migrations the backup preceded that the history records as applied. */
  stillRecorded: string[];
}

function selectTables(manifest: BackupManifest, wanted: readonly string[]): string[] {
  const names = manifest.tables.map((t) => t.name);
  return wanted.map((w) => {
    const want = w.trim();
    if (names.includes(want)) return want;
    const bare = manifest.tables.filter(
      (t) =>
        t.definition.table === want ||
        t.name.endsWith(`.${want}`) ||
        `${t.definition.schema}.${t.definition.table}` === want,
    );
    if (bare.length === 1) return (bare[0] as { name: string }).name;
    throw new ShipgateError(
      "USAGE",
      bare.length === 0
        ? `backup ${manifest.id} holds no table "${want}"`
        : `"${want}" matches several tables in backup ${manifest.id}: ${bare.map((t) => t.name).join(", ")}`,
      { hint: `The backup holds: ${names.join(", ")}. Pass --tables with those names, comma-separated.` },
    );
  });
}

export async function restoreFromBackup(options: RestoreOptions): Promise<RestoreReport> {
  const manifest = await options.store.read(options.id);
  const tables =
    options.tables && options.tables.length > 0 ? selectTables(manifest, options.tables) : undefined;
  const db = await connectDatabase(options.url, { applicationName: "shipgate migrations restore" });
  let lock: HeldLock | undefined;
  try {
    lock = await acquireMigrationLock(db, {
      waitMs: options.advisoryLockWaitMs,
      onWait: (holder, waitedMs) =>
        options.onEvent?.({ type: "lock-wait", holder: describeHolder(holder), waitedMs }),
    });
    let restored: RestoreResult;
    try {
      restored = await restoreBackup({
        db,
        store: options.store,
        manifest,
        ...(tables ? { tables } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } catch (error) {
      if (error instanceof ShipgateError) throw error;
      const info = pgErrorInfo(error);
      throw new ShipgateError(
        "MIGRATION_FAILED",
        `restore of backup ${manifest.id} failed, nothing was changed: ${scrubSecrets(info.message, options.url)}${info.code ? ` (SQLSTATE ${info.code})` : ""}`,
        {
          cause: error,
          details: info.detail ? [scrubSecrets(info.detail, options.url)] : [],
          hint: "The restore runs in one transaction, so the database is as it was. Fix what the error names (or restore fewer tables with --tables) and run it again.",
        },
      );
    }
    const history = await readAppliedMigrations(db);
    const applied = new Set(history.map((h) => h.name));
    return {
      ...restored,
      database: maskDatabaseUrl(options.url),
      backupDatabase: manifest.database,
      createdAt: manifest.createdAt,
      stillRecorded: manifest.migrations.filter((m) => applied.has(m)),
    };
  } finally {
    if (lock) await lock.release().catch(() => {});
    await closeQuietly(db);
  }
}
