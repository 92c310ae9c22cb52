/**
 * A real Prometheus for a test file (Debian's package, /usr/bin/prometheus): a throwaway server with
 * its own config and TSDB in a temp dir, on a free 127.0.0.1 port, scraping the given targets. It
 * never uses or touches a system Prometheus service (e.g. the package's own on :9090).
 * Ready in ~0.1 s; the first scrape lands ~5-6 s later whatever the interval, because Prometheus
 * 2.42's scrape manager applies new targets on a fixed 5 s tick — use waitForSeries() before querying.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const prometheusBinary = "/usr/bin/prometheus";
const readyTimeoutMs = 30_000;
const stopGraceMs = 5_000;

export interface StartPrometheusOptions {
  /** host:port of each target, scraped at /metrics. */
  targets: string[];
  /** Scrape and evaluation interval, in Prometheus duration syntax (default "1s"). */
  scrapeInterval?: string;
}

export interface TestPrometheus {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
  /** Polls /api/v1/query until the query returns a non-empty vector (or a scalar/string). */
  waitForSeries(query: string, timeoutMs?: number): Promise<void>;
}

/** Starts a throwaway Prometheus; installs Debian's package first when allowed (root + CI). */
export async function startPrometheus(options: StartPrometheusOptions): Promise<TestPrometheus> {
  await ensurePrometheusInstalled();
  const dir = await mkdtemp(join(tmpdir(), "shipgate-prometheus-"));
  let child: ChildProcess | undefined;
  try {
    const interval = options.scrapeInterval ?? "1s";
    const configFile = join(dir, "prometheus.yml");
    await writeFile(configFile, prometheusConfig(options.targets, interval));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = spawn(
      prometheusBinary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--storage.tsdb.retention.time=1h",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child = proc;
    let stderr = "";
    proc.stderr?.setEncoding("utf8");
    proc.stderr?.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8_000);
    });
    let exited: string | undefined;
    proc.on("exit", (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
    });
    proc.on("error", (error) => {
      exited = `failed to start: ${error.message}`;
    });

    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exited) throw new Error(`Prometheus ${exited} before it was ready. stderr:\n${stderr}`);
      if (await isReady(url)) break;
      if (Date.now() > deadline) {
        throw new Error(
          `Prometheus not ready at ${url}/-/ready within ${readyTimeoutMs} ms. stderr:\n${stderr}`,
        );
      }
      await sleep(50);
    }

    return {
      url,
      stop: async () => {
        await stopProcess(proc);
        await rm(dir, { recursive: true, force: true });
      },
      waitForSeries: (query, timeoutMs = 15_000) => waitForSeries(url, query, timeoutMs),
    };
  } catch (error) {
    if (child) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Installs Debian's prometheus package (with promtool) when missing and allowed (root + CI); else throws how to. */
export async function ensurePrometheusInstalled(): Promise<void> {
  if (existsSync(prometheusBinary)) return;
  const mayInstall =
    process.getuid?.() === 0 && (process.env.CI === "true" || process.env.SHIPGATE_INSTALL_TEST_DEPS === "1");
  if (!mayInstall) {
    throw new Error(
      `${prometheusBinary} not found: these tests need Debian's Prometheus. Run \`sudo apt-get install prometheus\` ` +
        "(or set SHIPGATE_INSTALL_TEST_DEPS=1 when running as root to install it automatically).",
    );
  }
  const run = promisify(execFile);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => run("apt-get", ["install", "-y", "prometheus"], { env });
  try {
    await install();
  } catch {
    await run("apt-get", ["update"], { env });
    await install();
  }
  if (!existsSync(prometheusBinary)) {
    throw new Error(`apt-get install prometheus finished but ${prometheusBinary} is still missing`);
  }
}

function prometheusConfig(targets: string[], interval: string): string {
  // JSON is valid YAML: no hand-written quoting.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [{ job_name: "shipgate", metrics_path: "/metrics", static_configs: [{ targets }] }],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function waitForSeries(url: string, query: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    try {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query })}`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as {
        status?: string;
        data?: { resultType?: string; result?: unknown };
        error?: string;
      };
      if (body.status !== "success") last = `status ${response.status}: ${body.error ?? "no error text"}`;
      else if (body.data?.resultType !== "vector") return;
      else if (Array.isArray(body.data.result) && body.data.result.length > 0) return;
      else last = "empty vector";
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Prometheus at ${url} returned no series for ${query} within ${timeoutMs} ms (${last})`,
      );
    }
    await sleep(200);
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
