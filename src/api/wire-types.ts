/**
 * The team API's wire types: the JSON its replies carry (docs/team-server.md), declared once for
 * the routes that build them, the CLI's remote client and the dashboard. Types only, importing
 * nothing, so the browser build (tsconfig.dashboard.json) compiles it too. The routes declare these
 * as their return types, so a ledger or service type that drifts from its wire shape fails
 * `npm run typecheck`.
 */

export type Role = "viewer" | "deployer" | "approver" | "admin";

/** `GET /api/me`. */
export interface Me {
  name: string;
  role: Role;
  /** The one environment a scoped token covers (null: every environment). */
  environment: string | null;
}

/** `POST /auth/login` and `GET /auth/session`: the dashboard session's principal and CSRF token. */
export interface SessionAnswer {
  principal: Me;
  csrfToken: string;
}

/** `GET /api/environments`: one entry per environment. */
export interface EnvironmentSummary {
  name: string;
  url: string | null;
  current: {
    releaseId: string;
    version: string;
    deployedAt: string | null;
    deployedBy: string | null;
  } | null;
  active: {
    id: string;
    kind: string;
    status: string;
    strategy: string;
    version: string;
    actor: string;
    startedAt: string;
  } | null;
  approval: { required: number };
}

/** `GET /api/environments/:env`: what runs there (the fields clients read of `shipgate status`). */
export interface StatusResult {
  environment: string;
  /** environments.<env>.url, else the target's public URL (null: neither, e.g. no target). */
  url: string | null;
  /**
   * The environment's target (null: none configured, e.g. a flags-only setup: nothing runs or
   * deploys there). Absent only from a server that predates this field.
   */
  target?: { type: "local" | "command" } | null;
  current: {
    id: string;
    version: string;
    gitSha: string | null;
    deployedAt: string | null;
    deployedBy: string | null;
  } | null;
  traffic: { releaseId: string; version: string; weight: number }[];
  inProgress: {
    id: string;
    version: string;
    strategy: string;
    status: string;
    step: number;
    steps: number;
  } | null;
  /** Commits on HEAD not deployed here yet (null: not a git repository or no git SHA recorded). */
  undeployed: { sha: string; subject: string }[] | null;
  /** Live golden signals per release over the last minute, against the alert thresholds (null: the target measures none). */
  live: {
    seconds: number;
    thresholds: { errorRate: number; p99Ms: number };
    releases: {
      releaseId: string;
      version: string;
      rps: number;
      errorRate: number | null;
      p99Ms: number | null;
      alerts: string[];
    }[];
  } | null;
  analysis: { deployId: string; phase: string; verdict: string; summary: string } | null;
}

