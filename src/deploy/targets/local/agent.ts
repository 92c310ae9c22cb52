/**
 * The local agent: the long-lived process that owns an environment's proxy and instances, so they keep
 * serving after the `shipgate` command that started them exits (or is SIGKILLed).
 *
 * It listens on the public port (weighted, sticky routing over healthy instances) and the preview port
 * (the preview release only), supervises the instances, and answers the control API (control-api.ts)
 * on an ephemeral 127.0.0.1 port whose URL and bearer token it writes to agent.json (mode 0600). Its
 * route state (instance specs with the env sealed, traffic, preview) is written to state.json after
 * every change and restored on start, so an agent restart recovers the environment.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { availableParallelism } from "node:os";
import type { z } from "zod";
import type { LocalTargetConfig } from "../../../config/deploy-schema.js";
import { isShipgateError, ShipgateError } from "../../../core/errors.js";
import { plural } from "../../../core/plural.js";
import { toolVersion } from "../../../core/version.js";
import type { TrafficSplit } from "../../../ledger/types.js";
import {
  defaultSticky,
  type ProxyServer,
  type RoutingTable,
  startProxyServer,
} from "../../../proxy/index.js";
import type { AgentState, DrainOptions, InstanceSpec, StickyConfig, TargetMetrics } from "../types.js";
import {
  type AgentInfo,
  type AgentPaths,
  agentAnswers,
  agentPaths,
  ensureAgentDirs,
  type PersistedState,
  readJsonFile,
  removeFile,
  urlHost,
  writePrivateFile,
} from "./agent-files.js";
import {
  type ErrorBody,
  previewBody,
  shutdownBody,
  startInstancesBody,
  stopInstancesBody,
  trafficBody,
} from "./control-api.js";
import { createExposition } from "./prometheus-exposition.js";
import { createMetricsHistory, createSignalBook } from "./release-signals.js";
import { loadOrCreateKey, sealEnv, unsealEnv } from "./sealed-env.js";
import { createSupervisor, killStaleInstance, type SupervisorOptions } from "./supervisor.js";

export interface AgentOptions {
  /** The directory of shipgate.yaml; target.stateDir is relative to it. */
  configDir: string;
  environment: string;
  target: LocalTargetConfig;
  /** Proxy worker processes; default $SHIPGATE_PROXY_WORKERS, else the cores available (at most 4). 0: in-process. */
  proxyWorkers?: number;
  /** The agent's log lines (default: stdout, which the client sends to agent.log). */
  log?: (line: string) => void;
  supervisor?: Pick<SupervisorOptions, "backoff" | "restartGraceMs" | "startingProbeMs">;
  /** The drain used on SIGTERM/SIGINT and by a shutdown request that names none. */
  shutdownDrain?: DrainOptions;
  /** Stop (keeping the state for the next start) on SIGTERM and SIGINT. Default true. */
  handleSignals?: boolean;
}

export interface ShutdownOptions {
  drain?: DrainOptions;
  /** Forget the instances (an explicit shutdown): the next agent starts empty instead of restoring them. */
  forget?: boolean;
}

export interface Agent {
  readonly info: AgentInfo;
  readonly paths: AgentPaths;
  state(): Promise<AgentState>;
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** Resolves once the agent has stopped. */
  readonly closed: Promise<void>;
}

const defaultShutdownDrain: DrainOptions = { timeoutMs: 10_000, graceMs: 5_000 };

export function defaultProxyWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.SHIPGATE_PROXY_WORKERS;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return Math.max(1, Math.min(4, availableParallelism()));
}

function usage(error: z.ZodError, what: string): ShipgateError {
  return new ShipgateError("USAGE", `invalid ${what} request to the local agent`, {
    details: error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
  });
}

