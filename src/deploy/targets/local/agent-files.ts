/**
 * The files of an environment's local agent, under <configDir>/<target.stateDir>/<environment>/:
 *
 *   agent.json      how to reach the running agent: pid, control URL, bearer token (mode 0600)
 *   state.json      its route state: instances (specs, env sealed), traffic, preview (mode 0600)
 *   state.key       the AES-256-GCM key sealing the env in state.json (mode 0600)
 *   agent.log       the agent's own output
 *   instances/      one line-oriented log per instance: <id>.log
 */

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LocalTargetConfig, ProbeConfig } from "../../../config/deploy-schema.js";
import { ensureStateDirOf } from "../../../core/state-dir.js";
import type { TrafficSplit } from "../../../ledger/types.js";
import type { StickyConfig } from "../types.js";

export interface AgentPaths {
  dir: string;
  agentFile: string;
  stateFile: string;
  keyFile: string;
  agentLog: string;
  instanceLogDir: string;
}

export function agentPaths(
  configDir: string,
  target: Pick<LocalTargetConfig, "stateDir">,
  environment: string,
): AgentPaths {
  const dir = join(resolve(configDir, target.stateDir), environment);
  return {
    dir,
    agentFile: join(dir, "agent.json"),
    stateFile: join(dir, "state.json"),
    keyFile: join(dir, "state.key"),
    agentLog: join(dir, "agent.log"),
    instanceLogDir: join(dir, "instances"),
  };
}

export function ensureAgentDirs(paths: AgentPaths): void {
  ensureStateDirOf(paths.instanceLogDir);
  mkdirSync(paths.instanceLogDir, { recursive: true, mode: 0o700 });
}

/** What agent.json holds. */
export interface AgentInfo {
  pid: number;
  environment: string;
  /** The control API, on 127.0.0.1. */
  controlUrl: string;
  /** Bearer token of the control API. */
  token: string;
  publicUrl: string;
  previewUrl: string;
  /** Prometheus scrapes the golden signals here. */
  metricsUrl?: string;
  startedAt: string;
  version: string;
}

/** One instance as persisted: enough to start it again after an agent restart. */
export interface PersistedInstance {
  id: string;
  releaseId: string;
  cwd: string;
  command: string;
  /** The env, sealed with the key file (see sealed-env). */
  envSealed: string;
  readiness: ProbeConfig;
  liveness: ProbeConfig;
  /** The process group last running it (killed before the instance starts again). */
  pid: number | null;
  restarts: number;
}

export interface PersistedState {
  version: 1;
  environment: string;
  traffic: TrafficSplit[];
  sticky: StickyConfig;
  preview: string | null;
  instances: PersistedInstance[];
  savedAt: string;
}

/** Writes a file atomically (temp file + rename) with mode 0600. */
export function writePrivateFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

export function readJsonFile<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

/** The host part of a URL for a listening address (0.0.0.0 is reached as 127.0.0.1). */
export function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Whether an agent answers at the control URL of agent.json (with its token). */
export async function agentAnswers(info: AgentInfo, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`${info.controlUrl}/v1/state`, {
      headers: { authorization: `Bearer ${info.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
