/**
 * The team API's wire types as the dashboard reads them (docs/team-server.md). The dashboard is
 * compiled on its own for the browser, so these mirror the server's types instead of importing them.
 */

export type Role = "viewer" | "deployer" | "approver" | "admin";

export interface Me {
  name: string;
  role: Role;
  environment: string | null;
}

export interface SessionAnswer {
  principal: Me;
  csrfToken: string;
}

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

export interface StatusResult {
  environment: string;
  url: string;
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
  undeployed: { sha: string; subject: string }[] | null;
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

/** One step of a deploy plan (src/deploy/plan.ts); only the fields the dashboard shows. */
export interface PlanStep {
  type: string;
  hook?: string;
  releaseId?: string | null;
  count?: number | null;
  traffic?: { releaseId: string; weight: number }[];
  durationMs?: number | null;
  via?: string;
}

export interface Deploy {
  id: string;
  environment: string;
  kind: string;
  releaseId: string;
  previousReleaseId: string | null;
  strategy: string;
  status: string;
  actor: string;
  reason: string | null;
  plan: PlanStep[];
  nextStep: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface DeployStep {
  index: number;
  type: string;
  status: "running" | "succeeded" | "failed" | "skipped";
  startedAt: string;
  finishedAt: string | null;
}

export interface Approval {
  id: string;
  approver: string;
  decision: "approved" | "rejected";
  comment: string | null;
  createdAt: string;
  expiresAt: string | null;
}

export interface AnalysisRun {
  id: string;
  stepIndex: number;
  phase: string;
  verdict: string;
  summary: string;
  measurements: Record<string, unknown>[];
  startedAt: string;
  finishedAt: string | null;
}

export interface DeployDetail {
  deploy: Deploy;
  release: { id: string; version: string };
  previous: { id: string; version: string } | null;
  steps: DeployStep[];
  approvals: { required: number; valid: number; expiresAfterMs: number; entries: Approval[] };
  analyses: AnalysisRun[];
}

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
  diff: {
    commits: { sha: string; subject: string }[] | null;
    migrations: string[];
    flags: { key: string; environment: string | null; action: string; actor: string; at: string }[];
  };
}

export interface LiveSeries {
  thresholds: { errorRate: number; p99Ms: number };
  releases: {
    releaseId: string;
    version: string;
    points: { t: number | string; rps: number; errorRate: number | null; p99Ms: number | null }[];
  }[];
}

export interface FlagState {
  enabled: boolean;
  rollout: number;
  killed: boolean;
  updatedAt: string;
  updatedBy: string;
}

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

export interface GateReport {
  files?: { path: string }[];
  findings: Finding[];
  summary?: { errors: number; warnings: number; infos: number; suppressed: number };
}
