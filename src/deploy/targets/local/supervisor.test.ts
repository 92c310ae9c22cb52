import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProbeConfig } from "../../../config/deploy-schema.js";
import type { InstanceInfo, InstanceSpec } from "../types.js";
import { countProbe } from "./health-probe.js";
import {
  createSupervisor,
  groupAlive,
  restartDelayMs,
  type Supervisor,
  type SupervisorOptions,
  startOrphanGuard,
} from "./supervisor.js";

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

const fastProbe = (path: string, extra: Partial<ProbeConfig> = {}): ProbeConfig => ({
  path,
  interval: 100,
  timeout: 1000,
  successThreshold: 1,
  failureThreshold: 2,
  ...extra,
});

function spec(env: Record<string, string> = {}, extra: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    releaseId: "r-test",
    cwd: fixtureDir,
    command: `"${process.execPath}" app.mjs`,
    env: { APP_VERSION: "v1", ...env },
    readiness: fastProbe("/health/ready"),
    liveness: fastProbe("/health/live"),
    ...extra,
  };
}

async function waitUntil<T>(what: string, fn: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
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

describe("restartDelayMs", () => {
  it("doubles per consecutive crash and stops at the cap", () => {
    const backoff = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelayMs(n, backoff))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(restartDelayMs(500, backoff)).toBe(30_000);
  });
});

describe("countProbe", () => {
  it("passes after successThreshold consecutive successes and fails after failureThreshold failures", () => {
    const config = { successThreshold: 2, failureThreshold: 3 };
    let counter = { successes: 0, failures: 0 };
    const verdicts: (string | null)[] = [];
    for (const ok of [true, true, false, false, true, false, false, false]) {
      const r = countProbe(counter, ok, config);
      counter = r.counter;
      verdicts.push(r.verdict);
    }
    expect(verdicts).toEqual([null, "pass", null, null, null, null, null, "fail"]);
  });
});

describe("startOrphanGuard", () => {
  it("stops the instance's group when the agent's end of its pipe closes: SIGTERM, then SIGKILL after the grace", async () => {
    // A group whose leader ignores SIGTERM, with a child that does not.
    const instance = spawn("/bin/sh", ["-c", "trap '' TERM; sleep 60 & while :; do sleep 1; done"], {
      detached: true,
      stdio: "ignore",
    });
    const pgid = instance.pid as number;
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      instance.once("exit", (_c, s) => resolve(s)),
    );
    try {
      const guard = startOrphanGuard(pgid, 1);
      const guardExit = new Promise<void>((resolve) => guard.once("exit", () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(groupAlive(pgid)).toBe(true); // nothing happens while the pipe is open
      guard.stdin?.end(); // what the kernel does when the agent dies
      expect(await exited).toBe("SIGKILL");
      await guardExit;
      await waitUntil("the group to be gone", () => !groupAlive(pgid));
    } finally {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // Gone, as the test expects.
      }
    }
  });
});

