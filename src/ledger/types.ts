/**
 * The release ledger's domain types and its store port. One interface, three adapters (an in-memory
 * fake, SQLite through libsql, Postgres through pg), one contract suite run against all three.
 * Times are ISO-8601 strings in UTC; JSON-valued fields are plain objects the store serialises.
 */

import type { ApiTokenRecord, FlagAuditEntry, FlagDefinition, FlagEnvironmentState } from "../flags/types.js";

/** A release: one version of the application, immutable once recorded. */
export interface Release {
  /** `r-` + the first 16 hex digits of sha256(version, artifact hash, start command, config snapshot, env HMAC). */
  id: string;
  /** What people call it: a tag such as v2, or a short git SHA. */
  version: string;
  /** The commit it was built from, when known. */
  gitSha: string | null;
  /** The stored artifact: a directory under the artifact store, named by the sha256 of its content. */
  artifact: { hash: string; path: string; bytes: number; files: number };
  /** The command starting one instance, run in the artifact directory with PORT set. */
  start: string;
  /** A snapshot of the environment's config at the time of the release (no secret values). */
  config: Record<string, unknown>;
  /** The names of the variables in the env snapshot (for display; values never leave `env`). */
  envKeys: string[];
  /** The env snapshot, encrypted (AES-256-GCM, see deploy/secrets); null when it has no variables. */
  envSealed: string | null;
  createdAt: string;
  createdBy: string;
}

export type DeployKind = "deploy" | "rollback";

/**
 * A deploy's lifecycle. `awaiting_approval` (nothing has run yet), `running` and `paused` are
 * active: one per environment at a time. The others are final.
 */
export type DeployStatus =
  | "awaiting_approval"
  | "running"
  | "paused"
  | "succeeded"
  | "failed"
  | "rolled_back"
  | "aborted";

export const activeDeployStatuses: readonly DeployStatus[] = ["awaiting_approval", "running", "paused"];

/** Traffic: which releases receive requests, with weights summing to 100. */
export interface TrafficSplit {
  releaseId: string;
  weight: number;
}

