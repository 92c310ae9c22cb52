/**
 * Speed benchmark for `shipgate compat openapi`, with a peer measured in the same run.
 *
 *   npm run build && npx tsx bench/compat-openapi.ts            # 5 measured runs per corpus
 *   npx tsx bench/compat-openapi.ts --runs 10
 *
 * Corpora (bench/.corpus/compat, git-ignored, the same bytes for the same seed): ~2 MB OpenAPI 3.0
 * specs with deep $refs: 1,400 operations over 321 component schemas in 10 layers, each layer
 * referring to the next (chains 10 deep), some schemas referring back to their parent (cycles).
 *   - release: a head with about 6 changes, as a typical release;
 *   - stress:  a head with about 60 changes, 40 of them deep in components, each reaching hundreds
 *              of operations (shipgate reports every change at every operation it reaches);
 *   - acyclic: the stress pair without the parent references, so that the peer can finish.
 * For each, after one unmeasured warm-up (whose in-process time is printed as the cold run):
 *   - in process: load both specs (swagger-parser + $ref check) and diff them with dist/compat, the
 *     code the CLI runs; wall and CPU time;
 *   - the CLI: node dist/cli/main.js compat openapi <base> <head> --format json, wall time with process
 *     start-up, locating every finding's line and writing the JSON, as CI sees it;
 *   - the peer: api-smart-diff (npm), the maintained JavaScript OpenAPI diff library, apiCompare() on
 *     the parsed documents, in its own process (3 GB heap, 60 s limit). It is not a dependency of
 *     shipgate: install it next to the corpus with
 *       npm install --prefix bench/.corpus/peers --no-save api-smart-diff@1.0.6
 *     and the benchmark finds it there (else it says so and measures shipgate alone).
 * Then both tools judge the labelled OpenAPI 3.0 pairs of test/compat/fixtures: does the change
 * break clients (an error in expected.yaml)? A warning counts as not breaking.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const repoRoot = resolve(import.meta.dirname, "..");
const corpusDir = join(repoRoot, "bench/.corpus/compat");
const peersDir = join(repoRoot, "bench/.corpus/peers");
const shipgateMain = join(repoRoot, "dist/cli/main.js");
const seed = 20261122;

type Json = Record<string, unknown>;

/** mulberry32: a small deterministic PRNG. */
function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = (
  "order customer invoice payment refund shipment parcel address product variant price stock " +
  "warehouse carrier coupon discount tax region currency account member role permission audit " +
  "event webhook subscription plan usage meter report export import batch job schedule note tag"
).split(" ");

const layers = 10;
const perLayer = 32;
/** Resources (each two paths, five operations): sized so that each spec is about 2 MB. */
const resources = 280;

function schemaName(layer: number, i: number): string {
  return `${words[(layer * perLayer + i) % words.length]?.replace(/^./, (c) => c.toUpperCase())}L${layer}N${i}`;
}

