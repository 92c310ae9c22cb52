/** `shipgate migrations status`: applied and pending migrations; failed when an applied file was edited. */
import { migrationStatus, resolveDatabaseUrl, type StatusResult } from "../../migrations/apply/index.js";
import { loadProject, loadProjectFiles, type ProjectOptions } from "./migrations-apply.js";

export interface MigrationsStatusOptions extends ProjectOptions {
  databaseUrl?: string;
}

export async function runMigrationsStatus(options: MigrationsStatusOptions): Promise<StatusResult> {
  const url = resolveDatabaseUrl(options.databaseUrl, options.env, "shipgate migrations status");
  const project = loadProject(options);
  const { files } = await loadProjectFiles(project, options.cwd);
  return migrationStatus({ url, files });
}
