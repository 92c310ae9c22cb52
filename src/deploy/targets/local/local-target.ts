/**
 * The local target: the DeployTarget port implemented by talking to the environment's local agent
 * (agent.ts). When agent.json is missing or the agent does not answer, the agent is started detached
 * (`shipgate agent run --config <file> --environment <env>`, output to agent.log) and awaited, so the
 * proxy and the instances outlive the command that deploys them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { LocalTargetConfig } from "../../../config/deploy-schema.js";
import { type ErrorCode, ShipgateError } from "../../../core/errors.js";
import { pidAlive } from "../../../core/process-identity.js";
import type { TrafficSplit } from "../../../ledger/types.js";
import type {
  AgentState,
  DeployTarget,
  DrainOptions,
  InstanceInfo,
  InstanceSpec,
  ReleaseSeries,
  StickyConfig,
  TargetMetrics,
} from "../types.js";
import {
  type AgentInfo,
  agentAnswers,
  agentPaths,
  ensureAgentDirs,
  type PersistedState,
  readJsonFile,
  removeFile,
  urlHost,
} from "./agent-files.js";
import type { ErrorBody } from "./control-api.js";
import { killStaleInstance } from "./supervisor.js";

export interface LocalTargetOptions {
  /** The directory of shipgate.yaml; target.stateDir is relative to it. */
  configDir: string;
  environment: string;
  target: LocalTargetConfig;
  /** The CLI the agent runs as (default: dist/cli/main.js of this package; a .ts file runs through tsx). */
  cliEntry?: string;
  /** The config file the agent loads (default: shipgate.yaml or shipgate.yml in configDir). */
  configPath?: string;
  /** Extra environment for the agent process (e.g. SHIPGATE_PROXY_WORKERS). */
  agentEnv?: Record<string, string>;
  /** How long to wait for a starting agent. Default 30 s. */
  startTimeoutMs?: number;
  /**
   * Only talk to an agent that already runs; never start one (reads: status, history and the team
   * server's live figures must not start processes). Calls, and ensureRunning, fail with
   * TARGET_FAILED when none runs.
   */
  connectOnly?: boolean;
}

/** The local target, with the agent's extras (state, metrics, logs) beside the port's methods. */
export interface LocalTarget extends DeployTarget {
  readonly kind: "local";
  readonly previewUrl: string;
  state(): Promise<AgentState>;
  /** Per-release golden signals from the proxy, restarts and error signatures (canary analysis reads them). */
  metrics(): Promise<TargetMetrics>;
  series(seconds: number): Promise<Record<string, ReleaseSeries>>;
  /** An instance's last output lines (env secrets masked). */
  logs(instanceId: string, lines?: number): Promise<string[]>;
}

export interface StopLocalAgentOptions {
  configDir: string;
  environment: string;
  target: LocalTargetConfig;
  drain?: DrainOptions;
  /** After this, the agent and what is left of its instances are SIGKILLed. Default: drain + 10 s. */
  timeoutMs?: number;
}

const packageRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
        if (pkg.name === "shipgate") return dir;
      } catch {
        // Not ours; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
})();

function defaultCliEntry(): string {
  const entry = packageRoot ? join(packageRoot, "dist", "cli", "main.js") : undefined;
  if (entry === undefined || !existsSync(entry)) {
    throw new ShipgateError(
      "TARGET_FAILED",
      "cannot find shipgate's CLI (dist/cli/main.js) to start the local agent",
      {
        hint: "Build shipgate with `npm run build`, or reinstall it.",
      },
    );
  }
  return entry;
}

