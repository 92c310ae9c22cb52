/**
 * The PromQL metric provider against a real Prometheus (Debian's package, started by
 * test/support/prometheus.ts) scraping a small prom-client server with a known counter.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrometheus, type TestPrometheus } from "../../test/support/prometheus.js";
import { ShipgateError } from "../core/errors.js";
import { queryPrometheus } from "./prometheus-query.js";

let app: Server | undefined;
let prometheus: TestPrometheus | undefined;

const vars = { release: "r-ab12", version: "v2", environment: "production", interval: "60s" };

beforeAll(async () => {
  const registry = new Registry();
  const counter = new Counter({
    name: "shipgate_test_total",
    help: "Requests seen by the test app, per release.",
    labelNames: ["release"],
    registers: [registry],
  });
  for (let i = 0; i < 7; i += 1) counter.inc({ release: "r-ab12" });
  for (let i = 0; i < 3; i += 1) counter.inc({ release: "r-other" });

  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  app = server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeInterval: "1s" });
  await prometheus.waitForSeries('shipgate_test_total{release="r-ab12"}');
});

afterAll(async () => {
  await prometheus?.stop();
  if (app) {
    const server = app;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function running(): TestPrometheus {
  if (!prometheus) throw new Error("Prometheus did not start");
  return prometheus;
}

describe("queryPrometheus against a real Prometheus", () => {
  it("returns the counter's value for the release in the placeholder", async () => {
    const result = await queryPrometheus({
      url: running().url,
      query: 'sum(shipgate_test_total{release="{{release}}"})',
      vars,
    });
    expect(result).toEqual({ value: 7, series: 1, query: 'sum(shipgate_test_total{release="r-ab12"})' });
  });

  it("returns null (inconclusive) for a release with no series", async () => {
    const result = await queryPrometheus({
      url: running().url,
      query: 'sum(shipgate_test_total{release="{{release}}"})',
      vars: { ...vars, release: "r-unknown" },
    });
    expect(result.value).toBeNull();
    expect(result.series).toBe(0);
  });

  it("refuses an unaggregated query that returns one series per release", async () => {
    const error = await queryPrometheus({ url: running().url, query: "shipgate_test_total", vars }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShipgateError);
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
  });

  it("reports Prometheus' own error for a query it cannot parse", async () => {
    const error = await queryPrometheus({ url: running().url, query: "sum(shipgate_test_total", vars }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShipgateError);
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    expect((error as ShipgateError).message).toContain("parse error");
  });
});
