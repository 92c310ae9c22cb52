/**
 * shipgate's reverse proxy: node:http on the client side, undici pools (keep-alive) to the upstream
 * instances. It routes each request by the routing table (weighted, sticky releases; round robin over
 * a release's instances), streams bodies both ways with backpressure, passes WebSocket upgrades
 * through, sets X-Forwarded-*, retries an idempotent bodiless request once on another instance when
 * the upstream connection fails before any response byte, and counts in-flight requests per instance
 * (drain waits for them) and outcomes per release (a canary signal). shipgate's own smoke tests
 * (the smokeRequestHeader) on the preview port are served but not counted as the release's traffic.
 */
import http from "node:http";
import net from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { type Dispatcher, Pool } from "undici";
import { ShipgateError } from "../core/errors.js";
import { pickRelease, randomStickyKey, readCookie, stickyPoint } from "./assign-release.js";
import { createRouteGrouper, type RouteGroup } from "./route-groups.js";
import {
  type CompiledRoutes,
  compileRoutes,
  emptyRoutingTable,
  nextUpstream,
  type ProxyMode,
  type RoutingTable,
  type Upstream,
} from "./routing-table.js";
import { smokeRequestHeader } from "./smoke-request.js";
import {
  emptyReleaseMetrics,
  emptyTraffic,
  type ProxyStats,
  type ReleaseMetrics,
  recordResponse,
  type TrafficMetrics,
} from "./traffic-metrics.js";

export interface ReverseProxyOptions {
  table?: RoutingTable;
  /** An upstream that sends no response head within this time gets a 504. Default 300 s. */
  headersTimeoutMs?: number;
  /** Connecting to an upstream fails after this long. Default 5 s. */
  connectTimeoutMs?: number;
  /** Route groups the metrics are kept per (default: the first path segment). */
  routeGroups?: RouteGroup[];
}

export interface ReverseProxy {
  setTable(table: RoutingTable): void;
  readonly table: RoutingTable;
  /** Serves one listener (public or preview) on host:port (0: a free port); resolves with the bound port. */
  listen(mode: ProxyMode, host: string, port: number): Promise<number>;
  stats(): ProxyStats;
  /** Stops listening, closes client connections (idle at once, busy after `graceMs`) and upstream pools. */
  close(graceMs?: number): Promise<void>;
}

const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
]);

const responseHopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "trailer",
  "transfer-encoding",
]);

/** The exchange serving a response, for the response's shared "close" listener. */
const exchangeOf = Symbol("exchange");
type ExchangeResponse = http.ServerResponse & { [exchangeOf]?: { abortFromClient(): void } };

const idempotent = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Errors meaning the request never reached the application (a refused or reset connection). */
const retryableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTCONN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const cookieMaxAge = 30 * 24 * 3600;

function clientAddress(socket: net.Socket): string {
  const address = socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

function errorCode(error: unknown): string {
  if (error !== null && typeof error === "object" && "code" in error) return String(error.code);
  return "";
}

/** Header names a Connection header lists (they are hop-by-hop too). */
function connectionTokens(value: string | undefined): Set<string> | null {
  if (value === undefined) return null;
  // The common values name no header: answer them without splitting (0.7% of a worker's CPU).
  const plain = value.length <= 10 ? value.toLowerCase() : "";
  if (plain === "keep-alive" || plain === "close" || plain === "upgrade") return null;
  const tokens = value
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "" && t !== "close" && t !== "keep-alive" && t !== "upgrade");
  return tokens.length === 0 ? null : new Set(tokens);
}

/** The request as the proxy forwards it, read in one pass over `rawHeaders`. */
interface RequestHead {
  /** The headers sent upstream: the client's, minus hop-by-hop ones, plus X-Forwarded-*. */
  headers: string[];
  /** The request has a body (Content-Length other than 0, or Transfer-Encoding). */
  hasBody: boolean;
  /** It carries the smokeRequestHeader (forwarded as it is; the listener decides what it means). */
  smoke: boolean;
}

/** Duplicate header lines joined the way node joins them in `req.headers` (", " for these). */
function joined(prior: string | undefined, value: string): string {
  return prior === undefined ? value : `${prior}, ${value}`;
}