/** Layered components: a schema in layer L refers to two in L+1 (depth 10), some back to L-1 (cycles). */
function generateBase(cycles = true): Json {
  const next = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const text = (n: number) =>
    Array.from({ length: n }, () => pick(words))
      .join(" ")
      .replace(/^./, (c) => c.toUpperCase());
  const schemas: Record<string, Json> = {};
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < perLayer; i++) {
      const properties: Record<string, Json> = { id: { type: "string", format: "uuid", readOnly: true } };
      const required = ["id"];
      for (let p = 0; p < 14; p++) {
        const name = `${pick(words)}${p}`;
        const kind = p % 7;
        if (kind === 0) properties[name] = { type: "string", maxLength: 64 + p, description: text(8) };
        else if (kind === 1)
          properties[name] = { type: "integer", format: "int32", minimum: 0, maximum: 10_000 };
        else if (kind === 2)
          properties[name] = { type: "string", enum: ["draft", "open", "closed", "archived"] };
        else if (kind === 3) properties[name] = { type: "number", nullable: true, description: text(6) };
        else if (kind === 4)
          properties[name] = {
            type: "array",
            maxItems: 50,
            items: { type: "string", pattern: "^[a-z0-9-]+$" },
          };
        else if (kind === 5) properties[name] = { type: "string", format: "date-time" };
        else properties[name] = { type: "boolean", description: text(5) };
        if (p % 4 === 0) required.push(name);
      }
      if (layer + 1 < layers) {
        properties.primary = { $ref: `#/components/schemas/${schemaName(layer + 1, (i * 7) % perLayer)}` };
        properties.related = {
          type: "array",
          items: { $ref: `#/components/schemas/${schemaName(layer + 1, (i * 11 + 3) % perLayer)}` },
        };
      }
      if (cycles && layer > 0 && i % 4 === 0) {
        properties.parent = { $ref: `#/components/schemas/${schemaName(layer - 1, i)}` };
      }
      schemas[schemaName(layer, i)] = {
        type: "object",
        description: text(20),
        required,
        properties,
      };
    }
  }
  schemas.Error = {
    type: "object",
    required: ["code", "message"],
    properties: {
      code: { type: "string" },
      message: { type: "string" },
      details: { type: "array", items: { type: "string" } },
    },
  };
  const paths: Record<string, Json> = {};
  const jsonContent = (ref: string, array = false) => ({
    "application/json": { schema: array ? { type: "array", items: { $ref: ref } } : { $ref: ref } },
  });
  const errors = {
    "400": { $ref: "#/components/responses/BadRequest" },
    "404": { $ref: "#/components/responses/NotFound" },
  };
  for (let r = 0; r < resources; r++) {
    const layer = r % 4; // operations enter the graph at the top layers: changes deep down reach many of them
    const ref = `#/components/schemas/${schemaName(layer, r % perLayer)}`;
    const base = `/${words[r % words.length]}s${r}`;
    paths[base] = {
      get: {
        operationId: `list${r}`,
        summary: text(6),
        parameters: [
          { $ref: "#/components/parameters/Limit" },
          { $ref: "#/components/parameters/Offset" },
          { name: "sort", in: "query", schema: { type: "string", enum: ["asc", "desc"] } },
        ],
        responses: { "200": { description: "ok", content: jsonContent(ref, true) }, ...errors },
      },
      post: {
        operationId: `create${r}`,
        requestBody: { required: true, content: jsonContent(ref) },
        responses: { "201": { description: "created", content: jsonContent(ref) }, ...errors },
      },
    };
    paths[`${base}/{id}`] = {
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
      get: {
        operationId: `get${r}`,
        responses: { "200": { description: "ok", content: jsonContent(ref) }, ...errors },
      },
      put: {
        operationId: `put${r}`,
        requestBody: { required: true, content: jsonContent(ref) },
        responses: { "200": { description: "ok", content: jsonContent(ref) }, ...errors },
      },
      delete: {
        operationId: `delete${r}`,
        ...(r % 50 === 7 ? { deprecated: true, "x-sunset": "2025-01-31" } : {}),
        responses: { "204": { description: "gone" }, ...errors },
      },
    };
  }
  return {
    openapi: "3.0.3",
    info: { title: "bench", version: "1.0.0" },
    paths,
    components: {
      schemas,
      parameters: {
        Limit: { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500 } },
        Offset: { name: "offset", in: "query", schema: { type: "integer", minimum: 0 } },
      },
      responses: {
        BadRequest: { description: "bad request", content: jsonContent("#/components/schemas/Error") },
        NotFound: { description: "not found", content: jsonContent("#/components/schemas/Error") },
      },
    },
  };
}

