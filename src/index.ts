/**
 * shipgate's library entry: the same functions the CLI uses, for tools that embed shipgate.
 */

export { defaultChecks } from "./check/index.js";
export type { CheckRun, CheckRunOptions } from "./check/run.js";
export { runCheck } from "./check/run.js";
export type { Check, CheckContext, CheckItem, CheckStatus } from "./check/types.js";
export type { CompatOptions, CompatResult } from "./cli/commands/compat.js";
export { runCompatGraphql, runCompatOpenapi } from "./cli/commands/compat.js";
export type { EnvAuditOptions, EnvAuditResult } from "./cli/commands/env-audit.js";
export { runEnvAudit } from "./cli/commands/env-audit.js";
export type { EnvVerifyOptions, EnvVerifyResult } from "./cli/commands/env-verify.js";
export { runEnvVerify } from "./cli/commands/env-verify.js";
export type { MigrationsApplyOptions, MigrationsApplyResult } from "./cli/commands/migrations-apply.js";
export { runMigrationsApply } from "./cli/commands/migrations-apply.js";
export { runMigrationsBackups } from "./cli/commands/migrations-backups.js";
export type { MigrationsLintOptions, MigrationsLintResult } from "./cli/commands/migrations-lint.js";
export { runMigrationsLint } from "./cli/commands/migrations-lint.js";
export { runMigrationsRestore } from "./cli/commands/migrations-restore.js";
export { runMigrationsStatus } from "./cli/commands/migrations-status.js";
export type { MigrationsVerifyOptions, MigrationsVerifyResult } from "./cli/commands/migrations-verify.js";
export { runMigrationsVerify } from "./cli/commands/migrations-verify.js";
export type { ErrorCode } from "./core/errors.js";
export { ExitCode, isShipgateError, ShipgateError } from "./core/errors.js";
export type { Finding, LockMode, MigrationClass, Severity, Suppression } from "./core/finding.js";
export { failingFindings, lockModes } from "./core/finding.js";
export type { RenderOptions, Report, ReportFormat } from "./core/report.js";
export { renderReport } from "./core/reporters/index.js";
export type { LintSqlOptions } from "./migrations/lint-sql.js";
export { lintSql } from "./migrations/lint-sql.js";
export type { Rule, RuleMeta } from "./migrations/rule.js";
export { allRules } from "./migrations/rules/index.js";
