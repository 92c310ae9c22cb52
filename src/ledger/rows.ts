/**
 * Rows to domain records, shared by the SQLite and Postgres adapters. The adapters differ only in how
 * a column arrives: Postgres parses jsonb and returns Dates and booleans; SQLite returns TEXT and
 * integers. Each adapter passes its decoders.
 */
import type {
  ApiTokenRecord,
  FlagAuditEntry,
  FlagDefinition,
  FlagEnvironmentState,
  FlagType,
  TargetingRule,
  Variant,
} from "../flags/types.js";
import type {
  AnalysisRun,
  AnalysisVerdict,
  Approval,
  AuditRecord,
  BackupRecord,
  Deploy,
  DeployKind,
  DeployLock,
  DeployStatus,
  DeployStep,
  EnvironmentState,
  FlagEvaluationCount,
  GateReportRecord,
  NotificationRecord,
  Release,
  StepStatus,
  TagRecord,
  TrafficSplit,
} from "./types.js";

export type SqlRow = Record<string, unknown>;

export interface ColumnDecoders {
  /** A JSON column: parsed (jsonb) or TEXT to parse. */
  json(value: unknown): unknown;
  /** A time column, as an ISO-8601 string. */
  time(value: unknown): string;
  /** A boolean column (Postgres boolean, SQLite 0/1). */
  bool(value: unknown): boolean;
}

