/**
 * Tests for the local agent's /metrics text: the golden-signal series per release and route group,
 * the histogram's cumulative buckets, sum and count, the gauges, label escaping, that nothing but the
 * listed labels can carry a value (no env values or secrets), the agent's own process metrics, and
 * (when Debian's promtool is installed) that Prometheus' own checker accepts the output.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ensurePrometheusInstalled } from "../../../../test/support/prometheus.js";
import {
  emptyReleaseMetrics,
  emptyTraffic,
  recordResponse,
  type TrafficMetrics,
} from "../../../proxy/traffic-metrics.js";
import type { InstanceInfo, ReleaseSignals } from "../types.js";
import { createExposition, type ExpositionInput, exposedBucketsSeconds } from "./prometheus-exposition.js";

const secret = "postgres://app:hunter2-s3cret@db.internal:5432/app";

/** 90 2xx and 10 5xx on /items at chosen latencies (ms), one per value listed, cycling. */
const latencies = [3, 5, 7, 10, 24, 25, 26, 60, 300, 1200, 15_000];

function groupTraffic(ok: number, failed: number): TrafficMetrics {
  const t = emptyTraffic();
  for (let i = 0; i < ok + failed; i++) {
    t.requests++;
    recordResponse(t, i < ok ? 200 : 503, latencies[i % latencies.length] as number);
  }
  t.upstreamErrors = 2;
  return t;
}

function release(
  version: string | null,
  groups: Record<string, TrafficMetrics>,
  restarts = 0,
): ReleaseSignals {
  const traffic = emptyReleaseMetrics();
  traffic.groups = groups;
  traffic.retries = 3;
  return {
    version,
    traffic,
    restarts,
    errorLines: 7,
    errors: [
      { signature: `Error: ${secret}`, count: 7, sample: `Error: ${secret}`, firstSeen: "", lastSeen: "" },
    ],
  };
}

function instance(id: string, releaseId: string, state: InstanceInfo["state"]): InstanceInfo {
  return {
    id,
    releaseId,
    port: 4000,
    pid: 1,
    state,
    restarts: 0,
    startedAt: "2026-03-01T12:00:00.000Z",
    lastExit: null,
    inFlight: 0,
  };
}

function input(): ExpositionInput {
  return {
    environment: "production",
    metrics: {
      at: "2026-03-01T12:00:00.000Z",
      releases: {
        "r-1": release("v1", { "/items": groupTraffic(90, 10) }, 2),
        "r-2": release('v2 "quoted" \\ back\nslash', { "/users/:id": groupTraffic(5, 0) }),
      },
    },
    instances: [
      instance("i-1", "r-1", "healthy"),
      instance("i-2", "r-1", "healthy"),
      instance("i-3", "r-2", "starting"),
      instance("i-4", "r-2", "stopped"),
    ],
    weights: { "r-1": 90, "r-2": 10 },
    unrouted: 4,
  };
}

