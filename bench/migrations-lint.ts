/**
 * Speed benchmark: shipgate migrations lint against squawk on the same 2,000-file corpus, timed in
 * the same run on this machine.
 *
 *   npm run build && npm run bench            # 5 measured runs of each
 *   npm run bench -- --runs 10
 *
 * It (re)generates the corpus into bench/.corpus/migrations (deterministic, seeded; see
 * generate-corpus.ts), then times, round-robin so that drift affects every tool alike:
 *   - squawk:          node_modules/.bin/squawk --reporter json '<dir>/*.sql'
 *   - shipgate cold:   node dist/cli/main.js migrations lint <dir> --format json --cache-dir <tmp>,
 *                      the cache directory deleted first
 *   - shipgate warm:   the same command again on the unchanged corpus
 *   - parser alone:    node bench/fixtures/parse-only.mjs <dir> [--threads <cores>], a fresh process
 *                      that only parses every file with libpg-query (shipgate's parser), in one
 *                      thread and split over one worker thread per core: the floor under any cold
 *                      lint built on this parser
 * One unmeasured round first warms the OS file cache. Wall time includes process start-up, as a
 * user or CI sees it. Findings are counted from each tool's JSON output; squawk's count of checked
 * files comes from one extra, untimed run with its default reporter ("checked N source files").
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { loadModule, parseSync } from "libpg-query";
import { generateCorpus } from "./generate-corpus.js";
import { median } from "./lib.js";

const repoRoot = resolve(import.meta.dirname, "..");
const corpusDir = join(repoRoot, "bench/.corpus/migrations");
const shipgateMain = join(repoRoot, "dist/cli/main.js");
const squawkBin = join(repoRoot, "node_modules/.bin/squawk");
const parseOnly = join(repoRoot, "bench/fixtures/parse-only.mjs");

const corpusFiles = 2000;
const corpusStatements = 11_000;
const corpusSeed = 20240601;

interface RunResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Measured {
  tool: string;
  times: number[];
  /** Files the tool reports it checked. */
  files: number;
  findings: number;
  /** Files with at least one finding. */
  filesWithFindings: number;
}

