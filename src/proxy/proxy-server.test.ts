import http from "node:http";
import type net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ProxyServer, startProxyServer } from "./proxy-server.js";
import { defaultSticky } from "./routing-table.js";

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("startProxyServer with worker processes", () => {
  let server: ProxyServer | null = null;
  let app: http.Server | null = null;

  afterEach(async () => {
    await server?.close(0);
    server = null;
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  });

  it("shares the ports between workers, applies tables everywhere and sums their statistics", async () => {
    app = http.createServer((_req, res) => res.end("from the app"));
    await new Promise<void>((resolve) => app?.listen(0, "127.0.0.1", () => resolve()));
    const appPort = (app.address() as net.AddressInfo).port;
    server = await startProxyServer({
      workers: 2,
      public: { host: "127.0.0.1", port: 0 },
      preview: { host: "127.0.0.1", port: 0 },
    });
    const url = `http://127.0.0.1:${server.publicPort}`;
    expect((await get(url)).status).toBe(503);
    await server.setTable({
      version: 1,
      upstreams: [{ instanceId: "i-1", releaseId: "r-1", host: "127.0.0.1", port: appPort }],
      traffic: [{ releaseId: "r-1", weight: 100 }],
      preview: null,
      sticky: defaultSticky,
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(url)));
    expect(answers.every((a) => a.status === 200 && a.body === "from the app")).toBe(true);
    const stats = await server.stats();
    expect(stats.releases["r-1"]?.requests).toBe(20);
    expect(stats.releases["r-1"]?.groups["/"]?.status["2xx"]).toBe(20);
    expect(stats.unrouted).toBe(1);
  });
});
