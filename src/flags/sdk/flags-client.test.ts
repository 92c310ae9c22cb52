/**
 * Tests of the flags client against a stub server on 127.0.0.1 that speaks the wire format
 * (GET /api/flags with ETag/304, GET /api/flags/stream as SSE, POST /api/flags/metrics), plus
 * bootstrap and cache files. Waits poll for a condition; the only timing assertion is the issue's
 * "an SSE update reaches the SDK in under a second".
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { flagConfig } from "../../../test/support/flags.js";
import type { FlagConfig, FlagSet } from "../types.js";
import { createFlagsClient, type FlagsClient, type FlagsClientOptions } from "./index.js";

const token = "sg_sdk_test_secret_0123456789";

function flagSet(revision: number, flags: FlagConfig[]): FlagSet {
  return { environment: "production", revision, flags };
}

interface MetricsPost {
  start: string;
  end: string;
  counts: { flagKey: string; variant: string | null; enabled: boolean; count: number }[];
}

/** A stub shipgate server: the wire format of GET /api/flags, /api/flags/stream and POST /api/flags/metrics. */
class StubServer {
  flags: FlagSet;
  streamStatus = 200;
  requests: { path: string; ifNoneMatch: string | undefined; authorization: string | undefined }[] = [];
  metrics: MetricsPost[] = [];
  port = 0;
  private server: Server | null = null;
  private streams = new Set<ServerResponse>();

  constructor(flags: FlagSet) {
    this.flags = flags;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening and cuts every open connection (the server "goes down"). */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    for (const res of this.streams) res.destroy();
    this.streams.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Changes the flags and pushes them to every open stream. */
  publish(flags: FlagSet): void {
    this.flags = flags;
    for (const res of this.streams) res.write(this.event());
  }

  private event(): string {
    return `event: flags\nid: ${this.flags.revision}\ndata: ${JSON.stringify(this.flags)}\n\n`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "").split("?")[0] as string;
    this.requests.push({
      path,
      ifNoneMatch: req.headers["if-none-match"],
      authorization: req.headers.authorization,
    });
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}');
      return;
    }
    if (req.method === "GET" && path === "/api/flags") {
      const etag = `"r${this.flags.revision}"`;
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", etag, "cache-control": "no-cache" });
      res.end(JSON.stringify(this.flags));
      return;
    }
    if (req.method === "GET" && path === "/api/flags/stream") {
      if (this.streamStatus !== 200) {
        res.writeHead(this.streamStatus).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(": keep-alive\n\n");
      res.write(this.event());
      this.streams.add(res);
      res.on("close", () => this.streams.delete(res));
      return;
    }
    if (req.method === "POST" && path === "/api/flags/metrics") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.metrics.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as MetricsPost);
        res.writeHead(202).end();
      });
      return;
    }
    res.writeHead(404).end();
  }
}

/** Polls until `check` holds (2 s at most). */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let server: StubServer;
let dir: string;
const clients: FlagsClient[] = [];
const errors: Error[] = [];

