/**
 * shipgate's library entry: the same functions the CLI uses, for tools that embed shipgate.
 */

export type { MigrationsLintOptions, MigrationsLintResult } from "./cli/commands/migrations-lint.js";
export { runMigrationsLint } from "./cli/commands/migrations-lint.js";
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