function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      resolvePromise({
        ms: performance.now() - started,
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** Counts the top-level statements of the corpus with the real Postgres parser. */
async function countStatements(dir: string, files: readonly string[]): Promise<number> {
  await loadModule();
  let n = 0;
  for (const f of files) n += parseSync(readFileSync(join(dir, f), "utf8")).stmts?.length ?? 0;
  return n;
}

interface SquawkViolation {
  file: string;
  rule_name: string;
}

function parseSquawk(result: RunResult): { findings: number; filesWithFindings: number } {
  // squawk exits 1 when it finds violations; anything else is a failure.
  if (result.code !== 0 && result.code !== 1) {
    throw new Error(`squawk exited with ${String(result.code)}: ${result.stderr.slice(0, 2000)}`);
  }
  const parsed: unknown = JSON.parse(result.stdout.trim() === "" ? "[]" : result.stdout);
  if (!Array.isArray(parsed)) throw new Error("squawk --reporter json did not print a list");
  const violations = parsed as SquawkViolation[];
  return { findings: violations.length, filesWithFindings: new Set(violations.map((v) => v.file)).size };
}

interface ShipgateJson {
  files: { path: string }[];
  findings: { file?: string }[];
}

function parseShipgate(result: RunResult): { files: number; findings: number; filesWithFindings: number } {
  // 0: clean, 1: the gate failed on findings; anything else is a usage error or a crash.
  if (result.code !== 0 && result.code !== 1) {
    throw new Error(`shipgate exited with ${String(result.code)}: ${result.stderr.slice(0, 2000)}`);
  }
  let report: ShipgateJson;
  try {
    report = JSON.parse(result.stdout) as ShipgateJson;
  } catch {
    throw new Error(`shipgate --format json did not print JSON: ${result.stdout.slice(0, 500)}`);
  }
  if (!Array.isArray(report.files) || !Array.isArray(report.findings)) {
    throw new Error("shipgate's JSON report has no files/findings arrays");
  }
  return {
    files: report.files.length,
    findings: report.findings.length,
    filesWithFindings: new Set(report.findings.map((f) => f.file)).size,
  };
}

function parseArgs(argv: readonly string[]): { runs: number } | { error: string } | { help: true } {
  let runs = 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") return { help: true };
    const value = arg.startsWith("--runs=")
      ? arg.slice("--runs=".length)
      : arg === "--runs"
        ? argv[++i]
        : undefined;
    if (value === undefined) return { error: `unknown argument: ${arg}` };
    runs = Number(value);
    if (!Number.isInteger(runs) || runs < 1)
      return { error: `--runs needs a positive integer, got ${value}` };
  }
  return { runs };
}

const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r, ri) => {
      const line = r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  ")
        .trimEnd();
      return ri === 0 ? `${line}\n${widths.map((w) => "-".repeat(w)).join("  ")}` : line;
    })
    .join("\n");
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if ("help" in args) {
    console.log("Usage: tsx bench/migrations-lint.ts [--runs N]   (default 5; needs `npm run build` first)");
    return 0;
  }
  if ("error" in args) {
    console.error(args.error);
    return 1;
  }
  if (!existsSync(shipgateMain)) {
    console.error(`${relative(repoRoot, shipgateMain)} does not exist: run \`npm run build\` first.`);
    return 2;
  }
  if (!existsSync(squawkBin)) {
    console.error("node_modules/.bin/squawk does not exist: run `npm ci` first.");
    return 2;
  }

  const generated = generateCorpus({
    dir: corpusDir,
    files: corpusFiles,
    seed: corpusSeed,
    targetStatements: corpusStatements,
  });
  const files = readdirSync(corpusDir).filter((f) => f.endsWith(".sql"));
  const statements = await countStatements(corpusDir, files);
  console.log(
    `corpus: ${files.length} files, ${statements} statements (Postgres parser), ${(generated.bytes / 1024 / 1024).toFixed(1)} MiB, ${generated.tables} tables, seed ${corpusSeed} -> ${relative(repoRoot, corpusDir)}`,
  );

  const squawkVersion = (await run(squawkBin, ["--version"])).stdout.trim();
  const glob = `${relative(repoRoot, corpusDir)}/*.sql`;
  const squawkArgs = ["--reporter", "json", glob];
  const cacheRoot = mkdtempSync(join(tmpdir(), "shipgate-bench-"));
  const cacheDir = join(cacheRoot, "cache");
  const shipgateArgs = [
    shipgateMain,
    "migrations",
    "lint",
    relative(repoRoot, corpusDir),
    "--format",
    "json",
    "--cache-dir",
    cacheDir,
  ];
  // No colour or progress decoration: the JSON goes to a pipe anyway.
  const shipgateEnv = { ...process.env, NO_COLOR: "1", CI: "true" };

  try {
    // Untimed: squawk's own count of the files it checked (its JSON lists only files with findings).
    const check = await run(squawkBin, [glob]);
    const checked = /checked (\d+) source files?/.exec(check.stdout + check.stderr);
    const squawkChecked = checked ? Number(checked[1]) : Number.NaN;
    if (squawkChecked !== files.length) {
      console.error(
        `warning: squawk reports checking ${String(checked?.[1] ?? "?")} files, expected ${files.length}`,
      );
    }

    // Untimed warm-up round: OS file cache, Node's compile cache.
    parseSquawk(await run(squawkBin, squawkArgs));
    rmSync(cacheDir, { recursive: true, force: true });
    parseShipgate(await run(process.execPath, shipgateArgs, shipgateEnv));

    const squawk: Measured = {
      tool: `squawk ${squawkVersion.replace(/^squawk\s+/, "")}`,
      times: [],
      files: squawkChecked,
      findings: 0,
      filesWithFindings: 0,
    };
    const cold: Measured = { tool: "shipgate cold", times: [], files: 0, findings: 0, filesWithFindings: 0 };
    const warm: Measured = { tool: "shipgate warm", times: [], files: 0, findings: 0, filesWithFindings: 0 };
    const cores = availableParallelism();
    const parsers = [1, ...(cores > 1 ? [cores] : [])].map((threads) => ({
      threads,
      measured: {
        tool: `parser alone, ${threads} thread${threads === 1 ? "" : "s"}`,
        times: [],
        files: files.length,
        findings: Number.NaN,
        filesWithFindings: Number.NaN,
      } satisfies Measured as Measured,
    }));

    for (let i = 0; i < args.runs; i++) {
      const s = await run(squawkBin, squawkArgs);
      const sc = parseSquawk(s);
      squawk.times.push(s.ms);
      squawk.findings = sc.findings;
      squawk.filesWithFindings = sc.filesWithFindings;

      rmSync(cacheDir, { recursive: true, force: true });
      const c = await run(process.execPath, shipgateArgs, shipgateEnv);
      const cc = parseShipgate(c);
      cold.times.push(c.ms);
      Object.assign(cold, cc);

      const w = await run(process.execPath, shipgateArgs, shipgateEnv);
      const wc = parseShipgate(w);
      warm.times.push(w.ms);
      Object.assign(warm, wc);
      if (wc.findings !== cc.findings || wc.files !== cc.files) {
        console.error(
          `warning: warm run differs from cold run (${wc.files} files/${wc.findings} findings vs ${cc.files}/${cc.findings})`,
        );
      }
      const parsed: string[] = [];
      for (const p of parsers) {
        const r = await run(process.execPath, [parseOnly, corpusDir, "--threads", String(p.threads)]);
        if (r.code !== 0 || Number(r.stdout) !== statements) {
          throw new Error(
            `parse-only exited with ${String(r.code)}: ${(r.stdout + r.stderr).slice(0, 2000)}`,
          );
        }
        p.measured.times.push(r.ms);
        parsed.push(`parser alone (${p.threads}) ${fmtMs(r.ms)}`);
      }
      process.stderr.write(
        `run ${i + 1}/${args.runs}: squawk ${fmtMs(s.ms)}, cold ${fmtMs(c.ms)}, warm ${fmtMs(w.ms)}, ${parsed.join(", ")}\n`,
      );
    }
    for (const m of [cold, warm]) {
      if (m.files !== files.length)
        console.error(`warning: ${m.tool} reported ${m.files} files, expected ${files.length}`);
    }

    const rows = [
      ["tool", "median", "min", "files", "statements (corpus)", "findings", "files w/ findings"],
      ...[squawk, cold, warm, ...parsers.map((p) => p.measured)].map((m) => [
        m.tool,
        fmtMs(median(m.times)),
        fmtMs(Math.min(...m.times)),
        String(m.files),
        String(statements),
        Number.isNaN(m.findings) ? "-" : String(m.findings),
        Number.isNaN(m.filesWithFindings) ? "-" : String(m.filesWithFindings),
      ]),
    ];
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const load = loadavg()[0] ?? 0;
    console.log(
      [
        "",
        `${args.runs} measured run(s) each, wall time including process start-up; ${process.platform} ${process.arch}, ${cores} cores, Node ${process.version}`,
        `load average (1 min) at the end: ${load.toFixed(2)}${load > cores ? ` — above the core count: other work competed for the CPU, figures are noisy` : ""}`,
        "",
        table(rows),
        "",
        `shipgate cold / squawk:           ${ratio(median(cold.times), median(squawk.times))} (median), ${ratio(Math.min(...cold.times), Math.min(...squawk.times))} (min)`,
        `shipgate warm / shipgate cold:    ${ratio(median(warm.times), median(cold.times))} (median), ${ratio(Math.min(...warm.times), Math.min(...cold.times))} (min)`,
        `shipgate warm / squawk:           ${ratio(median(warm.times), median(squawk.times))} (median)`,
        ...parsers.map(
          (p) =>
            `${`${p.measured.tool} / squawk:`.padEnd(34)}${ratio(median(p.measured.times), median(squawk.times))} (median), ${ratio(Math.min(...p.measured.times), Math.min(...squawk.times))} (min)`,
        ),
      ].join("\n"),
    );
    return 0;
  } finally {
    rmSync(cacheRoot, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
