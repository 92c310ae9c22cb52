/**
 * The process supervisor of the local target. Each instance runs its release's command through the
 * shell, in its own process group (so the whole tree can be signalled), with PORT set to a free port.
 * Probes move it through named states:
 *
 *   starting → healthy ⇄ unhealthy → draining → stopped
 *
 * A crash is followed by a restart after an exponential, capped backoff; a liveness failure past its
 * threshold restarts the instance; both count as restarts (a canary signal). Stopping drains: the
 * instance leaves rotation first, in-flight requests get up to a timeout, then SIGTERM, then SIGKILL
 * after the grace period.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { ShipgateError } from "../../../core/errors.js";
import type { DrainOptions, InstanceInfo, InstanceSpec, InstanceState } from "../types.js";
import { countProbe, type ProbeCounter, probeHttp } from "./health-probe.js";
import { createInstanceLog, type InstanceLog, secretValues } from "./instance-log.js";

/** The allowed moves between named states. */
export const instanceTransitions: Readonly<Record<InstanceState, readonly InstanceState[]>> = {
  // unhealthy: crashed (or failed liveness) before or after being ready; it restarts from there.
  starting: ["healthy", "unhealthy", "draining"],
  healthy: ["unhealthy", "draining"],
  unhealthy: ["starting", "healthy", "draining"],
  draining: ["stopped"],
  stopped: [],
};

export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return instanceTransitions[from].includes(to);
}

export interface BackoffOptions {
  /** Delay before the first restart. */
  initialMs: number;
  /** The delay doubles per consecutive crash up to this. */
  maxMs: number;
  /** A process that ran this long before crashing starts the count again. */
  resetAfterMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

/** The wait before restart number `consecutiveCrashes` (1-based): initial × 2^(n−1), capped. */
export function restartDelayMs(consecutiveCrashes: number, backoff: BackoffOptions = defaultBackoff): number {
  const n = Math.max(1, consecutiveCrashes);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(n - 1, 30));
}

export interface SupervisorOptions {
  /** Where each instance's log file (<id>.log) goes. */
  logDir: string;
  /** The address instances listen on and are probed at. Default 127.0.0.1. */
  host?: string;
  /** Environment children start from, before the spec's env (PATH, HOME, …). Default: this process's. */
  baseEnv?: NodeJS.ProcessEnv;
  backoff?: Partial<BackoffOptions>;
  /** Time between SIGTERM and SIGKILL when liveness restarts an instance. Default 5 s. */
  restartGraceMs?: number;
  /** A starting instance is probed this often (or at its readiness interval, if shorter). Default 200 ms. */
  startingProbeMs?: number;
  /** Requests the proxy is serving on an instance; drain waits for 0. Default: always 0. */
  inFlight?: (instanceId: string) => Promise<number>;
  /** Called after every state change; stop() waits for it (routing must have followed) before draining. */
  onChange?: (instance: InstanceInfo, why: string) => void | Promise<void>;
  /** Lifecycle lines for the agent's log. */
  log?: (line: string) => void;
  /** Every output line of an instance (masked), e.g. to count error signatures per release. */
  onOutput?: (instance: { id: string; releaseId: string }, stream: "out" | "err", line: string) => void;
}

export interface StartOptions {
  /** Reuse this id (an agent restoring its state); default: a new one. */
  id?: string;
  /** Restarts counted before (restored state). */
  restarts?: number;
}

export interface Supervisor {
  /** Starts one instance; resolves once its process is spawned (state starting). */
  start(spec: InstanceSpec, options?: StartOptions): Promise<InstanceInfo>;
  /** Drains and stops instances; unknown or stopped ids are ignored. */
  stop(ids: readonly string[], drain: DrainOptions): Promise<void>;
  /** Every instance not stopped, then the most recently stopped ones. */
  list(): InstanceInfo[];
  get(id: string): InstanceInfo | undefined;
  spec(id: string): InstanceSpec | undefined;
  /** The instance's last output lines (masked), oldest first. */
  logTail(id: string, lines?: number): string[];
  /** Stops every instance (drained) and closes the logs. */
  shutdown(drain: DrainOptions): Promise<void>;
}

interface Managed {
  info: InstanceInfo;
  spec: InstanceSpec;
  log: InstanceLog;
  child: ChildProcess | null;
  /** Increments per spawn; timers and probes of an older process are ignored. */
  generation: number;
  spawnedAt: number;
  readiness: ProbeCounter;
  liveness: ProbeCounter;
  consecutiveCrashes: number;
  stopping: boolean;
  timers: Set<NodeJS.Timeout>;
  exited: Promise<void>;
  onExited: () => void;
}

