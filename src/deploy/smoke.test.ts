import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { copyDeployFixture } from "../../test/support/deploy-fixture.js";
import { usePostgres } from "../../test/support/postgres.js";
import { runMigrationsLint } from "../cli/commands/migrations-lint.js";
import { type SmokeTest, smokeTestSchema } from "../config/deploy-schema.js";
import { loadConfig } from "../config/load.js";
import { createReverseProxy, defaultSticky } from "../proxy/index.js";
import { removeStoredArtifact, storeArtifact } from "./artifact.js";
import { evaluateJsonPath, parseJsonPath, runSmokeTests } from "./smoke.js";

const repoRoot = join(import.meta.dirname, "../..");
const demoDir = join(repoRoot, "examples/demo");

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-smoke-"));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of temps.splice(0)) await removeStoredArtifact(dir);
});

/** A smoke test as written in shipgate.yaml (defaults applied by the schema). */
function smoke(input: Record<string, unknown>): SmokeTest {
  return smokeTestSchema.parse(input);
}

// ---------------------------------------------------------------------------------------------
// runSmokeTests against a real HTTP server started here

const longText = `${"lorem ipsum ".repeat(60)}THE END`;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(value));
      };
      switch (url.pathname) {
        case "/version":
          return json(200, {
            version: "v2",
            items: [{ id: 1, name: "apple", note: null }],
            "odd key": { ok: true },
            count: 2,
          });
        case "/down":
          res.writeHead(503, { "Content-Type": "text/plain" });
          return res.end("down for maintenance");
        case "/long":
          res.writeHead(200, { "Content-Type": "text/plain" });
          return res.end(longText);
        case "/slow":
          setTimeout(() => json(200, { slow: true }), Number(url.searchParams.get("ms") ?? "2000"));
          return;
        case "/echo":
          return json(200, {
            method: req.method,
            header: req.headers["x-smoke"] ?? null,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        case "/prefix/version":
          return json(200, { version: "prefixed" });
        default:
          return json(404, { error: "not found" });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function one(test: Record<string, unknown>, url = baseUrl) {
  const [result] = await runSmokeTests({ baseUrl: url, tests: [smoke(test)], cwd: repoRoot });
  if (!result) throw new Error("no result");
  return result;
}

describe("runSmokeTests (HTTP)", () => {
  it("is not counted as the release's traffic when it runs through the local proxy's preview port", async () => {
    const port = Number(new URL(baseUrl).port);
    const proxy = createReverseProxy({
      table: {
        version: 1,
        upstreams: [{ instanceId: "r-new/a", releaseId: "r-new", host: "127.0.0.1", port }],
        traffic: [],
        preview: "r-new",
        sticky: defaultSticky,
      },
    });
    try {
      const preview = `http://127.0.0.1:${await proxy.listen("preview", "127.0.0.1", 0)}`;
      const results = await runSmokeTests({
        baseUrl: preview,
        tests: [
          smoke({ path: "/version" }),
          smoke({
            path: "/echo",
            headers: { "x-smoke": "mine" },
            json: { path: "$.header", equals: "mine" },
          }),
        ],
        cwd: repoRoot,
      });
      expect(results.map((r) => r.ok)).toEqual([true, true]);
      // The release's metrics (canary analysis, watch, status, route groups) never saw them.
      expect(proxy.stats().releases["r-new"]).toBeUndefined();
    } finally {
      await proxy.close(0);
    }
  });

  it("passes a test whose status matches, named METHOD path by default", async () => {
    const result = await one({ path: "/version" });
    expect(result).toMatchObject({ name: "GET /version", ok: true, status: 200 });
    expect(result.problem).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await one({ name: "maintenance page", path: "/down", status: 503 })).name).toBe(
      "maintenance page",
    );
  });

  it("fails a wrong status, saying what was expected and showing the body", async () => {
    const result = await one({ path: "/down" });
    expect(result).toMatchObject({ ok: false, status: 503 });
    expect(result.problem).toBe("expected status 200, got 503: down for maintenance");
  });

  it("checks bodyContains, cutting a long body to ~200 characters", async () => {
    expect((await one({ path: "/long", bodyContains: "THE END" })).ok).toBe(true);
    const result = await one({ path: "/long", bodyContains: "not there" });
    expect(result.ok).toBe(false);
    expect(result.problem).toMatch(/^expected the body to contain "not there", got: lorem ipsum/);
    expect(result.problem).toContain(`… (${longText.length} chars)`);
    expect(result.problem?.length).toBeLessThan(300);
    expect(result.problem).not.toContain("THE END");
  });

  it('checks a JSON path: $.a, $.a[0].b, $["key"] with strict equality', async () => {
    const pass = [
      { path: "$.version", equals: "v2" },
      { path: "$.items[0].name", equals: "apple" },
      { path: "$.items[0].note", equals: null },
      { path: '$["odd key"].ok', equals: true },
      { path: "$['odd key']['ok']", equals: true },
      { path: "$.count", equals: 2 },
    ];
    for (const json of pass)
      expect(await one({ path: "/version", json }), json.path).toMatchObject({ ok: true });

    expect((await one({ path: "/version", json: { path: "$.version", equals: "v1" } })).problem).toBe(
      'expected $.version to equal "v1", got "v2"',
    );
    expect((await one({ path: "/version", json: { path: "$.count", equals: "2" } })).problem).toBe(
      'expected $.count to equal "2", got 2',
    );
    expect((await one({ path: "/version", json: { path: "$.items[3].id", equals: 1 } })).problem).toMatch(
      /^expected \$\.items\[3\]\.id to equal 1, but the body has no \$\.items\[3\]\.id/,
    );
    expect(
      (await one({ path: "/down", status: 503, json: { path: "$.version", equals: "v2" } })).problem,
    ).toBe("expected a JSON body with $.version, got: down for maintenance");
    expect((await one({ path: "/version", json: { path: "version", equals: "v2" } })).problem).toMatch(
      /^cannot read the JSON path "version"/,
    );
  });

  it("reports every failed check of a test together", async () => {
    const result = await one({ path: "/down", bodyContains: "ok", json: { path: "$.a", equals: 1 } });
    expect(result.problem?.split("; ")).toHaveLength(3);
  });

  it("sends the method, headers and body given", async () => {
    const result = await one({
      method: "POST",
      path: "/echo",
      headers: { "x-smoke": "yes" },
      body: "ping",
      json: { path: "$.body", equals: "ping" },
      bodyContains: '"header":"yes"',
    });
    expect(result).toMatchObject({ ok: true, name: "POST /echo" });
  });

  it("fails a response slower than maxLatency (the request times out at maxLatency)", async () => {
    const result = await one({ path: "/slow?ms=3000", maxLatency: "100ms" });
    expect(result.ok).toBe(false);
    expect(result.problem).toMatch(/^expected a response within maxLatency 100 ms, got none after \d+ ms$/);
    expect((await one({ path: "/version", maxLatency: "5s" })).ok).toBe(true);
  });

  it("appends paths to a base URL with a path prefix", async () => {
    expect(
      await one({ path: "/version", json: { path: "$.version", equals: "prefixed" } }, `${baseUrl}/prefix/`),
    ).toMatchObject({ ok: true });
  });

  it("a refused connection is a failed test, not an exception", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await one({ path: "/version" }, `http://127.0.0.1:${port}`);
    expect(result).toMatchObject({
      ok: false,
      problem: "expected a response, but the request failed: connection refused",
    });
  });

  it("runs every test even when one fails, in order", async () => {
    const results = await runSmokeTests({
      baseUrl,
      tests: [smoke({ path: "/down" }), smoke({ path: "/version" })],
      cwd: repoRoot,
    });
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ["GET /down", false],
      ["GET /version", true],
    ]);
  });

  it("an aborted run reports the tests it did not run", async () => {
    const controller = new AbortController();
    controller.abort();
    const results = await runSmokeTests({
      baseUrl,
      tests: [smoke({ path: "/version" })],
      cwd: repoRoot,
      signal: controller.signal,
    });
    expect(results).toEqual([
      { name: "GET /version", ok: false, latencyMs: 0, problem: "not run: the deploy was aborted" },
    ]);
  });
});

