/**
 * Speed benchmark: `shipgate env audit` on a generated 10,000-file git repository (TypeScript,
 * JavaScript, Python and other files; about one source file in six reads the environment), against
 * the grep teams run today, timed in the same run on this machine.
 *
 *   npm run build && npm run bench:env             # 5 measured runs of each
 *   npm run bench:env -- --runs 10
 *
 * Timed, round-robin so that drift affects both alike, after one unmeasured warm-up round:
 *   - shipgate: node dist/cli/main.js env audit --format json (wall time, process start included)
 *   - git grep: git grep -n -E 'process\.env|import\.meta\.env|os\.environ|os\.getenv' — finds
 *     lines, not reads: no names, defaults, dynamic keys or declared set. It is the floor, not a peer
 *     doing the same job; the ratio says what the parsing costs.
 * Target (issue #4): shipgate under 3 s.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "..");
const corpusDir = join(repoRoot, "bench/.corpus/env-repo");
const shipgateMain = join(repoRoot, "dist/cli/main.js");
const fileCount = 10_000;

/** A small deterministic PRNG (mulberry32), so every run audits the same repository. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tsBody = (i: number) => `import { helper${i % 50} } from "../lib/helper${i % 50}";

export interface Item${i} {
  id: string;
  total: number;
  tags: readonly string[];
}

export function compute${i}(items: readonly Item${i}[]): number {
  let sum = 0;
  for (const item of items) {
    if (item.tags.includes("skip")) continue;
    sum += helper${i % 50}(item.total) * 1.2;
  }
  return Math.round(sum * 100) / 100;
}

export class Service${i} {
  private readonly cache = new Map<string, Item${i}>();
  get(id: string): Item${i} | undefined {
    return this.cache.get(id);
  }
  put(item: Item${i}): void {
    this.cache.set(item.id, item);
  }
}
`;

const pyBody = (i: number) => `from dataclasses import dataclass


@dataclass
class Record${i}:
    id: str
    total: float

    def doubled(self) -> float:
        return self.total * 2


def summarize_${i}(records):
    return sum(r.total for r in records if r.total > 0)
`;

function envReadTs(r: () => number, i: number): string {
  const name = `VAR_${Math.floor(r() * 400)}`;
  switch (i % 4) {
    case 0:
      return `export const v${i} = process.env.${name};\n`;
    case 1:
      return `export const v${i} = process.env.${name} ?? "x";\n`;
    case 2:
      return `const { ${name} = "d" } = process.env;\nexport const v${i} = ${name};\n`;
    default:
      return `export const v${i} = import.meta.env.${name};\n`;
  }
}

function envReadPy(r: () => number, i: number): string {
  const name = `VAR_${Math.floor(r() * 400)}`;
  return i % 2 === 0
    ? `import os\n\nv${i} = os.getenv("${name}", "x")\n`
    : `import os\n\nv${i} = os.environ["${name}"]\n`;
}

function generate(): void {
  if (existsSync(join(corpusDir, ".git")) && existsSync(join(corpusDir, "GENERATED"))) return;
  rmSync(corpusDir, { recursive: true, force: true });
  mkdirSync(corpusDir, { recursive: true });
  const r = prng(20261122);
  const example: string[] = [];
  for (let v = 0; v < 400; v += 2) example.push(`VAR_${v}=`);
  writeFileSync(join(corpusDir, ".env.example"), `${example.join("\n")}\n`);
  for (let i = 0; i < fileCount; i++) {
    const dir = join(corpusDir, `pkg${i % 40}`, `mod${i % 7}`);
    mkdirSync(dir, { recursive: true });
    const kind = r();
    const readsEnv = r() < 1 / 6;
    if (kind < 0.45) writeFileSync(join(dir, `f${i}.ts`), tsBody(i) + (readsEnv ? envReadTs(r, i) : ""));
    else if (kind < 0.6)
      writeFileSync(
        join(dir, `f${i}.js`),
        `module.exports = { n: ${i} };\n${readsEnv ? `module.exports.e = process.env.VAR_${i % 400};\n` : ""}`,
      );
    else if (kind < 0.8) writeFileSync(join(dir, `f${i}.py`), pyBody(i) + (readsEnv ? envReadPy(r, i) : ""));
    else if (kind < 0.9)
      writeFileSync(join(dir, `f${i}.md`), `# Notes ${i}\n\nSet the environment before running.\n`);
    else writeFileSync(join(dir, `f${i}.json`), `${JSON.stringify({ id: i, env: "production" })}\n`);
  }
  const git = (...args: string[]) => execFileSync("git", args, { cwd: corpusDir, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "corpus");
  writeFileSync(join(corpusDir, "GENERATED"), "");
}

function time(
  command: string,
  args: readonly string[],
): Promise<{ ms: number; stdout: string; code: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: corpusDir, stdio: ["ignore", "pipe", "ignore"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({ ms: performance.now() - started, stdout: Buffer.concat(out).toString("utf8"), code }),
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf("--runs");
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
  if (!existsSync(shipgateMain)) throw new Error("dist/ is missing: run npm run build first");
  generate();
  const shipgate = () => time(process.execPath, [shipgateMain, "env", "audit", "--format", "json"]);
  const grep = () =>
    time("git", ["grep", "-n", "-E", String.raw`process\.env|import\.meta\.env|os\.environ|os\.getenv`]);
  const first = await shipgate();
  await grep();
  const report = JSON.parse(first.stdout) as { files: unknown[]; findings: { ruleId: string }[] };
  const ours: number[] = [];
  const theirs: number[] = [];
  let grepLines = 0;
  for (let i = 0; i < runs; i++) {
    ours.push((await shipgate()).ms);
    const g = await grep();
    theirs.push(g.ms);
    grepLines = g.stdout.split("\n").filter(Boolean).length;
  }
  const byRule = new Map<string, number>();
  for (const f of report.findings) byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
  const fmt = (ms: number) => `${Math.round(ms).toLocaleString("en-US")} ms`;
  console.log(
    `env audit benchmark: ${fileCount.toLocaleString("en-US")} files (${report.files.length.toLocaleString("en-US")} JS/TS/Python), ${runs} runs, node ${process.version}`,
  );
  console.log(
    `  shipgate env audit  median ${fmt(median(ours))}  min ${fmt(Math.min(...ours))}  max ${fmt(Math.max(...ours))}  (${report.findings.length} findings: ${[...byRule].map(([k, v]) => `${k} ${v}`).join(", ")})`,
  );
  console.log(
    `  git grep (floor)    median ${fmt(median(theirs))}  min ${fmt(Math.min(...theirs))}  max ${fmt(Math.max(...theirs))}  (${grepLines} matching lines, no names or defaults)`,
  );
  console.log(`  ratio shipgate / git grep: ${(median(ours) / median(theirs)).toFixed(1)}×`);
  console.log(`  target: under 3,000 ms — ${median(ours) < 3000 ? "met" : "NOT met"}`);
}

await main();
