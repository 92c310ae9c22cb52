/**
 * Accuracy benchmark: runs shipgate and squawk on a labelled corpus of hand-written migrations
 * (bench/accuracy-corpus/cases/*.sql) and reports, per tool, how many unsafe files it catches
 * (recall), how many safe files it flags (noise), and every miss and every noisy file.
 *
 *   npm run bench:accuracy            # human-readable report
 *   npm run bench:accuracy -- --json  # machine-readable results
 *
 * Each case starts with a header comment block:
 *
 *   -- expect: unsafe | safe
 *   -- hazard: <what goes wrong in production>        (unsafe only)
 *   -- rules: <shipgate rule id>[, <rule id>...]      (unsafe only: any one of them is the right rule)
 *   -- schema: app.sql[, other.sql]                   (optional: bench/accuracy-corpus/schema/*.sql
 *                                                      that ran before the migration)
 *   -- transaction: none | per-file | implicit        (optional, default none: how the runner applies it)
 *
 * Labels follow Postgres 15 behaviour, never a tool's output. shipgate runs through its library API
 * with the schema and pgVersion 15; only unsuppressed error and warning findings count. squawk runs
 * on the migration file alone, as its users run it (it has no schema input), with --pg-version=15 and
 * --assume-in-transaction for files the runner wraps in a transaction; it is reported with its
 * defaults and "tuned" (without the rules in squawkTunedOff). It is a benchmark, not a test:
 * it exits 0 whatever the figures (1 only when the corpus itself is malformed or a tool cannot run).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { engineRuleMetas } from "../src/migrations/engine-rules.js";
import { lintSql } from "../src/migrations/lint-sql.js";
import type { TransactionModel } from "../src/migrations/rule.js";
import { allRules } from "../src/migrations/rules/index.js";

const execFileAsync = promisify(execFile);

const repoRoot = resolve(import.meta.dirname, "..");
const corpusDir = join(repoRoot, "bench/accuracy-corpus");
const casesDir = join(corpusDir, "cases");
const schemaDir = join(corpusDir, "schema");
const squawkBin = join(repoRoot, "node_modules/.bin/squawk");
const pgVersion = 15;

/**
 * The squawk rules a team that tunes squawk (excluded_rules in .squawk.toml) typically turns off:
 * schema-style rules, and require-statement-timeout, which fires on nearly every file. The "tuned"
 * view drops them so that the comparison is not against a strawman.
 */
export const squawkTunedOff: readonly string[] = [
  "prefer-robust-stmts",
  "prefer-bigint-over-int",
  "prefer-bigint-over-smallint",
  "prefer-identity",
  "prefer-text-field",
  "prefer-timestamptz",
  "prefer-timestamp-tz",
  "ban-char-field",
  "require-enum-value-ordering",
  "require-statement-timeout",
];

const transactionModels: readonly TransactionModel[] = ["none", "per-file", "implicit"];

export interface AccuracyCase {
  /** Path relative to the repository root, forward slashes. */
  file: string;
  name: string;
  expect: "safe" | "unsafe";
  hazard?: string;
  rules: string[];
  schemaFiles: string[];
  transaction: TransactionModel;
  sql: string;
}

export interface ToolFinding {
  ruleId: string;
  line?: number;
  message: string;
}

/** What one tool reported on one case. */
export interface ToolCaseResult {
  findings: ToolFinding[];
  /** Set when the tool failed on this case (a crash, not a finding). */
  error?: string;
}

export interface ToolSummary {
  tool: string;
  recall: { caught: number; total: number };
  noise: { flagged: number; total: number };
  /** shipgate only: unsafe cases where one of the labelled rule ids was reported. */
  rightRule?: { matched: number; total: number };
  misses: { file: string; hazard: string; rules: string[] }[];
  noisy: { file: string; ruleIds: string[]; findings: ToolFinding[] }[];
  /** shipgate only: unsafe cases caught, but by none of the labelled rules. */
  wrongRule?: { file: string; expected: string[]; reported: string[] }[];
  errors: { file: string; error: string }[];
}

