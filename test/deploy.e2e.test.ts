/**
 * Releases end to end: the built CLI deploys the fixture app (test/fixtures/deploy-app) on the local
 * target — a real agent, real proxy, real processes — under continuous keep-alive load from
 * autocannon, and every request must succeed. Then the faults: a release that fails to boot, one
 * that crashes mid-canary, one whose readiness hangs, shipgate SIGKILLed at each step in turn, and
 * two deploys at once.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import autocannon from "autocannon";
import { afterEach, describe, expect, it } from "vitest";
import { runShipgate, shipgateBin } from "./support/cli.js";
import { copyDeployFixture } from "./support/deploy-fixture.js";

const projects: string[] = [];

interface Project {
  dir: string;
  port: number;
  url: string;
  sg(args: string[], env?: NodeJS.ProcessEnv): ReturnType<typeof runShipgate>;
}

async function project(edit: (yaml: string) => string = (y) => y): Promise<Project> {
  const { dir, port, url } = await copyDeployFixture(edit);
  projects.push(dir);
  return { dir, port, url, sg: (args, env = {}) => runShipgate(args, dir, env) };
}

afterEach(async () => {
  for (const dir of projects.splice(0)) {
    await runShipgate(["down", "local"], dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Continuous keep-alive load until stop(); resolves with the failures seen. */
function load(url: string, connections = 16) {
  let finish: (result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve) => {
    finish = resolve;
  });
  const instance = autocannon(
    { url: `${url}/version`, connections, duration: 3600, timeout: 10 },
    (error, result) => {
      if (error) throw error;
      finish(result);
    },
  );
  return {
    async stop() {
      instance.stop();
      const result = await done;
      return {
        total: result.requests.total,
        failed: result.errors + result.timeouts + result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
      };
    },
  };
}

async function versionAt(url: string): Promise<string | null> {
  const res = await fetch(`${url}/version`);
  await res.arrayBuffer();
  return res.headers.get("x-app-version");
}

