/**
 * The deploy target port: what the executor asks of the place releases run. Two adapters: the local
 * target (supervised processes behind shipgate's proxy, driven through the local agent) and the
 * command target (the user's own deploy/switch/rollback commands).
 */
import type { ProbeConfig } from "../../config/deploy-schema.js";
import type { TrafficSplit } from "../../ledger/types.js";
import type { ReleaseMetrics } from "../../proxy/traffic-metrics.js";

/** An instance's named states (kamal-proxy style): starting → healthy ⇄ unhealthy → draining → stopped. */
export type InstanceState = "starting" | "healthy" | "unhealthy" | "draining" | "stopped";

export interface InstanceInfo {
  id: string;
  releaseId: string;
  port: number;
  /** The running process, null between a crash and its restart, or once stopped. */
  pid: number | null;
  state: InstanceState;
  /** Restarts after crashes or failed liveness probes (a canary signal). */
  restarts: number;
  startedAt: string;
  /** The last exit, when the process exited. */
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  /** Requests being served by this instance now. */
  inFlight: number;
}

/** What the executor needs to start instances of a release. */
export interface InstanceSpec {
  releaseId: string;
  /** The stored artifact directory, the instance's working directory. */
  cwd: string;
  /** Run through the shell; PORT is added. */
  command: string;
  /** The release's env snapshot, plus SHIPGATE_RELEASE_ID and SHIPGATE_VERSION. */
  env: Record<string, string>;
  readiness: ProbeConfig;
  liveness: ProbeConfig;
}

export interface DrainOptions {
  /** Wait this long for in-flight requests after the instance leaves rotation. */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
}

/** Canary stickiness: a request's key (header, else cookie) hashes to a fixed point in 0..100. */
export interface StickyConfig {
  header: string;
  cookie: string;
}

/** The local agent's whole state, as its control API returns it. */
export interface AgentState {
  environment: string;
  pid: number;
  publicUrl: string;
  previewUrl: string;
  instances: InstanceInfo[];
  traffic: TrafficSplit[];
  /** The release the preview port routes to, if any. */
  preview: string | null;
  sticky: StickyConfig;
  startedAt: string;
}

/** One error signature seen in a release's instance output (see analysis/error-signature). */
export interface ErrorSignatureCount {
  signature: string;
  count: number;
  /** One line that produced it (masked, cut). */
  sample: string;
  firstSeen: string;
  lastSeen: string;
}

/** What a target measures for one release: the proxy's golden signals, restarts and error types. */
export interface ReleaseSignals {
  /** The release's version (from its instances), null when no instance of it is known. */
  version: string | null;
  traffic: ReleaseMetrics;
  /** Restarts of the release's instances since the agent started (crashes, failed liveness). */
  restarts: number;
  /** Output lines recognised as errors. */
  errorLines: number;
  /** Distinct error signatures, most frequent first (at most 100 kept per release). */
  errors: ErrorSignatureCount[];
}

/** A snapshot of a target's counters; an interval is the difference of two snapshots. */
export interface TargetMetrics {
  at: string;
  releases: Record<string, ReleaseSignals>;
}

/** One point of a release's recent history (the agent samples every few seconds). */
export interface SeriesPoint {
  t: string;
  requests: number;
  /** Requests per second over the point's interval. */
  rps: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface ReleaseSeries {
  points: SeriesPoint[];
  /** The whole span as one point (null with fewer than two samples). */
  span: SeriesPoint | null;
}

/**
 * The target port. Every method is idempotent where it can be (starting what exists, stopping what
 * is gone), because a deploy interrupted by SIGKILL is resumed or rolled back by another process.
 */
export interface DeployTarget {
  readonly kind: "local" | "command";
  /** The URL users reach (the proxy's public port for the local target). */
  readonly publicUrl: string;
  /** Makes the target reachable (the local target starts its agent when it is not running). */
  ensureRunning(): Promise<void>;
  /** Starts `count` more instances of the release; returns their ids. */
  startInstances(spec: InstanceSpec, count: number): Promise<string[]>;
  /** Resolves when every listed instance is healthy; rejects with the reason when one crashes or the deadline passes. */
  waitReady(instanceIds: string[], deadlineMs: number): Promise<void>;
  instances(): Promise<InstanceInfo[]>;
  /** Routes traffic; weights sum to 100 and only healthy, non-draining instances receive requests. */
  setTraffic(traffic: TrafficSplit[], sticky?: StickyConfig): Promise<void>;
  /** Points the preview port at a release (null: nothing); returns the preview URL. */
  setPreview(releaseId: string | null): Promise<string>;
  /** Takes instances out of rotation, waits for in-flight requests, then SIGTERM, then SIGKILL. */
  stopInstances(instanceIds: string[], drain: DrainOptions): Promise<void>;
  traffic(): Promise<TrafficSplit[]>;
  /** Golden signals per release (targets without their own proxy have none: analysis then needs PromQL metrics). */
  metrics?(): Promise<TargetMetrics>;
  /** Recent per-release history, the last `seconds` (for status and the dashboard). */
  series?(seconds: number): Promise<Record<string, ReleaseSeries>>;
}
