/**
 * Writes src/migrations/rules/index.ts: the explicit, sorted registry of every rule file. Run after
 * adding a rule: `npx tsx scripts/generate-rule-registry.ts`. The registry test fails when the
 * committed file misses a rule.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = join(import.meta.dirname, "../src/migrations/rules");
const ids = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "index.ts")
  .map((f) => f.slice(0, -3))
  .sort();
const camel = (id: string) => id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const lines = [
  "/**",
  " * The explicit, sorted registry of migration rules, written by scripts/generate-rule-registry.ts.",
  " * A test fails when a rule file is missing here.",
  " */",
  'import type { Rule } from "../rule.js";',
  ...ids.map((id) => `import { ${camel(id)} } from "./${id}.js";`),
  "",
  "export const allRules: readonly Rule[] = [",
  ...ids.map((id) => `  ${camel(id)},`),
  "];",
  "",
];
writeFileSync(join(dir, "index.ts"), lines.join("\n"));
console.log(`wrote ${ids.length} rules to src/migrations/rules/index.ts`);