/** Sample lines of the text format: name{labels} value (labels kept as written). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

const r1 = 'environment="production",release="r-1",version="v1"';
const items = `${r1},route_group="/items"`;

describe("createExposition", () => {
  it("renders requests by status class per release and route group", async () => {
    const text = await createExposition().render(input());
    const s = samples(text);
    expect(s.get(`shipgate_http_requests_total{${items},code_class="2xx"}`)).toBe(90);
    expect(s.get(`shipgate_http_requests_total{${items},code_class="5xx"}`)).toBe(10);
    expect(s.has(`shipgate_http_requests_total{${items},code_class="4xx"}`)).toBe(false);
    expect(s.get(`shipgate_http_upstream_errors_total{${items}}`)).toBe(2);
    expect(text).toContain("# TYPE shipgate_http_requests_total counter");
  });

  it("renders the latency histogram with cumulative buckets, the sum in seconds and the count", async () => {
    const s = samples(await createExposition().render(input()));
    const recorded: number[] = [];
    for (let i = 0; i < 100; i++) recorded.push(latencies[i % latencies.length] as number);
    for (const le of exposedBucketsSeconds) {
      const expected = recorded.filter((ms) => ms <= le * 1000).length;
      expect(s.get(`shipgate_http_request_duration_seconds_bucket{${items},le="${le}"}`), `le=${le}`).toBe(
        expected,
      );
    }
    expect(s.get(`shipgate_http_request_duration_seconds_bucket{${items},le="0.005"}`)).toBe(19);
    expect(s.get(`shipgate_http_request_duration_seconds_bucket{${items},le="0.025"}`)).toBe(55);
    expect(s.get(`shipgate_http_request_duration_seconds_bucket{${items},le="10"}`)).toBe(91);
    expect(s.get(`shipgate_http_request_duration_seconds_bucket{${items},le="+Inf"}`)).toBe(100);
    expect(s.get(`shipgate_http_request_duration_seconds_count{${items}}`)).toBe(100);
    const sumSeconds = recorded.reduce((a, b) => a + b, 0) / 1000;
    expect(s.get(`shipgate_http_request_duration_seconds_sum{${items}}`)).toBeCloseTo(sumSeconds, 9);
  });

  it("renders restarts, retries, error lines, weights, instances by state and unrouted", async () => {
    const s = samples(await createExposition().render(input()));
    expect(s.get(`shipgate_instance_restarts_total{${r1}}`)).toBe(2);
    expect(s.get(`shipgate_http_retries_total{${r1}}`)).toBe(3);
    expect(s.get(`shipgate_log_error_lines_total{${r1}}`)).toBe(7);
    expect(s.get(`shipgate_log_error_signatures{${r1}}`)).toBe(1);
    expect(s.get(`shipgate_traffic_weight_percent{${r1}}`)).toBe(90);
    expect(s.get('shipgate_instances{environment="production",release="r-1",state="healthy"}')).toBe(2);
    expect(s.get('shipgate_instances{environment="production",release="r-2",state="starting"}')).toBe(1);
    expect([...s.keys()].some((k) => k.includes('state="stopped"'))).toBe(false);
    expect(s.get('shipgate_proxy_unrouted_total{environment="production"}')).toBe(4);
  });

  it("escapes quotes, backslashes and newlines in label values", async () => {
    const text = await createExposition().render(input());
    expect(text).toContain('version="v2 \\"quoted\\" \\\\ back\\nslash"');
    expect(
      text.split("\n").every((line) => line === "" || line.startsWith("#") || line.startsWith("shipgate_")),
    ).toBe(true);
  });

  it("carries only the listed labels: no error samples, env values or secrets", async () => {
    const text = await createExposition().render(input());
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("db.internal");
    const labelNames = new Set<string>();
    for (const line of text.split("\n")) {
      if (!line.startsWith("shipgate_") || line.startsWith("shipgate_agent_")) continue;
      for (const m of line.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labelNames.add(m[1] as string);
    }
    expect([...labelNames].sort()).toEqual([
      "code_class",
      "environment",
      "le",
      "release",
      "route_group",
      "state",
      "version",
    ]);
  });

  it("adds the agent's own process metrics under shipgate_agent_", async () => {
    const exposition = createExposition();
    const text = await exposition.render(input());
    expect(text).toMatch(/^shipgate_agent_process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^shipgate_agent_nodejs_heap_size_used_bytes \d/m);
    expect(exposition.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    // A second render (another scrape) works from the same registry.
    expect(
      samples(await exposition.render(input())).get(
        `shipgate_http_requests_total{${items},code_class="2xx"}`,
      ),
    ).toBe(90);
  });

  it("is accepted by promtool check metrics (Debian's prometheus package, installed by the test setup)", async () => {
    await ensurePrometheusInstalled();
    const text = await createExposition().render(input());
    const result = spawnSync("/usr/bin/promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    // promtool parses the text (a parse error exits 1) and lints it (exit 3 with the findings). The
    // only findings allowed are prom-client's own nodejs_active_*_total gauges in the agent's metrics.
    const findings = `${result.stdout}${result.stderr}`.split("\n").filter((l) => l.trim() !== "");
    expect(
      findings.filter((l) => !/^shipgate_agent_nodejs_active_\w+_total non-counter metrics/.test(l)),
    ).toEqual([]);
    expect([0, 3]).toContain(result.status);
  });
});
