/**
 * What every adapter does to a value before storing it: a deep copy with its times in canonical
 * ISO form (see iso-time.ts), and list limits made whole numbers. Shared so the three adapters
 * store exactly the same thing.
 */
import { isoTime, isoTimeOrNull } from "./iso-time.js";
import type {
  AnalysisRun,
  Approval,
  BackupRecord,
  Deploy,
  DeployStep,
  EnvironmentState,
  NotificationRecord,
  Release,
  TagRecord,
} from "./types.js";

/** The number of deploys listDeploys returns when no limit is given. */
export const defaultDeployListLimit = 20;

/** A deep copy (JSON-like values: objects, arrays, strings, numbers, booleans, null). */
export const copy = <T>(value: T): T => structuredClone(value);

/** A list limit as a whole number ≥ 0; null for "no limit". */
export function listLimit(limit: number | undefined, fallback: number | null = null): number | null {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(0, Math.floor(limit));
}

export function normalizeRelease(release: Release): Release {
  return { ...copy(release), createdAt: isoTime(release.createdAt, "release.createdAt") };
}

export function normalizeDeploy(deploy: Deploy): Deploy {
  return {
    ...copy(deploy),
    startedAt: isoTime(deploy.startedAt, "deploy.startedAt"),
    finishedAt: isoTimeOrNull(deploy.finishedAt, "deploy.finishedAt"),
  };
}

export function normalizeStep(step: DeployStep): DeployStep {
  return {
    ...copy(step),
    startedAt: isoTime(step.startedAt, "step.startedAt"),
    finishedAt: isoTimeOrNull(step.finishedAt, "step.finishedAt"),
  };
}

export function normalizeState(state: EnvironmentState): EnvironmentState {
  return { ...copy(state), updatedAt: isoTime(state.updatedAt, "state.updatedAt") };
}

export function normalizeApproval(approval: Approval): Approval {
  return {
    ...copy(approval),
    createdAt: isoTime(approval.createdAt, "approval.createdAt"),
    expiresAt: isoTimeOrNull(approval.expiresAt, "approval.expiresAt"),
  };
}

export function normalizeBackup(backup: BackupRecord): BackupRecord {
  return { ...copy(backup), createdAt: isoTime(backup.createdAt, "backup.createdAt") };
}

export function normalizeTag(tag: TagRecord): TagRecord {
  return { ...copy(tag), createdAt: isoTime(tag.createdAt, "tag.createdAt") };
}

/**
 * Plain JSON, as the SQL adapters store it: NaN and ±Infinity become null and undefined members
 * vanish, so a ratio over a zero baseline reads back the same from every adapter.
 */
export const plainJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function normalizeAnalysis(run: AnalysisRun): AnalysisRun {
  return {
    ...copy(run),
    measurements: plainJson(run.measurements),
    startedAt: isoTime(run.startedAt, "analysis.startedAt"),
    finishedAt: isoTimeOrNull(run.finishedAt, "analysis.finishedAt"),
  };
}

export function normalizeNotification(record: NotificationRecord): NotificationRecord {
  return { ...copy(record), createdAt: isoTime(record.createdAt, "notification.createdAt") };
}
