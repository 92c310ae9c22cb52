/**
 * Feature flag evaluation benchmark, in one run:
 *   (a) the SDK fast path `client.isEnabled(key, { userId })` on a 50% rollout flag (bootstrap from a
 *       FlagSet, offline) against unleash-client 6.12.1's in-process `isEnabled` with the same rollout
 *       (a flexibleRollout strategy at 50%, stickiness userId, groupId = the flag name — Unleash's
 *       gradual rollout; bootstrapped, refreshInterval 0 and metrics off, so it never contacts a server);
 *   (b) our OpenFeature provider through `OpenFeature.getClient().getBooleanValue` against OpenFeature's
 *       InMemoryProvider with an equivalent flag (a contextEvaluator bucketing the targetingKey at 50%).
 * Both sides evaluate the same pre-generated user ids; a check confirms that shipgate and Unleash give
 * every id the same answer. One unmeasured warm-up round each, then rounds alternate; the median
 * evaluations per second are reported, with the ratios.
 *
 *   npm run bench:flags
 *   npm run bench:flags -- --rounds 7 --sync 5000000 --async 300000
 */
import { once } from "node:events";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { InMemoryProvider, OpenFeature } from "@openfeature/server-sdk";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { bucketOf } from "../src/flags/evaluate.js";
import { ShipgateProvider } from "../src/flags/openfeature-provider.js";
import { createFlagsClient } from "../src/flags/sdk/index.js";
import type { FlagSet } from "../src/flags/types.js";
import { median } from "./lib.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    sync: { type: "string", default: "5000000" },
    async: { type: "string", default: "200000" },
    ids: { type: "string", default: "100000" },
  },
});
const rounds = Number(args.rounds);
const syncEvaluations = Number(args.sync);
const asyncEvaluations = Number(args.async);
const idCount = Number(args.ids);

const key = "bench-rollout";
const ids = Array.from({ length: idCount }, (_, i) => `user-${i}`);

const flagSet: FlagSet = {
  environment: "bench",
  revision: 1,
  flags: [
    {
      key,
      type: "release",
      archived: false,
      enabled: true,
      killed: false,
      rollout: 50,
      rules: [],
      variants: [],
      stickiness: "userId",
    },
  ],
};

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rate = (perSecond: number) =>
  perSecond >= 1e6 ? `${fmt(perSecond / 1e6, 2)} M/s` : `${fmt(perSecond / 1e3, 1)} k/s`;

/** Evaluations per second of a synchronous loop over the ids. */
function timeSync(count: number, isEnabled: (id: string) => boolean): { perSecond: number; on: number } {
  let on = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) if (isEnabled(ids[i % idCount] as string)) on++;
  const ns = Number(process.hrtime.bigint() - started);
  return { perSecond: (count / ns) * 1e9, on };
}

/** Evaluations per second of sequential awaited evaluations over the ids. */
async function timeAsync(
  count: number,
  getValue: (id: string) => Promise<boolean>,
): Promise<{ perSecond: number; on: number }> {
  let on = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) if (await getValue(ids[i % idCount] as string)) on++;
  const ns = Number(process.hrtime.bigint() - started);
  return { perSecond: (count / ns) * 1e9, on };
}

console.log(
  `flags benchmark: ${rounds} rounds (after a warm-up) of ${fmt(syncEvaluations)} in-process and ${fmt(asyncEvaluations)} OpenFeature evaluations over ${fmt(idCount)} user ids; node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`,
);

// --- (a) SDK fast path vs unleash-client ---

const sdk = createFlagsClient({ url: "http://127.0.0.1", token: "", offline: true, bootstrap: flagSet });
const unleash = new Unleash({
  appName: "shipgate-bench",
  url: "http://127.0.0.1:1/api/",
  refreshInterval: 0,
  disableMetrics: true,
  storageProvider: new InMemStorageProvider(),
  skipInstanceCountWarning: true,
  bootstrap: {
    data: [
      {
        name: key,
        enabled: true,
        project: "default",
        type: "release",
        stale: false,
        impressionData: false,
        strategies: [
          {
            name: "flexibleRollout",
            constraints: [],
            parameters: { rollout: "50", stickiness: "userId", groupId: key },
          },
        ],
      },
    ],
  },
});
unleash.on("error", () => undefined);
unleash.on("warn", () => undefined);
await once(unleash, "ready");