describe("runSmokeTests (command)", () => {
  it("runs the command through the shell with SHIPGATE_TARGET_URL; exit 0 passes", async () => {
    const cwd = tempDir();
    const results = await runSmokeTests({
      baseUrl,
      tests: [smoke({ path: "/version" })],
      command: 'echo "$SHIPGATE_TARGET_URL" > target.txt && test "$(pwd)" = "$EXPECTED_CWD"',
      cwd,
      env: { EXPECTED_CWD: cwd },
    });
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(results[1]?.name).toBe(
      'command `echo "$SHIPGATE_TARGET_URL" > target.txt && test "$(pwd)" = "$EXPECTED_CWD"`',
    );
    expect(readFileSync(join(cwd, "target.txt"), "utf8").trim()).toBe(baseUrl);
  });

  it("a non-zero exit fails, with the exit code and the last output, never an env value", async () => {
    const secret = "sk_live_playwright_secret_123";
    const [result] = await runSmokeTests({
      baseUrl,
      tests: [],
      command: 'echo "login with $E2E_PASSWORD"; echo "1 test failed: checkout" >&2; exit 4',
      cwd: tempDir(),
      env: { E2E_PASSWORD: secret },
    });
    expect(result?.ok).toBe(false);
    expect(result?.problem).toBe(
      "expected exit code 0, it exited with code 4; last output: login with **** | 1 test failed: checkout",
    );
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it("never puts an env value in an HTTP problem either", async () => {
    const [result] = await runSmokeTests({
      baseUrl,
      tests: [smoke({ path: "/down", bodyContains: "maintenance-token-xyz" })],
      cwd: repoRoot,
      env: { TOKEN: "maintenance" },
    });
    expect(result?.problem).not.toContain("maintenance");
    expect(result?.problem).toContain("down for ****");

    // Values to hide that the command must not receive: `redact`.
    const cwd = tempDir();
    const [http, command] = await runSmokeTests({
      baseUrl,
      tests: [smoke({ path: "/down" })],
      command: 'echo "[$DB_PASSWORD]" > seen.txt; exit 1',
      cwd,
      redact: ["maintenance"],
    });
    expect(http?.problem).toBe("expected status 200, got 503: down for ****");
    expect(command?.ok).toBe(false);
    expect(readFileSync(join(cwd, "seen.txt"), "utf8").trim()).toBe("[]");
  });
});

describe("parseJsonPath / evaluateJsonPath", () => {
  it("parses the subset and refuses the rest", () => {
    expect(parseJsonPath("$")).toEqual([]);
    expect(parseJsonPath("$.a.b")).toEqual(["a", "b"]);
    expect(parseJsonPath("$.a[0].b")).toEqual(["a", 0, "b"]);
    expect(parseJsonPath('$["a.b"]["c\\"d"]')).toEqual(["a.b", 'c"d']);
    for (const bad of ["a.b", "$.", "$..a", "$[*]", "$.a[?(@.x)]", "$[-1]"])
      expect(parseJsonPath(bad), bad).toBeUndefined();
  });

  it("distinguishes a missing key from a null value, and never reads inherited properties", () => {
    const value = { a: null, list: [1], obj: {} };
    expect(evaluateJsonPath(value, ["a"])).toEqual({ found: true, value: null });
    expect(evaluateJsonPath(value, ["b"])).toEqual({ found: false });
    expect(evaluateJsonPath(value, ["list", 1])).toEqual({ found: false });
    expect(evaluateJsonPath(value, ["obj", "toString"])).toEqual({ found: false });
    expect(evaluateJsonPath(value, ["list", "length"])).toEqual({ found: false });
  });
});

// ---------------------------------------------------------------------------------------------
// examples/demo and test/fixtures/deploy-app as real processes

interface AppProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a line matching `pattern` was printed. */
  waitForLine(pattern: RegExp): Promise<string>;
}

const started: ChildProcess[] = [];
afterEach(() => {
  // Every process a test started is stopped, also when the test failed.
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
  }
});

