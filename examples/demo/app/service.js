/**
 * The HTTP plumbing every version of the demo shares: version header, health endpoints, graceful
 * shutdown. Each version directory is an artifact of its own, so this file is copied into each
 * (a test checks the copies stay identical). Plain Node, no dependencies.
 *
 * Endpoints:
 *   GET /version        {"version":"v1"}
 *   GET /health/live    200 while the process runs
 *   GET /health/ready   200 once started; 503 while starting and while shutting down
 *   GET /sleep?ms=N     headers at once, the body after N ms (at most 60000): an in-flight request
 *   plus the version's own routes (server.js)
 * Every response carries X-App-Version.
 *
 * On SIGTERM (or SIGINT): readiness answers 503, the server stops accepting connections (after
 * $SHUTDOWN_DELAY_MS, default 0, for load balancers that must see the 503 first), in-flight requests
 * finish, idle keep-alive connections are closed, and the process exits 0. After
 * $SHUTDOWN_TIMEOUT_MS (default 10000) the remaining connections are closed and it exits anyway.
 */
import { createServer } from "node:http";

const maxSleepMs = 60_000;

function sendJson(res, status, value) {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/**
 * Starts the HTTP server on $PORT ($HOST, default 127.0.0.1).
 *
 * options.version    the version reported in X-App-Version and /version
 * options.routes     { "METHOD /path": async (req, res, send) => value } — the value is sent as JSON
 * options.init       async work before the service is ready (readiness answers 503 meanwhile)
 * options.readiness  () => true | false | "hang": extra readiness condition ("hang" holds the probe open)
 * options.onSigterm  "drain" (default) or "ignore"
 * options.onShutdown async cleanup after the last request (e.g. close a database pool)
 */
export function startService(options) {
  const { version, routes = {}, init, readiness = () => true, onSigterm = "drain", onShutdown } = options;
  const log = (message) => console.log(`[${version} pid ${process.pid}] ${message}`);
  const state = { started: false, shuttingDown: false };
  const active = new Set();
  const hanging = new Set();
  // Requests in progress per connection: a connection with none is idle (also one a client opened
  // in advance and never used, which server.closeIdleConnections() leaves open).
  const connections = new Map();
  const closeIdle = () => {
    for (const [socket, requests] of connections) if (requests === 0) socket.destroy();
  };

  const server = createServer((req, res) => {
    const socket = req.socket;
    connections.set(socket, (connections.get(socket) ?? 0) + 1);
    active.add(res);
    res.on("close", () => {
      active.delete(res);
      hanging.delete(res);
      if (connections.has(socket)) connections.set(socket, (connections.get(socket) ?? 1) - 1);
      // A response finished during shutdown: its keep-alive connection is idle now, close it.
      if (state.shuttingDown) setImmediate(closeIdle);
    });
    res.setHeader("X-App-Version", version);
    if (state.shuttingDown) res.setHeader("Connection", "close");
    req.resume();
    handle(req, res).catch((error) => {
      log(`error on ${req.method} ${req.url}: ${error.message}`);
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    connections.set(socket, 0);
    socket.on("close", () => connections.delete(socket));
  });
  // Longer than any proxy's keep-alive timeout, so the proxy closes idle connections first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req, res) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const key = `${req.method} ${url.pathname}`;
    if (key === "GET /version") return sendJson(res, 200, { version });
    if (key === "GET /health/live") return sendJson(res, 200, { status: "live", version });
    if (key === "GET /health/ready") {
      if (state.shuttingDown) return sendJson(res, 503, { status: "shutting down", version });
      if (!state.started) return sendJson(res, 503, { status: "starting", version });
      const ready = readiness();
      if (ready === "hang") {
        hanging.add(res);
        return;
      }
      return ready
        ? sendJson(res, 200, { status: "ready", version })
        : sendJson(res, 503, { status: "starting", version });
    }
    if (key === "GET /sleep") {
      // The status line and headers go out at once, the body after N ms: the client can tell the
      // request is in flight (drain tests), and the response is only complete if the process waits.
      const ms = Math.min(Number(url.searchParams.get("ms") ?? "1000") || 0, maxSleepMs);
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
      res.flushHeaders();
      await new Promise((resolve) => setTimeout(resolve, ms));
      res.end(`${JSON.stringify({ slept: ms, version })}\n`);
      return;
    }
    const route = routes[key];
    if (route) return sendJson(res, 200, await route(req, url));
    if (key === "GET /") return sendJson(res, 200, { service: "shipgate-demo", version });
    return sendJson(res, 404, { error: `no route ${key}`, version });
  }

  function shutdown(signal) {
    if (onSigterm === "ignore" && signal === "SIGTERM") {
      log("ignoring SIGTERM");
      return;
    }
    if (state.shuttingDown) return;
    state.shuttingDown = true;
    log(`${signal}: shutting down, readiness 503, ${active.size} request(s) in flight`);
    for (const res of active) if (!res.headersSent) res.setHeader("Connection", "close");
    const force = setTimeout(
      () => {
        log("shutdown timeout: closing the remaining connections");
        for (const socket of connections.keys()) socket.destroy();
      },
      envInt("SHUTDOWN_TIMEOUT_MS", 10_000),
    );
    force.unref();
    setTimeout(
      () => {
        server.close(async () => {
          clearTimeout(force);
          try {
            await onShutdown?.();
          } catch (error) {
            log(`cleanup failed: ${error.message}`);
          }
          log("stopped");
          process.exit(0);
        });
        // Held readiness probes (the "hang" mode) would keep the server open forever.
        for (const res of hanging) res.destroy();
        closeIdle();
      },
      envInt("SHUTDOWN_DELAY_MS", 0),
    );
  }
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  const port = envInt("PORT", 3000);
  const host = process.env.HOST || "127.0.0.1";
  server.listen(port, host, async () => {
    const address = server.address();
    log(`listening on http://${host}:${typeof address === "object" && address ? address.port : port}`);
    try {
      await init?.();
      state.started = true;
      log("ready");
    } catch (error) {
      console.error(`[${version} pid ${process.pid}] failed to start: ${error.message}`);
      process.exit(1);
    }
  });
  return { server, log };
}
