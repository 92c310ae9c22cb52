import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalTargetConfig, ProbeConfig } from "../../../config/deploy-schema.js";
import type { InstanceSpec } from "../types.js";
import { type AgentInfo, agentPaths } from "./agent-files.js";
import { createLocalTarget, type LocalTarget, stopLocalAgent } from "./local-target.js";
import { freePort } from "./supervisor.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixtureDir = join(here, "fixtures");
const cliEntry = resolve(here, "../../../cli/main.ts");
const secret = "super-secret-value-4711";

const probe = (path: string): ProbeConfig => ({
  path,
  interval: 200,
  timeout: 1000,
  successThreshold: 1,
  failureThreshold: 3,
});

function spec(releaseId: string, version: string, env: Record<string, string> = {}): InstanceSpec {
  return {
    releaseId,
    cwd: fixtureDir,
    command: `"${process.execPath}" app.mjs`,
    env: { APP_VERSION: version, DATABASE_PASSWORD: secret, LEAK_SECRET: secret, ...env },
    readiness: probe("/health/ready"),
    liveness: probe("/health/live"),
  };
}

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolvePromise, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on("error", reject);
  });
}

/** The process and every descendant (proxy workers, instances started by it). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // Exited while listing.
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Running: exists and is not a zombie (an orphan's zombie stays until init reaps it, if it does). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function waitUntil(
  what: string,
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("createLocalTarget with a real detached agent", () => {
  let dir: string;
  let target: LocalTargetConfig;
  let local: LocalTarget;
  const seen = new Set<number>();

  function remember(pid: number | null | undefined): void {
    if (pid) for (const p of processTree(pid)) seen.add(p);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "shipgate-local-"));
    const port = await freePort();
    let previewPort = await freePort();
    while (previewPort === port) previewPort = await freePort();
    target = { type: "local", host: "127.0.0.1", port, previewPort, instances: 2, stateDir: ".shipgate/run" };
    writeFileSync(
      join(dir, "shipgate.yaml"),
      `environments:\n  local:\n    target:\n      type: local\n      port: ${port}\n      previewPort: ${previewPort}\n`,
    );
    local = createLocalTarget({
      configDir: dir,
      environment: "local",
      target,
      cliEntry,
      agentEnv: { SHIPGATE_PROXY_WORKERS: "1" },
    });
  });

  afterAll(async () => {
    if (target) await stopLocalAgent({ configDir: dir, environment: "local", target, timeoutMs: 8000 });
    for (const pid of seen) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts the agent, runs instances behind the proxy, routes, drains, recovers and shuts down cleanly", async () => {
    await local.ensureRunning();
    const paths = agentPaths(dir, target, "local");
    const info = JSON.parse(readFileSync(paths.agentFile, "utf8")) as AgentInfo;
    remember(info.pid);
    expect(statSync(paths.agentFile).mode & 0o777).toBe(0o600);
    expect(statSync(paths.keyFile).mode & 0o777).toBe(0o600);
    expect(local.publicUrl).toBe(`http://127.0.0.1:${target.port}`);

    // Nothing routable yet: a short 503.
    expect((await get(local.publicUrl)).status).toBe(503);

    const v1 = await local.startInstances(spec("r-v1", "v1"), 2);
    expect(v1).toHaveLength(2);
    await local.waitReady(v1, 20_000);
    await local.setTraffic([{ releaseId: "r-v1", weight: 100 }]);
    expect(await local.traffic()).toEqual([{ releaseId: "r-v1", weight: 100 }]);
    for (const i of await local.instances()) remember(i.pid);

    const bodies = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const res = await get(local.publicUrl);
      expect(res.status).toBe(200);
      expect(res.headers["x-app-version"]).toBe("v1");
      bodies.add(res.body);
    }
    expect(bodies.size).toBe(2); // both instances answered

    // A release that fails to boot: waitReady says why, with its output.
    const [broken] = await local.startInstances(spec("r-broken", "vx", { EXIT_AT_START: "3" }), 1);
    const failure = await local.waitReady([broken as string], 20_000).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ code: "TARGET_FAILED" });
    expect((failure as Error).message).toMatch(/exited with code 3 before it was ready/);
    expect((failure as { details: string[] }).details).toContain("fatal: cannot boot");
    await local.stopInstances([broken as string], { timeoutMs: 0, graceMs: 500 });

    // v2 on the preview port only, then all traffic to it, then v1 drains away.
    const v2 = await local.startInstances(spec("r-v2", "v2"), 1);
    await local.waitReady(v2, 20_000);
    for (const i of await local.instances()) remember(i.pid);
    expect(await local.setPreview("r-v2")).toBe(local.previewUrl);
    expect((await get(`${local.previewUrl}/version`)).body).toBe("v2");
    expect((await get(`${local.publicUrl}/version`)).body).toBe("v1");

    await local.setTraffic([
      { releaseId: "r-v1", weight: 50 },
      { releaseId: "r-v2", weight: 50 },
    ]);
    const sticky = await get(`${local.publicUrl}/version`, { "x-canary-key": "customer-42" });
    for (let i = 0; i < 5; i++) {
      expect((await get(`${local.publicUrl}/version`, { "x-canary-key": "customer-42" })).body).toBe(
        sticky.body,
      );
    }
    const fresh = await get(`${local.publicUrl}/version`);
    expect(fresh.headers["set-cookie"]?.[0]).toMatch(/^shipgate_canary=[0-9a-f]{16}; Path=\//);

    await local.setTraffic([{ releaseId: "r-v2", weight: 100 }]);
    await local.stopInstances(v1, { timeoutMs: 5000, graceMs: 3000 });
    const afterStop = await local.instances();
    expect(afterStop.filter((i) => v1.includes(i.id)).map((i) => i.state)).toEqual(["stopped", "stopped"]);
    expect((await get(`${local.publicUrl}/version`)).body).toBe("v2");

    // The agent is SIGKILLed: its instances stop on their own (the orphan guard), and the next command
    // starts a new agent, which restores v2 and the traffic.
    const orphaned = (await local.instances()).flatMap((i) => (i.pid === null ? [] : [i.pid]));
    expect(orphaned).toHaveLength(v2.length);
    process.kill(info.pid, "SIGKILL");
    await waitUntil("the agent to die", () => !alive(info.pid));
    await waitUntil("the killed agent's instances to stop", () => orphaned.every((pid) => !alive(pid)));
    await local.ensureRunning();
    const restarted = JSON.parse(readFileSync(paths.agentFile, "utf8")) as AgentInfo;
    expect(restarted.pid).not.toBe(info.pid);
    remember(restarted.pid);
    await local.waitReady(v2, 20_000);
    for (const i of await local.instances()) remember(i.pid);
    expect(await local.traffic()).toEqual([{ releaseId: "r-v2", weight: 100 }]);
    expect((await get(`${local.publicUrl}/version`)).body).toBe("v2");

    // Secrets never reach a stored file in clear.
    const stored = [
      paths.stateFile,
      paths.agentLog,
      ...readdirSync(paths.instanceLogDir).map((f) => join(paths.instanceLogDir, f)),
    ];
    for (const file of stored) expect(readFileSync(file, "utf8")).not.toContain(secret);
    expect(readFileSync(join(paths.instanceLogDir, `${v2[0]}.log`), "utf8")).toContain("connecting with ***");

    // Shutdown: every process it started is gone.
    const tree = processTree(restarted.pid);
    for (const p of tree) seen.add(p);
    expect(tree.length).toBeGreaterThanOrEqual(3); // agent, a proxy worker, an instance
    expect(await stopLocalAgent({ configDir: dir, environment: "local", target })).toBe(true);
    await waitUntil("every process to exit", () => [...seen].every((p) => !alive(p)), 10_000);
    expect(() => readFileSync(paths.agentFile)).toThrow();
    expect(await stopLocalAgent({ configDir: dir, environment: "local", target })).toBe(false);
  });

  it("fails with TARGET_FAILED naming the port when another process holds it", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const busy = createLocalTarget({
        configDir: dir,
        environment: "busy",
        target: { ...target, port, previewPort: port + 1 },
        cliEntry,
      });
      await expect(busy.ensureRunning()).rejects.toMatchObject({
        code: "TARGET_FAILED",
        message: expect.stringContaining(`port ${port} on 127.0.0.1`),
        hint: expect.stringContaining("environments.busy.target.port"),
      });
    } finally {
      blocker.close();
    }
  });

  it("fails with TARGET_FAILED naming the metrics port and its key when another process holds it", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const metricsPort = (blocker.address() as net.AddressInfo).port;
    try {
      const busy = createLocalTarget({
        configDir: dir,
        environment: "busy-metrics",
        target: { ...target, metricsPort },
        cliEntry,
      });
      await expect(busy.ensureRunning()).rejects.toMatchObject({
        code: "TARGET_FAILED",
        message: `port ${metricsPort} on 127.0.0.1 (the metrics port of busy-metrics) is in use by another process`,
        hint: expect.stringContaining("environments.busy-metrics.target.metricsPort"),
      });
    } finally {
      blocker.close();
    }
  });
});