function findConfigPath(configDir: string): string {
  for (const name of ["shipgate.yaml", "shipgate.yml"]) {
    const candidate = join(configDir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new ShipgateError("CONFIG_NOT_FOUND", `no shipgate.yaml in ${configDir} for the local agent`, {
    hint: "Run shipgate from the directory holding shipgate.yaml, or pass --config.",
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether something listens on host:port (a connect succeeds). */
function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host, port });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

function lastLines(file: string, count: number): string[] {
  try {
    const lines = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "");
    return lines.slice(-count);
  } catch {
    return [];
  }
}

function agentUnreachable(environment: string, error: unknown): ShipgateError {
  return new ShipgateError("TARGET_FAILED", `the local agent of ${environment} does not answer`, {
    hint: `Run the command again (shipgate starts the agent when it is not running); its log is under the target's stateDir (${environment}/agent.log).`,
    cause: error,
  });
}

export function createLocalTarget(options: LocalTargetOptions): LocalTarget {
  const { environment, target, configDir } = options;
  const paths = agentPaths(configDir, target, environment);
  const publicUrl = `http://${urlHost(target.host)}:${target.port}`;
  const previewPort = target.previewPort ?? target.port + 1;
  const previewUrl = `http://${urlHost(target.host)}:${previewPort}`;
  let agent: AgentInfo | null = null;
  let starting: Promise<void> | null = null;

  async function call<T>(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<T> {
    if (agent === null) await ensureRunning();
    const info = agent as AgentInfo;
    let res: Response;
    try {
      res = await fetch(`${info.controlUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${info.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      agent = null;
      throw agentUnreachable(environment, error);
    }
    const text = await res.text();
    const parsed = text === "" ? {} : (JSON.parse(text) as unknown);
    if (!res.ok) {
      const e = (parsed as Partial<ErrorBody>).error;
      throw new ShipgateError(
        (e?.code as ErrorCode | undefined) ?? "TARGET_FAILED",
        e?.message ?? `the local agent answered ${res.status}`,
        { ...(e?.hint ? { hint: e.hint } : {}), details: e?.details ?? [] },
      );
    }
    return parsed as T;
  }

  async function connectExisting(): Promise<boolean> {
    const info = readJsonFile<AgentInfo>(paths.agentFile);
    if (info && (await agentAnswers(info))) {
      agent = info;
      return true;
    }
    return false;
  }

  async function spawnAgent(): Promise<void> {
    const role = { port: "public", previewPort: "preview", metricsPort: "metrics" } as const;
    for (const [port, key] of [
      [target.port, "port"],
      [previewPort, "previewPort"],
      [target.metricsPort ?? target.port + 2, "metricsPort"],
    ] as const) {
      if (await portTaken(target.host, port)) {
        throw new ShipgateError(
          "TARGET_FAILED",
          `port ${port} on ${target.host} (the ${role[key]} port of ${environment}) is in use by another process`,
          {
            hint: `Stop that process, or change environments.${environment}.target.${key} in shipgate.yaml.`,
          },
        );
      }
    }
    const entry = options.cliEntry ?? defaultCliEntry();
    const execArgv: string[] = [];
    if (entry.endsWith(".ts")) {
      execArgv.push("--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href);
    }
    const configPath = options.configPath
      ? resolve(configDir, options.configPath)
      : findConfigPath(configDir);
    ensureAgentDirs(paths);
    const logFd = openSync(paths.agentLog, "a", 0o600);
    let child: ChildProcess;
    try {
      child = spawn(
        process.execPath,
        [...execArgv, entry, "agent", "run", "--config", configPath, "--environment", environment],
        {
          cwd: configDir,
          detached: true,
          stdio: ["ignore", logFd, logFd],
          env: { ...process.env, ...options.agentEnv },
        },
      );
    } finally {
      closeSync(logFd);
    }
    let exit: { code: number | null; signal: string | null } | null = null;
    child.once("exit", (code, signal) => {
      exit = { code, signal };
    });
    child.once("error", () => {
      exit = { code: null, signal: null };
    });
    child.unref();
    const until = Date.now() + (options.startTimeoutMs ?? 30_000);
    for (;;) {
      if (await connectExisting()) return;
      if (exit !== null) {
        const { code, signal } = exit;
        throw new ShipgateError(
          "TARGET_FAILED",
          `the local agent of ${environment} exited while starting (${signal ?? `code ${code}`})`,
          { details: lastLines(paths.agentLog, 8), hint: `Its log: ${paths.agentLog}` },
        );
      }
      if (Date.now() > until) {
        throw new ShipgateError("TARGET_FAILED", `the local agent of ${environment} did not start in time`, {
          details: lastLines(paths.agentLog, 8),
          hint: `Its log: ${paths.agentLog}`,
        });
      }
      await delay(100);
    }
  }

  async function ensureRunning(): Promise<void> {
    if (agent !== null && (await agentAnswers(agent))) return;
    agent = null;
    starting ??= (async () => {
      if (await connectExisting()) return;
      if (options.connectOnly) {
        throw new ShipgateError("TARGET_FAILED", `the local agent of ${environment} is not running`, {
          hint: `It starts with the next \`shipgate deploy ${environment}\` or \`shipgate rollback ${environment}\`.`,
        });
      }
      await spawnAgent();
    })().finally(() => {
      starting = null;
    });
    await starting;
  }

  async function state(): Promise<AgentState> {
    return call<AgentState>("GET", "/v1/state");
  }

  async function logs(instanceId: string, lines = 20): Promise<string[]> {
    const body = await call<{ lines: string[] }>(
      "GET",
      `/v1/instances/${encodeURIComponent(instanceId)}/logs?lines=${lines}`,
    );
    return body.lines;
  }

  async function failure(instance: InstanceInfo, why: string): Promise<ShipgateError> {
    const tail = await logs(instance.id, 10).catch(() => []);
    return new ShipgateError("TARGET_FAILED", `instance ${instance.id} of ${instance.releaseId} ${why}`, {
      details: tail,
      hint: `Its full log: ${join(paths.instanceLogDir, `${instance.id}.log`)}. For a slow boot, raise environments.${environment}.startDeadline.`,
    });
  }

  return {
    kind: "local",
    publicUrl,
    previewUrl,
    ensureRunning,
    state,
    logs,
    async startInstances(spec: InstanceSpec, count: number) {
      const { ids } = await call<{ ids: string[] }>("POST", "/v1/instances", { spec, count }, 60_000);
      return ids;
    },
    async waitReady(instanceIds: string[], deadlineMs: number) {
      const until = Date.now() + deadlineMs;
      for (;;) {
        const { instances } = await state();
        let ready = 0;
        for (const id of instanceIds) {
          const instance = instances.find((i) => i.id === id);
          if (instance === undefined) {
            throw new ShipgateError("TARGET_FAILED", `instance ${id} is not running on the local agent`, {
              hint: "It was stopped, or the agent was restarted without it; deploy again.",
            });
          }
          if (instance.state === "healthy") {
            ready++;
            continue;
          }
          if (instance.state === "draining" || instance.state === "stopped") {
            throw await failure(instance, `was stopped before it was ready`);
          }
          if (instance.lastExit !== null) {
            const { code, signal } = instance.lastExit;
            throw await failure(
              instance,
              `exited with ${signal ? `signal ${signal}` : `code ${code}`} before it was ready`,
            );
          }
        }
        if (ready === instanceIds.length) return;
        if (Date.now() >= until) {
          const late = instances.filter((i) => instanceIds.includes(i.id) && i.state !== "healthy");
          const first = late[0] as InstanceInfo;
          throw await failure(
            first,
            `was not ready within ${Math.round(deadlineMs / 1000)} s (${late.length} of ${instanceIds.length} not ready)`,
          );
        }
        await delay(100);
      }
    },
    async instances() {
      return (await state()).instances;
    },
    async setTraffic(traffic: TrafficSplit[], sticky?: StickyConfig) {
      await call("PUT", "/v1/traffic", { traffic, ...(sticky ? { sticky } : {}) });
    },
    async setPreview(releaseId: string | null) {
      const body = await call<{ previewUrl: string }>("PUT", "/v1/preview", { releaseId });
      return body.previewUrl;
    },
    async stopInstances(instanceIds: string[], drain: DrainOptions) {
      await call(
        "POST",
        "/v1/instances/stop",
        { ids: instanceIds, drain },
        drain.timeoutMs + drain.graceMs + 15_000,
      );
    },
    async traffic() {
      return (await state()).traffic;
    },
    async metrics() {
      return call<TargetMetrics>("GET", "/v1/metrics");
    },
    async series(seconds) {
      return call<Record<string, ReleaseSeries>>("GET", `/v1/metrics/series?seconds=${Math.round(seconds)}`);
    },
  };
}

