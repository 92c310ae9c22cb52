/**
 * Speed benchmark: `shipgate check` on a generated repository of 10,000 files (9,000 source files and
 * 1,000 migrations) with a 50-commit range, without a database; and the same 50-commit change on a
 * 1,000-file repository, to show whether the time grows with the repository or with the diff.
 *
 *   npm run build && npm run bench:check          # 5 measured runs of each
 *   npm run bench:check -- --runs 10
 *
 * Wall time of `node dist/cli/main.js check --base <base> --format json` as a process (start-up
 * included), round-robin after one warm-up round; the per-item times come from the JSON report.
 * The migration cache is disabled (XDG_CACHE_HOME points at a fresh directory each run) so every
 * run is cold. Target (issue #6): under 5 s on the 10,000-file repository.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { generateSourceRepo } from "./generate-repo.js";
import { formatMs, median, Rng, timeProcess } from "./lib.js";

const repoRoot = resolve(import.meta.dirname, "..");
const shipgateMain = join(repoRoot, "dist/cli/main.js");
const rangeCommits = 50;

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
}

function migration(i: number): string {
  const table = `t${Math.floor(i / 4)}`;
  switch (i % 4) {
    case 0:
      return `CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\n`;
    case 1:
      return `ALTER TABLE ${table} ADD COLUMN note text;\n`;
    case 2:
      return `CREATE INDEX CONCURRENTLY ${table}_name_idx ON ${table} (name);\n`;
    default:
      return `ALTER TABLE ${table} ADD COLUMN score integer;\nCOMMENT ON COLUMN ${table}.score IS 'rank';\n`;
  }
}

/** The repository at `dir`: `sources` generated files, `migrations` migrations, then the range. */
function prepare(dir: string, sources: number, migrations: number): string {
  const stamp = join(dir, "RANGE");
  if (existsSync(stamp)) return readFileSync(stamp, "utf8");
  generateSourceRepo(dir, { files: sources, seed: 20261122 });
  mkdirSync(join(dir, "db/migrations"), { recursive: true });
  for (let i = 1; i <= migrations; i++) {
    writeFileSync(join(dir, `db/migrations/${String(i).padStart(5, "0")}_m.sql`), migration(i));
  }
  writeFileSync(join(dir, "shipgate.yaml"), "migrations:\n  paths: [db/migrations]\n  framework: sql\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "migrations");
  const base = git(dir, "rev-parse", "HEAD");
  const rng = new Rng(7);
  for (let c = 1; c <= rangeCommits; c++) {
    const file = join(dir, `pkg${rng.int(0, 39)}/feature${c}.ts`);
    mkdirSync(resolve(file, ".."), { recursive: true });
    writeFileSync(
      file,
      `export function feature${c}(x: number): number {\n  return x * ${c};\n}\nexport const flag${c} = process.env.FEATURE_${c} ?? "off";\n`,
    );
    if (c % 5 === 0) {
      const n = migrations + c / 5;
      writeFileSync(join(dir, `db/migrations/${String(n).padStart(5, "0")}_m.sql`), migration(n));
    }
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", `feature ${c}`);
  }
  writeFileSync(stamp, base);
  return base;
}

interface JsonRun {
  failed: boolean;
  items: { id: string; status: string; durationMs: number }[];
}

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf("--runs");
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
  if (!existsSync(shipgateMain)) throw new Error("dist/ is missing: run npm run build first");
  const big = join(repoRoot, "bench/.corpus/check-10k");
  const small = join(repoRoot, "bench/.corpus/check-1k");
  const repos = [
    { label: "10,000 files (9,000 sources, 1,000 migrations)", dir: big, base: prepare(big, 9000, 1000) },
    { label: "1,000 files (900 sources, 100 migrations)", dir: small, base: prepare(small, 900, 100) },
  ];
  const check = (r: (typeof repos)[number]) =>
    timeProcess(process.execPath, [shipgateMain, "check", "--base", r.base, "--format", "json"], {
      cwd: r.dir,
      env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "shipgate-bench-cache-")) },
    });
  for (const r of repos) await check(r);
  const times = repos.map(() => [] as number[]);
  const last: (JsonRun | undefined)[] = repos.map(() => undefined);
  for (let i = 0; i < runs; i++) {
    for (const [k, r] of repos.entries()) {
      const t = await check(r);
      if (t.code !== 0 && t.code !== 1) throw new Error(`shipgate check exited ${t.code}: ${t.stderr}`);
      times[k]?.push(t.ms);
      last[k] = JSON.parse(t.stdout) as JsonRun;
    }
  }
  console.log(
    `shipgate check benchmark: ${rangeCommits}-commit range, no database, ${runs} runs, node ${process.version}`,
  );
  for (const [k, r] of repos.entries()) {
    const xs = times[k] ?? [];
    console.log(`  ${r.label.padEnd(48)} median ${formatMs(median(xs))}  min ${formatMs(Math.min(...xs))}`);
    const slow = [...(last[k]?.items ?? [])].sort((a, b) => b.durationMs - a.durationMs).slice(0, 4);
    console.log(`    slowest items: ${slow.map((i) => `${i.id} ${formatMs(i.durationMs)}`).join(", ")}`);
  }
  const ratio = median(times[0] ?? []) / median(times[1] ?? []);
  console.log(`  10× the files, the same diff: ${ratio.toFixed(2)}× the time`);
  console.log(
    `  target: under 5,000 ms on 10,000 files — ${median(times[0] ?? []) < 5000 ? "met" : "NOT met"}`,
  );
}

await main();
