import { createHash } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import { WebSocket } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createReverseProxy, type ReverseProxy } from "./reverse-proxy.js";
import { defaultSticky, type RoutingTable, type Upstream } from "./routing-table.js";
import { smokeRequestHeader } from "./smoke-request.js";

interface App {
  server: http.Server;
  port: number;
  name: string;
  connections: number;
  hits: number;
}

const apps: App[] = [];
const proxies: ReverseProxy[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close(0)));
  await Promise.all(
    apps.splice(0).map(
      (a) =>
        new Promise<void>((resolve) => {
          a.server.closeAllConnections();
          a.server.close(() => resolve());
        }),
    ),
  );
});

/** An upstream answering its name; `handler` may take over a request (return true). */
async function app(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): Promise<App> {
  const server = http.createServer();
  const a: App = { server, port: 0, name, connections: 0, hits: 0 };
  server.on("connection", () => a.connections++);
  server.on("request", (req, res) => {
    a.hits++;
    if (handler?.(req, res)) return;
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain", "x-app": name });
      res.end(name);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  a.port = (server.address() as net.AddressInfo).port;
  apps.push(a);
  return a;
}

function upstream(a: { port: number; name: string }, releaseId: string): Upstream {
  return { instanceId: `${releaseId}/${a.name}`, releaseId, host: "127.0.0.1", port: a.port };
}

async function proxyFor(
  table: Partial<RoutingTable>,
): Promise<{ proxy: ReverseProxy; url: string; preview: string }> {
  const proxy = createReverseProxy({
    table: { version: 1, upstreams: [], traffic: [], preview: null, sticky: defaultSticky, ...table },
  });
  proxies.push(proxy);
  const port = await proxy.listen("public", "127.0.0.1", 0);
  const previewPort = await proxy.listen("preview", "127.0.0.1", 0);
  return { proxy, url: `http://127.0.0.1:${port}`, preview: `http://127.0.0.1:${previewPort}` };
}

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  reused: boolean;
}

function request(
  url: string,
  options: {
    method?: string;
    /** An object, or a flat [name, value, …] list (to send a header line more than once). */
    headers?: Record<string, string> | string[];
    body?: string;
    agent?: http.Agent;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: options.agent ?? false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers, reused: req.reusedSocket }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("createReverseProxy", () => {
  it("keeps client and upstream connections alive and reuses them", async () => {
    const a = await app("a");
    const { url } = await proxyFor({
      upstreams: [upstream(a, "r-1")],
      traffic: [{ releaseId: "r-1", weight: 100 }],
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answers: Answer[] = [];
      for (let i = 0; i < 20; i++) answers.push(await request(url, { agent }));
      expect(answers.every((r) => r.status === 200 && r.body === "a")).toBe(true);
      expect(answers.slice(1).every((r) => r.reused)).toBe(true);
      expect(a.hits).toBe(20);
      expect(a.connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it("passes a WebSocket upgrade through and echoes frames both ways", async () => {
    const ws = await app("ws");
    ws.server.on("upgrade", (req, socket: net.Socket) => {
      const accept = createHash("sha1")
        .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.on("data", (frame: Buffer) => {
        const opcode = (frame[0] as number) & 0x0f;
        const length = (frame[1] as number) & 0x7f; // short frames only: enough for this test
        const mask = frame.subarray(2, 6);
        const payload = Buffer.from(frame.subarray(6, 6 + length).map((b, i) => b ^ (mask[i % 4] as number)));
        if (opcode === 0x8) {
          socket.end(Buffer.from([0x88, 0]));
          return;
        }
        socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
      });
    });
    const { url, proxy } = await proxyFor({
      upstreams: [upstream(ws, "r-1")],
      traffic: [{ releaseId: "r-1", weight: 100 }],
    });
    const client = new WebSocket(`${url.replace("http", "ws")}/socket`);
    const echoed = await new Promise<string>((resolve, reject) => {
      client.addEventListener("open", () => client.send("hello through the proxy"));
      client.addEventListener("message", (event) => resolve(String(event.data)));
      client.addEventListener("error", () => reject(new Error("websocket error")));
    });
    expect(echoed).toBe("hello through the proxy");
    expect(proxy.stats().inFlight["r-1/ws"]).toBe(1);
    client.close();
    await new Promise((r) => client.addEventListener("close", r));
  });

  it("streams a response: the first chunk arrives before the application finishes", async () => {
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    const s = await app("stream", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first chunk\n");
      void finished.then(() => res.end("last chunk\n"));
      return true;
    });
    const { url } = await proxyFor({
      upstreams: [upstream(s, "r-1")],
      traffic: [{ releaseId: "r-1", weight: 100 }],
    });
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(url, { agent: false }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
            if (text === "first chunk\n") finish();
          });
          res.on("end", () => resolve(text));
        })
        .on("error", reject);
    });
    expect(body).toBe("first chunk\nlast chunk\n");
  });

  it("streams an upload: the application reads the first part before the client sends the rest", async () => {
    let firstPart: () => void = () => undefined;
    const gotFirst = new Promise<void>((r) => {
      firstPart = r;
    });
    const u = await app("upload", (req, res) => {
      const hash = createHash("sha256");
      let bytes = 0;
      req.on("data", (chunk: Buffer) => {
        if (bytes === 0) firstPart();
        bytes += chunk.length;
        hash.update(chunk);
      });
      req.on("end", () => res.end(`${bytes} ${hash.digest("hex")}`));
      return true;
    });
    const { url } = await proxyFor({
      upstreams: [upstream(u, "r-1")],
      traffic: [{ releaseId: "r-1", weight: 100 }],
    });
    const part = Buffer.alloc(64 * 1024, "x");
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request(url, { method: "POST", agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.write(part);
      void gotFirst.then(() => req.end(part));
    });
    const expected = createHash("sha256").update(part).update(part).digest("hex");
    expect(answer).toBe(`${part.length * 2} ${expected}`);
  });

  it("sets X-Forwarded-For/-Proto/-Host and drops hop-by-hop headers", async () => {
    const echo = await app("echo", (req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        connection: "keep-alive",
        "keep-alive": "timeout=5",
      });
      res.end(JSON.stringify(req.headers));
      return true;
    });
    const { url } = await proxyFor({
      upstreams: [upstream(echo, "r-1")],
      traffic: [{ releaseId: "r-1", weight: 100 }],
    });
    const host = url.slice("http://".length);
    const plain = await request(url, {
      headers: { connection: "x-secret-hop", "x-secret-hop": "1", "x-kept": "yes" },
    });
    const seen = JSON.parse(plain.body) as Record<string, string>;
    expect(seen).toMatchObject({
      "x-forwarded-for": "127.0.0.1",
      "x-forwarded-proto": "http",
      "x-forwarded-host": host,
      host,
      "x-kept": "yes",
    });
    expect(seen["x-secret-hop"]).toBeUndefined();
    // The proxy's own keep-alive header, not the application's.
    expect(plain.headers["keep-alive"]).toBe("timeout=65");

    const behindTls = await request(url, {
      headers: {
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "shop.example.com",
      },
    });
    expect(JSON.parse(behindTls.body)).toMatchObject({
      "x-forwarded-for": "203.0.113.7, 127.0.0.1",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "shop.example.com",
    });

    // Repeated lines (two proxies in front) are joined in order, as node joins them in req.headers.
    const twoHops = await request(url, {
      // A list, so node's client adds no Host of its own.
      headers: [
        "Host",
        host,
        "X-Forwarded-For",
        "203.0.113.7",
        "x-forwarded-for",
        "10.0.0.2",
        "Connection",
        "X-Hop",
        "X-Hop",
        "1",
      ],
    });
    const twoHopsSeen = JSON.parse(twoHops.body) as Record<string, string>;
    expect(twoHopsSeen["x-forwarded-for"]).toBe("203.0.113.7, 10.0.0.2, 127.0.0.1");
    expect(twoHopsSeen["x-hop"]).toBeUndefined();
  });

  it("answers 503 with a short body when nothing is routable", async () => {
    const { url, preview, proxy } = await proxyFor({
      upstreams: [],
      traffic: [{ releaseId: "r-1", weight: 100 }],
    });
    const answer = await request(url);
    expect(answer.status).toBe(503);
    expect(answer.body).toBe("503 no healthy instance to route to\n");
    expect(answer.headers["retry-after"]).toBe("1");
    expect((await request(preview)).status).toBe(503);
    expect(proxy.stats().unrouted).toBe(2);
  });

  it("splits 1000 requests by weight between releases and evenly over a release's instances", async () => {
    const stable = await app("stable");
    const canaryA = await app("canary-a");
    const canaryB = await app("canary-b");
    const { url, proxy } = await proxyFor({
      upstreams: [upstream(stable, "r-stable"), upstream(canaryA, "r-canary"), upstream(canaryB, "r-canary")],
      traffic: [
        { releaseId: "r-stable", weight: 70 },
        { releaseId: "r-canary", weight: 30 },
      ],
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    try {
      const answers = await Promise.all(Array.from({ length: 1000 }, () => request(url, { agent })));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      // Without a sticky key every request gets a random point and a cookie to keep it.
      expect(answers.every((a) => /^shipgate_canary=/.test(a.headers["set-cookie"]?.[0] ?? ""))).toBe(true);
    } finally {
      agent.destroy();
    }
    // 300 expected on the canary: 5 standard deviations (about 72) either way.
    const canary = canaryA.hits + canaryB.hits;
    expect(Math.abs(canary - 300)).toBeLessThan(72);
    expect(Math.abs(canaryA.hits - canaryB.hits)).toBeLessThanOrEqual(1);
    expect(proxy.stats().releases["r-canary"]?.requests).toBe(canary);
    expect(proxy.stats().releases["r-stable"]?.status["2xx"]).toBe(stable.hits);
  });

  it("keeps a client on its release with the cookie it set, and sends a dead release's share elsewhere", async () => {
    const one = await app("one");
    const two = await app("two");
    const traffic = [
      { releaseId: "r-one", weight: 50 },
      { releaseId: "r-two", weight: 50 },
    ];
    const { url, proxy } = await proxyFor({
      upstreams: [upstream(one, "r-one"), upstream(two, "r-two")],
      traffic,
    });
    const first = await request(url);
    const cookie = (first.headers["set-cookie"]?.[0] ?? "").split(";")[0] as string;
    for (let i = 0; i < 10; i++) {
      const again = await request(url, { headers: { cookie } });
      expect(again.body).toBe(first.body);
      expect(again.headers["set-cookie"]).toBeUndefined();
    }
    proxy.setTable({
      version: 2,
      upstreams: [upstream(one, "r-one")],
      traffic,
      preview: null,
      sticky: defaultSticky,
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => request(url, { headers: { "x-canary-key": `k${i}` } })),
    );
    expect(answers.map((a) => a.body)).toEqual(Array(20).fill("one"));
  });

  it("retries a GET once on another instance when the upstream connection is refused; a POST gets 502", async () => {
    const live = await app("live");
    const dead = await app("dead");
    await new Promise<void>((resolve) => dead.server.close(() => resolve()));
    apps.splice(apps.indexOf(dead), 1);
    const { url, proxy } = await proxyFor({
      upstreams: [upstream(dead, "r-1"), upstream(live, "r-1")],
      traffic: [{ releaseId: "r-1", weight: 100 }],
    });
    const gets = await Promise.all(Array.from({ length: 20 }, () => request(url)));
    expect(gets.map((g) => g.status)).toEqual(Array(20).fill(200));
    expect(proxy.stats().releases["r-1"]?.retries).toBe(10);

    proxy.setTable({
      version: 2,
      upstreams: [upstream(dead, "r-1")],
      traffic: [{ releaseId: "r-1", weight: 100 }],
      preview: null,
      sticky: defaultSticky,
    });
    const post = await request(url, {
      method: "POST",
      body: "order=1",
      headers: { "content-type": "text/plain" },
    });
    expect(post.status).toBe(502);
    expect(post.body).toBe("502 the application could not be reached\n");
    expect(proxy.stats().releases["r-1"]?.upstreamErrors).toBe(1);
    expect(proxy.stats().inFlight).toEqual({});
  });

  it("routes the preview port to the preview release only", async () => {
    const blue = await app("blue");
    const green = await app("green");
    const { url, preview } = await proxyFor({
      upstreams: [upstream(blue, "r-blue"), upstream(green, "r-green")],
      traffic: [{ releaseId: "r-blue", weight: 100 }],
      preview: "r-green",
    });
    expect((await request(url)).body).toBe("blue");
    expect((await request(preview)).body).toBe("green");
  });

  it("serves shipgate's smoke tests on the preview port without counting them as the release's traffic", async () => {
    const seen: (string | undefined)[] = [];
    const green = await app("green", (req) => {
      seen.push(req.headers[smokeRequestHeader] as string | undefined);
      return false;
    });
    const { proxy, url, preview } = await proxyFor({
      upstreams: [upstream(green, "r-green")],
      traffic: [{ releaseId: "r-green", weight: 100 }],
      preview: "r-green",
    });
    const smoke = { [smokeRequestHeader]: "1" };
    for (const path of ["/version", "/health/ready"]) {
      const answer = await request(`${preview}${path}`, { headers: smoke });
      expect([answer.status, answer.body]).toEqual([200, "green"]);
    }
    // Served, and the application sees the header too.
    expect(seen).toEqual(["1", "1"]);
    expect(proxy.stats().releases["r-green"]).toBeUndefined();
    expect(proxy.stats().inFlight).toEqual({});

    // Other preview requests count, and so does every public request: any client can send a header,
    // and it must not take users' requests out of the figures the canary analysis judges.
    await request(`${preview}/version`);
    await request(`${url}/version`, { headers: smoke });
    await request(`${url}/items`);
    const metrics = proxy.stats().releases["r-green"];
    expect(metrics?.requests).toBe(3);
    expect(metrics?.status["2xx"]).toBe(3);
    expect(Object.keys(metrics?.groups ?? {}).sort()).toEqual(["/items", "/version"]);
    expect(metrics?.groups["/version"]?.requests).toBe(2);
    expect(metrics?.groups["/health"]).toBeUndefined();
  });

  it("does not count a smoke test's upstream error on the preview port", async () => {
    const { proxy, preview } = await proxyFor({
      upstreams: [{ instanceId: "r-gone/a", releaseId: "r-gone", host: "127.0.0.1", port: 1 }],
      traffic: [],
      preview: "r-gone",
    });
    expect((await request(`${preview}/version`, { headers: { [smokeRequestHeader]: "1" } })).status).toBe(
      502,
    );
    expect(proxy.stats().releases["r-gone"]).toBeUndefined();
    expect((await request(`${preview}/version`)).status).toBe(502);
    expect(proxy.stats().releases["r-gone"]).toMatchObject({ requests: 1, upstreamErrors: 1, retries: 1 });
  });
});
