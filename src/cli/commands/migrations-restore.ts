/** `shipgate migrations restore <backup-id>`: restores tables from a backup and verifies them. */
import {
  type ApplyEvent,
  type RestoreReport,
  resolveDatabaseUrl,
  restoreFromBackup,
} from "../../migrations/apply/index.js";
import { createLocalBackupStore } from "../../pg/backup-store.js";
import { loadProject, type ProjectOptions } from "./migrations-apply.js";

export interface MigrationsRestoreOptions extends ProjectOptions {
  id: string;
  databaseUrl?: string;
  /** Comma-separated or repeated table names. */
  tables?: string[];
  onEvent?: (event: ApplyEvent) => void;
  onProgress?: (done: number, total: number, step: string) => void;
}

export async function runMigrationsRestore(options: MigrationsRestoreOptions): Promise<RestoreReport> {
  const url = resolveDatabaseUrl(options.databaseUrl, options.env, "shipgate migrations restore");
  const project = loadProject(options);
  const tables = (options.tables ?? [])
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
  return restoreFromBackup({
    url,
    store: createLocalBackupStore(project.settings.backups.dir),
    id: options.id,
    ...(tables.length > 0 ? { tables } : {}),
    advisoryLockWaitMs: project.settings.advisoryLockWaitMs,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