/** Parses the header comment block of a case; throws with the file name on a malformed header. */
export function parseCase(file: string, sql: string): AccuracyCase {
  const fields = new Map<string, string>();
  for (const line of sql.split("\n")) {
    const m = /^--\s*(expect|hazard|rules|schema|transaction)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) break;
    const key = m[1] as string;
    if (fields.has(key)) throw new Error(`${file}: header field "${key}" appears twice`);
    fields.set(key, m[2] as string);
  }
  const expect = fields.get("expect");
  if (expect !== "safe" && expect !== "unsafe") {
    throw new Error(`${file}: the first header line must be "-- expect: safe" or "-- expect: unsafe"`);
  }
  const list = (v: string | undefined) =>
    (v ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x.length > 0);
  const rules = list(fields.get("rules"));
  const hazard = fields.get("hazard");
  if (expect === "unsafe" && (!hazard || rules.length === 0)) {
    throw new Error(`${file}: an unsafe case needs "-- hazard:" and "-- rules:" header lines`);
  }
  if (expect === "safe" && (hazard !== undefined || rules.length > 0)) {
    throw new Error(`${file}: a safe case has no "-- hazard:" or "-- rules:" header lines`);
  }
  const transaction = (fields.get("transaction") ?? "none") as TransactionModel;
  if (!transactionModels.includes(transaction)) {
    throw new Error(`${file}: transaction must be one of ${transactionModels.join(", ")}`);
  }
  const c: AccuracyCase = {
    file,
    name: file.split("/").pop() ?? file,
    expect,
    rules,
    schemaFiles: list(fields.get("schema")),
    transaction,
    sql,
  };
  if (hazard !== undefined) c.hazard = hazard;
  return c;
}

export async function loadCorpus(): Promise<AccuracyCase[]> {
  const names = (await readdir(casesDir)).filter((n) => n.endsWith(".sql")).sort();
  const cases: AccuracyCase[] = [];
  for (const name of names) {
    const path = join(casesDir, name);
    const c = parseCase(relative(repoRoot, path).split("\\").join("/"), await readFile(path, "utf8"));
    for (const s of c.schemaFiles) {
      if (!existsSync(join(schemaDir, s))) throw new Error(`${c.file}: schema file ${s} does not exist`);
    }
    cases.push(c);
  }
  if (cases.length === 0) throw new Error(`no cases in ${casesDir}`);
  return cases;
}

async function schemaFor(c: AccuracyCase, cache: Map<string, string>): Promise<string | undefined> {
  if (c.schemaFiles.length === 0) return undefined;
  const parts: string[] = [];
  for (const s of c.schemaFiles) {
    let text = cache.get(s);
    if (text === undefined) {
      text = await readFile(join(schemaDir, s), "utf8");
      cache.set(s, text);
    }
    parts.push(text);
  }
  return parts.join("\n");
}

