/**
 * The release ledger: releases, deploys with their journal, environment state, the deploy lock,
 * approvals, backups, tags, canary analysis runs, notifications, and feature flags (definitions,
 * per-environment states, audit, evaluation totals, SDK API tokens), and the append-only,
 * hash-chained audit log (audit-chain.ts). One port (LedgerStore), three adapters, one contract suite.
 */

export { auditHash, canonicalJson, verifyAuditChain } from "./audit-chain.js";
export { maskLedgerUrl } from "./ledger-error.js";
export { createMemoryLedger } from "./memory.js";
export type { LedgerLocation } from "./open.js";
// createPostgresLedger from open.js loads pg on first use: importing the ledger stays fast.
export { createPostgresLedger, ledgerUrlForms, openLedger, parseLedgerUrl } from "./open.js";
export type { PostgresLedgerOptions } from "./postgres.js";
export type { SqliteLedgerOptions } from "./sqlite.js";
export { createSqliteLedger } from "./sqlite.js";
export type {
  AnalysisRun,
  AnalysisVerdict,
  Approval,
  AuditEvent,
  AuditRecord,
  AuditVerification,
  BackupRecord,
  Deploy,
  DeployKind,
  DeployLock,
  DeployStatus,
  DeployStep,
  EnvironmentState,
  FlagChange,
  FlagEvaluationCount,
  GateReportRecord,
  LedgerStore,
  ListAuditOptions,
  ListDeploysOptions,
  LockResult,
  NotificationRecord,
  Release,
  StepStatus,
  TagRecord,
  TrafficSplit,
} from "./types.js";
export { activeDeployStatuses } from "./types.js";