export interface Deploy {
  id: string;
  environment: string;
  kind: DeployKind;
  releaseId: string;
  /** The release serving before this deploy started (null for the first deploy). */
  previousReleaseId: string | null;
  /** Traffic before the deploy started; recovery puts it back. */
  previousTraffic: TrafficSplit[];
  strategy: string;
  status: DeployStatus;
  /** Who started it (user@host, or the CI actor). */
  actor: string;
  /** Why: `--reason`, or the commit subject. */
  reason: string | null;
  /** The plan, as data (see deploy/plan). Stored whole so another process can resume it. */
  plan: unknown[];
  /**
   * Why the plan is not what the strategy alone would do (e.g. the current release is not running,
   * so its steps are skipped), as data (see deploy/plan's PlanNote). [] for most deploys.
   */
  notes: unknown[];
  /** Index of the next step to run. */
  nextStep: number;
  /** Why it failed or was rolled back. */
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export type StepStatus = "running" | "succeeded" | "failed" | "skipped";

/** One journal entry: a step of a deploy's plan as it ran. */
export interface DeployStep {
  deployId: string;
  index: number;
  /** The step's type, e.g. start-instances, set-traffic (see deploy/plan). */
  type: string;
  status: StepStatus;
  /** What the step did or found: instance ids, weights, health results, the error. */
  detail: Record<string, unknown>;
  startedAt: string;
  finishedAt: string | null;
}

/** What runs in an environment now. Updated by every step that moves traffic. */
export interface EnvironmentState {
  environment: string;
  /** The release that last completed a deploy or rollback; null before the first. */
  currentReleaseId: string | null;
  traffic: TrafficSplit[];
  updatedAt: string;
}

/** The lock allowing one deploy per environment at a time. */
export interface DeployLock {
  environment: string;
  /** Who holds it: user@host (pid N), shown in the "lock held" error. */
  holder: string;
  /** The deploy holding it, when it is a deploy (a paused canary keeps holding it). */
  deployId: string | null;
  hostname: string;
  /** The holding process, null while a deploy is paused waiting for promote. */
  pid: number | null;
  acquiredAt: string;
  /** Refreshed while the holder works; a lock whose heartbeat is older than the stale limit is stale. */
  heartbeatAt: string;
}

export type LockResult = { acquired: true; lock: DeployLock } | { acquired: false; heldBy: DeployLock };

export interface Approval {
  id: string;
  deployId: string;
  approver: string;
  decision: "approved" | "rejected";
  comment: string | null;
  createdAt: string;
  expiresAt: string | null;
}

/** A backup taken before migrations ran (see pg/backup): where it is and what it holds. */
export interface BackupRecord {
  id: string;
  deployId: string | null;
  environment: string;
  location: string;
  tables: string[];
  checksum: string;
  createdAt: string;
}

export interface TagRecord {
  name: string;
  environment: string;
  deployId: string;
  gitSha: string;
  pushed: boolean;
  createdAt: string;
}

export type AnalysisVerdict = "running" | "passed" | "failed" | "inconclusive";

/** One canary analysis (a judged pause of a canary) or post-deploy watch, with the numbers behind its verdict. */
export interface AnalysisRun {
  id: string;
  deployId: string;
  environment: string;
  /** The plan step it judged. */
  stepIndex: number;
  phase: "canary" | "watch";
  canaryReleaseId: string;
  /** The release compared against; null when judged by absolute thresholds only. */
  baselineReleaseId: string | null;
  verdict: AnalysisVerdict;
  /** One line, e.g. "canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5× over 3 of 5 intervals". */
  summary: string;
  /** One entry per measured interval (plain JSON: metric values, per-metric verdicts). */
  measurements: Record<string, unknown>[];
  startedAt: string;
  finishedAt: string | null;
}

export interface NotificationRecord {
  id: string;
  deployId: string;
  environment: string;
  /** deploy-started | deploy-succeeded | deploy-failed | deploy-rolled-back | approval-requested */
  event: string;
  /** e.g. "slack" or "webhook:<name>". */
  channel: string;
  ok: boolean;
  attempts: number;
  /** The receiver's last HTTP status; null when it was never reached. */
  status: number | null;
  /** Why it failed (never containing the URL or a secret); null when ok. */
  error: string | null;
  createdAt: string;
}

/**
 * One `shipgate check` report, stored by the commit it checked (and the environment it targeted),
 * so a release built from that commit can show the gate it passed or failed.
 */
export interface GateReportRecord {
  id: string;
  /** The commit checked: HEAD of the working tree the check ran in. */
  gitSha: string;
  /** --environment of the check; null when it targeted none. */
  environment: string | null;
  /** The gate's verdict: no unapproved error finding failed an item. */
  passed: boolean;
  /** One line, e.g. "failed: 2 errors, 1 warning". */
  summary: string;
  /** The report as `shipgate check --format json` prints it (plain JSON; no secret values). */
  report: unknown;
  createdAt: string;
  createdBy: string;
}

export interface ListDeploysOptions {
  /** Newest first; default 20. */
  limit?: number;
  kind?: DeployKind;
  status?: DeployStatus;
}

/**
 * The ledger's storage port. Every method is atomic on its own. Lists are newest first, except the
 * analysis runs and notifications of a deploy, which read as a story: oldest first.
 * Adapters: createMemoryLedger (tests), createSqliteLedger (default, a file), createPostgresLedger (shared).
 */
export interface LedgerStore {
  /** Which adapter this is: "memory", "sqlite" or "postgres". */
  readonly kind: "memory" | "sqlite" | "postgres";

