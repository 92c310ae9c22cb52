/**
 * The proxy as the agent runs it: the public and preview listeners served either in this process or
 * by a cluster of worker processes (node:cluster) sharing the listening ports, the primary owning the
 * routing table and broadcasting it. One Node process tops out at about one core of proxying; the
 * workers let the proxy use the machine's other cores (see docs/adr/0012-local-agent.md).
 */
import cluster, { type Worker } from "node:cluster";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ShipgateError } from "../core/errors.js";
import type { Listener, ProxyMessage, WorkerMessage } from "./proxy-messages.js";
import { createReverseProxy, type ReverseProxyOptions } from "./reverse-proxy.js";
import { emptyRoutingTable, type RoutingTable } from "./routing-table.js";
import { mergeStats, type ProxyStats } from "./traffic-metrics.js";

export interface ProxyServerOptions {
  public: Listener;
  preview: Listener;
  /** Worker processes sharing the listeners; 0 serves them in this process. */
  workers: number;
  table?: RoutingTable;
  proxy?: Omit<ReverseProxyOptions, "table">;
  /** Where worker lifecycle events are reported. */
  log?: (line: string) => void;
}

export interface ProxyServer {
  readonly publicPort: number;
  readonly previewPort: number;
  readonly workers: number;
  /** Applies a routing table; resolves once every worker routes by it. */
  setTable(table: RoutingTable): Promise<void>;
  /** In-flight requests and per-release outcomes, summed over the workers. */
  stats(): Promise<ProxyStats>;
  close(graceMs?: number): Promise<void>;
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  return options.workers <= 0 ? startInProcess(options) : startCluster(options);
}

async function startInProcess(options: ProxyServerOptions): Promise<ProxyServer> {
  const proxy = createReverseProxy({ ...options.proxy, table: options.table ?? emptyRoutingTable });
  let publicPort: number;
  let previewPort: number;
  try {
    publicPort = await proxy.listen("public", options.public.host, options.public.port);
    previewPort = await proxy.listen("preview", options.preview.host, options.preview.port);
  } catch (error) {
    await proxy.close(0);
    throw error;
  }
  return {
    publicPort,
    previewPort,
    workers: 0,
    async setTable(table) {
      proxy.setTable(table);
    },
    async stats() {
      return proxy.stats();
    },
    close: (graceMs) => proxy.close(graceMs),
  };
}

/** The worker entry next to this module (.ts when running from source through tsx, else .js). */
function workerEntry(): { file: string; execArgv: string[] } {
  const self = import.meta.url;
  const ts = self.endsWith(".ts");
  const file = fileURLToPath(new URL(`./proxy-worker.${ts ? "ts" : "js"}`, self));
  const execArgv = process.execArgv.filter((a) => !a.startsWith("--inspect"));
  if (ts && !execArgv.some((a) => a.includes("tsx"))) {
    const loader = createRequire(self).resolve("tsx");
    execArgv.push("--import", pathToFileURL(loader).href);
  }
  return { file, execArgv };
}

function waitFor<T extends WorkerMessage["type"]>(
  worker: Worker,
  type: T | T[],
  timeoutMs: number,
  accept: (m: Extract<WorkerMessage, { type: T }>) => boolean = () => true,
): Promise<Extract<WorkerMessage, { type: T }>> {
  const types = Array.isArray(type) ? type : [type];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`proxy worker ${worker.process.pid} did not answer ${types.join("/")}`));
    }, timeoutMs);
    const onMessage = (m: WorkerMessage) => {
      if ((types as string[]).includes(m.type) && accept(m as Extract<WorkerMessage, { type: T }>)) {
        cleanup();
        resolve(m as Extract<WorkerMessage, { type: T }>);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`proxy worker ${worker.process.pid} exited (${signal ?? `code ${code}`})`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.on("exit", onExit);
  });
}

async function startCluster(options: ProxyServerOptions): Promise<ProxyServer> {
  const log = options.log ?? (() => undefined);
  const entry = workerEntry();
  cluster.setupPrimary({ exec: entry.file, execArgv: entry.execArgv, args: [] });
  let table = options.table ?? emptyRoutingTable;
  let closing = false;
  let ports = { public: options.public.port, preview: options.preview.port };
  /** Workers serving (they get table updates and stats requests). */
  const workers = new Set<Worker>();
  /** Every worker forked and not yet exited (closed at the end). */
  const spawned = new Set<Worker>();
  let statsId = 0;

  async function spawnWorker(): Promise<Worker> {
    const worker = cluster.fork();
    spawned.add(worker);
    // Joins `workers` (and receives table updates) once it listens with the table current then.
    worker.on("exit", (code, signal) => {
      spawned.delete(worker);
      workers.delete(worker);
      if (closing) return;
      log(`proxy worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
      spawnWorker().catch((error: Error) => log(`proxy worker failed to start: ${error.message}`));
    });
    await waitFor(worker, "ready", 30_000);
    const listen = {
      type: "listen" as const,
      // The requested ports, not the bound ones: node:cluster shares one handle per requested address,
      // so every worker asking for port 0 gets the port the first one bound.
      public: options.public,
      preview: options.preview,
      table,
      options: options.proxy ?? {},
    } satisfies ProxyMessage;
    worker.send(listen);
    const answer = await waitFor(worker, ["listening", "listen-failed"], 30_000);
    if (answer.type === "listen-failed") {
      throw new ShipgateError("TARGET_FAILED", answer.message, answer.hint ? { hint: answer.hint } : {});
    }
    ports = { public: answer.publicPort, preview: answer.previewPort };
    workers.add(worker);
    // A table changed while this worker was starting: send the current one.
    if (table !== listen.table) worker.send({ type: "table", table } satisfies ProxyMessage);
    return worker;
  }

  async function closeAll(graceMs: number): Promise<void> {
    closing = true;
    await Promise.all(
      [...spawned].map(async (worker) => {
        const exited = new Promise<void>((resolve) => {
          if (worker.isDead()) resolve();
          else worker.once("exit", () => resolve());
        });
        try {
          worker.send({ type: "close", graceMs } satisfies ProxyMessage);
        } catch {
          // The IPC channel is already gone; the kill below ends it.
        }
        const timer = setTimeout(() => worker.process.kill("SIGKILL"), graceMs + 3000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  try {
    await spawnWorker();
    await Promise.all(Array.from({ length: options.workers - 1 }, () => spawnWorker()));
  } catch (error) {
    await closeAll(0);
    throw error;
  }

  return {
    get publicPort() {
      return ports.public;
    },
    get previewPort() {
      return ports.preview;
    },
    workers: options.workers,
    async setTable(next) {
      table = next;
      await Promise.all(
        [...workers].map(async (worker) => {
          const applied = waitFor(worker, "table-applied", 5000, (m) => m.version >= next.version);
          worker.send({ type: "table", table: next } satisfies ProxyMessage);
          // A worker that dies meanwhile is replaced with the current table; it does not block the change.
          await applied.catch(() => undefined);
        }),
      );
    },
    async stats() {
      const id = ++statsId;
      const answers = await Promise.all(
        [...workers].map(async (worker) => {
          const answer = waitFor(worker, "stats", 2000, (m) => m.id === id);
          worker.send({ type: "stats", id } satisfies ProxyMessage);
          return answer.then(
            (m) => m.stats,
            () => null,
          );
        }),
      );
      return mergeStats(answers.filter((s): s is ProxyStats => s !== null));
    },
    close: (graceMs = 1000) => closeAll(graceMs),
  };
}
