/**
 * Release benchmark: failed requests across deploys under long continuous load, and the time from
 * `shipgate rollback` until traffic is on the old version.
 *
 *   npm run build && npx tsx bench/deploy.ts              # 3 rounds, 5 rollbacks of each kind
 *   npx tsx bench/deploy.ts --rounds 5 --rollbacks 10
 *
 * It copies test/fixtures/deploy-app to a temp directory (2 instances per release, the local target
 * on free ports) and uses the built CLI, as a user does.
 *
 * 1. Zero failed requests, long run: autocannon (32 keep-alive connections) runs for the whole of
 *    `rounds` × (rolling, blue-green and canary deploys, then a rollback); a failed request is an
 *    error, a timeout or a non-2xx answer.
 * 2. Rollback time: a client asks GET /version every 2 ms; the clock starts when `shipgate rollback`
 *    is spawned and stops at the first answer from the old version. Warm: right after a blue-green
 *    deploy (blue still runs). Cold: after a rolling deploy (the old release must start first).
 *    The figure includes starting Node and opening the ledger, as a user at a terminal sees it.
 */
import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { copyDeployFixture } from "../test/support/deploy-fixture.js";
import { formatMs, median } from "./lib.js";

const root = join(import.meta.dirname, "..");
const cli = join(root, "dist/cli/main.js");
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rounds = flag("--rounds", 3);
const rollbacks = flag("--rollbacks", 5);

const { dir, url } = await copyDeployFixture();

/** Runs the CLI without blocking the event loop (autocannon shares this process). */
async function sg(...argv: string[]): Promise<void> {
  const child = spawn(process.execPath, [cli, ...argv], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`shipgate ${argv.join(" ")} exited ${code}:\n${output}`);
}

async function version(): Promise<string | null> {
  try {
    const res = await fetch(`${url}/version`);
    await res.arrayBuffer();
    return res.headers.get("x-app-version");
  } catch {
    return null;
  }
}

/** Milliseconds from spawning `shipgate rollback` until /version answers `expected`. */
async function timeRollback(expected: string): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, [cli, "rollback", "local", "--force"], { cwd: dir, stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  let switched = Number.NaN;
  while (Number.isNaN(switched)) {
    if ((await version()) === expected) switched = performance.now() - start;
    else await new Promise((r) => setTimeout(r, 2));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`shipgate rollback exited ${code}`);
  return switched;
}

try {
  console.log(`shipgate release benchmark — ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`);
  await sg("deploy", "local", "--version", "good-a");

  // 1. Long run under load.
  let finish: (r: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve) => {
    finish = resolve;
  });
  const load = autocannon({ url: `${url}/version`, connections: 32, duration: 3600 }, (error, result) => {
    if (error) throw error;
    finish(result);
  });
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    await sg("deploy", "local", "--version", "good-b", "--strategy", "rolling");
    await sg("deploy", "local", "--version", "good-a", "--strategy", "blue-green");
    await sg("deploy", "local", "--version", "good-b", "--strategy", "canary");
    await sg("rollback", "local");
    process.stdout.write(`  round ${r + 1}/${rounds} done\n`);
  }
  load.stop();
  const result = await done;
  const seconds = (performance.now() - t0) / 1000;
  const failed = result.errors + result.timeouts + result.non2xx;
  console.log(
    `\nLong run: ${rounds} × (rolling, blue-green, canary deploy + rollback) = ${rounds * 4} releases in ${seconds.toFixed(1)} s`,
  );
  console.log(
    `  ${result.requests.total.toLocaleString("en-US")} requests (${Math.round(result.requests.total / seconds)} req/s, 32 connections), failed: ${failed} (errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx})`,
  );

  // 2. Rollback time. Current is good-a after the last rollback.
  const warm: number[] = [];
  const cold: number[] = [];
  for (let i = 0; i < rollbacks; i++) {
    await sg("deploy", "local", "--version", "good-b", "--strategy", "blue-green");
    warm.push(await timeRollback("good-a"));
    await sg("deploy", "local", "--version", "good-b", "--strategy", "rolling");
    cold.push(await timeRollback("good-a"));
  }
  console.log(
    `\nRollback, from spawning \`shipgate rollback\` to the first answer from the old version (${rollbacks} runs):`,
  );
  console.log(
    `  warm (after blue-green): median ${formatMs(median(warm))}, max ${formatMs(Math.max(...warm))}  (target < 1 s)`,
  );
  console.log(
    `  cold (after rolling):    median ${formatMs(median(cold))}, max ${formatMs(Math.max(...cold))}  (starts and checks the old release first)`,
  );
  if (failed > 0 || median(warm) >= 1000) process.exitCode = 1;
} finally {
  spawnSync(process.execPath, [cli, "down", "local"], { cwd: dir, stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}
