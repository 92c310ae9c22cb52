/**
 * Where lint time goes, in one process with a warm JIT: parse time for the speed corpus, the engine
 * without rules, with every rule, and the rules that cost the most (each alone, minus the engine).
 * Run `npm run bench` once first (it generates bench/.corpus), then `npm run bench:rules`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Catalog } from "../src/migrations/catalog.js";
import { MigrationLinter } from "../src/migrations/lint.js";
import { loadParser, type ParsedFile, parseFile } from "../src/migrations/parse.js";
import type { Rule } from "../src/migrations/rule.js";
import { allRules } from "../src/migrations/rules/index.js";

const dir = join(import.meta.dirname, ".corpus/migrations");
if (!existsSync(dir)) {
  console.error("bench/.corpus/migrations is missing: run `npm run bench` once to generate it");
  process.exit(2);
}
await loadParser();
const files = readdirSync(dir)
  .sort()
  .map((name) => ({ path: name, text: readFileSync(join(dir, name), "utf8") }));

const time = (fn: () => void): number => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};
/** Minimum of three runs: the least disturbed measurement. */
const best = (fn: () => void): number => Math.min(time(fn), time(fn), time(fn));

let parsed: ParsedFile[] = [];
const parseMs = best(() => {
  parsed = files.map((f) => parseFile(f));
});
const lintWith = (rules: readonly Rule[]) => () => {
  const linter = new MigrationLinter({ pgVersion: 15, transactionModel: "none", rules }, new Catalog());
  for (const [i, f] of files.entries()) linter.lint(f, parsed[i]);
};
lintWith(allRules)(); // warm the JIT
const engineMs = best(lintWith([]));
const allMs = best(lintWith(allRules));
const perRule = allRules
  .map((rule) => ({ id: rule.meta.id, ms: best(lintWith([rule])) - engineMs }))
  .sort((a, b) => b.ms - a.ms);

const statements = parsed.reduce((n, p) => n + p.statements.length, 0);
console.log(`${files.length} files, ${statements} statements (warm JIT, best of 3)`);
console.log(`parse:                ${parseMs.toFixed(0)} ms`);
console.log(`engine, no rules:     ${engineMs.toFixed(0)} ms (catalog replay, facts, file state)`);
console.log(`engine, all ${allRules.length} rules: ${allMs.toFixed(0)} ms`);
console.log("costliest rules alone (minus the engine):");
for (const r of perRule.slice(0, 8)) console.log(`  ${r.ms.toFixed(0).padStart(5)} ms  ${r.id}`);