/** ~60 changes: some deep in components (reported at every operation that reaches them), some on operations. */
/** `scale` 1: about 60 changes (40 in components); smaller scales change proportionally less. */
function generateHead(base: Json, scale = 1): Json {
  const head = structuredClone(base) as {
    paths: Record<string, Record<string, Json>>;
    components: {
      schemas: Record<string, { properties: Record<string, Json>; required: string[] }>;
      parameters: Record<string, Json>;
    };
  };
  const next = rng(seed + 1);
  const schemaNames = Object.keys(head.components.schemas).filter((n) => n !== "Error");
  for (let k = 0; k < Math.round(40 * scale); k++) {
    const name = schemaNames[Math.floor(next() * schemaNames.length)] as string;
    const s = head.components.schemas[name];
    if (!s) continue;
    const props = Object.keys(s.properties).filter((p) => /\d$/.test(p));
    const prop = props[Math.floor(next() * props.length)] as string;
    const p = s.properties[prop] as Json;
    switch (k % 8) {
      case 0:
        delete s.properties[prop];
        break;
      case 1:
        if (typeof p.maxLength === "number") p.maxLength = (p.maxLength as number) - 10;
        else p.description = "changed";
        break;
      case 2:
        if (Array.isArray(p.enum)) p.enum = [...p.enum, "suspended"];
        break;
      case 3:
        if (!s.required.includes(prop)) s.required.push(prop);
        break;
      case 4:
        if (p.type === "integer") p.type = "number";
        break;
      case 5:
        if (p.type === "string") p.nullable = true;
        break;
      case 6:
        if (Array.isArray(p.enum)) p.enum = (p.enum as string[]).filter((v) => v !== "archived");
        break;
      default:
        p.readOnly = true;
    }
  }
  (head.components.parameters.Limit as { schema: Json }).schema = {
    type: "integer",
    minimum: 1,
    maximum: 200,
  };
  const pathKeys = Object.keys(head.paths);
  for (let k = 0; k < Math.round(8 * scale); k++) {
    const path = pathKeys[(k * 37) % pathKeys.length] as string;
    const get = head.paths[path]?.get as { parameters?: Json[] } | undefined;
    get?.parameters?.push({ name: `tenant${k}`, in: "query", required: true, schema: { type: "string" } });
  }
  for (const path of pathKeys.filter((p) => p.endsWith("{id}")).slice(0, Math.round(60 * scale))) {
    const item = head.paths[path] as Record<string, Json>;
    const del = item.delete as Json | undefined;
    if (del && (del.deprecated === true || pathKeys.indexOf(path) % 40 === 3)) delete item.delete;
  }
  return head as unknown as Json;
}

interface RunResult {
  ms: number;
  code: number | null;
  stdout: string;
}

function runCli(args: readonly string[]): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [shipgateMain, ...args], {
      cwd: corpusDir,
      env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({ ms: performance.now() - started, code, stdout: Buffer.concat(out).toString("utf8") }),
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`;

/** Longest chain of $refs through components, not counting references back to a schema already on the chain. */
function maxRefDepth(doc: Json): number {
  const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
  const refsIn = (v: unknown, out: string[]): void => {
    if (Array.isArray(v)) for (const x of v) refsIn(x, out);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string") out.push(x.replace("#/components/schemas/", ""));
        else refsIn(x, out);
      }
    }
  };
  const refs = new Map(
    Object.keys(schemas).map((n) => {
      const out: string[] = [];
      refsIn(schemas[n], out);
      return [n, out] as const;
    }),
  );
  // Layers make the forward graph acyclic: depth by memoised search over references to later layers.
  const layerOf = (n: string) => Number(/L(\d+)N/.exec(n)?.[1] ?? -1);
  const memo = new Map<string, number>();
  const depth = (n: string): number => {
    const known = memo.get(n);
    if (known !== undefined) return known;
    const forward = (refs.get(n) ?? []).filter((r) => layerOf(r) > layerOf(n));
    const d = 1 + Math.max(0, ...forward.map(depth));
    memo.set(n, d);
    return d;
  };
  return Math.max(...Object.keys(schemas).map(depth));
}

/**
 * The peer runs in its own process (a memory cap and a time limit: on cyclic specs it may not
 * finish), from a small script written next to the corpus.
 */
const peerScript = `
import { readFileSync } from "node:fs";
const [entry, base, head] = process.argv.slice(2);
const { apiCompare } = await import(entry);
const t0 = performance.now();
const before = JSON.parse(readFileSync(base, "utf8"));
const after = JSON.parse(readFileSync(head, "utf8"));
const { diffs } = apiCompare(before, after);
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, diffs: diffs.length, breaking: diffs.filter((d) => d.type === "breaking").length }));
`;

interface PeerRun {
  ms?: number;
  diffs?: number;
  breaking?: number;
  /** Why there is no measurement: out of memory, time limit, crash. */
  failed?: string;
}

function peerEntry(): string | undefined {
  const pkg = join(peersDir, "node_modules/api-smart-diff/package.json");
  if (!existsSync(pkg)) return undefined;
  return pathToFileURL(
    createRequire(pkg)
      .resolve("api-smart-diff")
      .replace(/\.cjs$/, ".mjs"),
  ).href;
}

const peerMemoryMb = 3072;
const peerTimeoutMs = 60_000;

function runPeer(entry: string, base: string, head: string): Promise<PeerRun> {
  const script = join(corpusDir, "peer.mjs");
  writeFileSync(script, peerScript);
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${peerMemoryMb}`, script, entry, base, head],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), peerTimeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      if (code === 0) {
        resolvePromise(JSON.parse(Buffer.concat(out).toString("utf8")) as PeerRun);
      } else if (signal === "SIGKILL") {
        resolvePromise({ failed: `no result within ${peerTimeoutMs / 1000} s (stopped)` });
      } else if (/heap out of memory/i.test(Buffer.concat(err).toString("utf8"))) {
        resolvePromise({ failed: `ran out of memory (${peerMemoryMb} MB heap) after ${seconds} s` });
      } else {
        const last = Buffer.concat(err).toString("utf8").trim().split("\n").at(-1) ?? "";
        resolvePromise({ failed: `exited ${code} after ${seconds} s: ${last}` });
      }
    });
  });
}