/**
 * The upstream request head, built from `req.rawHeaders` alone. `req.headers` is an object node builds
 * lazily on first access (a lower-cased, de-duplicated copy of every header); the common path never
 * asks for it (with the other hot-path changes of docs/proxy.md, "Tried": 7% less CPU per request).
 *
 * X-Forwarded-For gets the client appended; -Proto and -Host are kept when present (a TLS terminator
 * in front), else set. Repeated lines are joined with ", " (X-Forwarded-*, Connection,
 * Transfer-Encoding) or the first wins (Host, Content-Length), as in `req.headers`.
 */
function requestHead(req: http.IncomingMessage, keepUpgrade: boolean): RequestHead {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let host: string | undefined;
  let connection: string | undefined;
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let smoke = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    switch (lower) {
      case "host":
        host ??= value;
        break;
      case "content-length":
        contentLength ??= value;
        break;
      case "x-forwarded-for":
        forwardedFor = joined(forwardedFor, value);
        continue;
      case "x-forwarded-proto":
        forwardedProto = joined(forwardedProto, value);
        continue;
      case "x-forwarded-host":
        forwardedHost = joined(forwardedHost, value);
        continue;
      case "transfer-encoding":
        transferEncoding = joined(transferEncoding, value);
        continue;
      case "connection":
        connection = joined(connection, value);
        if (!keepUpgrade) continue;
        break;
      case "upgrade":
        if (!keepUpgrade) continue;
        break;
      case smokeRequestHeader:
        smoke = true;
        break;
      default:
        if (hopByHop.has(lower)) continue;
    }
    out.push(name, value);
  }
  const listed = connectionTokens(connection);
  const headers = listed === null ? out : withoutListed(out, listed);
  const client = clientAddress(req.socket);
  headers.push(
    "x-forwarded-for",
    forwardedFor ? `${forwardedFor}, ${client}` : client,
    "x-forwarded-proto",
    forwardedProto ?? "http",
  );
  const forwardedHostValue = forwardedHost ?? host ?? "";
  if (forwardedHostValue !== "") headers.push("x-forwarded-host", forwardedHostValue);
  return {
    headers,
    hasBody: (contentLength !== undefined && contentLength !== "0") || transferEncoding !== undefined,
    smoke,
  };
}

/** A flat header list without the names a Connection header listed. */
function withoutListed(headers: string[], listed: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (!listed.has(name.toLowerCase())) out.push(name, headers[i + 1] as string);
  }
  return out;
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${status} ${message}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...(status === 503 ? { "retry-after": "1" } : {}),
  });
  res.end(body);
}

interface Route {
  upstream: Upstream;
  /** A fresh sticky key to set as the client's cookie. */
  setCookie: string | null;
}

