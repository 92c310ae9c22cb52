/**
 * Flags end to end, the way an application meets them: `shipgate flags …` (the built CLI) changes a
 * flag in the SQLite ledger, `shipgate serve` (a real process) serves it, and the Node SDK and the
 * OpenFeature provider in this process evaluate it locally. A kill switch reaches the SDK in under a
 * second; with the server down the SDK keeps its last known flags (stale), and it catches up once
 * the server is back; its evaluation counts land in the ledger; tokens see their environment only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenFeature } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShipgateProvider } from "../src/flags/openfeature-provider.js";
import { createFlagsClient, type FlagsClient } from "../src/flags/sdk/index.js";
import { openLedger } from "../src/ledger/index.js";
import { runShipgate, shipgateBin, writeFile } from "./support/cli.js";

let dir: string;
let port: number;
let server: ChildProcess | null = null;
const clients: FlagsClient[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const found = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(found));
    });
  });
}

async function sg(...args: string[]) {
  const run = await runShipgate(args, dir, { SHIPGATE_ACTOR: "e2e" });
  expect(run.code, run.stderr + run.stdout).toBe(0);
  return run;
}

function startServer(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [shipgateBin, "serve", "--port", String(port)], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    let output = "";
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
}

function stopServer(): Promise<void> {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Resolves with the client's next event of `type` (rejects after `ms`). */
function next(client: FlagsClient, type: "change" | "stale" | "ready", ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${ms} ms`)), ms);
    const listener = () => {
      clearTimeout(timer);
      client.off(type, listener);
      resolve();
    };
    client.on(type, listener);
  });
}

async function token(environment: string): Promise<string> {
  const run = await sg(
    "tokens",
    "create",
    "--environment",
    environment,
    "--name",
    `app-${environment}`,
    "--format",
    "json",
  );
  return (JSON.parse(run.stdout) as { token: string }).token;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-flags-sdk-"));
  writeFile(dir, "shipgate.yaml", "version: 1\nenvironments:\n  staging: {}\n  production: {}\n");
  port = await freePort();
  await sg(
    "flags",
    "create",
    "new-checkout",
    "--owner",
    "team-checkout",
    "--removal-date",
    "2030-01-01",
    "--description",
    "One-page checkout",
  );
  await sg("flags", "enable", "new-checkout", "--environment", "production");
  await sg("flags", "rollout", "new-checkout", "100", "--environment", "production");
  await startServer();
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await OpenFeature.close();
  await stopServer();
  rmSync(dir, { recursive: true, force: true });
});

describe("flags from the CLI to the SDK through shipgate serve", () => {
  it("delivers a kill switch in under a second, keeps the last known flags while the server is down, and counts evaluations", async () => {
    const cacheFile = join(dir, "cache", "flags.json");
    const client = createFlagsClient({
      url: `http://127.0.0.1:${port}`,
      token: await token("production"),
      cacheFile,
      metricsIntervalMs: 300,
      reconnectDelayMs: 200,
      pollIntervalMs: 300,
      onError: () => undefined,
    });
    clients.push(client);
    await client.ready();
    expect(client.isEnabled("new-checkout", { userId: "u-1" })).toBe(true);
    // The last-known-good cache is written (asynchronously) after the first load.
    for (let i = 0; i < 40 && !existsSync(cacheFile); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(cacheFile)).toBe(true);

    const changed = next(client, "change");
    await sg("flags", "kill", "new-checkout", "--environment", "production");
    const killedAt = Date.now();
    await changed;
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect(client.isEnabled("new-checkout", { userId: "u-1" })).toBe(false);

    // The server goes away: the client says so, and keeps answering from what it knew.
    const stale = next(client, "stale");
    await stopServer();
    await stale;
    expect(client.status).toBe("stale");
    expect(client.isEnabled("new-checkout", { userId: "u-1" })).toBe(false);
    await sg("flags", "unkill", "new-checkout", "--environment", "production");

    // Back: the client catches up with the change made meanwhile.
    const recovered = next(client, "change", 20_000);
    await startServer();
    await recovered;
    expect(client.status).toBe("ready");
    expect(client.isEnabled("new-checkout", { userId: "u-1" })).toBe(true);

    // Evaluation counts are aggregated and posted, then stored per day in the ledger.
    for (let i = 0; i < 25; i++) client.isEnabled("new-checkout", { userId: `u-${i}` });
    const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
    try {
      let total = 0;
      for (let attempt = 0; attempt < 50 && total < 25; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const rows = await ledger.listFlagEvaluations("production", "new-checkout");
        total = rows.filter((r) => r.enabled).reduce((sum, r) => sum + r.count, 0);
      }
      expect(total).toBeGreaterThanOrEqual(25);
    } finally {
      await ledger.close();
    }
  });

  it("scopes a token to its environment: staging sees the flag off", async () => {
    const client = createFlagsClient({
      url: `http://127.0.0.1:${port}`,
      token: await token("staging"),
      metricsIntervalMs: 0,
      onError: () => undefined,
    });
    clients.push(client);
    await client.ready();
    expect(client.flags()?.environment).toBe("staging");
    expect(client.isEnabled("new-checkout", { userId: "u-1" })).toBe(false);
  });

  it("answers OpenFeature clients with the standard reasons and error codes", async () => {
    await OpenFeature.setProviderAndWait(
      new ShipgateProvider({
        url: `http://127.0.0.1:${port}`,
        token: await token("production"),
        metricsIntervalMs: 0,
      }),
    );
    const of = OpenFeature.getClient();
    const on = await of.getBooleanDetails("new-checkout", false, { targetingKey: "u-7" });
    expect(on).toMatchObject({ value: true, reason: "SPLIT" });
    const missing = await of.getBooleanDetails("no-such-flag", false, { targetingKey: "u-7" });
    expect(missing).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
  });
});
