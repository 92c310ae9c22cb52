/**
 * `shipgate migrations apply | restore | backups | status`: the public surface of the apply module.
 */
export {
  type ApplyOptions,
  type ApplyResult,
  type ApplyStatus,
  applyMigrations,
  type BackupCandidate,
} from "./apply.js";
export { maskDatabaseUrl, resolveDatabaseUrl } from "./database.js";
export { type ApplyEvent, backoffDelay, describeRetry, type FileOutcome } from "./execute.js";
export { compareWithHistory, loadMigrationFiles, type MigrationFile } from "./files.js";
export { type ExecutionMode, type PlannedFile, type PlannedStatement, planMigrations } from "./plan.js";
export { renderApplyResult, renderBackups, renderRestore, renderStatus, toJson } from "./render.js";
export { type RestoreReport, restoreFromBackup } from "./restore.js";
export { type ApplyFlags, type ApplySettings, formatDuration, resolveApplySettings } from "./settings.js";
export { migrationStatus, type StatusResult } from "./status.js";
