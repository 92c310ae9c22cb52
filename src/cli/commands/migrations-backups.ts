/** `shipgate migrations backups`: the backups in the store (id, when, tables, rows, size). */
import { type BackupSummary, createLocalBackupStore } from "../../pg/backup-store.js";
import { loadProject, type ProjectOptions } from "./migrations-apply.js";

export interface MigrationsBackupsResult {
  location: string;
  backups: BackupSummary[];
}

export async function runMigrationsBackups(options: ProjectOptions): Promise<MigrationsBackupsResult> {
  const project = loadProject(options);
  const store = createLocalBackupStore(project.settings.backups.dir);
  return { location: store.location, backups: await store.list() };
}