type Compat = typeof import("../src/compat/index.js");

interface Corpus {
  name: string;
  basePath: string;
  headPath: string;
}

function writeCorpus(name: string, cycles: boolean, scale: number): Corpus {
  const baseDoc = generateBase(cycles);
  const headDoc = generateHead(baseDoc, scale);
  const basePath = join(corpusDir, `${name}-base.json`);
  const headPath = join(corpusDir, `${name}-head.json`);
  writeFileSync(basePath, `${JSON.stringify(baseDoc, null, 2)}\n`);
  writeFileSync(headPath, `${JSON.stringify(headDoc, null, 2)}\n`);
  const size = (p: string) => `${(readFileSync(p).length / 1024 / 1024).toFixed(2)} MB`;
  const ops = Object.values(baseDoc.paths as Record<string, Json>).reduce(
    (n, item) => n + Object.keys(item).filter((k) => k !== "parameters").length,
    0,
  );
  const schemaCount = Object.keys((baseDoc.components as { schemas: Json }).schemas).length;
  console.log(
    `\n== ${name}: ${name}-base.json ${size(basePath)}, ${name}-head.json ${size(headPath)}: ${ops} operations, ` +
      `${schemaCount} component schemas, $ref chains ${maxRefDepth(baseDoc)} deep${cycles ? ", cycles through parent references" : ", no cycles"}; ` +
      `head: ${scale === 1 ? "about 60 changes (stress)" : `about ${Math.round(60 * scale)} changes (a typical release)`}`,
  );
  return { name, basePath, headPath };
}

const row = (label: string, xs: number[]) =>
  console.log(`  ${label.padEnd(46)} ${fmt(median(xs))}  (min ${fmt(Math.min(...xs)).trim()})`);

