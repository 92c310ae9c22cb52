/**
 * Canary analysis end to end: the built CLI deploys the fixture app on the local target (real agent,
 * proxy and processes) under steady load from autocannon. The demo's v3-broken answers 5xx at a
 * chosen rate, or answers slower; its canary must fail the analysis, exit 3 and put the previous
 * release back, with the verdict and its numbers on screen and in the ledger. A healthy canary
 * promotes; a canary without traffic is inconclusive (paused), never passed; the post-deploy watch
 * rolls back a release that fails after promotion. Notifications go to local receivers standing in
 * for Slack and a signed webhook; a real Prometheus (Debian's package) scrapes the agent's /metrics
 * and judges a canary with a PromQL metric. No secret reaches any payload, output or ledger row.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import autocannon from "autocannon";
import { afterEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../src/notify/index.js";
import { runShipgate } from "./support/cli.js";
import { copyDeployFixture } from "./support/deploy-fixture.js";
import { startPrometheus, type TestPrometheus } from "./support/prometheus.js";

const projects: string[] = [];
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  for (const dir of projects.splice(0)) {
    await runShipgate(["down", "local"], dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

const secretValue = "sk_live_a1b2c3d4e5f6g7h8";

interface Project {
  dir: string;
  port: number;
  url: string;
  sg(args: string[], env?: NodeJS.ProcessEnv): ReturnType<typeof runShipgate>;
}

/**
 * The fixture with analysis and watch configured by `block` (YAML under the environment), canary
 * steps `steps`, and the env the releases get (FAILURE_RATE … plus a secret that must never leak).
 */
async function project(options: {
  block: string;
  steps?: string;
  env?: Record<string, string>;
}): Promise<Project> {
  const { dir, port, url } = await copyDeployFixture((yaml) =>
    yaml
      .replace(
        "    analysis:\n      enabled: false\n    watch:\n      duration: 0\n",
        `${options.block.replace(/^/gm, "    ").trimEnd()}\n    env:\n      dotenv: release.env\n`,
      )
      .replace(
        "        - setWeight: 50\n        - pause: 1s\n",
        `${(options.steps ?? "- setWeight: 50\n- pause: 3s\n").replace(/^/gm, "        ").trimEnd()}\n`,
      ),
  );
  const env = { API_SECRET: secretValue, ...options.env };
  writeFileSync(
    join(dir, "release.env"),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
  projects.push(dir);
  return { dir, port, url, sg: (args, extra = {}) => runShipgate(args, dir, extra) };
}

/** Steady keep-alive load on `path` at about `rate` requests a second until stop(). */
function load(url: string, path = "/", rate = 300) {
  let finish: (result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve) => {
    finish = resolve;
  });
  const instance = autocannon(
    { url: `${url}${path}`, connections: 8, overallRate: rate, duration: 3600, timeout: 10 },
    (error, result) => {
      if (error) throw error;
      finish(result);
    },
  );
  return {
    async stop() {
      instance.stop();
      const r = await done;
      return { total: r.requests.total, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx };
    },
  };
}

async function versionAt(url: string): Promise<string | null> {
  const res = await fetch(`${url}/version`);
  await res.arrayBuffer();
  return res.headers.get("x-app-version");
}

interface StatusJson {
  current: { version: string } | null;
  inProgress: { status: string } | null;
  analysis: { phase: string; verdict: string; summary: string } | null;
  live: { releases: { version: string; errorRate: number | null; alerts: string[] }[] } | null;
}