export async function runShipgate(cases: readonly AccuracyCase[]): Promise<Map<string, ToolCaseResult>> {
  const out = new Map<string, ToolCaseResult>();
  const schemas = new Map<string, string>();
  for (const c of cases) {
    try {
      const schema = await schemaFor(c, schemas);
      const result = await lintSql(c.sql, {
        ...(schema === undefined ? {} : { schema }),
        pgVersion,
        transactionModel: c.transaction,
        path: c.file,
      });
      const findings = result.findings
        .filter((f) => (f.severity === "error" || f.severity === "warning") && f.suppression === undefined)
        .map((f) => {
          const tf: ToolFinding = { ruleId: f.ruleId, message: f.message };
          if (f.line !== undefined) tf.line = f.line;
          return tf;
        });
      out.set(c.file, { findings });
    } catch (error) {
      out.set(c.file, { findings: [], error: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}

interface SquawkViolation {
  file: string;
  line: number;
  rule_name: string;
  message: string;
}

function isSquawkViolation(v: unknown): v is SquawkViolation {
  if (v === null || typeof v !== "object") return false;
  const r = v as Record<string, unknown>;
  return typeof r.file === "string" && typeof r.rule_name === "string";
}

/** Runs squawk once over a group of files; exit code 1 means "violations found", anything else fails. */
async function squawkGroup(
  files: readonly string[],
  extraArgs: readonly string[],
): Promise<SquawkViolation[]> {
  if (files.length === 0) return [];
  const args = ["--reporter", "json", `--pg-version=${pgVersion}.0`, ...extraArgs, ...files];
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(squawkBin, args, { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024 }));
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (e.code !== 1 || typeof e.stdout !== "string") {
      throw new Error(`squawk failed (exit ${String(e.code)}): ${e.stderr ?? String(error)}`);
    }
    stdout = e.stdout;
  }
  const parsed: unknown = JSON.parse(stdout.trim() === "" ? "[]" : stdout);
  if (!Array.isArray(parsed) || !parsed.every(isSquawkViolation)) {
    throw new Error("squawk --reporter json printed something other than a list of violations");
  }
  return parsed;
}

export async function runSquawk(cases: readonly AccuracyCase[]): Promise<Map<string, ToolCaseResult>> {
  const inTransaction = cases.filter((c) => c.transaction !== "none").map((c) => c.file);
  const autocommit = cases.filter((c) => c.transaction === "none").map((c) => c.file);
  const violations = [
    ...(await squawkGroup(autocommit, [])),
    ...(await squawkGroup(inTransaction, ["--assume-in-transaction"])),
  ];
  const out = new Map<string, ToolCaseResult>(cases.map((c) => [c.file, { findings: [] }]));
  for (const v of violations) {
    const key = relative(repoRoot, resolve(repoRoot, v.file)).split("\\").join("/");
    const entry = out.get(key);
    if (!entry) throw new Error(`squawk reported a file that is not a case: ${v.file}`);
    // squawk's JSON lines are 0-based.
    entry.findings.push({ ruleId: v.rule_name, line: v.line + 1, message: v.message });
  }
  return out;
}

export function summarize(
  tool: string,
  cases: readonly AccuracyCase[],
  results: ReadonlyMap<string, ToolCaseResult>,
  options: { checkRules: boolean },
): ToolSummary {
  const unsafe = cases.filter((c) => c.expect === "unsafe");
  const safe = cases.filter((c) => c.expect === "safe");
  const summary: ToolSummary = {
    tool,
    recall: { caught: 0, total: unsafe.length },
    noise: { flagged: 0, total: safe.length },
    misses: [],
    noisy: [],
    errors: [],
  };
  if (options.checkRules) {
    summary.rightRule = { matched: 0, total: unsafe.length };
    summary.wrongRule = [];
  }
  for (const c of cases) {
    const r = results.get(c.file) ?? { findings: [] };
    if (r.error !== undefined) summary.errors.push({ file: c.file, error: r.error });
    const ids = [...new Set(r.findings.map((f) => f.ruleId))].sort();
    if (c.expect === "unsafe") {
      if (ids.length === 0) {
        summary.misses.push({ file: c.file, hazard: c.hazard ?? "", rules: c.rules });
        continue;
      }
      summary.recall.caught++;
      if (summary.rightRule && summary.wrongRule) {
        if (ids.some((id) => c.rules.includes(id))) summary.rightRule.matched++;
        else summary.wrongRule.push({ file: c.file, expected: c.rules, reported: ids });
      }
    } else if (ids.length > 0) {
      summary.noise.flagged++;
      summary.noisy.push({ file: c.file, ruleIds: ids, findings: r.findings });
    }
  }
  return summary;
}

function withoutRules(results: ReadonlyMap<string, ToolCaseResult>, drop: readonly string[]) {
  const out = new Map<string, ToolCaseResult>();
  for (const [file, r] of results) {
    out.set(file, { ...r, findings: r.findings.filter((f) => !drop.includes(f.ruleId)) });
  }
  return out;
}

/** Case paths relative to the cases directory, for the text report. */
const short = (file: string) => file.replace(/^bench\/accuracy-corpus\/cases\//, "");
const pct = (n: number, d: number) => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)}%`);
const ratio = (n: number, d: number) => `${n}/${d} (${pct(n, d)})`;

async function squawkVersion(): Promise<string> {
  const { stdout } = await execFileAsync(squawkBin, ["--version"], { cwd: repoRoot });
  return stdout.trim().replace(/^squawk\s+/, "");
}

function printReport(
  cases: readonly AccuracyCase[],
  summaries: readonly ToolSummary[],
  unknownRuleIds: readonly { id: string; files: string[] }[],
): void {
  const unsafe = cases.filter((c) => c.expect === "unsafe").length;
  const lines: string[] = [];
  lines.push(
    `Accuracy corpus: ${cases.length} cases (${unsafe} unsafe, ${cases.length - unsafe} safe) in bench/accuracy-corpus/cases, Postgres ${pgVersion}`,
    `squawk (tuned) leaves out: ${squawkTunedOff.join(", ")}`,
    "",
  );
  const header = ["tool", "recall (unsafe caught)", "noise (safe flagged)", "right rule"];
  const rows = summaries.map((s) => [
    s.tool,
    ratio(s.recall.caught, s.recall.total),
    ratio(s.noise.flagged, s.noise.total),
    s.rightRule ? ratio(s.rightRule.matched, s.rightRule.total) : "n/a",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  lines.push(fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt));

  for (const s of summaries) {
    lines.push("", `== ${s.tool}`);
    if (s.errors.length > 0) {
      lines.push(`errors (${s.errors.length}):`);
      for (const e of s.errors) lines.push(`  ${short(e.file)}: ${e.error}`);
    }
    lines.push(`misses (${s.misses.length}):`);
    for (const m of s.misses) lines.push(`  ${short(m.file)}  [${m.rules.join(", ")}]`, `      ${m.hazard}`);
    lines.push(`noisy safe files (${s.noisy.length}):`);
    for (const n of s.noisy) {
      const detail = n.findings
        .slice(0, 4)
        .map((f) => `${f.ruleId}${f.line === undefined ? "" : `@${f.line}`}`)
        .join(", ");
      const more = n.findings.length > 4 ? `, … (${n.findings.length} findings)` : "";
      lines.push(`  ${short(n.file)}: ${detail}${more}`);
    }
    if (s.wrongRule) {
      lines.push(`caught by a rule other than the labelled ones (${s.wrongRule.length}):`);
      for (const w of s.wrongRule) {
        lines.push(
          `  ${short(w.file)}: expected ${w.expected.join(" | ")}; reported ${w.reported.join(", ")}`,
        );
      }
    }
  }
  if (unknownRuleIds.length > 0) {
    lines.push("", "Labelled rule ids that shipgate does not have (yet):");
    for (const u of unknownRuleIds) lines.push(`  ${u.id}: ${u.files.join(", ")}`);
  }
  console.log(lines.join("\n"));
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log("Usage: tsx bench/accuracy.ts [--json]\nRuns shipgate and squawk on bench/accuracy-corpus.");
    return 0;
  }
  const unknownArg = argv.find((a) => a !== "--json");
  if (unknownArg !== undefined) {
    console.error(`unknown argument: ${unknownArg}`);
    return 1;
  }
  const json = argv.includes("--json");

  let cases: AccuracyCase[];
  try {
    cases = await loadCorpus();
  } catch (error) {
    console.error(`malformed corpus: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }

  const shipgate = await runShipgate(cases);
  let squawk: Map<string, ToolCaseResult>;
  let version: string;
  try {
    version = await squawkVersion();
    squawk = await runSquawk(cases);
  } catch (error) {
    console.error(`cannot run squawk: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }

  const summaries = [
    summarize("shipgate", cases, shipgate, { checkRules: true }),
    summarize(`squawk ${version} (defaults)`, cases, squawk, { checkRules: false }),
    summarize(`squawk ${version} (tuned)`, cases, withoutRules(squawk, squawkTunedOff), {
      checkRules: false,
    }),
  ];

  const known = new Set<string>([...allRules.map((r) => r.meta.id), ...Object.keys(engineRuleMetas)]);
  const unknown = new Map<string, string[]>();
  for (const c of cases) {
    for (const id of c.rules) {
      if (!known.has(id)) unknown.set(id, [...(unknown.get(id) ?? []), c.name]);
    }
  }
  const unknownRuleIds = [...unknown.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, files]) => ({ id, files }));

  if (json) {
    const report = {
      pgVersion,
      corpus: {
        cases: cases.length,
        unsafe: cases.filter((c) => c.expect === "unsafe").length,
        safe: cases.filter((c) => c.expect === "safe").length,
      },
      squawkTunedOff,
      tools: summaries,
      unknownRuleIds,
      cases: cases.map((c) => ({
        file: c.file,
        expect: c.expect,
        hazard: c.hazard,
        rules: c.rules,
        schema: c.schemaFiles,
        transaction: c.transaction,
        shipgate: shipgate.get(c.file),
        squawk: squawk.get(c.file),
      })),
    };
    console.log(JSON.stringify(report, null, 2));
  } else {
    printReport(cases, summaries, unknownRuleIds);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
