/**
 * What `migrations verify` in the deploy's migrate step costs: the demo (examples/demo) deploys v1,
 * then v2 (each with a migration) to the local target against a real Postgres, with
 * environments.local.verifyMigrations true and false, `--runs` times each (default 5). Prints each
 * deploy's and each migrate step's time and the medians, and the difference verify makes.
 *
 *   npm run bench:deploy-verify -- --runs 5      (needs `npm run build` first)
 */
import { rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import pg from "pg";
import { startThrowawayPostgres } from "../src/pg/throwaway.js";
import { runShipgate } from "../test/support/cli.js";
import { copyDemoWithDatabase } from "../test/support/deploy-fixture.js";
import { formatMs, median } from "./lib.js";

const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
type Key = `${"on" | "off"} ${"v1" | "v2"}`;
const deploys = new Map<Key, number[]>();
const steps = new Map<Key, number[]>();
const push = (map: Map<Key, number[]>, key: Key, ms: number) => map.set(key, [...(map.get(key) ?? []), ms]);

console.log(`bench:deploy-verify — ${runs} runs, ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`);
const server = await startThrowawayPostgres();
try {
  let n = 0;
  for (let run = 0; run < runs; run++) {
    for (const verify of [true, false]) {
      const database = `bench${++n}`;
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(`CREATE DATABASE ${database}`);
      await client.end();
      const { dir } = await copyDemoWithDatabase({
        databaseUrl: server.urlFor(database),
        environmentYaml: `    verifyMigrations: ${verify}\n`,
        noWatch: true,
      });
      try {
        for (const version of ["v1", "v2"] as const) {
          const key: Key = `${verify ? "on" : "off"} ${version}`;
          const started = performance.now();
          const result = await runShipgate(["deploy", "local", "--version", version], dir);
          const ms = performance.now() - started;
          if (result.code !== 0)
            throw new Error(`deploy ${version} failed:\n${result.stderr}${result.stdout}`);
          push(deploys, key, ms);
          const step = /apply migrations … ok \(([\d.]+) (ms|s)\)/.exec(result.stderr);
          if (step) push(steps, key, Number(step[1]) * (step[2] === "s" ? 1000 : 1));
        }
      } finally {
        await runShipgate(["down", "local"], dir);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await server.stop();
}

for (const version of ["v1", "v2"] as const) {
  const on = median(steps.get(`on ${version}`) ?? []);
  const off = median(steps.get(`off ${version}`) ?? []);
  const dOn = median(deploys.get(`on ${version}`) ?? []);
  const dOff = median(deploys.get(`off ${version}`) ?? []);
  console.log(
    `${version}: migrate step ${formatMs(off)} → ${formatMs(on)} with verify (+${formatMs(on - off)}); ` +
      `whole deploy ${formatMs(dOff)} → ${formatMs(dOn)} (${(dOn / dOff).toFixed(2)}×)`,
  );
}
