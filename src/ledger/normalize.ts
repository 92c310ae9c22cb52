/**
 * What every adapter does to a value before storing it: a deep copy with its times in canonical
 * ISO form (see iso-time.ts), and list limits made whole numbers. Shared so the three adapters
 * store exactly the same thing.
 */
import { ShipgateError } from "../core/errors.js";
import type { ApiTokenRecord, FlagAuditEntry, FlagDefinition, FlagEnvironmentState } from "../flags/types.js";
import { canonicalJson } from "./audit-chain.js";
import { isoTime, isoTimeOrNull } from "./iso-time.js";
import type {
  AnalysisRun,
  Approval,
  AuditEvent,
  BackupRecord,
  Deploy,
  DeployStep,
  EnvironmentState,
  FlagChange,
  FlagEvaluationCount,
  GateReportRecord,
  ListAuditOptions,
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

/** The number of audit entries listFlagAudit returns when no limit is given. */
export const defaultFlagAuditLimit = 50;

/** A caller's bug (the CLI and the server validate first): INTERNAL, naming the field. */
function invalid(what: string): ShipgateError {
  return new ShipgateError("INTERNAL", `the ledger was given ${what}`, {
    hint: "This is a bug in shipgate: report it with the command you ran.",
  });
}

/** Any value as plain JSON; undefined (no value) is stored as null. */
const jsonValue = (value: unknown): unknown => (value === undefined ? null : plainJson(value));

export function normalizeFlag(flag: FlagDefinition): FlagDefinition {
  return {
    ...copy(flag),
    createdAt: isoTime(flag.createdAt, "flag.createdAt"),
    archivedAt: isoTimeOrNull(flag.archivedAt, "flag.archivedAt"),
  };
}

export function normalizeFlagState(state: FlagEnvironmentState): FlagEnvironmentState {
  return {
    ...copy(state),
    rules: plainJson(state.rules),
    variants: plainJson(state.variants),
    updatedAt: isoTime(state.updatedAt, "flagState.updatedAt"),
    rolloutChangedAt: isoTime(state.rolloutChangedAt, "flagState.rolloutChangedAt"),
  };
}

export function normalizeFlagAudit(entry: FlagAuditEntry): FlagAuditEntry {
  return {
    ...copy(entry),
    at: isoTime(entry.at, "flagAudit.at"),
    before: jsonValue(entry.before),
    after: jsonValue(entry.after),
  };
}

/** A flag change, normalised; INTERNAL when it carries neither a definition nor a state. */
export function normalizeFlagChange(change: FlagChange): FlagChange {
  if (change.definition === undefined && change.state === undefined) {
    throw invalid(`a flag change of ${change.audit.flagKey} with neither a definition nor a state`);
  }
  const out: FlagChange = { audit: normalizeFlagAudit(change.audit) };
  if (change.definition !== undefined) out.definition = normalizeFlag(change.definition);
  if (change.state !== undefined) out.state = normalizeFlagState(change.state);
  return out;
}

/** The change's state is for a flag the ledger does not hold (nor does the change define it). */
export function flagNotFound(key: string): ShipgateError {
  return new ShipgateError("LEDGER_FAILED", `flag ${key} is not in the ledger`, {
    hint: `Run \`shipgate flags list\` to see the flags, or \`shipgate flags create ${key}\` to define it.`,
  });
}

export function flagAuditExists(id: string): ShipgateError {
  return new ShipgateError("LEDGER_FAILED", `flag audit entry ${id} is already in the ledger`, {
    hint: "This is a bug in shipgate (audit ids are unique): report it with the command you ran.",
  });
}

export function apiTokenExists(id: string): ShipgateError {
  return new ShipgateError(
    "LEDGER_FAILED",
    `API token ${id} (or one with the same hash) is already in the ledger`,
    {
      hint: "This is a bug in shipgate (token ids and hashes are unique): report it with the command you ran.",
    },
  );
}

export function normalizeApiToken(token: ApiTokenRecord): ApiTokenRecord {
  return {
    ...copy(token),
    createdAt: isoTime(token.createdAt, "apiToken.createdAt"),
    revokedAt: isoTimeOrNull(token.revokedAt, "apiToken.revokedAt"),
  };
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** A day as YYYY-MM-DD; INTERNAL when it is not one. */
export function evaluationDay(day: string): string {
  const ms = dayPattern.test(day) ? Date.parse(`${day}T00:00:00.000Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw invalid(`an invalid day for flag evaluations: ${JSON.stringify(day)} (expected YYYY-MM-DD)`);
  }
  return day;
}

/**
 * Evaluation counts merged per (flag, variant, outcome), zero counts dropped, in first-seen order:
 * what every adapter adds to the day's totals. INTERNAL for a count that is not a whole number ≥ 0.
 */
export function mergeEvaluationCounts(counts: readonly FlagEvaluationCount[]): FlagEvaluationCount[] {
  const merged = new Map<string, FlagEvaluationCount>();
  for (const c of counts) {
    if (!Number.isSafeInteger(c.count) || c.count < 0) {
      throw invalid(`an invalid evaluation count for ${c.flagKey}: ${JSON.stringify(c.count)}`);
    }
    if (c.count === 0) continue;
    const key = JSON.stringify([c.flagKey, c.variant, c.enabled]);
    const seen = merged.get(key);
    if (seen) seen.count += c.count;
    else merged.set(key, { flagKey: c.flagKey, variant: c.variant, enabled: c.enabled, count: c.count });
  }
  return [...merged.values()];
}

/** The number of audit entries listAudit returns when no limit is given. */
export const defaultAuditListLimit = 100;

/** An audit event's before/after as stored and hashed: plain JSON, undefined as null. */
function auditJson(value: unknown, field: string): unknown {
  try {
    return JSON.parse(canonicalJson(value === undefined ? null : value));
  } catch (error) {
    throw invalid(`a value for ${field} that is not plain JSON: ${(error as Error).message}`);
  }
}

function auditText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw invalid(
      `an audit event without a ${field} (expected a non-empty string, got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

function auditTextOrNull(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") {
    throw invalid(`an audit event whose ${field} is not a string or null: ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * An audit event as every adapter stores and hashes it: times canonical, before/after plain JSON
 * (keys sorted), environment and source null when absent. INTERNAL for an event that is not one:
 * an empty actor, action or target, or before/after JSON cannot hold (NaN, a Date, a bigint).
 */
export function normalizeAuditEvent(event: AuditEvent): AuditEvent {
  return {
    actor: auditText(event.actor, "actor"),
    action: auditText(event.action, "action"),
    target: auditText(event.target, "target"),
    environment: auditTextOrNull(event.environment, "environment"),
    source: auditTextOrNull(event.source, "source"),
    before: auditJson(event.before, "audit.before"),
    after: auditJson(event.after, "audit.after"),
    at: isoTime(event.at, "audit.at"),
  };
}

/** listAudit's options made whole: afterSeq ≥ 0, the limit (default 100), the target or null. */
export function auditListOptions(options: ListAuditOptions = {}): {
  afterSeq: number;
  limit: number;
  target: string | null;
} {
  const after = options.afterSeq;
  return {
    afterSeq: after === undefined || !Number.isFinite(after) ? 0 : Math.max(0, Math.floor(after)),
    limit: listLimit(options.limit, defaultAuditListLimit) ?? defaultAuditListLimit,
    target: options.target ?? null,
  };
}

/**
 * A gate report as every adapter stores it: the time canonical, the report plain JSON (undefined as
 * null). INTERNAL for one without a commit, or whose report JSON cannot hold (NaN, a Date, a bigint).
 */
export function normalizeGateReport(report: GateReportRecord): GateReportRecord {
  if (typeof report.gitSha !== "string" || report.gitSha.trim() === "") {
    throw invalid(`a gate report without a commit (gitSha ${JSON.stringify(report.gitSha)})`);
  }
  const value = report.report === undefined ? null : report.report;
  try {
    canonicalJson(value); // refuses what JSON cannot hold; the stored copy keeps the key order
  } catch (error) {
    throw invalid(`a gate report that is not plain JSON: ${(error as Error).message}`);
  }
  return {
    id: report.id,
    gitSha: report.gitSha,
    environment: report.environment ?? null,
    passed: report.passed === true,
    summary: report.summary,
    report: plainJson(value),
    createdAt: isoTime(report.createdAt, "gateReport.createdAt"),
    createdBy: report.createdBy,
  };
}