/** One deploy of `shipgate history`. */
export interface HistoryEntry {
  id: string;
  kind: string;
  version: string;
  previousVersion: string | null;
  strategy: string;
  status: string;
  actor: string;
  reason: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** `GET /api/environments/:env/history`: a history entry with what changed since the deploy before it. */
export interface HistoryEntryWithDiff extends HistoryEntry {
  diff: {
    /** The previous release's commit .. this one (null: no git commit recorded). */
    commits: { sha: string; subject: string }[] | null;
    /** Migration files this release has and the previous one lacks. */
    migrations: string[];
    flags: { key: string; environment: string | null; action: string; actor: string; at: string }[];
  };
}

/** `GET /api/environments/:env/live`: golden signals per release over the last `seconds`. */
export interface LiveSeries {
  seconds: number;
  thresholds: { errorRate: number; p99Ms: number };
  releases: {
    releaseId: string;
    version: string;
    points: { t: number | string; rps: number; errorRate: number | null; p99Ms: number | null }[];
  }[];
}

export interface TrafficSplit {
  releaseId: string;
  weight: number;
}

/** One step of a deploy's plan (src/deploy/plan.ts): its type and the fields clients show. */
export interface PlanStep {
  type: string;
  hook?: string;
  releaseId?: string | null;
  count?: number | null;
  traffic?: TrafficSplit[];
  durationMs?: number | null;
  via?: string;
  /** wait-ready: the release's running instances (kept warm by an earlier blue-green deploy) are checked again. */
  warm?: boolean;
}

export interface Deploy {
  id: string;
  environment: string;
  kind: "deploy" | "rollback";
  releaseId: string;
  previousReleaseId: string | null;
  previousTraffic: TrafficSplit[];
  strategy: string;
  status: "awaiting_approval" | "running" | "paused" | "succeeded" | "failed" | "rolled_back" | "aborted";
  actor: string;
  reason: string | null;
  plan: PlanStep[];
  /** Why the plan differs from its strategy, as data (DeployDetail.notes has them as sentences). */
  notes: unknown[];
  nextStep: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** A plan step as it ran (the deploy's journal). */
export interface DeployStep {
  deployId: string;
  index: number;
  type: string;
  status: "running" | "succeeded" | "failed" | "skipped";
  detail: Record<string, unknown>;
  startedAt: string;
  finishedAt: string | null;
}

export interface Approval {
  id: string;
  deployId: string;
  approver: string;
  decision: "approved" | "rejected";
  comment: string | null;
  createdAt: string;
  expiresAt: string | null;
}

export interface AnalysisRun {
  id: string;
  deployId: string;
  environment: string;
  stepIndex: number;
  phase: "canary" | "watch";
  canaryReleaseId: string;
  baselineReleaseId: string | null;
  verdict: "running" | "passed" | "failed" | "inconclusive";
  summary: string;
  measurements: Record<string, unknown>[];
  startedAt: string;
  finishedAt: string | null;
}

/** A deploy, rollback, promote, abort or approval the server runs in the background. */
export interface Operation {
  deployId: string;
  environment: string;
  kind: string;
  actor: string;
  startedAt: string;
  state: "running" | "done" | "failed";
  error: { code: string; message: string; hint?: string } | null;
}

/** `GET /api/deploys/:id`: a deploy with its steps, approvals, analyses and the server's operation. */
export interface DeployDetail {
  deploy: Deploy;
  release: { id: string; version: string };
  previous: { id: string; version: string } | null;
  /** Why the plan is not what the strategy alone would do, one sentence each (often none). */
  notes: string[];
  steps: DeployStep[];
  approvals: {
    required: number;
    valid: number;
    approvers: string[];
    expiresAt: string | null;
    expiresAfterMs: number;
    entries: Approval[];
  };
  analyses: AnalysisRun[];
  /** The background operation while it runs, or after it failed (null once done). */
  operation: Operation | null;
}

/** A flag's state in one environment (the fields clients read). */
export interface FlagState {
  enabled: boolean;
  rollout: number;
  killed: boolean;
  updatedAt: string;
  updatedBy: string;
}

/** `GET /api/environments/:env/flags` and `GET /api/flag-definitions`: one flag (the fields clients read). */
export interface FlagListEntry {
  definition: {
    key: string;
    description: string;
    owner: string;
    type: string;
    removalDate: string | null;
    archivedAt: string | null;
  };
  states: { environment: string; state: FlagState | null }[];
}

/** One finding of a `shipgate check` report. */
export interface Finding {
  ruleId: string;
  severity: "error" | "warning" | "info";
  file?: string;
  line?: number;
  message: string;
  help?: string;
  docsUrl?: string;
  suppression?: unknown;
}

/** An item's status (as src/check/types.ts); a "fail" item whose findings are all warnings or approved does not fail the gate: it is counted as warn. */
export type CheckStatus = "pass" | "fail" | "manual" | "skipped";

/**
 * Items by outcome, as the pretty report's tally (✓ ⚠ ✗ manual skipped) shows them: each item is
 * counted once, so the counts add up to the number of items.
 */
export interface CheckCounts {
  pass: number;
  /**
   * Items with status "fail" whose findings are all warnings (or approved): shown ⚠, they do not
   * fail the gate, and `fail` does not count them. Absent in reports stored before it was added,
   * whose `fail` counts them.
   */
  warn?: number;
  /** Items that fail the gate (an unapproved error finding). */
  fail: number;
  manual: number;
  skipped: number;
}

/** One item of a check: a checklist line, its outcome and the findings behind it. */
export interface CheckReportItem {
  /** Stable id, e.g. "migrations.lint". */
  id: string;
  group: string;
  /** The checklist line, e.g. "Migrations pass the linter". */
  title: string;
  status: CheckStatus;
  /** Why it was skipped, what failed, or how to confirm a manual item. */
  detail?: string;
  findings: Finding[];
  durationMs: number;
}

/** A report as `shipgate check --format json` prints it, and as the ledger stores it per commit. */
export interface CheckReport {
  command: "check";
  failed: boolean;
  base: string | null;
  baseLabel: string | null;
  environment: string | null;
  durationMs: number;
  counts: CheckCounts;
  items: CheckReportItem[];
}

/** `GET /api/releases/:id/gate`: a release and the gate report stored for its commit. */
export interface ReleaseGate {
  release: { id: string; version: string; gitSha: string | null };
  gate: {
    id: string;
    gitSha: string;
    environment: string | null;
    passed: boolean;
    summary: string;
    report: CheckReport;
    createdAt: string;
    createdBy: string;
  };
}