function client(options: Partial<FlagsClientOptions> = {}): FlagsClient {
  const c = createFlagsClient({
    url: server.url,
    token,
    metricsIntervalMs: 0,
    pollIntervalMs: 20,
    reconnectDelayMs: 20,
    onError: (e) => errors.push(e),
    ...options,
  });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  server = new StubServer(
    flagSet(1, [flagConfig("new-checkout"), flagConfig("dark-mode", { enabled: false })]),
  );
  await server.start();
  dir = await mkdtemp(join(tmpdir(), "shipgate-flags-client-"));
  errors.length = 0;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("createFlagsClient", () => {
  it("becomes ready from the stream and evaluates locally", async () => {
    const c = client();
    expect(c.status).toBe("not-ready");
    expect(c.isEnabled("new-checkout")).toBe(false);
    await c.ready();
    expect(c.status).toBe("ready");
    expect(c.isEnabled("new-checkout", { userId: "u1" })).toBe(true);
    expect(c.isEnabled("dark-mode", { userId: "u1" })).toBe(false);
    expect(c.isEnabled("unknown-flag")).toBe(false);
    expect(c.evaluate("dark-mode", {})?.reason).toBe("DISABLED");
    expect(c.evaluate("unknown-flag", {})).toBeUndefined();
    expect(c.flags()?.revision).toBe(1);
    expect(server.requests[0]).toMatchObject({ path: "/api/flags/stream", authorization: `Bearer ${token}` });
  });

  it("applies an SSE update in under a second and emits change", async () => {
    const c = client();
    await c.ready();
    const changes: string[][] = [];
    c.on("change", (_flags, keys) => changes.push(keys));
    const started = performance.now();
    server.publish(
      flagSet(2, [flagConfig("new-checkout", { killed: true }), flagConfig("dark-mode", { enabled: false })]),
    );
    await waitFor(() => !c.isEnabled("new-checkout", { userId: "u1" }), "the kill to arrive");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(changes).toEqual([["new-checkout"]]);
    expect(c.flags()?.revision).toBe(2);
  });

  it("keeps the last known flags while the server is down, and recovers", async () => {
    const c = client();
    await c.ready();
    const events: string[] = [];
    c.on("stale", () => events.push("stale"));
    c.on("ready", () => events.push("ready"));
    await server.stop();
    await waitFor(() => c.status === "stale", "stale");
    expect(c.isEnabled("new-checkout", { userId: "u1" })).toBe(true);
    expect(c.getVariant("new-checkout", { userId: "u1" })).toEqual({ name: "disabled", enabled: true });
    expect(errors.some((e) => /unreachable|closed the stream/.test(e.message))).toBe(true);

    server.flags = flagSet(3, [flagConfig("new-checkout", { enabled: false })]);
    await server.start(); // same port
    await waitFor(() => c.status === "ready" && c.flags()?.revision === 3, "recovery");
    expect(c.isEnabled("new-checkout", { userId: "u1" })).toBe(false);
    expect(events).toEqual(["stale", "ready"]);
  });

  it("starts from a bootstrap file with no server", async () => {
    await server.stop();
    const file = join(dir, "bootstrap.json");
    await writeFile(
      file,
      JSON.stringify(flagSet(7, [flagConfig("from-file", { rollout: 0 }), flagConfig("on")])),
    );
    const c = client({ bootstrap: file });
    expect(c.status).toBe("ready");
    await c.ready();
    expect(c.isEnabled("on", { userId: "x" })).toBe(true);
    expect(c.isEnabled("from-file", { userId: "x" })).toBe(false);
    await waitFor(() => c.status === "stale", "stale after the failed connection");
    expect(c.isEnabled("on", { userId: "x" })).toBe(true);
  });

  it("evaluates an in-memory bootstrap offline, and rejects a malformed one", () => {
    const c = client({ offline: true, bootstrap: flagSet(1, [flagConfig("a", { rollout: 50 })]) });
    expect(c.isEnabled("a", { userId: "user-1" })).toBe(true); // bucketOf("a", "user-1") = 22
    expect(c.isEnabled("a", {})).toBe(false);
    expect(() =>
      createFlagsClient({
        url: server.url,
        token,
        offline: true,
        bootstrap: { flags: "nope" } as unknown as FlagSet,
      }),
    ).toThrow(/not a flag set/);
    expect(() =>
      createFlagsClient({ url: server.url, token, offline: true, bootstrap: join(dir, "missing.json") }),
    ).toThrow(/Cannot read the bootstrap file/);
    // An unset $SHIPGATE_SDK_TOKEN says so, instead of a refused token from the server.
    expect(() => createFlagsClient({ url: server.url, token: "" })).toThrow(/^no SDK token: /);
    createFlagsClient({ url: server.url, token: "", offline: true, bootstrap: flagSet(1, []) });
  });

  it("writes the cache file atomically and uses it at the next start with the server down", async () => {
    const cacheFile = join(dir, "cache", "flags.json");
    const first = client({ cacheFile });
    await first.ready();
    server.publish(flagSet(2, [flagConfig("cached-flag")]));
    await waitFor(() => first.flags()?.revision === 2, "update");
    await first.close();
    const cached = JSON.parse(await readFile(cacheFile, "utf8")) as FlagSet;
    expect(cached.revision).toBe(2);
    expect(await readdir(join(dir, "cache"))).toEqual(["flags.json"]); // no temp file left behind

    await server.stop();
    const second = client({ cacheFile });
    await second.ready();
    expect(second.isEnabled("cached-flag", { userId: "u" })).toBe(true);
    expect(second.status).toBe("stale");
  });

  it("writes the cache once the server confirms a bootstrap that already held its revision", async () => {
    const cacheFile = join(dir, "cache", "flags.json");
    const bootstrap = flagSet(1, [flagConfig("new-checkout"), flagConfig("dark-mode", { enabled: false })]);
    const c = client({ cacheFile, bootstrap });
    await waitFor(() => existsSync(cacheFile), "the cache file");
    await c.close();
    expect((JSON.parse(await readFile(cacheFile, "utf8")) as FlagSet).revision).toBe(1);
  });

  it("polls with If-None-Match while the stream is down and handles 304", async () => {
    server.streamStatus = 503;
    const c = client();
    await c.ready();
    await waitFor(() => server.requests.filter((r) => r.path === "/api/flags").length >= 3, "polls");
    const polls = server.requests.filter((r) => r.path === "/api/flags");
    expect(polls[0]?.ifNoneMatch).toBeUndefined();
    expect(polls[1]?.ifNoneMatch).toBe('"r1"');
    expect(c.status).toBe("ready");
    expect(c.isEnabled("new-checkout", { userId: "u" })).toBe(true);
    server.flags = flagSet(2, [flagConfig("new-checkout", { enabled: false })]);
    await waitFor(() => c.flags()?.revision === 2, "the polled update");
    expect(c.isEnabled("new-checkout", { userId: "u" })).toBe(false);
  });

  it("aggregates evaluation counts and posts them periodically, not per evaluation", async () => {
    server.flags = flagSet(1, [
      flagConfig("new-checkout"),
      flagConfig("dark-mode", { enabled: false }),
      flagConfig("colors", { variants: [{ name: "blue", weight: 1, payload: { hex: "#00f" } }] }),
    ]);
    const c = client({ metricsIntervalMs: 100 });
    await c.ready();
    for (let i = 0; i < 1000; i++) c.isEnabled("new-checkout", { userId: `u${i}` });
    for (let i = 0; i < 10; i++) c.isEnabled("dark-mode", { userId: `u${i}` });
    for (let i = 0; i < 5; i++) {
      expect(c.getVariant("colors", { userId: `u${i}` })).toEqual({
        name: "blue",
        payload: { hex: "#00f" },
        enabled: true,
      });
    }
    expect(c.getVariant("dark-mode", { userId: "u" })).toEqual({ name: "disabled", enabled: false });
    await waitFor(() => server.metrics.length >= 1, "a metrics post");
    const [post] = server.metrics;
    expect(post?.counts).toHaveLength(3);
    expect(post?.counts).toEqual(
      expect.arrayContaining([
        { flagKey: "new-checkout", variant: null, enabled: true, count: 1000 },
        { flagKey: "dark-mode", variant: null, enabled: false, count: 11 },
        { flagKey: "colors", variant: "blue", enabled: true, count: 5 },
      ]),
    );
    expect(Date.parse(post?.end as string)).toBeGreaterThanOrEqual(Date.parse(post?.start as string));
    // Nothing evaluated since: no further posts with counts.
    await new Promise((r) => setTimeout(r, 250));
    expect(server.metrics).toHaveLength(1);
  });

  it("says why the server is unreachable (the fetch error's cause), not only 'fetch failed'", async () => {
    await server.stop(); // nothing listens on the port now
    client();
    await waitFor(() => errors.length > 0, "the connection error");
    expect(errors[0]?.message).toMatch(/is unreachable: fetch failed \(.*ECONNREFUSED.*\)/);
  });

  it("reports a refused token through onError, stays not-ready and never shows the token", async () => {
    const c = client({ token: "sg_sdk_wrong_token_value" });
    await expect(c.ready()).rejects.toThrow(/refused the SDK token \(HTTP 401\)/);
    expect(c.status).toBe("not-ready");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "CONFIG_INVALID" });
    expect(`${errors[0]?.message} ${(errors[0] as { hint?: string }).hint}`).not.toContain(
      "sg_sdk_wrong_token_value",
    );
    expect(c.isEnabled("new-checkout")).toBe(false);
    // It stops: no reconnect storm.
    const count = server.requests.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requests.length).toBe(count);
  });
});
