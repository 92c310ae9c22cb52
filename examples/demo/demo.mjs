#!/usr/bin/env node
/**
 * The demo's driver (`npm run demo`, `npm run demo:broken`): deploys the demo with shipgate's CLI
 * while sending steady traffic to it, so canary analysis has something to judge, and reports how
 * many requests failed.
 *
 *   node examples/demo/demo.mjs          v1 (rolling), then v2 as a canary under traffic → promoted
 *   node examples/demo/demo.mjs broken   v3-broken as a canary under traffic → analysis fails,
 *                                        rolled back (exit code 3 from shipgate), v2 current again
 *
 * Plain Node; the CLI is dist/cli/main.js (run `npm run build` first; `npm ci` does).
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const config = join(root, "examples/demo/shipgate.yaml");
const url = "http://127.0.0.1:4870/items";
const broken = process.argv[2] === "broken";

/** Runs the CLI as a child (asynchronously, so the traffic keeps flowing meanwhile); resolves with its exit code. */
function shipgate(...args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, "dist/cli/main.js"), "--config", config, ...args], {
      stdio: "inherit",
    });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

/** Steady load on /items (about `rps` requests a second, keep-alive) until stopped. */
function startTraffic(rps) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const counts = { sent: 0, ok: 0, http5xx: 0, failed: 0, byVersion: {} };
  let pending = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < rps / 20; i++) {
      counts.sent++;
      pending++;
      http
        .get(url, { agent }, (res) => {
          const version = res.headers["x-app-version"] ?? "?";
          counts.byVersion[version] = (counts.byVersion[version] ?? 0) + 1;
          if (res.statusCode >= 500) counts.http5xx++;
          else counts.ok++;
          pending--;
          res.resume();
        })
        .on("error", () => {
          counts.failed++;
          pending--;
        });
    }
  }, 50);
  return {
    counts,
    /** Stops sending, and resolves once every request sent has its answer (so the counts add up). */
    async stop() {
      clearInterval(timer);
      for (let waited = 0; pending > 0 && waited < 5000; waited += 20) {
        await new Promise((r) => setTimeout(r, 20));
      }
      agent.destroy();
    },
  };
}

function report(counts) {
  const versions = Object.entries(counts.byVersion)
    .map(([v, n]) => `${v} ${n}`)
    .join(", ");
  console.log(
    `\ntraffic: ${counts.sent} requests sent during the deploy: ${counts.ok} ok, ${counts.http5xx} answered 5xx, ${counts.failed} failed to connect (served by ${versions || "nothing"})\n`,
  );
}

if (!broken) {
  const first = await shipgate("deploy", "local", "--version", "v1");
  if (first !== 0) process.exit(first);
}
const traffic = startTraffic(100);
const version = broken ? "v3-broken" : "v2";
if (broken) {
  // The broken version goes over v2; deploy v2 first when it is not current yet (a no-op when it is).
  const before = await shipgate("deploy", "local", "--version", "v2", "--strategy", "canary");
  if (before !== 0) {
    await traffic.stop();
    process.exit(before);
  }
}
const code = await shipgate("deploy", "local", "--version", version, "--strategy", "canary");
await traffic.stop();
report(traffic.counts);
await shipgate("status", "local");
if (broken) {
  console.log(
    code === 3
      ? "shipgate deploy exited 3: the canary analysis failed and v3-broken was rolled back, as expected."
      : `shipgate deploy exited ${code}; expected 3 (the canary analysis should have failed).`,
  );
  process.exit(code === 3 ? 0 : 1);
}
process.exit(code);