async function status(p: Project): Promise<StatusJson> {
  const run = await p.sg(["status", "local", "--format", "json"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as StatusJson;
}

/** A local HTTP receiver recording every request (stands in for Slack and a webhook endpoint). */
async function receiver() {
  const received: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const fastAnalysis = `analysis:
  interval: 1s
  minRequests: 20
  failureLimit: 0
  inconclusiveLimit: 2
watch:
  duration: 0
`;

describe("canary analysis on the local target", () => {
  it("fails a canary answering 5xx: exit 3, previous release current, the verdict on screen, in the ledger and in the notifications", async () => {
    const slack = await receiver();
    const hook = await receiver();
    const hmacKey = "whsec_0123456789abcdef";
    const slackUrl = `${slack.url}/services/T000/B000/${"x".repeat(24)}`;
    const p = await project({
      block: `${fastAnalysis}notifications:
  - type: slack
    urlEnv: TEST_SLACK_URL
  - type: webhook
    name: audit
    url: ${hook.url}/shipgate
    secretEnv: TEST_HOOK_KEY
`,
      env: { FAILURE_RATE: "0.3" },
    });
    const env = { TEST_SLACK_URL: slackUrl, TEST_HOOK_KEY: hmacKey };
    const first = await p.sg(["deploy", "local", "--version", "good-a"], env);
    expect(first.code, first.stderr + first.stdout).toBe(0);

    const traffic = load(p.url);
    const run = await p.sg(["deploy", "local", "--version", "v3-broken", "--strategy", "canary"], env);
    const seen = await traffic.stop();
    expect(run.code, run.stderr + run.stdout).toBe(3);
    const out = run.stdout + run.stderr;
    expect(out).toMatch(
      /canary analysis of v3-broken failed: canary error-rate \d+\.\d% vs baseline 0\.0% = ∞× > 1\.5× over 1 of 1 interval/,
    );
    expect(out).toContain('new error type: "TypeError: Cannot read properties of undefined (reading <str>)"');
    expect(await versionAt(p.url)).toBe("good-a");
    expect(seen.errors + seen.timeouts).toBe(0);

    const s = await status(p);
    expect(s.current?.version).toBe("good-a");
    expect(s.analysis).toMatchObject({ phase: "canary", verdict: "failed" });
    expect(s.analysis?.summary).toMatch(/canary error-rate .* > 1\.5×/);
    const history = await p.sg(["history", "local", "--format", "json"]);
    const last = (JSON.parse(history.stdout) as { status: string; error: string }[])[0];
    expect(last?.status).toBe("rolled_back");
    expect(last?.error).toContain("canary analysis of v3-broken failed");

    // Slack: Block Kit with the environment and the version; the webhook: signed JSON events.
    const slackEvents = slack.received.map((r) => JSON.parse(r.body) as { text: string; blocks: unknown[] });
    expect(slackEvents.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(slackEvents.at(-1))).toContain("v3-broken");
    expect(slackEvents.at(-1)?.blocks.length).toBeGreaterThan(1);
    const events = hook.received.map((r) => {
      expect(verifyWebhookSignature(hmacKey, r.headers, r.body)).toBe(true);
      return JSON.parse(r.body) as { event: string; version: string; reason: string | null };
    });
    expect(events.map((e) => e.event)).toEqual([
      "deploy-started",
      "deploy-succeeded",
      "deploy-started",
      "deploy-rolled-back",
    ]);
    expect(events.at(-1)?.reason).toContain("canary analysis of v3-broken failed");

    // The secret of the release env is nowhere: not in output, payloads, or the ledger in clear.
    const everything = [
      out,
      first.stdout + first.stderr,
      JSON.stringify(s),
      history.stdout,
      ...slack.received.map((r) => r.body + JSON.stringify(r.headers)),
      ...hook.received.map((r) => r.body + JSON.stringify(r.headers)),
      ...readdirSync(join(p.dir, ".shipgate"))
        .filter((f) => f.startsWith("ledger.db"))
        .map((f) => readFileSync(join(p.dir, ".shipgate", f)).toString("latin1")),
    ].join("\n");
    expect(everything).not.toContain(secretValue);
    expect(everything).not.toContain(hmacKey);
    expect(everything.replace(slackUrl, "")).not.toContain("x".repeat(24));
  });

  it("fails a canary that is only slower, on p99", async () => {
    const p = await project({ block: fastAnalysis, env: { FAILURE_RATE: "0", EXTRA_LATENCY_MS: "250" } });
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const traffic = load(p.url);
    const run = await p.sg(["deploy", "local", "--version", "v3-broken", "--strategy", "canary"]);
    await traffic.stop();
    expect(run.code, run.stderr + run.stdout).toBe(3);
    expect(run.stdout + run.stderr).toMatch(/canary p99 2\d\d ms vs baseline [\d.]+ ms = [\d.]+× > 1\.5×/);
    expect(await versionAt(p.url)).toBe("good-a");
  });

  it("promotes a healthy canary, each pause judged on real traffic", async () => {
    // A p99 floor above what a fresh process's first requests can take on a busy machine (a new
    // release starts with a cold JIT): this test is about promotion, the p99 test above about latency.
    const p = await project({
      block: fastAnalysis.replace(
        "  failureLimit: 0\n",
        "  failureLimit: 0\n  metrics:\n    - { metric: error-rate, ratio: 1.5, floor: 0.01 }\n    - { metric: p99, ratio: 1.5, floor: 200 }\n    - { metric: restarts, max: 0 }\n    - { metric: new-error-types, max: 0 }\n",
      ),
      steps: "- setWeight: 30\n- pause: 2s\n- setWeight: 60\n- pause: 2s\n",
    });
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const traffic = load(p.url);
    const run = await p.sg(["deploy", "local", "--version", "good-b", "--strategy", "canary"]);
    const seen = await traffic.stop();
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stderr).toMatch(
      /analysis interval 2: pass \(\d+ canary \/ \d+ baseline requests\) error-rate 0\.0%; p99/,
    );
    expect(await versionAt(p.url)).toBe("good-b");
    expect(seen).toMatchObject({ errors: 0, timeouts: 0, non2xx: 0 });
    const s = await status(p);
    expect(s.analysis).toMatchObject({ phase: "canary", verdict: "passed" });
    expect(s.live?.releases.find((r) => r.version === "good-b")?.alerts, JSON.stringify(s.live)).toEqual([]);
  });

  it("calls a canary without traffic inconclusive and pauses it: never a pass", async () => {
    const p = await project({ block: fastAnalysis });
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const run = await p.sg(["deploy", "local", "--version", "good-b", "--strategy", "canary"]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain("paused");
    const s = await status(p);
    expect(s.inProgress?.status).toBe("paused");
    expect(s.analysis).toMatchObject({
      verdict: "inconclusive",
      summary: expect.stringContaining("3 of 3 intervals without enough data"),
    });
    expect(s.current?.version).toBe("good-a");
    expect((await p.sg(["abort", "local"])).code).toBe(0);
    expect(await versionAt(p.url)).toBe("good-a");
  });

  it("rolls back after promotion when the watch sees the error rate above 5% long enough", async () => {
    const p = await project({
      block: `analysis:
  enabled: false
watch:
  duration: 20s
  interval: 1s
  errorRate:
    max: 0.05
    for: 2s
`,
      env: { FAILURE_RATE: "0.3" },
    });
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const traffic = load(p.url);
    const run = await p.sg(["deploy", "local", "--version", "v3-broken", "--strategy", "blue-green"]);
    await traffic.stop();
    expect(run.code, run.stderr + run.stdout).toBe(3);
    expect(run.stdout + run.stderr).toMatch(
      /post-deploy watch of v3-broken: error rate \d+\.\d% > 5\.0% for [23] s after promotion/,
    );
    expect(await versionAt(p.url)).toBe("good-a");
    expect((await status(p)).analysis).toMatchObject({ phase: "watch", verdict: "failed" });
  });
});

describe("canary analysis with a PromQL metric against a real Prometheus", () => {
  let prometheus: TestPrometheus | null = null;
  afterEach(async () => {
    await prometheus?.stop();
    prometheus = null;
  });

  it("scrapes the agent's /metrics and fails the canary on the PromQL error rate", async () => {
    // The Prometheus URL is known only once it runs: the config gets a placeholder replaced below.
    const p = await project({
      block: `analysis:
  interval: 3s
  minRequests: 20
  failureLimit: 0
  inconclusiveLimit: 4
  metrics:
    - name: prom-error-rate
      max: 0.1
      prometheus:
        url: PROMETHEUS_URL
        query: sum(increase(shipgate_http_requests_total{release="{{release}}",code_class="5xx"}[{{interval}}])) / sum(increase(shipgate_http_requests_total{release="{{release}}"}[{{interval}}]))
watch:
  duration: 0
`,
      steps: "- setWeight: 50\n- pause: 9s\n",
      env: { FAILURE_RATE: "0.4" },
    });
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${p.port + 2}`] });
    const config = join(p.dir, "shipgate.yaml");
    writeFileSync(config, readFileSync(config, "utf8").replace("PROMETHEUS_URL", prometheus.url));
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const traffic = load(p.url);
    try {
      await prometheus.waitForSeries('shipgate_http_requests_total{code_class="2xx"}', 30_000);
      const run = await p.sg(["deploy", "local", "--version", "v3-broken", "--strategy", "canary"]);
      expect(run.code, run.stderr + run.stdout).toBe(3);
      expect(run.stdout + run.stderr).toMatch(/canary prom-error-rate 0\.\d+ > max 0\.1 over/);
    } finally {
      await traffic.stop();
    }
    expect(await versionAt(p.url)).toBe("good-a");
  });
});
