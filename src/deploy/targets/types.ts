/**
 * The deploy target port: what the executor asks of the place releases run. Two adapters: the local
 * target (supervised processes behind shipgate's proxy, driven through the local agent) and the
 * command target (the user's own deploy/switch/rollback commands).
 */
import type { ProbeConfig } from "../../config/deploy-schema.js";
import type { TrafficSplit } from "../../ledger/types.js";

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
}
