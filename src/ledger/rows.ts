/**
 * Rows to domain records, shared by the SQLite and Postgres adapters. The adapters differ only in how
 * a column arrives: Postgres parses jsonb and returns Dates and booleans; SQLite returns TEXT and
 * integers. Each adapter passes its decoders.
 */
import type {
  AnalysisRun,
  AnalysisVerdict,
  Approval,
  BackupRecord,
  Deploy,
  DeployKind,
  DeployLock,
  DeployStatus,
  DeployStep,
  EnvironmentState,
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

  return {
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