describe("createSupervisor (real child processes)", () => {
  let dir: string;
  let supervisor: Supervisor | null;
  let events: { id: string; state: string; why: string }[];
  let lines: string[];
  const pids = new Set<number>();

  function make(extra: Partial<SupervisorOptions> = {}): Supervisor {
    supervisor = createSupervisor({
      logDir: dir,
      backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 },
      restartGraceMs: 500,
      onChange: (info: InstanceInfo, why: string) => {
        events.push({ id: info.id, state: info.state, why });
        if (info.pid !== null) pids.add(info.pid);
      },
      log: (line) => lines.push(line),
      ...extra,
    });
    return supervisor;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "shipgate-supervisor-"));
    supervisor = null;
    events = [];
    lines = [];
  });

  afterEach(async () => {
    await supervisor?.shutdown({ timeoutMs: 0, graceMs: 200 });
    for (const info of supervisor?.list() ?? []) if (info.pid !== null) pids.add(info.pid);
    for (const pid of pids) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone: what we want.
      }
    }
    pids.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  it("restarts a crashed instance with a growing, capped backoff and counts the restarts", async () => {
    const s = make();
    const { id } = await s.start(spec({ CRASH_AFTER_MS: "100" }));
    const info = await waitUntil("4 restarts", () => {
      const i = s.get(id);
      return i && i.restarts >= 4 ? i : undefined;
    });
    expect(info.lastExit?.code).toBe(1);
    const delays = lines.filter((l) => l.includes("restart ")).map((l) => /in (\d+) ms/.exec(l)?.[1]);
    expect(delays.slice(0, 4)).toEqual(["100", "200", "400", "400"]);
    const log = readFileSync(join(dir, `${id}.log`), "utf8");
    expect(log).toMatch(/ err crashing on purpose\n/);
    expect(log).toMatch(/ sup exited with code 1\n/);
    expect(log).toMatch(/ out listening on \d+\n/);
  });

  it("keeps an instance starting until readiness passes, then makes it healthy", async () => {
    const s = make();
    const started = await s.start(spec({ READY_AFTER_MS: "1500" }));
    expect(started.state).toBe("starting");
    await waitUntil("the app to listen", () => s.logTail(started.id).some((l) => l.startsWith("listening")));
    expect((await get(started.port, "/health/ready")).status).toBe(503);
    expect(s.get(started.id)?.state).toBe("starting");
    await waitUntil("healthy", () => s.get(started.id)?.state === "healthy");
    expect((await get(started.port, "/health/ready")).status).toBe(200);
    expect(events.find((e) => e.state === "healthy")?.why).toContain("readiness /health/ready passed");
  });

  it("restarts an instance whose liveness fails past the threshold", async () => {
    const s = make();
    const { id } = await s.start(spec({ LIVE_FAIL_AFTER_MS: "300" }));
    const info = await waitUntil("a liveness restart", () => {
      const i = s.get(id);
      return i && i.restarts >= 1 ? i : undefined;
    });
    const unhealthy = events.find((e) => e.state === "unhealthy");
    expect(unhealthy?.why).toMatch(/liveness \/health\/live failed 2 times \(HTTP 500\); restarting/);
    // SIGTERM first: the fixture exits 0 on it.
    expect(info.lastExit).toMatchObject({ code: 0, signal: null });
    expect(events.findIndex((e) => e.state === "healthy")).toBeLessThan(events.indexOf(unhealthy as never));
  });

  it("drains: waits for an in-flight request, then SIGTERM, and the process exits by itself", async () => {
    let testInFlight = 0;
    const s = make({ inFlight: async () => testInFlight });
    const { id, port } = await s.start(spec());
    await waitUntil("healthy", () => s.get(id)?.state === "healthy");
    testInFlight++;
    const slow = get(port, "/slow?ms=600").finally(() => {
      testInFlight--;
    });
    await waitUntil("the request to arrive", () => testInFlight === 1);
    await s.stop([id], { timeoutMs: 10_000, graceMs: 5000 });
    expect(await slow).toEqual({ status: 200, body: "slow done" });
    const info = s.get(id);
    expect(info).toMatchObject({ state: "stopped", pid: null, lastExit: { code: 0, signal: null } });
    expect(events.map((e) => e.state).slice(-2)).toEqual(["draining", "stopped"]);
    const log = readFileSync(join(dir, `${id}.log`), "utf8");
    expect(log).toMatch(/ out SIGTERM with 0 in flight\n/);
    expect(log.indexOf(" sup SIGTERM")).toBeGreaterThan(-1);
  });

  it("SIGKILLs a process that ignores SIGTERM once the grace period is over", async () => {
    const s = make();
    const { id } = await s.start(spec({ IGNORE_SIGTERM: "1" }));
    await waitUntil("healthy", () => s.get(id)?.state === "healthy");
    await s.stop([id], { timeoutMs: 0, graceMs: 300 });
    expect(s.get(id)).toMatchObject({ state: "stopped", lastExit: { signal: "SIGKILL" } });
    const log = readFileSync(join(dir, `${id}.log`), "utf8");
    expect(log).toContain("ignoring SIGTERM");
    expect(log).toContain("SIGKILL");
  });

  it("records a failed boot with its exit code and output, and masks secret env values in the log", async () => {
    const secret = "s3cr3t-password-value";
    const s = make();
    const { id } = await s.start(spec({ EXIT_AT_START: "3", LEAK_SECRET: secret }));
    const info = await waitUntil("the exit", () => {
      const i = s.get(id);
      return i?.lastExit ? i : undefined;
    });
    expect(info.lastExit?.code).toBe(3);
    expect(info.state).toBe("unhealthy");
    expect(s.logTail(id)).toContain("fatal: cannot boot");
    await s.stop([id], { timeoutMs: 0, graceMs: 100 });
    const log = readFileSync(join(dir, `${id}.log`), "utf8");
    expect(log).toContain("connecting with ***");
    expect(log).not.toContain(secret);
  });
});
