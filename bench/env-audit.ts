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
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateSourceRepo } from "./generate-repo.js";
import { median, timeProcess } from "./lib.js";

const repoRoot = resolve(import.meta.dirname, "..");
const corpusDir = join(repoRoot, "bench/.corpus/env-repo");
const shipgateMain = join(repoRoot, "dist/cli/main.js");
const fileCount = 10_000;

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf("--runs");
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
  if (!existsSync(shipgateMain)) throw new Error("dist/ is missing: run npm run build first");
  generateSourceRepo(corpusDir, { files: fileCount, seed: 20261122 });
  const shipgate = () =>
    timeProcess(process.execPath, [shipgateMain, "env", "audit", "--format", "json"], { cwd: corpusDir });
  const grep = () =>
    timeProcess(
      "git",
      ["grep", "-n", "-E", String.raw`process\.env|import\.meta\.env|os\.environ|os\.getenv`],
      {
        cwd: corpusDir,
      },
    );
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