/** Builds a demo version the way a deploy does (release.build) into examples/demo/dist/<version>. */
function demoBuild(version: string): string {
  execFileSync("sh", ["build.sh"], { cwd: demoDir, env: { ...process.env, SHIPGATE_VERSION: version } });
  return join(demoDir, "dist", version);
}

function spawnApp(dir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["server.js"], {
    cwd: dir,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  const output: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string) => {
    output.push(line);
    for (const w of [...waiters]) {
      if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream.on("data", (chunk: Buffer) => {
      const parts = (pending + chunk.toString("utf8")).split("\n");
      pending = parts.pop() ?? "";
      for (const p of parts) onLine(p);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitForLine = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const seen = output.find((l) => pattern.test(l));
      if (seen !== undefined) return resolve(seen);
      waiters.push({ pattern, resolve });
      void exited.then(() =>
        reject(new Error(`exited before printing ${pattern}; output:\n${output.join("\n")}`)),
      );
    });
  return { child, output, exited, waitForLine };
}

async function startApp(dir: string, env: Record<string, string> = {}): Promise<AppProcess> {
  const app = spawnApp(dir, env);
  const line = await app.waitForLine(/listening on http:\/\/127\.0\.0\.1:\d+/);
  const port = Number(/:(\d+)$/.exec(line)?.[1]);
  return { ...app, port, url: `http://127.0.0.1:${port}` };
}

async function get(url: string, dispatcher?: Agent) {
  const response = await request(url, dispatcher ? { dispatcher } : {});
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

async function waitUntilReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await get(`${url}/health/ready`)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("never ready");
}

/** The demo versions as `shipgate deploy` runs them: stored artifacts, outside the repository. */
async function storedDemoVersion(version: string): Promise<string> {
  const stored = await storeArtifact({
    sourceDir: demoBuild(version),
    storeDir: join(tempDir(), "artifacts"),
    exclude: ["node_modules/**"],
  });
  return stored.path;
}

describe("examples/demo", () => {
  it("shipgate.yaml is valid: local target on 4870 with 2 instances, rolling, demo canary steps with analysis, smoke tests", () => {
    const { config } = loadConfig({ cwd: repoRoot, configPath: "examples/demo/shipgate.yaml" });
    expect(config.release).toMatchObject({
      build: "sh build.sh",
      artifact: "dist/{version}",
      start: "node server.js",
    });
    const local = config.environments.local;
    expect(local?.url).toBe("http://127.0.0.1:4870");
    expect(local?.target).toMatchObject({ type: "local", port: 4870, instances: 2 });
    expect(local?.strategy).toBe("rolling");
    expect(local?.readiness.path).toBe("/health/ready");
    expect(local?.liveness.path).toBe("/health/live");
    expect(local?.startDeadline).toBe(20_000);
    expect(local?.drain).toEqual({ timeout: 5000, grace: 3000 });
    expect(local?.canary.steps).toEqual([
      { setWeight: 20 },
      { pause: 4000 },
      { setWeight: 50 },
      { pause: 4000 },
    ]);
    expect(local?.analysis).toMatchObject({ enabled: true, interval: 2000, minRequests: 20 });
    expect(local?.watch).toMatchObject({ duration: 6000, errorRate: { max: 0.05, for: 4000 } });
    // Every trigger can hold within the 6-s watch (the p99 default, 5 min, never could).
    expect(local?.watch).toMatchObject({ p99: { ratio: 2, floor: 250, for: 4000 } });
    expect(local?.watch.errorRate.for).toBeLessThanOrEqual(local?.watch.duration ?? 0);
    expect(local?.watch.p99.for).toBeLessThanOrEqual(local?.watch.duration ?? 0);
    expect(local?.smoke.map((s) => s.path)).toEqual(["/version", "/health/ready"]);
  });

  it("each version has its own migrations: v1 creates items, v2 adds the nullable note column", () => {
    expect(readdirSync(join(demoDir, "versions/v1/migrations"))).toEqual(["001_create_items.sql"]);
    expect(readdirSync(join(demoDir, "versions/v2/migrations")).sort()).toEqual([
      "001_create_items.sql",
      "002_add_items_note.down.sql",
      "002_add_items_note.sql",
    ]);
    const v1 = readFileSync(join(demoDir, "versions/v1/migrations/001_create_items.sql"), "utf8");
    expect(readFileSync(join(demoDir, "versions/v2/migrations/001_create_items.sql"), "utf8")).toBe(v1);
    expect(readFileSync(join(demoDir, "versions/v2/migrations/002_add_items_note.sql"), "utf8")).toMatch(
      /ALTER TABLE items ADD COLUMN note text;/,
    );
  });

  it("both versions' migrations pass `shipgate migrations lint` without a finding", async () => {
    for (const version of ["v1", "v2"]) {
      const result = await runMigrationsLint({
        cwd: demoDir,
        env: {},
        configPath: "shipgate.yaml",
        paths: [`versions/${version}/migrations`],
        cacheDir: false,
      });
      expect(result.failed).toBe(false);
      expect(result.report.findings).toEqual([]);
      expect(result.report.files.length).toBe(version === "v1" ? 1 : 2);
    }
  });

  it("v1 and v2 answer /version and X-App-Version on every response; v2's items have the note field", async () => {
    const [v1, v2] = await Promise.all([
      storedDemoVersion("v1").then((dir) => startApp(dir)),
      storedDemoVersion("v2").then((dir) => startApp(dir)),
    ]);
    for (const [app, version] of [
      [v1, "v1"],
      [v2, "v2"],
    ] as const) {
      await waitUntilReady(app.url);
      const v = await get(`${app.url}/version`);
      expect(v.status).toBe(200);
      expect(JSON.parse(v.text)).toEqual({ version });
      for (const path of ["/version", "/health/ready", "/health/live", "/items", "/", "/nope"]) {
        expect((await get(`${app.url}${path}`)).headers["x-app-version"], path).toBe(version);
      }
      expect((await get(`${app.url}/nope`)).status).toBe(404);
      expect((await get(`${app.url}/health/live`)).status).toBe(200);
    }
    const items1 = JSON.parse((await get(`${v1.url}/items`)).text) as { items: Record<string, unknown>[] };
    const items2 = JSON.parse((await get(`${v2.url}/items`)).text) as { items: Record<string, unknown>[] };
    expect(items1.items[0]).toEqual({ id: 1, name: "apple" });
    expect(items2.items[0]).toEqual({ id: 1, name: "apple", note: null });

    // The demo's own smoke tests, from its shipgate.yaml, pass against both.
    const { config } = loadConfig({ cwd: repoRoot, configPath: "examples/demo/shipgate.yaml" });
    for (const app of [v1, v2]) {
      const results = await runSmokeTests({
        baseUrl: app.url,
        tests: config.environments.local?.smoke ?? [],
        cwd: demoDir,
      });
      expect(results.map((r) => [r.name, r.ok, r.problem])).toEqual([
        ["version answers", true, undefined],
        ["ready", true, undefined],
      ]);
    }
    for (const app of [v1, v2]) {
      app.child.kill("SIGTERM");
      expect(await app.exited).toEqual({ code: 0, signal: null });
      expect(app.output.join("\n")).not.toContain("shutdown timeout");
    }
  });

  it("on SIGTERM readiness answers 503, in-flight requests finish, and the process exits 0", async () => {
    const dispatcher = new Agent();
    try {
      await Promise.all(
        ["v1", "v2"].map(async (version) => {
          // SHUTDOWN_DELAY_MS keeps the listener open for a moment after SIGTERM, so the test can
          // see the 503 on a new connection; the in-flight request outlives that moment.
          const app = await startApp(demoBuild(version), { SHUTDOWN_DELAY_MS: "1000" });
          await waitUntilReady(app.url);
          const events: string[] = [];
          const inFlight = await request(`${app.url}/sleep?ms=2000`, { dispatcher }); // headers arrived
          const body = inFlight.body.text().then((text) => {
            events.push("in-flight finished");
            return text;
          });
          void app.exited.then(() => events.push("exited"));

          app.child.kill("SIGTERM");
          await app.waitForLine(/SIGTERM: shutting down, readiness 503, 1 request\(s\) in flight/);
          const ready = await get(`${app.url}/health/ready`);
          expect(ready.status).toBe(503);
          expect(ready.headers["x-app-version"]).toBe(version);
          expect(ready.headers.connection).toBe("close");

          expect(JSON.parse(await body)).toEqual({ slept: 2000, version });
          expect(await app.exited).toEqual({ code: 0, signal: null });
          expect(events).toEqual(["in-flight finished", "exited"]);
          expect(app.output.join("\n")).not.toContain("shutdown timeout");
        }),
      );
    } finally {
      await dispatcher.destroy();
    }
  });

  it("an idle keep-alive connection does not hold up the exit", async () => {
    const app = await startApp(demoBuild("v1"));
    await waitUntilReady(app.url);
    const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
    try {
      expect((await get(`${app.url}/version`, dispatcher)).status).toBe(200); // the socket stays open, idle
      app.child.kill("SIGTERM");
      expect(await app.exited).toEqual({ code: 0, signal: null });
      // Not the 10 s safety net: the idle connection was closed at once.
      expect(app.output.join("\n")).not.toContain("shutdown timeout");
    } finally {
      await dispatcher.destroy();
    }
  });
});

describe("examples/demo with Postgres", () => {
  const postgres = usePostgres();
  const migration = (version: string, file: string) =>
    readFileSync(join(demoDir, "versions", version, "migrations", file), "utf8");

  it("v1 reads the items table; v2's expand-only migration keeps v1 working and v2 returns the note", async () => {
    const url = await postgres.freshDatabase("demo");
    await postgres.sql(url, migration("v1", "001_create_items.sql"));
    // From the version directories: pg resolves from the repository's node_modules.
    const v1 = await startApp(demoBuild("v1"), { DATABASE_URL: url });
    await waitUntilReady(v1.url);
    const items = async (app: AppProcess) => {
      const r = await get(`${app.url}/items`);
      return { status: r.status, body: JSON.parse(r.text) as { items: unknown[]; source: string } };
    };
    expect((await items(v1)).body).toEqual({
      items: [
        { id: 1, name: "apple" },
        { id: 2, name: "pear" },
      ],
      source: "postgres",
      version: "v1",
    });

    // The migrations step of a v2 deploy runs while v1 still serves.
    await postgres.sql(url, migration("v2", "002_add_items_note.sql"));
    expect((await items(v1)).status).toBe(200);
    const v2 = await startApp(demoBuild("v2"), { DATABASE_URL: url });
    await waitUntilReady(v2.url);
    expect((await items(v2)).body.items).toEqual([
      { id: 1, name: "apple", note: null },
      { id: 2, name: "pear", note: null },
    ]);

    // The down migration (rollback --schema) is safe for v1 only: v2 needs the column.
    await postgres.sql(url, migration("v2", "002_add_items_note.down.sql"));
    expect((await items(v1)).status).toBe(200);
    expect((await items(v2)).status).toBe(500);

    for (const app of [v1, v2]) {
      app.child.kill("SIGTERM");
      expect(await app.exited).toEqual({ code: 0, signal: null });
    }
  });

  it("a database that cannot be reached is a boot failure (exit 1), not a ready instance", async () => {
    const app = spawnApp(demoBuild("v2"), {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    });
    expect(await app.exited).toEqual({ code: 1, signal: null });
    expect(app.output.join("\n")).toContain("failed to start");
  });
});

describe("test/fixtures/deploy-app", () => {
  it("shipgate.yaml is valid with short timings", () => {
    const { config } = loadConfig({ cwd: repoRoot, configPath: "test/fixtures/deploy-app/shipgate.yaml" });
    const local = config.environments.local;
    expect(local?.target).toMatchObject({ type: "local", port: 4880 });
    expect(local?.readiness.interval).toBe(200);
    expect(local?.startDeadline).toBe(5000);
    expect(local?.drain).toEqual({ timeout: 1000, grace: 1000 });
  });

  it("each version behaves as its name says", async () => {
    // Built the way a deploy builds it (release.build), into a temp copy of the fixture.
    const { dir: built } = await copyDeployFixture();
    const v = (name: string) => {
      execFileSync("sh", ["build.sh"], { cwd: built, env: { ...process.env, SHIPGATE_VERSION: name } });
      return join(built, "dist", name);
    };
    await Promise.all([
      (async () => {
        for (const name of ["good-a", "good-b"]) {
          const app = await startApp(v(name));
          await waitUntilReady(app.url);
          const r = await get(`${app.url}/version`);
          expect(r.headers["x-app-version"]).toBe(name);
          expect(JSON.parse(r.text)).toEqual({ version: name });
          app.child.kill("SIGTERM");
          expect((await app.exited).code).toBe(0);
        }
      })(),
      (async () => {
        const app = spawnApp(v("boot-fail"));
        expect(await app.exited).toEqual({ code: 1, signal: null });
        expect(app.output.join("\n")).toContain("simulated boot failure");
      })(),
      (async () => {
        const app = await startApp(v("crash-later"), { CRASH_AFTER_MS: "400" });
        await waitUntilReady(app.url);
        expect(await app.exited).toEqual({ code: 1, signal: null });
        expect(app.output.join("\n")).toContain("simulated crash after 400 ms");
      })(),
      (async () => {
        const app = await startApp(v("hang-health"));
        expect((await get(`${app.url}/version`)).status).toBe(200);
        expect((await get(`${app.url}/health/live`)).status).toBe(200);
        const probe = await request(`${app.url}/health/ready`, { signal: AbortSignal.timeout(300) }).then(
          () => "answered",
          () => "no answer",
        );
        expect(probe).toBe("no answer");
        // A held probe does not keep it from shutting down.
        void request(`${app.url}/health/ready`).catch(() => {});
        app.child.kill("SIGTERM");
        expect((await app.exited).code).toBe(0);
      })(),
      (async () => {
        const app = await startApp(v("slow-boot"), { BOOT_DELAY_MS: "600" });
        expect((await get(`${app.url}/health/ready`)).status).toBe(503);
        await app.waitForLine(/ready$/);
        expect((await get(`${app.url}/health/ready`)).status).toBe(200);
        app.child.kill("SIGTERM");
        expect((await app.exited).code).toBe(0);
      })(),
      (async () => {
        const app = await startApp(v("ignore-sigterm"));
        await waitUntilReady(app.url);
        app.child.kill("SIGTERM");
        await app.waitForLine(/ignoring SIGTERM/);
        expect((await get(`${app.url}/health/ready`)).status).toBe(200);
        app.child.kill("SIGKILL");
        expect(await app.exited).toEqual({ code: null, signal: "SIGKILL" });
      })(),
    ]);
  });
});
