/**
 * Regenerates schema/shipgate.schema.json and the config reference sections of README.md and
 * docs/config.md from the zod schema. Run: `npm run schema`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemaText, withReference } from "../src/config/reference.js";

const root = join(import.meta.dirname, "..");
mkdirSync(join(root, "schema"), { recursive: true });
writeFileSync(join(root, "schema/shipgate.schema.json"), jsonSchemaText());
for (const doc of ["README.md", "docs/config.md"]) {
  const path = join(root, doc);
  writeFileSync(path, withReference(readFileSync(path, "utf8")));
}
console.log("wrote schema/shipgate.schema.json and the config reference in README.md and docs/config.md");
