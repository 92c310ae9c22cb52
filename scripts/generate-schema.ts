/**
 * Regenerates schema/shipgate.schema.json and the config reference sections of README.md and
 * docs/config.md from the zod schema, and the rule index in docs/rules.md from the rule registry.
 * Run: `npm run schema`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemaText, withReference } from "../src/config/reference.js";
import { withRuleIndex } from "../src/migrations/rule-index.js";

const root = join(import.meta.dirname, "..");
mkdirSync(join(root, "schema"), { recursive: true });
writeFileSync(join(root, "schema/shipgate.schema.json"), jsonSchemaText());
for (const doc of ["README.md", "docs/config.md"]) {
  const path = join(root, doc);
  writeFileSync(path, withReference(readFileSync(path, "utf8")));
}
const rulesDoc = join(root, "docs/rules.md");
writeFileSync(rulesDoc, withRuleIndex(readFileSync(rulesDoc, "utf8")));
console.log(
  "wrote schema/shipgate.schema.json, the config reference (README.md, docs/config.md) and docs/rules.md",
);
