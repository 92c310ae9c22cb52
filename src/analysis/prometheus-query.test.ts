/**
 * Unit tests for the PromQL metric provider against a tiny local HTTP stub that answers like
 * Prometheus' /api/v1/query (success shapes, error bodies, non-JSON, hangs).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { fillPromQuery, queryPrometheus } from "./prometheus-query.js";

interface StubReply {
  status?: number;
  body: string;
  contentType?: string;
  /** Never answer (for the timeout test). */
  hang?: boolean;
}

let server: Server;
let baseUrl: string;
let reply: StubReply;
let lastRequest: { url: URL; headers: IncomingMessage["headers"] } | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    lastRequest = { url: new URL(req.url ?? "/", "http://stub"), headers: req.headers };
    if (reply.hang) return;
    res.writeHead(reply.status ?? 200, { "content-type": reply.contentType ?? "application/json" });
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  lastRequest = undefined;
  server.closeAllConnections();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const vars = { release: "r-ab12", version: "v2", environment: "production", interval: "60s" };

function success(resultType: string, result: unknown, extra: Record<string, unknown> = {}): StubReply {
  return { body: JSON.stringify({ status: "success", data: { resultType, result }, ...extra }) };
}

function sample(value: string, metric: Record<string, string> = {}) {
  return { metric, value: [1_700_000_000.123, value] };
}

async function failure(promise: Promise<unknown>): Promise<ShipgateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShipgateError);
  return error as ShipgateError;
}

function fullText(error: ShipgateError): string {
  return [error.message, error.hint ?? "", ...error.details].join("\n");
}

describe("fillPromQuery", () => {
  it("fills {{name}} placeholders, with or without inner spaces", () => {
    expect(
      fillPromQuery(
        'sum(rate(http_requests_total{release="{{release}}", env="{{ environment }}"}[{{interval}}]))',
        vars,
      ),
    ).toBe('sum(rate(http_requests_total{release="r-ab12", env="production"}[60s]))');
  });

  it("escapes backslashes, double quotes and line breaks for PromQL double-quoted strings", () => {
    expect(fillPromQuery('x{a="{{v}}"}', { v: 'a\\b"c\nd' })).toBe('x{a="a\\\\b\\"c\\nd"}');
  });

  it("rejects an unknown placeholder with CONFIG_INVALID naming it and the known ones", async () => {
    const error = await failure(Promise.resolve().then(() => fillPromQuery('x{r="{{relase}}"}', vars)));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("{{relase}}");
    expect(fullText(error)).toContain("{{release}}");
    expect(fullText(error)).toContain("{{interval}}");
    expect(error.hint).toContain("shipgate.yaml");
  });
});