const keptStopped = 16;

/** A free TCP port on host (the OS picks it). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function signalGroup(pid: number | null | undefined, signal: NodeJS.Signals): boolean {
  if (pid === null || pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether the process group led by pid has any process left. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Kills what is left of an instance started by an earlier agent (one that was SIGKILLed): the process
 * group of `pid`, but only when that process is still the instance (its environment names the id).
 */
export function killStaleInstance(pid: number | null, instanceId: string): boolean {
  if (pid === null || !groupAlive(pid)) return false;
  const environ = `/proc/${pid}/environ`;
  if (existsSync(environ)) {
    try {
      const vars = readFileSync(environ, "latin1").split("\0");
      if (!vars.includes(`SHIPGATE_INSTANCE_ID=${instanceId}`)) return false;
    } catch {
      return false;
    }
  }
  return signalGroup(pid, "SIGKILL");
}

/**
 * The shell command line for an instance: a simple command (no operators, redirections or
 * substitutions) is exec'd, so the application itself leads the process group and receives SIGTERM
 * directly instead of through a shell that would die first.
 */
export function shellCommand(command: string): string {
  const trimmed = command.trim();
  if (/^exec\s/.test(trimmed) || /[;&|<>()`$\n\\]/.test(trimmed)) return trimmed;
  return `exec ${trimmed}`;
}

/**
 * `/bin/sh -c` script of an orphan guard; $1 is the instance's process group, $2 the grace in
 * seconds. It reads its stdin (a pipe from the agent, never written to) until end of file, which only
 * comes when the agent's end closes, then SIGTERMs the group, waits up to the grace for it to exit,
 * and SIGKILLs what is left. (`kill -TERM -<pgid>`: dash rejects `kill -s TERM -- -<pgid>`.)
 */
const orphanGuardScript = [
  "while read -r _; do :; done",
  "kill -TERM -$1 2>/dev/null || exit 0",
  "i=0",
  'while [ $i -lt "$2" ] && kill -0 -$1 2>/dev/null; do sleep 1; i=$((i + 1)); done',
  "kill -KILL -$1 2>/dev/null",
].join("\n");

/**
 * Starts the guard that stops an instance's process group when the agent dies without stopping it
 * (SIGKILL, the OOM killer): without it, a killed agent's instances kept running, unrouted, until the
 * next agent killed them. The guard is the agent's own child in its own process group, so signals to
 * the instance's group or the agent's never reach it, and the agent reaps it; the agent kills it once
 * the instance's process has exited. It costs one idle `sh` per instance.
 */
export function startOrphanGuard(instancePid: number, graceSeconds = 10): ChildProcess {
  const args = ["-c", orphanGuardScript, "shipgate-orphan-guard", String(instancePid), String(graceSeconds)];
  const guard = spawn("/bin/sh", args, { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  guard.stdin?.on("error", () => {}); // a guard killed by the agent closes the pipe: expected
  guard.on("error", () => {}); // no /bin/sh: the instance runs unguarded, as before guards existed
  return guard;
}

/** Resolves once no process of the group led by pid is left, or after timeoutMs (false). */
async function groupGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() >= until) return false;
    await delay(25);
  }
  return true;
}

function newInstanceId(releaseId: string): string {
  return `${releaseId}-${randomBytes(3).toString("hex")}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const host = options.host ?? "127.0.0.1";
  const backoff: BackoffOptions = { ...defaultBackoff, ...options.backoff };
  const restartGraceMs = options.restartGraceMs ?? 5000;
  const startingProbeMs = options.startingProbeMs ?? 200;
  const log = options.log ?? (() => undefined);
  const inFlight = options.inFlight ?? (async () => 0);
  const baseEnv = options.baseEnv ?? process.env;
  const active = new Map<string, Managed>();
  const stopped: InstanceInfo[] = [];

  function changed(m: Managed, why: string): void | Promise<void> {
    return options.onChange?.({ ...m.info }, why);
  }

  function move(m: Managed, to: InstanceState, why: string): void | Promise<void> {
    const from = m.info.state;
    if (from === to) return;
    if (!canTransition(from, to)) return;
    m.info.state = to;
    m.log.note(`state ${from} → ${to}: ${why}`);
    log(`instance ${m.info.id}: ${from} → ${to} (${why})`);
    return changed(m, why);
  }

  function later(m: Managed, ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      m.timers.delete(timer);
      fn();
    }, ms);
    m.timers.add(timer);
  }

  function clearTimers(m: Managed): void {
    for (const t of m.timers) clearTimeout(t);
    m.timers.clear();
  }

  function probeReadiness(m: Managed, generation: number): void {
    const config = m.spec.readiness;
    const every = m.info.state === "starting" ? Math.min(config.interval, startingProbeMs) : config.interval;
    later(m, every, async () => {
      if (m.generation !== generation || m.stopping || m.child === null) return;
      const result = await probeHttp(host, m.info.port, config.path, config.timeout);
      if (m.generation !== generation || m.stopping || m.child === null) return;
      const { counter, verdict } = countProbe(m.readiness, result.ok, config);
      m.readiness = counter;
      if (verdict === "pass" && m.info.state !== "healthy") {
        const first = m.info.state === "starting";
        await move(m, "healthy", `readiness ${config.path} passed (${result.detail})`);
        if (first) probeLiveness(m, generation);
      } else if (verdict === "fail" && m.info.state === "healthy") {
        await move(
          m,
          "unhealthy",
          `readiness ${config.path} failed ${counter.failures} times (${result.detail})`,
        );
      }
      probeReadiness(m, generation);
    });
  }

  /** Liveness starts once the instance was first ready, so a slow boot is never killed for it. */
  function probeLiveness(m: Managed, generation: number): void {
    const config = m.spec.liveness;
    later(m, config.interval, async () => {
      if (m.generation !== generation || m.stopping || m.child === null) return;
      const result = await probeHttp(host, m.info.port, config.path, config.timeout);
      if (m.generation !== generation || m.stopping || m.child === null) return;
      const { counter, verdict } = countProbe(m.liveness, result.ok, config);
      m.liveness = counter;
      if (verdict === "fail") {
        const pid = m.child.pid;
        const why = `liveness ${config.path} failed ${counter.failures} times (${result.detail}); restarting`;
        await move(m, "unhealthy", why);
        signalGroup(pid, "SIGTERM");
        later(m, restartGraceMs, () => {
          if (m.generation === generation) signalGroup(pid, "SIGKILL");
        });
        return;
      }
      probeLiveness(m, generation);
    });
  }

  async function spawnProcess(m: Managed): Promise<void> {
    if (!existsSync(m.spec.cwd)) {
      throw new ShipgateError(
        "TARGET_FAILED",
        `the release directory ${m.spec.cwd} of ${m.spec.releaseId} does not exist`,
        { hint: "The artifact store lost it; deploy the release again with `shipgate deploy <env>`." },
      );
    }
    const port = await freePort(host);
    const generation = ++m.generation;
    m.info.port = port;
    m.readiness = { successes: 0, failures: 0 };
    m.liveness = { successes: 0, failures: 0 };
    const child = spawn(shellCommand(m.spec.command), {
      shell: true,
      cwd: m.spec.cwd,
      env: { ...baseEnv, ...m.spec.env, PORT: String(port), SHIPGATE_INSTANCE_ID: m.info.id },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid !== undefined) {
      const guard = startOrphanGuard(child.pid);
      child.once("exit", () => guard.kill("SIGKILL"));
    }
    m.child = child;
    m.spawnedAt = Date.now();
    m.info.pid = child.pid ?? null;
    m.info.startedAt = new Date(m.spawnedAt).toISOString();
    child.stdout?.on("data", (chunk: Buffer) => m.log.write("out", chunk));
    child.stderr?.on("data", (chunk: Buffer) => m.log.write("err", chunk));
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      void handleExit(m, generation, child, code, signal);
    };
    child.once("exit", onExit);
    child.once("error", (error) => {
      m.log.note(`could not start: ${error.message}`);
      onExit(null, null);
    });
    m.log.note(`started pid ${child.pid ?? "?"} on port ${port}: ${m.spec.command}`);
    log(`instance ${m.info.id}: pid ${child.pid ?? "?"} on port ${port}`);
    await move(m, "starting", `process started on port ${port}`);
    probeReadiness(m, generation);
  }

  async function handleExit(
    m: Managed,
    generation: number,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    if (m.generation !== generation) return;
    // A crash: leftovers of the tree (a shell's children) go with it. When stopping, stopOne gives
    // the rest of the group its grace period.
    if (!m.stopping) signalGroup(child.pid, "SIGKILL");
    clearTimers(m);
    m.child = null;
    m.info.pid = null;
    m.info.lastExit = { code, signal, at: new Date().toISOString() };
    const how = signal ? `signal ${signal}` : `code ${code}`;
    m.log.note(`exited with ${how}`);
    if (m.stopping) {
      m.onExited();
      return;
    }
    const ranMs = Date.now() - m.spawnedAt;
    m.consecutiveCrashes = ranMs >= backoff.resetAfterMs ? 1 : m.consecutiveCrashes + 1;
    m.info.restarts++;
    const wait = restartDelayMs(m.consecutiveCrashes, backoff);
    log(`instance ${m.info.id}: exited with ${how}; restart ${m.info.restarts} in ${wait} ms`);
    if (m.info.state === "unhealthy") await changed(m, `exited with ${how}`);
    else await move(m, "unhealthy", `exited with ${how}; restarting in ${wait} ms`);
    later(m, wait, () => {
      if (m.stopping || m.generation !== generation) return;
      spawnProcess(m).catch((error: Error) => {
        m.log.note(`restart failed: ${error.message}`);
        log(`instance ${m.info.id}: restart failed: ${error.message}`);
      });
    });
  }

  async function stopOne(m: Managed, drain: DrainOptions): Promise<void> {
    if (m.stopping) return m.exited;
    m.stopping = true;
    clearTimers(m);
    // Out of rotation first: the routing table no longer names it once this resolves.
    await move(m, "draining", "stopping");
    const until = Date.now() + drain.timeoutMs;
    while (m.child !== null && Date.now() < until && (await inFlight(m.info.id)) > 0) await delay(50);
    const pid = m.child?.pid;
    if (pid !== undefined) {
      m.log.note("SIGTERM");
      signalGroup(pid, "SIGTERM");
      const graceEnd = Date.now() + drain.graceMs;
      const leaderExited = await Promise.race([
        m.exited.then(() => true),
        delay(drain.graceMs).then(() => false),
      ]);
      const gone = leaderExited && (await groupGone(pid, Math.max(0, graceEnd - Date.now())));
      if (!gone) {
        m.log.note(`still running ${drain.graceMs} ms after SIGTERM: SIGKILL`);
        log(`instance ${m.info.id}: SIGKILL after ${drain.graceMs} ms grace`);
        signalGroup(pid, "SIGKILL");
        await Promise.race([m.exited, delay(5000)]);
        await groupGone(pid, 2000);
      }
    }
    m.child = null;
    m.info.pid = null;
    active.delete(m.info.id);
    await move(m, "stopped", "stopped");
    stopped.push({ ...m.info, inFlight: 0 });
    if (stopped.length > keptStopped) stopped.shift();
    await m.log.close();
  }

  return {
    async start(spec, startOptions = {}) {
      const id = startOptions.id ?? newInstanceId(spec.releaseId);
      const existing = active.get(id);
      if (existing) return { ...existing.info };
      let onExited: () => void = () => undefined;
      const exited = new Promise<void>((resolve) => {
        onExited = resolve;
      });
      const m: Managed = {
        info: {
          id,
          releaseId: spec.releaseId,
          port: 0,
          pid: null,
          state: "starting",
          restarts: startOptions.restarts ?? 0,
          startedAt: new Date().toISOString(),
          lastExit: null,
          inFlight: 0,
        },
        spec,
        log: createInstanceLog({
          file: join(options.logDir, `${id}.log`),
          mask: secretValues(spec.env),
          ...(options.onOutput
            ? {
                onLine: (stream, line) => options.onOutput?.({ id, releaseId: spec.releaseId }, stream, line),
              }
            : {}),
        }),
        child: null,
        generation: 0,
        spawnedAt: Date.now(),
        readiness: { successes: 0, failures: 0 },
        liveness: { successes: 0, failures: 0 },
        consecutiveCrashes: 0,
        stopping: false,
        timers: new Set(),
        exited,
        onExited: () => onExited(),
      };
      active.set(id, m);
      try {
        await spawnProcess(m);
      } catch (error) {
        active.delete(id);
        await m.log.close();
        throw error;
      }
      return { ...m.info };
    },
    async stop(ids, drain) {
      await Promise.all(
        ids.map((id) => {
          const m = active.get(id);
          return m ? stopOne(m, drain) : Promise.resolve();
        }),
      );
    },
    list() {
      return [...[...active.values()].map((m) => ({ ...m.info })), ...stopped.map((i) => ({ ...i }))];
    },
    get(id) {
      const m = active.get(id);
      if (m) return { ...m.info };
      const s = stopped.find((i) => i.id === id);
      return s ? { ...s } : undefined;
    },
    spec(id) {
      return active.get(id)?.spec;
    },
    logTail(id, lines = 20) {
      return active.get(id)?.log.tail(lines) ?? [];
    },
    async shutdown(drain) {
      await Promise.all([...active.values()].map((m) => stopOne(m, drain)));
    },
  };
}