/** Times shipgate (in process and as a CLI process) and the peer on one corpus; returns the in-process median. */
async function measure(
  compat: Compat,
  corpus: Corpus,
  runs: number,
  peer: string | undefined,
): Promise<{ inProcess: number; cli: number }> {
  const now = new Date("2026-01-15T00:00:00Z");
  const inProcess = {
    load: [] as number[],
    diff: [] as number[],
    total: [] as number[],
    cpu: [] as number[],
  };
  let cold = 0;
  const cli: number[] = [];
  const peerTimes: number[] = [];
  let findings: { severity: string }[] = [];
  let peerResult: PeerRun | undefined;
  const files = [`${corpus.name}-base.json`, `${corpus.name}-head.json`];
  for (let round = 0; round <= runs; round++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const [base, head] = await Promise.all([
      compat.loadOpenApi({ file: corpus.basePath, label: files[0] }),
      compat.loadOpenApi({ file: corpus.headPath, label: files[1] }),
    ]);
    const t1 = performance.now();
    const located = compat.diffOpenApi(base, head, { now });
    const t2 = performance.now();
    const cpu = process.cpuUsage(c0);
    const r = await runCli(["compat", "openapi", ...files, "--format", "json"]);
    if (r.code !== 0 && r.code !== 1) throw new Error(`shipgate exited ${r.code}`);
    if (peer && peerResult?.failed === undefined) {
      peerResult = await runPeer(peer, corpus.basePath, corpus.headPath);
      if (peerResult.ms !== undefined) peerTimes.push(peerResult.ms);
    }
    if (round === 0) {
      cold = t2 - t0;
      findings = (JSON.parse(r.stdout) as { findings: { severity: string }[] }).findings;
      if (findings.length !== located.length) throw new Error("CLI and in-process findings differ");
      continue;
    }
    inProcess.load.push(t1 - t0);
    inProcess.diff.push(t2 - t1);
    inProcess.total.push(t2 - t0);
    inProcess.cpu.push((cpu.user + cpu.system) / 1000);
    cli.push(r.ms);
  }
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  console.log(
    `  findings: ${findings.length} (${count("error")} errors, ${count("warning")} warnings, ${count("info")} infos): ` +
      "each change in a component is reported at every operation it reaches",
  );
  console.log(`  ${runs} measured runs after one warm-up; median (min):`);
  console.log(`  ${"shipgate, in process, first (cold) run: load + diff".padEnd(46)} ${fmt(cold)}`);
  row("shipgate, in process: load both specs", inProcess.load);
  row("shipgate, in process: diff", inProcess.diff);
  row("shipgate, in process: load + diff", inProcess.total);
  row("shipgate, in process: load + diff, CPU time", inProcess.cpu);
  row("shipgate CLI process, --format json (all in)", cli);
  if (!peer) {
    console.log(
      "  peer: api-smart-diff is not installed, so it was not measured. Install it next to the corpus:\n" +
        "    npm install --prefix bench/.corpus/peers --no-save api-smart-diff@1.0.6",
    );
  } else if (peerResult?.failed !== undefined) {
    console.log(`  ${"api-smart-diff 1.0.6: parse + apiCompare".padEnd(46)} ${peerResult.failed}`);
  } else {
    row("api-smart-diff 1.0.6: parse + apiCompare", peerTimes);
    console.log(
      `  api-smart-diff: ${peerResult?.diffs} differences, ${peerResult?.breaking} classified breaking (not per operation)`,
    );
  }
  return { inProcess: median(inProcess.total), cli: median(cli) };
}

/**
 * The labelled spec pairs of the test suite (OpenAPI 3.0, one file each): does the change break
 * clients? The answer is "yes" when expected.yaml lists an error. shipgate runs its engine here
 * (the suite checks its findings in detail); the peer answers "yes" when it classifies any
 * difference as breaking.
 */