  /** Records a release. Recording the same id again is a no-op returning the stored release. */
  saveRelease(release: Release): Promise<Release>;
  getRelease(id: string): Promise<Release | null>;
  /** The newest release with this version string, if any. */
  findReleaseByVersion(version: string): Promise<Release | null>;
  listReleases(limit?: number): Promise<Release[]>;

  createDeploy(deploy: Deploy): Promise<void>;
  /** Updates the given fields; throws when the deploy does not exist. */
  updateDeploy(
    id: string,
    patch: Partial<Pick<Deploy, "status" | "nextStep" | "error" | "finishedAt" | "plan">>,
  ): Promise<Deploy>;
  getDeploy(id: string): Promise<Deploy | null>;
  listDeploys(environment: string, options?: ListDeploysOptions): Promise<Deploy[]>;
  /** The running or paused deploy of the environment, if any. */
  activeDeploy(environment: string): Promise<Deploy | null>;
  /** The last deploy or rollback of the environment that succeeded. */
  lastSucceededDeploy(environment: string): Promise<Deploy | null>;

  /** Inserts or replaces the journal entry (deployId, index). */
  recordStep(step: DeployStep): Promise<void>;
  listSteps(deployId: string): Promise<DeployStep[]>;

  getEnvironmentState(environment: string): Promise<EnvironmentState | null>;
  setEnvironmentState(state: EnvironmentState): Promise<void>;
  listEnvironmentStates(): Promise<EnvironmentState[]>;

  /**
   * Takes the environment's lock when it is free or when the current lock's heartbeat is older
   * than `staleAfterMs` (then the stale lock is replaced). Atomic across processes and machines.
   */
  acquireLock(
    request: Omit<DeployLock, "acquiredAt" | "heartbeatAt">,
    options: { now: string; staleAfterMs: number },
  ): Promise<LockResult>;
  /** Refreshes the heartbeat (and pid) of a lock the holder owns; false when it no longer holds it. */
  heartbeatLock(environment: string, holder: string, now: string, pid: number | null): Promise<boolean>;
  /** Releases the lock if `holder` holds it; returns whether it did. */
  releaseLock(environment: string, holder: string): Promise<boolean>;
  getLock(environment: string): Promise<DeployLock | null>;
  /** Removes the lock whoever holds it (`shipgate lock release --force`). */
  forceReleaseLock(environment: string): Promise<DeployLock | null>;

  recordApproval(approval: Approval): Promise<void>;
  listApprovals(deployId: string): Promise<Approval[]>;

  recordBackup(backup: BackupRecord): Promise<void>;
  listBackups(environment: string, limit?: number): Promise<BackupRecord[]>;

  recordTag(tag: TagRecord): Promise<void>;
  listTags(environment: string, limit?: number): Promise<TagRecord[]>;

  /** Inserts or replaces (by id): a run is saved when it starts and after every interval. */
  saveAnalysis(run: AnalysisRun): Promise<void>;
  /** A deploy's analysis runs, oldest first (startedAt, then stepIndex). */
  listAnalyses(deployId: string): Promise<AnalysisRun[]>;

  recordNotification(record: NotificationRecord): Promise<void>;
  /** A deploy's notifications, oldest first. */
  listNotifications(deployId: string): Promise<NotificationRecord[]>;