export function rowReaders(decode: ColumnDecoders) {
  const str = (value: unknown): string => String(value);
  const strOrNull = (value: unknown): string | null =>
    value === null || value === undefined ? null : String(value);
  const time = (value: unknown): string => decode.time(value);
  const timeOrNull = (value: unknown): string | null =>
    value === null || value === undefined ? null : decode.time(value);
  const json = <T>(value: unknown): T => decode.json(value) as T;
  const numOrNull = (value: unknown): number | null =>
    value === null || value === undefined ? null : Number(value);

  function toRelease(row: SqlRow): Release {
    return {
      id: str(row.id),
      version: str(row.version),
      gitSha: strOrNull(row.git_sha),
      artifact: json<Release["artifact"]>(row.artifact),
      start: str(row.start),
      config: json<Record<string, unknown>>(row.config),
      envKeys: json<string[]>(row.env_keys),
      envSealed: strOrNull(row.env_sealed),
      createdAt: time(row.created_at),
      createdBy: str(row.created_by),
    };
  }

  function toDeploy(row: SqlRow): Deploy {
    return {
      id: str(row.id),
      environment: str(row.environment),
      kind: str(row.kind) as DeployKind,
      releaseId: str(row.release_id),
      previousReleaseId: strOrNull(row.previous_release_id),
      previousTraffic: json<TrafficSplit[]>(row.previous_traffic),
      strategy: str(row.strategy),
      status: str(row.status) as DeployStatus,
      actor: str(row.actor),
      reason: strOrNull(row.reason),
      plan: json<unknown[]>(row.plan),
      nextStep: Number(row.next_step),
      error: strOrNull(row.error),
      startedAt: time(row.started_at),
      finishedAt: timeOrNull(row.finished_at),
    };
  }

  function toStep(row: SqlRow): DeployStep {
    return {
      deployId: str(row.deploy_id),
      index: Number(row.step_index),
      type: str(row.type),
      status: str(row.status) as StepStatus,
      detail: json<Record<string, unknown>>(row.detail),
      startedAt: time(row.started_at),
      finishedAt: timeOrNull(row.finished_at),
    };
  }

  function toState(row: SqlRow): EnvironmentState {
    return {
      environment: str(row.environment),
      currentReleaseId: strOrNull(row.current_release_id),
      traffic: json<TrafficSplit[]>(row.traffic),
      updatedAt: time(row.updated_at),
    };
  }

  function toLock(row: SqlRow): DeployLock {
    return {
      environment: str(row.environment),
      holder: str(row.holder),
      deployId: strOrNull(row.deploy_id),
      hostname: str(row.hostname),
      pid: row.pid === null || row.pid === undefined ? null : Number(row.pid),
      acquiredAt: time(row.acquired_at),
      heartbeatAt: time(row.heartbeat_at),
    };
  }

  function toApproval(row: SqlRow): Approval {
    return {
      id: str(row.id),
      deployId: str(row.deploy_id),
      approver: str(row.approver),
      decision: str(row.decision) as Approval["decision"],
      comment: strOrNull(row.comment),
      createdAt: time(row.created_at),
      expiresAt: timeOrNull(row.expires_at),
    };
  }

  function toBackup(row: SqlRow): BackupRecord {
    return {
      id: str(row.id),
      deployId: strOrNull(row.deploy_id),
      environment: str(row.environment),
      location: str(row.location),
      tables: json<string[]>(row.tables),
      checksum: str(row.checksum),
      createdAt: time(row.created_at),
    };
  }

  function toTag(row: SqlRow): TagRecord {
    return {
      name: str(row.name),
      environment: str(row.environment),
      deployId: str(row.deploy_id),
      gitSha: str(row.git_sha),
      pushed: decode.bool(row.pushed),
      createdAt: time(row.created_at),
    };
  }

  function toAnalysis(row: SqlRow): AnalysisRun {
    return {
      id: str(row.id),
      deployId: str(row.deploy_id),
      environment: str(row.environment),
      stepIndex: Number(row.step_index),
      phase: str(row.phase) as AnalysisRun["phase"],
      canaryReleaseId: str(row.canary_release_id),
      baselineReleaseId: strOrNull(row.baseline_release_id),
      verdict: str(row.verdict) as AnalysisVerdict,
      summary: str(row.summary),
      measurements: json<Record<string, unknown>[]>(row.measurements),
      startedAt: time(row.started_at),
      finishedAt: timeOrNull(row.finished_at),
    };
  }

  function toNotification(row: SqlRow): NotificationRecord {
    return {
      id: str(row.id),
      deployId: str(row.deploy_id),
      environment: str(row.environment),
      event: str(row.event),
      channel: str(row.channel),
      ok: decode.bool(row.ok),
      attempts: Number(row.attempts),
      status: numOrNull(row.status),
      error: strOrNull(row.error),
      createdAt: time(row.created_at),
    };
  }

  function toFlag(row: SqlRow): FlagDefinition {
    return {
      key: str(row.key),
      description: str(row.description),
      owner: str(row.owner),
      type: str(row.type) as FlagType,
      removalDate: strOrNull(row.removal_date),
      createdAt: time(row.created_at),
      createdBy: str(row.created_by),
      archivedAt: timeOrNull(row.archived_at),
    };
  }

  function toFlagState(row: SqlRow): FlagEnvironmentState {
    return {
      flagKey: str(row.flag_key),
      environment: str(row.environment),
      enabled: decode.bool(row.enabled),
      rollout: Number(row.rollout),
      rules: json<TargetingRule[]>(row.rules),
      variants: json<Variant[]>(row.variants),
      killed: decode.bool(row.killed),
      stickiness: str(row.stickiness),
      updatedAt: time(row.updated_at),
      updatedBy: str(row.updated_by),
      rolloutChangedAt: time(row.rollout_changed_at),
    };
  }

  function toFlagAudit(row: SqlRow): FlagAuditEntry {
    return {
      id: str(row.id),
      flagKey: str(row.flag_key),
      environment: strOrNull(row.environment),
      action: str(row.action) as FlagAuditEntry["action"],
      actor: str(row.actor),
      at: time(row.at),
      before: json<unknown>(row.before),
      after: json<unknown>(row.after),
    };
  }

  /** A day's total; `has_variant` tells a null variant (its own group) from a named one. */
  function toFlagEvaluation(row: SqlRow): FlagEvaluationCount & { day: string } {
    return {
      day: str(row.day),
      flagKey: str(row.flag_key),
      variant: decode.bool(row.has_variant) ? str(row.variant) : null,
      enabled: decode.bool(row.enabled),
      count: Number(row.count),
    };
  }

  function toApiToken(row: SqlRow): ApiTokenRecord {
    return {
      id: str(row.id),
      hash: str(row.hash),
      name: str(row.name),
      environment: str(row.environment),
      scope: str(row.scope) as ApiTokenRecord["scope"],
      createdAt: time(row.created_at),
      createdBy: str(row.created_by),
      revokedAt: timeOrNull(row.revoked_at),
    };
  }

  /** An audit row: seq, prev_hash, hash, the event's columns (before/after JSON). */
  function toAuditRecord(row: SqlRow): AuditRecord {
    return {
      seq: Number(row.seq),
      prevHash: str(row.prev_hash),
      hash: str(row.hash),
      actor: str(row.actor),
      action: str(row.action),
      target: str(row.target),
      environment: strOrNull(row.environment),
      source: strOrNull(row.source),
      before: json<unknown>(row.before),
      after: json<unknown>(row.after),
      at: time(row.at),
    };
  }

  function toGateReport(row: SqlRow): GateReportRecord {
    return {
      id: str(row.id),
      gitSha: str(row.git_sha),
      environment: strOrNull(row.environment),
      passed: decode.bool(row.passed),
      summary: str(row.summary),
      report: json<unknown>(row.report),
      createdAt: time(row.created_at),
      createdBy: str(row.created_by),
    };
  }

  return {
    toAuditRecord,
    toGateReport,
    toFlag,
    toFlagState,
    toFlagAudit,
    toFlagEvaluation,
    toApiToken,
    toRelease,
    toDeploy,
    toStep,
    toState,
    toLock,
    toApproval,
    toBackup,
    toTag,
    toAnalysis,
    toNotification,
  };
}