/**
 * Stops an environment's agent: drains and stops its instances, closes the proxy, and forgets the
 * instances (the next agent starts empty). When it does not stop in time, it and what is left of its
 * instances are SIGKILLed. Resolves false when no agent was running.
 */
export async function stopLocalAgent(options: StopLocalAgentOptions): Promise<boolean> {
  const paths = agentPaths(options.configDir, options.target, options.environment);
  const info = readJsonFile<AgentInfo>(paths.agentFile);
  if (info === null || !pidAlive(info.pid)) {
    if (info !== null) removeFile(paths.agentFile);
    return false;
  }
  const drain = options.drain ?? { timeoutMs: 5000, graceMs: 3000 };
  const until = Date.now() + (options.timeoutMs ?? drain.timeoutMs + drain.graceMs + 10_000);
  try {
    await fetch(`${info.controlUrl}/v1/shutdown`, {
      method: "POST",
      headers: { authorization: `Bearer ${info.token}`, "content-type": "application/json" },
      body: JSON.stringify({ drain }),
      signal: AbortSignal.timeout(5000),
    }).then((res) => res.arrayBuffer());
  } catch {
    // It does not answer: the kill below ends it.
  }
  while (pidAlive(info.pid) && Date.now() < until) await delay(50);
  if (pidAlive(info.pid)) {
    const state = readJsonFile<PersistedState>(paths.stateFile);
    try {
      process.kill(info.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
    for (const instance of state?.instances ?? []) killStaleInstance(instance.pid, instance.id);
    removeFile(paths.agentFile);
  }
  return true;
}