  // Feature flags (see flags/types.ts). Every change goes through applyFlagChange, in one transaction.
  /**
   * Upserts the definition (by key) and/or the environment state (by key + environment), appends
   * the audit entry and increases the flag revision; returns the new revision.
   */
  applyFlagChange(change: FlagChange): Promise<number>;
  getFlag(key: string): Promise<FlagDefinition | null>;
  /** By key; archived ones only when asked. */
  listFlags(options?: { includeArchived?: boolean }): Promise<FlagDefinition[]>;
  getFlagState(key: string, environment: string): Promise<FlagEnvironmentState | null>;
  /** Every flag's state in an environment, by key. */
  listFlagStates(environment: string): Promise<FlagEnvironmentState[]>;
  /** Increases with every applyFlagChange (0 before the first). */
  flagRevision(): Promise<number>;
  /** A flag's audit entries, newest first (default 50). */
  listFlagAudit(flagKey: string, limit?: number): Promise<FlagAuditEntry[]>;
  /** Adds SDK evaluation counts (aggregated per flag, variant and outcome) to the day's totals. */
  recordFlagEvaluations(environment: string, day: string, counts: FlagEvaluationCount[]): Promise<void>;
  /** Totals per flag, variant, outcome and day (newest day first). */
  listFlagEvaluations(
    environment: string,
    flagKey?: string,
  ): Promise<(FlagEvaluationCount & { day: string })[]>;
  saveApiToken(token: ApiTokenRecord): Promise<void>;
  findApiTokenByHash(hash: string): Promise<ApiTokenRecord | null>;
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Marks a token revoked; false when there is no such token. */
  revokeApiToken(id: string, at: string): Promise<boolean>;

  // The audit log (see audit-chain.ts): append-only and hash-chained; the port has no way to change
  // or remove an entry.
  /** Appends the event at the end of the chain, atomically across processes; returns the stored record. */
  appendAudit(event: AuditEvent): Promise<AuditRecord>;
  /** Entries oldest first (by seq), after `afterSeq`, of one target, at most `limit` (default 100). */
  listAudit(options?: ListAuditOptions): Promise<AuditRecord[]>;
  /** Recomputes the whole chain: ok, or the first broken row and why. */
  verifyAudit(): Promise<AuditVerification>;

  // Gate reports (`shipgate check`), keyed by commit.
  /** Stores a report; recording the same id again replaces it. */
  recordGateReport(report: GateReportRecord): Promise<void>;
  /**
   * The newest report for the commit and environment; when `environment` is given and has none,
   * the newest report for the commit checked without an environment. Null when there is neither.
   */
  latestGateReport(gitSha: string, environment: string | null): Promise<GateReportRecord | null>;
  /** Every report for the commit, newest first (createdAt, then insertion order). */
  listGateReports(gitSha: string): Promise<GateReportRecord[]>;

  close(): Promise<void>;
}

export interface FlagChange {
  definition?: FlagDefinition;
  state?: FlagEnvironmentState;
  audit: FlagAuditEntry;
}

export interface FlagEvaluationCount {
  flagKey: string;
  /** The variant served, or null. */
  variant: string | null;
  enabled: boolean;
  count: number;
}

/** One mutation, as the audit log records it: who, what, when, from where, and before/after. */
export interface AuditEvent {
  /** Who: user@host, a token's name, the CI actor. */
  actor: string;
  /** What was done, e.g. "deploy.approve", "flag.rollout". */
  action: string;
  /** What it was done to, e.g. "deploy:d-…", "flag:new-checkout". */
  target: string;
  environment: string | null;
  /** From where: an IP address, "cli@host". */
  source: string | null;
  /** The state before and after (plain JSON; undefined is recorded as null). */
  before: unknown;
  after: unknown;
  /** When (ISO-8601; stored in canonical UTC form). */
  at: string;
}

/** An audit event as stored: its place in the chain and its hash. */
export interface AuditRecord extends AuditEvent {
  /** 1, 2, 3 … without gaps. */
  seq: number;
  /** The hash of the record before (hex); 64 zeros for seq 1. */
  prevHash: string;
  /** sha256 (hex) of the canonical JSON of the record without its hash (see audit-chain.ts). */
  hash: string;
}

/** `count`: the rows verified intact (all of them when ok; those before `brokenAt` otherwise). */
export type AuditVerification =
  | { ok: true; count: number }
  | { ok: false; count: number; brokenAt: number; reason: string };

export interface ListAuditOptions {
  /** Only entries with a greater seq (paging: the last seq seen). */
  afterSeq?: number;
  /** At most this many (default 100). */
  limit?: number;
  /** Only entries about this target. */
  target?: string;
}