export function createReverseProxy(options: ReverseProxyOptions = {}): ReverseProxy {
  const headersTimeout = options.headersTimeoutMs ?? 300_000;
  const connectTimeout = options.connectTimeoutMs ?? 5000;
  const groupOf = createRouteGrouper(options.routeGroups);
  let routes: CompiledRoutes = compileRoutes(emptyRoutingTable);
  const pools = new Map<string, Pool>();
  const inFlight = new Map<string, number>();
  const metrics = new Map<string, ReleaseMetrics>();
  let unrouted = 0;
  const servers: http.Server[] = [];
  const upgraded = new Set<Duplex>();
  let closed = false;

  /** Each upstream of the current table with its pool, so a request looks its pool up by identity. */
  let poolOf = new Map<Upstream, Pool>();

  function poolFor(upstream: Upstream): Pool {
    const known = poolOf.get(upstream);
    if (known !== undefined) return known;
    const origin = `http://${upstream.host}:${upstream.port}`;
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: 1024,
        pipelining: 1,
        headersTimeout,
        // Streaming responses (server-sent events, long downloads) may be idle for long.
        bodyTimeout: 0,
        connectTimeout,
      });
      pools.set(origin, pool);
    }
    return pool;
  }

  function metricsFor(releaseId: string): ReleaseMetrics {
    let m = metrics.get(releaseId);
    if (m === undefined) {
      m = emptyReleaseMetrics();
      metrics.set(releaseId, m);
    }
    return m;
  }

  function groupMetrics(m: ReleaseMetrics, group: string): TrafficMetrics {
    let g = m.groups[group];
    if (g === undefined) {
      g = emptyTraffic();
      m.groups[group] = g;
    }
    return g;
  }

  /**
   * Whether a request counts as the release's traffic: not shipgate's own smoke tests, recognised on
   * the preview port only. The public port serves anyone, and a client's header must not take real
   * requests out of the figures the canary analysis and the watch judge.
   */
  function counted(mode: ProxyMode, head: RequestHead): boolean {
    return !(head.smoke && mode === "preview");
  }

  /** Counts a request routed to a release (and its group). */
  function countRequest(releaseId: string, group: string): void {
    const m = metricsFor(releaseId);
    m.requests++;
    groupMetrics(m, group).requests++;
  }

  function enter(instanceId: string): void {
    inFlight.set(instanceId, (inFlight.get(instanceId) ?? 0) + 1);
  }

  function leave(instanceId: string): void {
    const n = (inFlight.get(instanceId) ?? 1) - 1;
    if (n <= 0) inFlight.delete(instanceId);
    else inFlight.set(instanceId, n);
  }

  function route(mode: ProxyMode, req: http.IncomingMessage): Route | null {
    const r = routes;
    if (mode === "preview") {
      const preview = r.table.preview;
      if (preview === null) return null;
      const upstream = nextUpstream(r.releases.get(preview));
      return upstream === null ? null : { upstream, setCookie: null };
    }
    if (!r.split) {
      const only = r.ordered[0];
      if (only === undefined) return null;
      const upstream = nextUpstream(r.releases.get(only.releaseId));
      return upstream === null ? null : { upstream, setCookie: null };
    }
    let key = req.headers[r.stickyHeader];
    if (Array.isArray(key)) key = key[0];
    let setCookie: string | null = null;
    if (key === undefined || key === "") {
      key = readCookie(req.headers.cookie, r.stickyCookie);
      if (key === undefined) {
        key = randomStickyKey();
        setCookie = key;
      }
    }
    const releaseId = pickRelease(r.ordered, stickyPoint(key), (id) => r.releases.has(id));
    if (releaseId === null) return null;
    const upstream = nextUpstream(r.releases.get(releaseId));
    return upstream === null ? null : { upstream, setCookie };
  }

  /** Another instance for a retry: the same release first, then any release with weight, else the same one. */
  function alternative(mode: ProxyMode, failed: Upstream): Upstream {
    const r = routes;
    const same = nextUpstream(r.releases.get(failed.releaseId), failed);
    if (same !== null) return same;
    if (mode === "public") {
      for (const split of r.ordered) {
        const other = nextUpstream(r.releases.get(split.releaseId), failed);
        if (other !== null) return other;
      }
    }
    return failed;
  }

  class Exchange implements Dispatcher.DispatchHandler {
    private controller: Dispatcher.DispatchController | null = null;
    private started = false;
    private done = false;
    private readonly startedAt = performance.now();
    private onDrain: (() => void) | null = null;
    private readonly group: string;
    /** Body bytes the response still announces (its Content-Length), or -1 when unknown. */
    private remaining = -1;
    /** The last chunk of a response with a Content-Length, held to be written with `end()`. */
    private last: Buffer | null = null;

    constructor(
      private readonly mode: ProxyMode,
      private readonly req: http.IncomingMessage,
      private readonly res: http.ServerResponse,
      private upstream: Upstream,
      private readonly headers: string[],
      private readonly body: http.IncomingMessage | null,
      private readonly setCookie: string | null,
      private attempt: number,
      /** False for shipgate's smoke tests on the preview port: served, but not the release's traffic. */
      private readonly counted: boolean,
    ) {
      enter(upstream.instanceId);
      this.group = groupOf(req.url ?? "/");
      if (counted) countRequest(upstream.releaseId, this.group);
    }

    /** The metrics this request is recorded in: its upstream's release, or none when not counted. */
    private metrics(): ReleaseMetrics | null {
      return this.counted ? metricsFor(this.upstream.releaseId) : null;
    }

    dispatch(): void {
      try {
        poolFor(this.upstream).dispatch(
          {
            method: this.req.method as Dispatcher.HttpMethod,
            path: this.req.url ?? "/",
            headers: this.headers,
            body: this.body,
          },
          this,
        );
      } catch (error) {
        this.onResponseError(null, error instanceof Error ? error : new Error(String(error)));
      }
    }

    onRequestStart(controller: Dispatcher.DispatchController): void {
      this.controller = controller;
      if (this.res.destroyed) controller.abort(new Error("client went away"));
    }

    onResponseStart(
      _controller: Dispatcher.DispatchController,
      statusCode: number,
      headers: Record<string, string | string[] | undefined>,
      statusMessage?: string,
    ): void {
      // A flat [name, value, …] list for writeHead, rather than deleting the hop-by-hop names from
      // the object (a delete turns it into a slow dictionary that writeHead then walks).
      const listed = connectionTokens(headers.connection as string | undefined);
      const out: string[] = [];
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined || responseHopByHop.has(name) || listed?.has(name)) continue;
        if (typeof value === "string") out.push(name, value);
        else for (const v of value) out.push(name, v);
      }
      if (this.setCookie !== null) {
        out.push(
          "set-cookie",
          `${routes.stickyCookie}=${this.setCookie}; Path=/; Max-Age=${cookieMaxAge}; SameSite=Lax; HttpOnly`,
        );
      }
      const length = headers["content-length"];
      if (
        typeof length === "string" &&
        statusCode !== 204 &&
        statusCode !== 304 &&
        this.req.method !== "HEAD"
      ) {
        const n = Number(length);
        if (Number.isSafeInteger(n) && n > 0) this.remaining = n;
      }
      const res = this.res;
      try {
        if (statusMessage) res.writeHead(statusCode, statusMessage, out);
        else res.writeHead(statusCode, out);
        this.started = true;
      } catch (error) {
        // The upstream sent a header node refuses to write (e.g. an invalid character).
        this.controller?.abort(error instanceof Error ? error : new Error(String(error)));
      }
    }

    onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
      if (this.remaining !== -1) {
        this.remaining -= chunk.length;
        // The body's last bytes: undici ends the response in the same turn, and res.end(chunk) sends
        // them with the head in one write, without write()'s cork-until-next-tick.
        if (this.remaining === 0) {
          this.last = chunk;
          return;
        }
      }
      if (this.res.write(chunk)) return;
      // Backpressure: the client reads slower than the application writes.
      controller.pause();
      if (this.onDrain === null) {
        this.onDrain = () => this.controller?.resume();
        this.res.on("drain", this.onDrain);
      }
    }

    onResponseEnd(): void {
      const last = this.last;
      if (last === null) this.res.end();
      else {
        this.last = null;
        this.res.end(last);
      }
      this.finish(this.res.statusCode);
    }

    onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
      if (this.done) return;
      const code = errorCode(error);
      if (
        !this.started &&
        this.attempt === 0 &&
        this.body === null &&
        !this.res.destroyed &&
        !closed &&
        retryableCodes.has(code) &&
        idempotent.has(this.req.method ?? "")
      ) {
        const next = alternative(this.mode, this.upstream);
        const retried = this.metrics();
        if (retried !== null) retried.retries++;
        leave(this.upstream.instanceId);
        this.upstream = next;
        this.attempt = 1;
        this.controller = null;
        enter(next.instanceId);
        this.dispatch();
        return;
      }
      if (this.res.destroyed) {
        this.finish(499);
        return;
      }
      if (this.started) {
        this.res.destroy(error);
        this.finish(502);
        return;
      }
      const timeout = code === "UND_ERR_HEADERS_TIMEOUT";
      const m = this.metrics();
      if (m !== null) {
        m.upstreamErrors++;
        groupMetrics(m, this.group).upstreamErrors++;
      }
      sendError(
        this.res,
        timeout ? 504 : 502,
        timeout ? "the application did not answer in time" : "the application could not be reached",
      );
      this.finish(timeout ? 504 : 502);
    }

    /** The client went away before the response ended. */
    abortFromClient(): void {
      if (this.done) return;
      this.controller?.abort(new Error("client went away"));
    }

    private finish(status: number): void {
      if (this.done) return;
      this.done = true;
      if (this.onDrain !== null) this.res.off("drain", this.onDrain);
      leave(this.upstream.instanceId);
      const m = this.metrics();
      if (m !== null) {
        recordResponse(m, status, performance.now() - this.startedAt, groupMetrics(m, this.group));
      }
    }
  }

  /** The response's "close" listener: one function for every request (no closure, no once-wrapper). */
  function onResponseClose(this: ExchangeResponse): void {
    this[exchangeOf]?.abortFromClient();
  }

  function handleRequest(mode: ProxyMode, req: http.IncomingMessage, res: http.ServerResponse): void {
    const chosen = route(mode, req);
    if (chosen === null) {
      unrouted++;
      req.resume();
      sendError(
        res,
        503,
        mode === "preview" ? "no healthy instance of the preview release" : "no healthy instance to route to",
      );
      return;
    }
    const head = requestHead(req, false);
    const exchange = new Exchange(
      mode,
      req,
      res,
      chosen.upstream,
      head.headers,
      head.hasBody ? req : null,
      chosen.setCookie,
      0,
      counted(mode, head),
    );
    (res as ExchangeResponse)[exchangeOf] = exchange;
    res.on("close", onResponseClose);
    exchange.dispatch();
  }

  function upgradeHead(req: http.IncomingMessage): string {
    const headers = requestHead(req, true).headers;
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    return `${head}\r\n`;
  }

  function handleUpgrade(mode: ProxyMode, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const chosen = route(mode, req);
    if (chosen === null) {
      unrouted++;
      const body = "503 no healthy instance to route to\n";
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const requestHead = upgradeHead(req);
    const group = groupOf(req.url ?? "/");
    socket.on("error", () => socket.destroy());
    const connect = (upstream: Upstream, attempt: number) => {
      enter(upstream.instanceId);
      countRequest(upstream.releaseId, group);
      let connected = false;
      let left = false;
      const leaveOnce = () => {
        if (!left) {
          left = true;
          leave(upstream.instanceId);
          upgraded.delete(socket);
        }
      };
      const up = net.connect({ host: upstream.host, port: upstream.port });
      up.setNoDelay(true);
      up.once("connect", () => {
        connected = true;
        upgraded.add(socket);
        up.write(requestHead);
        if (head.length > 0) up.write(head);
        socket.pipe(up);
        up.pipe(socket);
        const m = metricsFor(upstream.releaseId);
        m.status["1xx"]++;
        groupMetrics(m, group).status["1xx"]++;
      });
      up.on("error", (error) => {
        if (!connected && attempt === 0 && !socket.destroyed && retryableCodes.has(errorCode(error))) {
          leaveOnce();
          metricsFor(upstream.releaseId).retries++;
          connect(alternative(mode, upstream), 1);
          return;
        }
        if (!connected) {
          const m = metricsFor(upstream.releaseId);
          m.upstreamErrors++;
          m.status["5xx"]++;
          groupMetrics(m, group).upstreamErrors++;
          groupMetrics(m, group).status["5xx"]++;
          const body = "502 the application could not be reached\n";
          socket.end(
            `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
          );
        } else {
          socket.destroy();
        }
        leaveOnce();
      });
      up.on("close", () => {
        if (connected) {
          socket.destroy();
          leaveOnce();
        }
      });
      socket.on("close", () => {
        if (connected) {
          up.destroy();
          leaveOnce();
        }
      });
    };
    connect(chosen.upstream, 0);
  }

  function setTable(table: RoutingTable): void {
    routes = compileRoutes(table);
    poolOf = new Map();
    for (const upstream of table.upstreams) poolOf.set(upstream, poolFor(upstream));
    const live = new Set(poolOf.values());
    for (const [origin, pool] of pools) {
      if (live.has(pool)) continue;
      pools.delete(origin);
      // Requests already running on it finish; close() waits for them.
      pool.close().catch(() => undefined);
    }
  }

  setTable(options.table ?? emptyRoutingTable);

  return {
    setTable,
    get table() {
      return routes.table;
    },
    listen(mode, host, port) {
      const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 });
      server.on("request", (req, res) => handleRequest(mode, req, res));
      server.on("upgrade", (req, socket, head) => handleUpgrade(mode, req, socket, head));
      return new Promise<number>((resolve, reject) => {
        server.once("error", (error) => {
          const code = errorCode(error);
          reject(
            code === "EADDRINUSE" || code === "EACCES"
              ? new ShipgateError(
                  "TARGET_FAILED",
                  `the ${mode} port ${port} on ${host} is ${code === "EADDRINUSE" ? "in use by another process" : "not allowed"}`,
                  {
                    hint:
                      mode === "public"
                        ? "Stop the process using it, or change environments.<env>.target.port in shipgate.yaml."
                        : "Stop the process using it, or set environments.<env>.target.previewPort in shipgate.yaml.",
                    cause: error,
                  },
                )
              : error,
          );
        });
        server.listen(port, host, () => {
          servers.push(server);
          const address = server.address();
          resolve(typeof address === "object" && address !== null ? address.port : port);
        });
      });
    },
    stats() {
      return {
        inFlight: Object.fromEntries(inFlight),
        releases: Object.fromEntries([...metrics].map(([id, m]) => [id, structuredClone(m)])),
        unrouted,
      };
    },
    async close(graceMs = 1000) {
      closed = true;
      const closing = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      for (const server of servers) server.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const server of servers) server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, graceMs);
      timer.unref();
      await Promise.all(closing);
      clearTimeout(timer);
      await Promise.all([...pools.values()].map((pool) => pool.destroy().catch(() => undefined)));
      pools.clear();
    },
  };
}