async function statusJson(p: Project) {
  const run = await p.sg(["status", "local", "--format", "json"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as {
    environment: string;
    url: string;
    current: { version: string } | null;
    traffic: { version: string; weight: number }[];
    inProgress: unknown;
    recovered: string | null;
  };
}

describe("shipgate deploy on the local target", () => {
  it("deploys with each strategy and rolls back under load with zero failed requests", async () => {
    const p = await project();
    const first = await p.sg(["deploy", "local", "--version", "good-a"]);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(await versionAt(p.url)).toBe("good-a");

    const traffic = load(p.url);
    try {
      for (const [version, strategy] of [
        ["good-b", "rolling"],
        ["good-a", "blue-green"],
        ["good-b", "canary"],
      ] as const) {
        const run = await p.sg(["deploy", "local", "--version", version, "--strategy", strategy]);
        expect(run.code, `${strategy}: ${run.stderr}${run.stdout}`).toBe(0);
        expect(await versionAt(p.url)).toBe(version);
      }
      const back = await p.sg(["rollback", "local"]);
      expect(back.code, back.stderr + back.stdout).toBe(0);
      expect(await versionAt(p.url)).toBe("good-a");
    } finally {
      const result = await traffic.stop();
      expect(result.total).toBeGreaterThan(200);
      expect(result, JSON.stringify(result)).toMatchObject({ failed: 0 });
    }

    const status = await statusJson(p);
    expect(status).toMatchObject({
      environment: "local",
      url: p.url,
      current: { version: "good-a" },
      traffic: [{ version: "good-a", weight: 100 }],
      inProgress: null,
    });
    const history = await p.sg(["history", "local", "--format", "json"]);
    const entries = JSON.parse(history.stdout) as { kind: string; version: string; status: string }[];
    expect(entries.map((e) => [e.kind, e.version, e.status])).toEqual([
      ["rollback", "good-a", "succeeded"],
      ["deploy", "good-b", "succeeded"],
      ["deploy", "good-a", "succeeded"],
      ["deploy", "good-b", "succeeded"],
      ["deploy", "good-a", "succeeded"],
    ]);
  }, 120_000);

  it("a release that fails to boot never gets traffic and the old one keeps serving", async () => {
    const p = await project();
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const traffic = load(p.url, 4);
    const run = await p.sg(["deploy", "local", "--version", "boot-fail"]);
    const result = await traffic.stop();
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/FAILED and was rolled back: step \d+\/\d+ \(wait-ready\)/);
    expect(result.failed).toBe(0);
    expect(await versionAt(p.url)).toBe("good-a");
    const status = await statusJson(p);
    expect(status.traffic).toEqual([expect.objectContaining({ version: "good-a", weight: 100 })]);
  }, 60_000);

  it("a canary that crashes during its pause is rolled back automatically", async () => {
    const p = await project((y) => y.replace("pause: 1s", "pause: 6s"));
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const run = await p.sg(["deploy", "local", "--version", "crash-later", "--strategy", "canary"]);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toMatch(/\((pause|smoke|wait-ready)\) failed/);
    expect(await versionAt(p.url)).toBe("good-a");
    expect((await statusJson(p)).current?.version).toBe("good-a");
  }, 60_000);

  it("a release whose readiness hangs is rolled back when the start deadline passes", async () => {
    const p = await project();
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const run = await p.sg(["deploy", "local", "--version", "hang-health"]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/\(wait-ready\) failed/);
    expect(await versionAt(p.url)).toBe("good-a");
  }, 60_000);

  it("recovers from shipgate being SIGKILLed at each step in turn, with traffic healthy throughout", async () => {
    const p = await project((y) => y.replace("instances: 2", "instances: 1"));
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const plan = await p.sg(["deploy", "local", "--version", "good-b", "--dry-run", "--format", "json"]);
    const planned = (JSON.parse(plan.stdout) as { plan: { step: { type: string } }[] }).plan.map(
      (p) => p.step.type,
    );
    const steps = planned.length;
    expect(steps).toBeGreaterThan(8);
    // Steps that take time (starting, waiting, draining): a kill sent when one starts lands while it runs.
    const slow = new Set(["start-instances", "wait-ready", "stop-instances", "watch", "pause"]);
    let recoveries = 0;
    const traffic = load(p.url, 4);
    try {
      for (let k = 1; k < steps; k++) {
        const child = spawn(process.execPath, [shipgateBin, "deploy", "local", "--version", "good-b"], {
          cwd: p.dir,
          env: { ...process.env, NO_COLOR: "1" },
          stdio: ["ignore", "ignore", "pipe"],
        });
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.on("exit", (_, signal) => resolve(signal)),
        );
        let buffered = "";
        child.stderr.on("data", (d: Buffer) => {
          buffered += d.toString();
          if (buffered.includes(`[${k}/`)) child.kill("SIGKILL");
        });
        const signal = await exited;
        const status = await statusJson(p);
        expect(status.inProgress, `after a kill at step ${k + 1}`).toBeNull();
        if (signal !== "SIGKILL" || status.current?.version === "good-b") {
          // The kill came after the deploy had finished: this test reads the deploy's progress
          // through a pipe, and on a busy machine the deploy runs ahead of the reader. Only quick
          // steps can be left at that point; then the new release serves and nothing needs recovery.
          expect(
            planned.slice(k).filter((t) => slow.has(t)),
            "the deploy finished before the kill",
          ).toEqual([]);
          expect(status.current?.version).toBe("good-b");
          expect(await versionAt(p.url)).toBe("good-b");
          break;
        }
        recoveries++;
        expect(status.current?.version).toBe("good-a");
        expect(status.traffic).toEqual([expect.objectContaining({ version: "good-a", weight: 100 })]);
        expect(await versionAt(p.url)).toBe("good-a");
      }
    } finally {
      const result = await traffic.stop();
      expect(result, JSON.stringify(result)).toMatchObject({ failed: 0 });
    }
    // Every slow step was interrupted and recovered from.
    expect(recoveries).toBeGreaterThanOrEqual(planned.findLastIndex((t) => slow.has(t)));
    const history = JSON.parse(
      (await p.sg(["history", "local", "--format", "json", "--limit", "100"])).stdout,
    ) as {
      status: string;
      error: string | null;
    }[];
    const interrupted = history.filter((h) => h.error?.startsWith("interrupted"));
    expect(interrupted.length).toBeGreaterThanOrEqual(recoveries);
  }, 240_000);

  it("two deploys at once: one fails clearly with LOCKED, or waits with --lock-wait", async () => {
    const p = await project((y) => y.replace("pause: 1s", "pause: 3s"));
    expect((await p.sg(["deploy", "local", "--version", "good-a"])).code).toBe(0);
    const slow = p.sg(["deploy", "local", "--version", "good-b", "--strategy", "canary"]);
    await new Promise((r) => setTimeout(r, 1200));
    const second = await p.sg(["deploy", "local", "--version", "good-a", "--strategy", "blue-green"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/good-b to local is running|deploy lock of local is held by/);
    expect(second.stderr).toMatch(/--lock-wait/);
    const waiting = p.sg(["deploy", "local", "--version", "good-a", "--lock-wait", "60s"]);
    expect((await slow).code).toBe(0);
    const waited = await waiting;
    expect(waited.code, waited.stderr + waited.stdout).toBe(0);
    expect(await versionAt(p.url)).toBe("good-a");
  }, 90_000);
});