async function accuracy(compat: Compat, peer: string | undefined): Promise<void> {
  const { parse } = await import("yaml");
  const fixtures = join(repoRoot, "test/compat/fixtures/openapi");
  const now = new Date("2026-01-15T00:00:00Z");
  const cases: { name: string; base: string; head: string; breaks: boolean; shipgate: boolean }[] = [];
  for (const name of readdirSync(fixtures).sort()) {
    const dir = join(fixtures, name);
    const base = join(dir, "base.yaml");
    const head = join(dir, "head.yaml");
    if (!existsSync(base) || !existsSync(head) || existsSync(join(dir, ".shipgate-compat.yaml"))) continue;
    const baseText = readFileSync(base, "utf8");
    if (!/^openapi: 3\.0/m.test(baseText) || /\$ref: "\.\//.test(baseText)) continue;
    const expected = parse(readFileSync(join(dir, "expected.yaml"), "utf8")) as {
      findings: { severity: string }[];
    };
    const found = compat.diffOpenApi(
      await compat.loadOpenApi({ file: base }),
      await compat.loadOpenApi({ file: head }),
      {
        now,
      },
    );
    cases.push({
      name,
      base,
      head,
      breaks: expected.findings.some((f) => f.severity === "error"),
      shipgate: found.some((f) => f.finding.severity === "error"),
    });
  }
  const right = (verdicts: boolean[]) => verdicts.filter((v, i) => v === cases[i]?.breaks).length;
  console.log(
    `\n== accuracy: ${cases.length} labelled OpenAPI 3.0 pairs from test/compat/fixtures (does the change break clients?)`,
  );
  console.log(`  shipgate:       ${right(cases.map((c) => c.shipgate))}/${cases.length} right`);
  if (!peer) return;
  const list = join(corpusDir, "cases.json");
  writeFileSync(list, JSON.stringify(cases.map((c) => ({ name: c.name, base: c.base, head: c.head }))));
  const out = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(corpusDir, "peer-cases.mjs"), peer, list], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.on("error", reject);
    child.on("close", () => resolvePromise(Buffer.concat(chunks).toString("utf8")));
  });
  const verdicts = JSON.parse(out) as Record<string, boolean>;
  const peerVerdicts = cases.map((c) => verdicts[c.name] === true);
  console.log(`  api-smart-diff: ${right(peerVerdicts)}/${cases.length} right`);
  const wrong = cases.filter((c, i) => peerVerdicts[i] !== c.breaks);
  for (const c of wrong) {
    console.log(`    ${c.name}: ${c.breaks ? "breaks clients, called safe" : "safe, called breaking"}`);
  }
}

const peerCasesScript = `
import { readFileSync } from "node:fs";
import { parse } from "${pathToFileURL(createRequire(join(repoRoot, "package.json")).resolve("yaml")).href}";
const [entry, list] = process.argv.slice(2);
const { apiCompare } = await import(entry);
const out = {};
for (const c of JSON.parse(readFileSync(list, "utf8"))) {
  try {
    const { diffs } = apiCompare(parse(readFileSync(c.base, "utf8")), parse(readFileSync(c.head, "utf8")));
    out[c.name] = diffs.some((d) => d.type === "breaking");
  } catch {
    out[c.name] = false;
  }
}
console.log(JSON.stringify(out));
`;

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf("--runs");
  const runs = runsFlag === -1 ? 5 : Number(process.argv[runsFlag + 1]);
  if (!existsSync(shipgateMain)) {
    console.error("dist/cli/main.js is missing: run `npm run build` first");
    process.exit(2);
  }
  mkdirSync(corpusDir, { recursive: true });
  writeFileSync(join(corpusDir, "peer-cases.mjs"), peerCasesScript);
  const compat = (await import(pathToFileURL(join(repoRoot, "dist/compat/index.js")).href)) as Compat;
  const peer = peerEntry();
  console.log(`load average (1 min) at start: ${loadavg()[0]?.toFixed(2)}; node ${process.version}`);
  const typical = await measure(compat, writeCorpus("release", true, 0.1), runs, peer);
  const stress = await measure(compat, writeCorpus("stress", true, 1), runs, peer);
  await measure(compat, writeCorpus("acyclic", false, 1), runs, peer);
  await accuracy(compat, peer);
  const verdict = (ms: number) => `${ms < 1000 ? "yes" : "NO"} (${ms.toFixed(0)} ms in process)`;
  console.log(`\nbudget: load + diff of two ~2 MB specs with deep, cyclic $refs under 1 s:`);
  console.log(
    `  a typical release: ${verdict(typical.inProcess)}; CLI process all in: ${typical.cli.toFixed(0)} ms`,
  );
  console.log(
    `  the stress head:   ${verdict(stress.inProcess)}; CLI process all in: ${stress.cli.toFixed(0)} ms`,
  );
  console.log(`load average (1 min) at the end: ${loadavg()[0]?.toFixed(2)}`);
}

await main();
