/**
 * Latency histogram benchmark: the cost of recording a latency and the quantile error of shipgate's
 * fixed-bucket histogram (src/analysis/latency-histogram.ts) against hdr-histogram-js 3.0.1, the
 * reference implementation most Node load tools (autocannon) use, measured in the same run.
 *
 *   npm run bench:histogram
 *   npm run bench:histogram -- --records 10000000 --rounds 5 --samples 1000000
 *
 * Recording: the same pre-generated log-normal latencies (median 40 ms, σ 0.8, in ms as doubles) go
 * into a fresh histogram per round: ours with `counts[latencyBucket(ms)]++`, HDR with
 * `recordValue(Math.round(ms * 1000))` on `build()` (the default JS implementation: 3 significant
 * digits, auto-resize, microseconds because recordValue takes integers). One unmeasured warm-up round
 * of each, then the rounds alternate; reported: the median ns per record.
 * Accuracy: another set of log-normal samples; p50 and p99 of each histogram against the exact
 * (nearest-rank, sorted) quantiles; reported: the relative error.
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { build } from "hdr-histogram-js";
import {
  emptyLatencyCounts,
  latencyBucket,
  latencyBucketCount,
  latencyQuantile,
} from "../src/analysis/latency-histogram.js";
import { median, Rng } from "./lib.js";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "10000000" },
    rounds: { type: "string", default: "5" },
    samples: { type: "string", default: "1000000" },
  },
});
const records = Number(args.records);
const rounds = Number(args.rounds);
const sampleCount = Number(args.samples);

function logNormal(seed: number, count: number, medianMs: number, sigma: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    out[i] = medianMs * Math.exp(sigma * z);
  }
  return out;
}

function recordOurs(values: Float64Array): number[] {
  const counts = emptyLatencyCounts();
  for (let i = 0; i < values.length; i++) (counts[latencyBucket(values[i] as number)] as number)++;
  return counts;
}

function recordHdr(values: Float64Array): ReturnType<typeof build> {
  const histogram = build();
  for (let i = 0; i < values.length; i++) histogram.recordValue(Math.round((values[i] as number) * 1000));
  return histogram;
}

/** ns per record of one round. */
function timeRound(fn: () => { total: number }): number {
  const started = process.hrtime.bigint();
  const { total } = fn();
  const ns = Number(process.hrtime.bigint() - started);
  if (total !== records) throw new Error(`recorded ${total} of ${records}`);
  return ns / records;
}

const ours = () => ({ total: recordOurs(latencies).reduce((s, n) => s + n, 0) });
const hdr = () => ({ total: recordHdr(latencies).totalCount });

const fmt = (n: number, digits: number) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number) => `${fmt(x * 100, 3)}%`;

console.log(
  `histogram benchmark: ${records.toLocaleString("en-US")} records × ${rounds} rounds (after a warm-up), accuracy on ${sampleCount.toLocaleString("en-US")} samples; node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`,
);
const latencies = logNormal(1, records, 40, 0.8);

timeRound(ours);
timeRound(hdr);
const oursNs: number[] = [];
const hdrNs: number[] = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? ["ours", "hdr"] : ["hdr", "ours"];
  for (const name of order) {
    if (name === "ours") oursNs.push(timeRound(ours));
    else hdrNs.push(timeRound(hdr));
  }
  console.log(
    `  round ${round + 1}  shipgate ${fmt(oursNs[round] as number, 1)} ns/record  hdr ${fmt(hdrNs[round] as number, 1)} ns/record`,
  );
}

const samples = logNormal(2, sampleCount, 40, 0.8);
const sorted = Float64Array.from(samples).sort();
const exact = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
const oursCounts = recordOurs(samples);
const hdrHistogram = recordHdr(samples);
const error = (estimate: number, q: number) => Math.abs(estimate - exact(q)) / exact(q);
const rows = [
  {
    name: "shipgate (R40 buckets)",
    ns: median(oursNs),
    p50: error(latencyQuantile(oursCounts, 0.5) as number, 0.5),
    p99: error(latencyQuantile(oursCounts, 0.99) as number, 0.99),
    bytes: latencyBucketCount * 8,
  },
  {
    name: "hdr-histogram-js 3.0.1",
    ns: median(hdrNs),
    p50: error(hdrHistogram.getValueAtPercentile(50) / 1000, 0.5),
    p99: error(hdrHistogram.getValueAtPercentile(99) / 1000, 0.99),
    bytes: hdrHistogram.estimatedFootprintInBytes,
  },
];

console.log("");
console.log(
  `${"histogram".padEnd(24)} ${"ns/record".padStart(10)} ${"p50 error".padStart(10)} ${"p99 error".padStart(10)} ${"memory".padStart(10)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(24)} ${fmt(r.ns, 1).padStart(10)} ${pct(r.p50).padStart(10)} ${pct(r.p99).padStart(10)} ${`${fmt(r.bytes / 1024, 1)} KB`.padStart(10)}`,
  );
}
const [shipgate, reference] = rows as [(typeof rows)[number], (typeof rows)[number]];
console.log("");
console.log(
  `shipgate / hdr: ${fmt(shipgate.ns / reference.ns, 2)}× the time per record; exact p50 ${fmt(exact(0.5), 2)} ms, p99 ${fmt(exact(0.99), 2)} ms`,
);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
