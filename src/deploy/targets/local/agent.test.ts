import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LocalTargetConfig, ProbeConfig } from "../../../config/deploy-schema.js";
import type { InstanceSpec } from "../types.js";
import { type Agent, startAgent } from "./agent.js";
import type { PersistedState } from "./agent-files.js";
import { loadOrCreateKey, sealEnv, unsealEnv } from "./sealed-env.js";
import { freePort, shellCommand } from "./supervisor.js";

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const secret = "agent-secret-value-0815";
const probe = (path: string): ProbeConfig => ({
  path,
  interval: 200,
  timeout: 1000,
  successThreshold: 1,
  failureThreshold: 3,
});
const spec: InstanceSpec = {
  releaseId: "r-a",
  cwd: fixtureDir,
  command: `"${process.execPath}" app.mjs`,
  env: { APP_VERSION: "va", API_KEY: secret },
  readiness: probe("/health/ready"),
  liveness: probe("/health/live"),
};

describe("shellCommand", () => {
  it("execs a simple command and leaves compound ones to the shell", () => {
    expect(shellCommand("npm start")).toBe("exec npm start");
    expect(shellCommand('"/usr/bin/node" server.js --port=3000')).toBe(
      'exec "/usr/bin/node" server.js --port=3000',
    );
    expect(shellCommand("exec node a.js")).toBe("exec node a.js");
    expect(shellCommand("npm run migrate && npm start")).toBe("npm run migrate && npm start");
    expect(shellCommand("node $ENTRY")).toBe("node $ENTRY");
    expect(shellCommand("node a.js > out.log")).toBe("node a.js > out.log");
  });
});

describe("sealed env", () => {
  it("round-trips through AES-256-GCM, refuses a tampered value, and keeps the key file private", () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-seal-"));
    try {
      const key = loadOrCreateKey(join(dir, "state.key"));
      expect(statSync(join(dir, "state.key")).mode & 0o777).toBe(0o600);
      expect(loadOrCreateKey(join(dir, "state.key")).equals(key)).toBe(true);
      const sealed = sealEnv({ API_KEY: secret }, key);
      expect(sealed).not.toContain(secret);
      expect(sealed).toMatch(/^v1\./);
      expect(unsealEnv(sealed, key)).toEqual({ API_KEY: secret });
      const parts = sealed.split(".");
      const tampered = [...parts.slice(0, 3), `${(parts[3] as string).slice(0, -2)}AA`].join(".");
      expect(() => unsealEnv(tampered, key)).toThrow(/cannot be opened/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("startAgent (in process)", () => {
  let dir: string;
  let target: LocalTargetConfig;
  let agent: Agent | null;

  async function control(method: string, path: string, body?: unknown, token = agent?.info.token) {
    const res = await fetch(`${agent?.info.controlUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const start = () =>
    startAgent({
      configDir: dir,
      environment: "test",
      target,
      proxyWorkers: 0,
      handleSignals: false,
      log: () => undefined,
      shutdownDrain: { timeoutMs: 0, graceMs: 1000 },
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "shipgate-agent-"));
    const port = await freePort();
    target = { type: "local", host: "127.0.0.1", port, previewPort: 0, instances: 1, stateDir: "run" };
    agent = null;
  });

  afterEach(async () => {
    await agent?.shutdown({ forget: true, drain: { timeoutMs: 0, graceMs: 500 } });
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses requests without the token and explains invalid ones", async () => {
    agent = await start();
    expect((await control("GET", "/v1/state", undefined, "wrong")).status).toBe(401);
    const bad = await control("PUT", "/v1/traffic", {
      traffic: [
        { releaseId: "r-a", weight: 60 },
        { releaseId: "r-b", weight: 30 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: "USAGE",
      details: ["traffic: weights sum to 90, expected 100"],
    });
    expect((await control("POST", "/v1/nothing")).status).toBe(404);
  });

  it("persists its route state with the env sealed and restores it on the next start", async () => {
    agent = await start();
    const started = await control("POST", "/v1/instances", { spec, count: 1 });
    expect(started.status).toBe(200);
    const [id] = started.body.ids as string[];
    expect(
      (await control("PUT", "/v1/traffic", { traffic: [{ releaseId: "r-a", weight: 100 }] })).status,
    ).toBe(200);
    expect((await control("PUT", "/v1/preview", { releaseId: "r-a" })).status).toBe(200);

    const text = readFileSync(agent.paths.stateFile, "utf8");
    expect(text).not.toContain(secret);
    expect(statSync(agent.paths.stateFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(text) as PersistedState;
    expect(saved).toMatchObject({ traffic: [{ releaseId: "r-a", weight: 100 }], preview: "r-a" });
    expect(saved.instances.map((i) => i.id)).toEqual([id]);

    // A stop that keeps the state (SIGTERM) → the next agent starts the same instance again.
    await agent.shutdown({ forget: false, drain: { timeoutMs: 0, graceMs: 1000 } });
    agent = await start();
    const state = await agent.state();
    expect(state.traffic).toEqual([{ releaseId: "r-a", weight: 100 }]);
    expect(state.preview).toBe("r-a");
    expect(state.instances.map((i) => [i.id, i.releaseId])).toEqual([[id, "r-a"]]);
  });
});