const ours = (id: string) => sdk.isEnabled(key, { userId: id });
const theirs = (id: string) => unleash.isEnabled(key, { userId: id });
let disagreements = 0;
for (const id of ids) if (ours(id) !== theirs(id)) disagreements++;
if (disagreements > 0)
  throw new Error(`shipgate and unleash-client disagree on ${disagreements} of ${idCount} ids`);

timeSync(syncEvaluations, ours);
timeSync(Math.ceil(syncEvaluations / 5), theirs);
const sdkRates: number[] = [];
const unleashRates: number[] = [];
let onShare = 0;
for (let round = 0; round < rounds; round++) {
  const a = timeSync(syncEvaluations, ours);
  // unleash-client is ~5× slower: a fifth of the evaluations keeps the rounds comparable in time.
  const b = timeSync(Math.ceil(syncEvaluations / 5), theirs);
  sdkRates.push(a.perSecond);
  unleashRates.push(b.perSecond);
  onShare = a.on / syncEvaluations;
  console.log(`  round ${round + 1}  shipgate SDK ${rate(a.perSecond)}  unleash-client ${rate(b.perSecond)}`);
}

// --- (b) OpenFeature: our provider vs InMemoryProvider ---

await OpenFeature.setProviderAndWait("shipgate", new ShipgateProvider(flagSet));
await OpenFeature.setProviderAndWait(
  "in-memory",
  new InMemoryProvider({
    [key]: {
      variants: { on: true, off: false },
      defaultVariant: "off",
      disabled: false,
      contextEvaluator: (ctx) => (bucketOf(key, String(ctx.targetingKey)) <= 50 ? "on" : "off"),
    },
  }),
);
const shipgateClient = OpenFeature.getClient("shipgate");
const inMemoryClient = OpenFeature.getClient("in-memory");
const viaShipgate = (id: string) => shipgateClient.getBooleanValue(key, false, { targetingKey: id });
const viaInMemory = (id: string) => inMemoryClient.getBooleanValue(key, false, { targetingKey: id });

await timeAsync(asyncEvaluations, viaShipgate);
await timeAsync(asyncEvaluations, viaInMemory);
const providerRates: number[] = [];
const inMemoryRates: number[] = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ["shipgate", "in-memory"] : ["in-memory", "shipgate"];
  for (const name of order) {
    if (name === "shipgate") providerRates.push((await timeAsync(asyncEvaluations, viaShipgate)).perSecond);
    else inMemoryRates.push((await timeAsync(asyncEvaluations, viaInMemory)).perSecond);
  }
  console.log(
    `  round ${round + 1}  shipgate provider ${rate(providerRates[round] as number)}  InMemoryProvider ${rate(inMemoryRates[round] as number)}`,
  );
}
await OpenFeature.close();
await sdk.close();
unleash.destroy();

const rows = [
  { name: "shipgate SDK isEnabled", perSecond: median(sdkRates), target: "≥ 5 M/s" },
  { name: "unleash-client 6.12.1 isEnabled", perSecond: median(unleashRates), target: "" },
  { name: "shipgate OpenFeature provider", perSecond: median(providerRates), target: "≥ InMemoryProvider" },
  { name: "OpenFeature InMemoryProvider", perSecond: median(inMemoryRates), target: "" },
];
console.log("");
console.log(`${"evaluation".padEnd(34)} ${"median".padStart(12)} ${"target".padStart(20)}`);
for (const r of rows)
  console.log(`${r.name.padEnd(34)} ${rate(r.perSecond).padStart(12)} ${r.target.padStart(20)}`);
console.log("");
console.log(
  `shipgate SDK / unleash-client: ${fmt(median(sdkRates) / median(unleashRates), 2)}×  (fast path ${median(sdkRates) >= 5e6 ? "meets" : "MISSES"} 5 M/s; ${fmt(onShare * 100, 2)}% of ids on at 50%, every id answered as Unleash does)`,
);
console.log(
  `shipgate provider / InMemoryProvider: ${fmt(median(providerRates) / median(inMemoryRates), 2)}×  (${median(providerRates) >= median(inMemoryRates) ? "meets" : "MISSES"} the target)`,
);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