describe("queryPrometheus", () => {
  it("sends the filled query and the evaluation time to /api/v1/query and returns one series' value", async () => {
    reply = success("vector", [sample("42.5")]);
    const at = new Date("2024-05-01T12:00:00.250Z");
    const result = await queryPrometheus({
      url: baseUrl,
      query: 'sum(x{release="{{release}}"})',
      vars,
      at,
    });
    expect(result).toEqual({ value: 42.5, series: 1, query: 'sum(x{release="r-ab12"})' });
    expect(lastRequest?.url.pathname).toBe("/api/v1/query");
    expect(lastRequest?.url.searchParams.get("query")).toBe('sum(x{release="r-ab12"})');
    expect(Number(lastRequest?.url.searchParams.get("time"))).toBe(at.getTime() / 1000);
  });

  it("keeps a path prefix of the base URL and sends the given headers", async () => {
    reply = success("vector", [sample("1")]);
    await queryPrometheus({
      url: `${baseUrl}/prometheus/`,
      query: "up",
      vars,
      headers: { "X-Scope-OrgID": "team-a" },
    });
    expect(lastRequest?.url.pathname).toBe("/prometheus/api/v1/query");
    expect(lastRequest?.headers["x-scope-orgid"]).toBe("team-a");
  });

  it("returns null with a reason when the vector is empty (too little data)", async () => {
    reply = success("vector", []);
    const result = await queryPrometheus({ url: baseUrl, query: "up", vars });
    expect(result.value).toBeNull();
    expect(result.series).toBe(0);
    expect(result.reason).toContain("no series");
  });

  it("returns a scalar result's value", async () => {
    reply = success("scalar", [1_700_000_000, "0.25"]);
    const result = await queryPrometheus({ url: baseUrl, query: "scalar(up)", vars });
    expect(result.value).toBe(0.25);
    expect(result.series).toBe(1);
  });

  it.each([
    ["NaN", "NaN"],
    ["+Inf", "+Inf"],
    ["-Inf", "-Inf"],
  ])("turns a %s value into null and keeps the reason", async (raw, shown) => {
    reply = success("vector", [sample(raw)]);
    const result = await queryPrometheus({ url: baseUrl, query: "a / b", vars });
    expect(result.value).toBeNull();
    expect(result.series).toBe(1);
    expect(result.reason).toContain(shown);
  });

  it("keeps Prometheus' warnings", async () => {
    reply = success("vector", [sample("3")], { warnings: ["partial response"] });
    const result = await queryPrometheus({ url: baseUrl, query: "up", vars });
    expect(result.warnings).toEqual(["partial response"]);
  });

  it("refuses several series: the query must aggregate to one, e.g. with sum()", async () => {
    reply = success("vector", [sample("1", { instance: "a" }), sample("2", { instance: "b" })]);
    const error = await failure(queryPrometheus({ url: baseUrl, query: "up", vars }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("2 series");
    expect(error.hint).toContain("sum(");
    expect(error.details.join("\n")).toContain('instance="b"');
  });

  it("refuses a range vector (matrix) answer", async () => {
    reply = success("matrix", [{ metric: {}, values: [[1, "1"]] }]);
    const error = await failure(queryPrometheus({ url: baseUrl, query: "up[1m]", vars }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("matrix");
  });

  it("turns a bad_data error body into CONFIG_INVALID with Prometheus' error text and a hint", async () => {
    reply = {
      status: 400,
      body: JSON.stringify({
        status: "error",
        errorType: "bad_data",
        error: 'invalid parameter "query": 1:5: parse error: unexpected end of input',
      }),
    };
    const error = await failure(queryPrometheus({ url: baseUrl, query: "sum(", vars }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("parse error: unexpected end of input");
    expect(error.details.join("\n")).toContain("bad_data");
    expect(error.hint).toContain("/api/v1/query");
  });

  it("turns an execution error body into TARGET_FAILED with errorType and error text", async () => {
    reply = {
      status: 503,
      body: JSON.stringify({
        status: "error",
        errorType: "timeout",
        error: "query timed out in expression evaluation",
      }),
    };
    const error = await failure(queryPrometheus({ url: baseUrl, query: "up", vars }));
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.message).toContain("timeout: query timed out in expression evaluation");
    expect(error.hint).toContain("/-/ready");
  });

  it("turns a non-JSON HTTP error (e.g. a proxy's 502 page) into TARGET_FAILED naming the status", async () => {
    reply = { status: 502, body: "<html>Bad Gateway</html>", contentType: "text/html" };
    const error = await failure(queryPrometheus({ url: baseUrl, query: "up", vars }));
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.message).toContain("HTTP 502");
    expect(error.details.join("\n")).toContain("Bad Gateway");
  });

  it("points at credentials on 401 and never echoes the headers", async () => {
    reply = { status: 401, body: "Unauthorized", contentType: "text/plain" };
    const error = await failure(
      queryPrometheus({ url: baseUrl, query: "up", vars, headers: { Authorization: "Bearer s3cr3t-token" } }),
    );
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.hint).toContain("headers");
    expect(fullText(error)).not.toContain("s3cr3t-token");
  });

  it("turns URL credentials into Basic auth and keeps them out of errors", async () => {
    const port = new URL(baseUrl).port;
    reply = { status: 500, body: "{}" };
    const error = await failure(
      queryPrometheus({ url: `http://admin:hunter2@127.0.0.1:${port}`, query: "up", vars }),
    );
    expect(lastRequest?.headers.authorization).toBe(
      `Basic ${Buffer.from("admin:hunter2").toString("base64")}`,
    );
    expect(fullText(error)).not.toContain("hunter2");
    expect(fullText(error)).not.toContain("admin");
  });

  it("names the URL, without credentials, when the connection fails", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(
      queryPrometheus({ url: `http://user:topsecret@127.0.0.1:${port}/`, query: "up", vars }),
    );
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(fullText(error)).not.toContain("topsecret");
  });

  it("fails with TARGET_FAILED when Prometheus does not answer within the timeout", async () => {
    reply = { body: "", hang: true };
    const error = await failure(queryPrometheus({ url: baseUrl, query: "up", vars, timeoutMs: 200 }));
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.message).toContain("did not answer within 200 ms");
  });

  it("rejects a URL that is not http(s) with CONFIG_INVALID", async () => {
    const error = await failure(queryPrometheus({ url: "ftp://prometheus", query: "up", vars }));
    expect(error.code).toBe("CONFIG_INVALID");
  });

  it("uses the injected fetch", async () => {
    let called = "";
    const fakeFetch: typeof fetch = async (input) => {
      called = String(input);
      return new Response(JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } }));
    };
    const result = await queryPrometheus({
      url: "http://prom.invalid:9090",
      query: "up",
      vars,
      fetch: fakeFetch,
    });
    expect(result.value).toBeNull();
    expect(called).toContain("http://prom.invalid:9090/api/v1/query?");
  });
});