function readBody(req: http.IncomingMessage, limit = 1 << 20): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ShipgateError("USAGE", "the request body is too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ShipgateError("USAGE", "the request body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { environment, target } = options;
  const log =
    options.log ?? ((line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  const paths = agentPaths(options.configDir, target, environment);
  ensureAgentDirs(paths);

  const running = readJsonFile<AgentInfo>(paths.agentFile);
  if (running && running.pid !== process.pid && (await agentAnswers(running))) {
    throw new ShipgateError(
      "TARGET_FAILED",
      `an agent for ${environment} already runs (pid ${running.pid}, ${running.publicUrl})`,
      { hint: "Use it, or stop it first (an explicit shutdown through the control API)." },
    );
  }

  const key = loadOrCreateKey(paths.keyFile);
  const persisted = readJsonFile<PersistedState>(paths.stateFile);
  let traffic: TrafficSplit[] = persisted?.traffic ?? [];
  let sticky: StickyConfig = persisted?.sticky ?? defaultSticky;
  let preview: string | null = persisted?.preview ?? null;
  let tableVersion = 0;
  let persistEnabled = true;
  let proxy: ProxyServer | null = null;
  const sealed = new Map<string, string>();
  const startedAt = new Date().toISOString();
  const signals = createSignalBook();
  const history = createMetricsHistory();
  /** Release id → version, from the specs of the instances started. */
  const versions = new Map<string, string>();

  const supervisor = createSupervisor({
    ...options.supervisor,
    logDir: paths.instanceLogDir,
    log,
    inFlight: async (id) => (proxy ? ((await proxy.stats()).inFlight[id] ?? 0) : 0),
    onOutput: (instance, stream, line) => signals.observeLine(instance.releaseId, stream, line),
    onChange: async () => {
      signals.observeInstances(supervisor.list());
      await refreshRoutes();
      persist();
    },
  });

  function routingTable(): RoutingTable {
    return {
      version: ++tableVersion,
      upstreams: supervisor
        .list()
        .filter((i) => i.state === "healthy")
        .map((i) => ({ instanceId: i.id, releaseId: i.releaseId, host: "127.0.0.1", port: i.port })),
      traffic,
      preview,
      sticky,
    };
  }

  async function refreshRoutes(): Promise<void> {
    if (proxy) await proxy.setTable(routingTable());
  }

  function persist(force = false): void {
    if (!persistEnabled && !force) return;
    const instances = supervisor.list().filter((i) => i.state !== "stopped" && i.state !== "draining");
    const state: PersistedState = {
      version: 1,
      environment,
      traffic,
      sticky,
      preview,
      instances: instances.flatMap((i) => {
        const spec = supervisor.spec(i.id);
        if (!spec) return [];
        let envSealed = sealed.get(i.id);
        if (envSealed === undefined) {
          envSealed = sealEnv(spec.env, key);
          sealed.set(i.id, envSealed);
        }
        return [
          {
            id: i.id,
            releaseId: spec.releaseId,
            cwd: spec.cwd,
            command: spec.command,
            envSealed,
            readiness: spec.readiness,
            liveness: spec.liveness,
            pid: i.pid,
            restarts: i.restarts,
          },
        ];
      }),
      savedAt: new Date().toISOString(),
    };
    writePrivateFile(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }

  const previewPort = target.previewPort ?? target.port + 1;
  proxy = await startProxyServer({
    workers: options.proxyWorkers ?? defaultProxyWorkers(),
    public: { host: target.host, port: target.port },
    preview: { host: target.host, port: previewPort },
    table: routingTable(),
    proxy: target.routeGroups ? { routeGroups: target.routeGroups } : {},
    log,
  }).catch((error: unknown) => {
    if (!isShipgateError(error) || error.hint === undefined) throw error;
    throw new ShipgateError(error.code, error.message, {
      hint: error.hint.replace("<env>", environment),
      details: error.details,
      cause: error,
    });
  });
  const publicUrl = `http://${urlHost(target.host)}:${proxy.publicPort}`;
  const previewUrl = `http://${urlHost(target.host)}:${proxy.previewPort}`;
  log(`proxy on ${publicUrl} (preview ${previewUrl}), ${plural(proxy.workers, "worker")}`);

  async function targetMetrics(): Promise<TargetMetrics> {
    signals.observeInstances(supervisor.list());
    const stats = proxy ? await proxy.stats() : { inFlight: {}, releases: {}, unrouted: 0 };
    return signals.snapshot(stats, versions);
  }

  const sampler = setInterval(() => {
    targetMetrics().then(
      (m) => history.record(m),
      () => undefined,
    );
  }, 5000);
  sampler.unref();

  const exposition = createExposition();
  const metricsServer = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "/").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("see /metrics\n");
      return;
    }
    (async () => {
      const stats = proxy ? await proxy.stats() : { inFlight: {}, releases: {}, unrouted: 0 };
      signals.observeInstances(supervisor.list());
      const body = await exposition.render({
        environment,
        metrics: signals.snapshot(stats, versions),
        instances: supervisor.list(),
        weights: Object.fromEntries(traffic.map((t) => [t.releaseId, t.weight])),
        unrouted: stats.unrouted,
      });
      res.writeHead(200, { "content-type": exposition.contentType }).end(body);
    })().catch((error: unknown) => {
      log(`metrics request failed: ${error instanceof Error ? error.message : error}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const metricsPort = target.metricsPort ?? target.port + 2;
  await new Promise<void>((resolve, reject) => {
    metricsServer.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new ShipgateError(
          "TARGET_FAILED",
          `the metrics port ${metricsPort} on ${target.host} is ${error.code === "EADDRINUSE" ? "in use by another process" : "not available"}`,
          {
            hint: `Stop the process using it, or set environments.${environment}.target.metricsPort in shipgate.yaml.`,
            cause: error,
          },
        ),
      );
    });
    metricsServer.listen(metricsPort, target.host, () => resolve());
  }).catch(async (error: unknown) => {
    clearInterval(sampler);
    await proxy?.close(0);
    throw error;
  });
  const metricsUrl = `http://${urlHost(target.host)}:${metricsPort}/metrics`;

  async function state(): Promise<AgentState> {
    const stats = proxy ? await proxy.stats() : { inFlight: {} as Record<string, number> };
    return {
      environment,
      pid: process.pid,
      publicUrl,
      previewUrl,
      instances: supervisor.list().map((i) => ({ ...i, inFlight: stats.inFlight[i.id] ?? 0 })),
      traffic,
      preview,
      sticky,
      startedAt,
    };
  }

  const token = randomBytes(32).toString("hex");
  const expected = Buffer.from(`Bearer ${token}`);
  let shuttingDown: Promise<void> | null = null;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      sendJson(res, 401, {
        error: { code: "USAGE", message: "missing or wrong bearer token", hint: null, details: [] },
      } satisfies ErrorBody);
      return;
    }
    const url = new URL(req.url ?? "/", "http://agent");
    const route = `${req.method} ${url.pathname}`;
    const logs = /^\/v1\/instances\/([^/]+)\/logs$/.exec(url.pathname);
    if (req.method === "GET" && logs) {
      const id = decodeURIComponent(logs[1] as string);
      const lines = Math.min(500, Number(url.searchParams.get("lines") ?? "20") || 20);
      sendJson(res, 200, { lines: supervisor.logTail(id, lines), file: `${paths.instanceLogDir}/${id}.log` });
      return;
    }
    switch (route) {
      case "GET /v1/state":
        sendJson(res, 200, await state());
        return;
      case "GET /v1/metrics":
        sendJson(res, 200, await targetMetrics());
        return;
      case "GET /v1/metrics/series": {
        const seconds = Math.min(1800, Math.max(5, Number(url.searchParams.get("seconds") ?? "300") || 300));
        sendJson(res, 200, history.series(seconds, await targetMetrics()));
        return;
      }
      case "POST /v1/instances": {
        const body = startInstancesBody.safeParse(await readBody(req));
        if (!body.success) throw usage(body.error, "start instances");
        if (shuttingDown) throw new ShipgateError("TARGET_FAILED", "the agent is shutting down");
        const spec: InstanceSpec = body.data.spec;
        if (spec.env.SHIPGATE_VERSION) versions.set(spec.releaseId, spec.env.SHIPGATE_VERSION);
        const ids: string[] = [];
        try {
          for (let i = 0; i < body.data.count; i++) ids.push((await supervisor.start(spec)).id);
        } finally {
          persist();
        }
        sendJson(res, 200, { ids });
        return;
      }
      case "POST /v1/instances/stop": {
        const body = stopInstancesBody.safeParse(await readBody(req));
        if (!body.success) throw usage(body.error, "stop instances");
        await supervisor.stop(body.data.ids, body.data.drain);
        for (const id of body.data.ids) sealed.delete(id);
        persist();
        sendJson(res, 200, { stopped: body.data.ids });
        return;
      }
      case "PUT /v1/traffic": {
        const body = trafficBody.safeParse(await readBody(req));
        if (!body.success) throw usage(body.error, "set traffic");
        traffic = body.data.traffic;
        if (body.data.sticky) sticky = body.data.sticky;
        await refreshRoutes();
        persist();
        log(`traffic ${traffic.map((t) => `${t.releaseId}=${t.weight}`).join(", ") || "(none)"}`);
        sendJson(res, 200, { traffic });
        return;
      }
      case "PUT /v1/preview": {
        const body = previewBody.safeParse(await readBody(req));
        if (!body.success) throw usage(body.error, "set preview");
        preview = body.data.releaseId;
        await refreshRoutes();
        persist();
        log(`preview ${preview ?? "(none)"}`);
        sendJson(res, 200, { previewUrl });
        return;
      }
      case "POST /v1/shutdown": {
        const body = shutdownBody.safeParse(await readBody(req));
        if (!body.success) throw usage(body.error, "shutdown");
        sendJson(res, 202, { shuttingDown: true });
        setImmediate(() => {
          void shutdown({ forget: true, ...(body.data.drain ? { drain: body.data.drain } : {}) });
        });
        return;
      }
      default:
        sendJson(res, 404, {
          error: { code: "USAGE", message: `no such control request: ${route}`, hint: null, details: [] },
        } satisfies ErrorBody);
    }
  }

  const control = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const e = isShipgateError(error)
        ? error
        : new ShipgateError("INTERNAL", error instanceof Error ? error.message : String(error));
      if (!isShipgateError(error))
        log(`control request failed: ${error instanceof Error ? error.stack : error}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, e.httpStatus, {
        error: { code: e.code, message: e.message, hint: e.hint ?? null, details: e.details },
      } satisfies ErrorBody);
    });
  });
  const controlPort = await new Promise<number>((resolve, reject) => {
    control.once("error", reject);
    control.listen(0, "127.0.0.1", () => {
      const address = control.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  }).catch(async (error: unknown) => {
    await proxy?.close(0);
    metricsServer.close();
    clearInterval(sampler);
    throw error;
  });

  async function shutdown(shutdownOptions: ShutdownOptions = {}): Promise<void> {
    if (shuttingDown) return shuttingDown;
    shuttingDown = (async () => {
      const drain = shutdownOptions.drain ?? options.shutdownDrain ?? defaultShutdownDrain;
      log(`shutting down (${shutdownOptions.forget ? "forgetting" : "keeping"} the instances)`);
      if (shutdownOptions.forget) {
        await supervisor.shutdown(drain);
        persist();
      } else {
        // Keep the instances in state.json: the next agent starts them again.
        persist();
        persistEnabled = false;
        await supervisor.shutdown(drain);
      }
      persistEnabled = false;
      clearInterval(sampler);
      await proxy?.close(1000);
      metricsServer.closeAllConnections();
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      await new Promise<void>((resolve) => control.close(() => resolve()));
      control.closeAllConnections();
      const current = readJsonFile<AgentInfo>(paths.agentFile);
      if (current?.pid === process.pid) removeFile(paths.agentFile);
      log("stopped");
      resolveClosed();
    })();
    return shuttingDown;
  }

  // Restore: instances of the previous agent start again (what is left of their processes is killed first).
  for (const saved of persisted?.instances ?? []) {
    killStaleInstance(saved.pid, saved.id);
    try {
      const spec: InstanceSpec = {
        releaseId: saved.releaseId,
        cwd: saved.cwd,
        command: saved.command,
        env: unsealEnv(saved.envSealed, key),
        readiness: saved.readiness,
        liveness: saved.liveness,
      };
      if (spec.env.SHIPGATE_VERSION) versions.set(spec.releaseId, spec.env.SHIPGATE_VERSION);
      await supervisor.start(spec, { id: saved.id, restarts: saved.restarts });
      log(`restored instance ${saved.id}`);
    } catch (error) {
      log(`could not restore instance ${saved.id}: ${error instanceof Error ? error.message : error}`);
    }
  }
  persist();

  const info: AgentInfo = {
    pid: process.pid,
    environment,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    token,
    publicUrl,
    previewUrl,
    metricsUrl,
    startedAt,
    version: toolVersion,
  };
  writePrivateFile(paths.agentFile, `${JSON.stringify(info, null, 2)}\n`);
  log(`control API on ${info.controlUrl}; Prometheus metrics on ${metricsUrl}; agent.json written`);

  if (options.handleSignals !== false) {
    const onSignal = (signal: string) => {
      log(`${signal} received`);
      void shutdown({ forget: false });
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    void closed.then(() => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    });
  }

  return { info, paths, state, shutdown, closed };
}
