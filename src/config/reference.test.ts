import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonSchemaText, withReference } from "./reference.js";

const root = join(import.meta.dirname, "../..");

describe("generated config artefacts", () => {
  it("schema/shipgate.schema.json matches the zod schema (run `npm run schema` when this fails)", () => {
    expect(readFileSync(join(root, "schema/shipgate.schema.json"), "utf8")).toBe(jsonSchemaText());
  });

  for (const doc of ["README.md", "docs/config.md"]) {
    it(`${doc} has the current config reference (run \`npm run schema\` when this fails)`, () => {
      const text = readFileSync(join(root, doc), "utf8");
      expect(text).toContain("config-reference:start");
      expect(text).toBe(withReference(text));
    });
  }
});
