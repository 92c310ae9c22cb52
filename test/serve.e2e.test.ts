/**
 * `shipgate serve` end to end: the built CLI runs as a real process over a SQLite ledger in a temp
 * project; tokens come from `shipgate tokens create`; flags are written through the same ledger
 * file by this test process (as `shipgate flags` would), and the server notices by polling.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlagEnvironmentState, FlagSet } from "../src/flags/types.js";
import { openLedger } from "../src/ledger/index.js";
import type { LedgerStore } from "../src/ledger/types.js";
import { runShipgate, shipgateBin, writeFile } from "./support/cli.js";

let dir: string;
let ledger: LedgerStore;
let server: ChildProcess | undefined;
let serverOutput = "";
let auditSeq = 0;

const at = "2026-05-01T10:00:00.000Z";

function state(environment: string, extra: Partial<FlagEnvironmentState> = {}): FlagEnvironmentState {
  return {
    flagKey: "new-checkout",
    environment,
    enabled: true,
    rollout: 10,
    rules: [],
    variants: [],
    killed: false,
    stickiness: "userId",
    updatedAt: at,
    updatedBy: "e2e",
    rolloutChangedAt: at,
    ...extra,
  };
}

async function setFlag(environment: string, extra: Partial<FlagEnvironmentState> = {}): Promise<number> {
  auditSeq += 1;
  const audit = {
    id: `e2e-${auditSeq}`,
    flagKey: "new-checkout",
    environment,
    action: "update" as const,
    actor: "e2e",
    at,
    before: null,
    after: null,
  };
  const definition =
    auditSeq === 1
      ? {
          definition: {
            key: "new-checkout",
            description: "The new checkout",
            owner: "team-checkout",
            type: "release" as const,
            removalDate: "2030-01-01",
            createdAt: at,
            createdBy: "e2e",
            archivedAt: null,
          },
        }
      : {};
  return ledger.applyFlagChange({ ...definition, state: state(environment, extra), audit });
}

/** Starts `shipgate serve --port 0` and resolves with its base URL once it prints the listening line. */
function startServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [shipgateBin, "serve", "--port", "0"], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${serverOutput}`)), 20_000);
    const onData = (chunk: Buffer) => {
      serverOutput += chunk.toString();
      const match = /^shipgate serve: listening on (http:\/\/\S+) \(ledger (\S+)\)$/m.exec(serverOutput);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${serverOutput}`));
    });
  });
}

function stopServer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-serve-"));
  writeFile(dir, "shipgate.yaml", "version: 1\nenvironments:\n  staging: {}\n  production: {}\n");
  ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
});

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  await ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function createToken(environment: string): Promise<string> {
  const created = await runShipgate(
    ["tokens", "create", "--environment", environment, "--name", `web-${environment}`, "--format", "json"],
    dir,
  );
  expect(created.code, created.stderr).toBe(0);
  const out = JSON.parse(created.stdout) as { id: string; token: string; environment: string; name: string };
  expect(out).toMatchObject({
    environment,
    name: `web-${environment}`,
    token: expect.stringMatching(/^sg_sdk_/),
  });
  return out.token;
}

describe("shipgate serve", () => {
  it("serves the flags of a token's environment with an ETag and streams a change in under a second", async () => {
    const production = await createToken("production");
    const staging = await createToken("staging");

    const unknown = await runShipgate(["tokens", "create", "--environment", "prod", "--name", "web"], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/environment "prod" is not declared/);
    expect(unknown.stderr).toMatch(/hint: .*staging, production/);

    await setFlag("production");
    const base = await startServer();
    expect(serverOutput).toMatch(/\(ledger sqlite:.*ledger\.db\)/);
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });

    const health = await fetch(`${base}/health`);
    expect(await health.json()).toEqual({ status: "ok" });
    expect((await fetch(`${base}/api/flags`)).status).toBe(401);

    const first = await fetch(`${base}/api/flags`, { headers: auth(production) });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag");
    const set = (await first.json()) as FlagSet;
    expect(etag).toBe(`"r${set.revision}"`);
    expect(set).toMatchObject({
      environment: "production",
      flags: [{ key: "new-checkout", enabled: true, rollout: 10 }],
    });
    const cached = await fetch(`${base}/api/flags`, {
      headers: { ...auth(production), "if-none-match": etag ?? "" },
    });
    expect(cached.status).toBe(304);
    const stagingSet = (await (
      await fetch(`${base}/api/flags`, { headers: auth(staging) })
    ).json()) as FlagSet;
    expect(stagingSet.flags).toEqual([
      expect.objectContaining({ key: "new-checkout", enabled: false, rollout: 0 }),
    ]);

    const controller = new AbortController();
    try {
      const stream = await fetch(`${base}/api/flags/stream`, {
        headers: auth(production),
        signal: controller.signal,
      });
      expect(stream.status).toBe(200);
      expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events: EventSourceMessage[] = [];
      let arrived: (() => void) | undefined;
      const parser = createParser({
        onEvent: (event) => {
          events.push(event);
          arrived?.();
        },
      });
      const body = stream.body;
      if (!body) throw new Error("no stream body");
      const reading = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      })();
      reading.catch(() => undefined); // aborted at the end
      const nextEvent = (count: number) =>
        new Promise<EventSourceMessage>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no event ${count} in 5 s`)), 5000);
          const check = () => {
            const event = events[count - 1];
            if (event) {
              clearTimeout(timer);
              resolve(event);
            }
          };
          arrived = check;
          check();
        });

      const initial = await nextEvent(1);
      expect(initial.event).toBe("flags");
      expect(JSON.parse(initial.data)).toMatchObject({ environment: "production", revision: set.revision });

      const started = performance.now();
      const revision = await setFlag("production", { rollout: 60 });
      const pushed = await nextEvent(2);
      const elapsedMs = performance.now() - started;
      expect(pushed.id).toBe(String(revision));
      expect((JSON.parse(pushed.data) as FlagSet).flags[0]).toMatchObject({
        key: "new-checkout",
        rollout: 60,
      });
      expect(elapsedMs).toBeLessThan(1000); // the "an SSE update reaching an SDK in under a second"
      console.log(`serve e2e: a ledger change reached the stream in ${elapsedMs.toFixed(0)} ms`);
    } finally {
      controller.abort();
    }

    // Revoking with the CLI takes effect on the running server at once.
    const list = await runShipgate(["tokens", "list", "--format", "json"], dir);
    const tokens = JSON.parse(list.stdout) as { id: string; environment: string }[];
    const stagingId = tokens.find((t) => t.environment === "staging")?.id ?? "";
    const revoke = await runShipgate(["tokens", "revoke", stagingId], dir);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await fetch(`${base}/api/flags`, { headers: auth(staging) })).status).toBe(401);

    const pretty = await runShipgate(["tokens", "list"], dir);
    expect(pretty.stdout).toMatch(/web-staging\s+staging\s+.*revoked/);
    for (const output of [list.stdout, pretty.stdout, revoke.stdout, serverOutput]) {
      expect(output).not.toContain(production);
      expect(output).not.toContain(staging);
    }

    const child = server as ChildProcess;
    child.removeAllListeners("exit");
    expect(await stopServer(child)).toBe(0);
    expect(serverOutput).toMatch(/SIGTERM, stopping/);
  });
});
