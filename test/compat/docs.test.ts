/**
 * docs/compat.md stays honest: every rule has a section with its severity, an example and links to
 * the spec pairs that exercise it, and at least one of those pairs expects that rule.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compatRuleIds, compatRules } from "../../src/compat/index.js";

const root = join(import.meta.dirname, "../..");
const doc = readFileSync(join(root, "docs/compat.md"), "utf8");

function section(id: string): string {
  const start = doc.indexOf(`\n#### ${id}\n`);
  if (start === -1) return "";
  const next = doc.slice(start + 1).search(/\n#{2,4} /);
  return next === -1 ? doc.slice(start) : doc.slice(start, start + 1 + next);
}

describe("docs/compat.md", () => {
  it.each(compatRuleIds)("documents %s with an example and its cases", (id) => {
    const text = section(id);
    expect(text, `no "#### ${id}" section`).not.toBe("");
    expect(text).toContain(`**${compatRules[id].severity}**`);
    expect(text).toMatch(/```yaml\n# before\n[\s\S]+\n# after\n[\s\S]+```/);
    const cases = [...text.matchAll(/\(\.\.\/test\/compat\/fixtures\/openapi\/([a-z0-9-]+)\/\)/g)].map(
      (m) => m[1],
    );
    expect(cases.length).toBeGreaterThan(0);
    const dirs = cases.map((c) => join(root, "test/compat/fixtures/openapi", c as string));
    for (const dir of dirs) expect(existsSync(join(dir, "expected.yaml")), dir).toBe(true);
    expect(
      dirs.some((dir) => readFileSync(join(dir, "expected.yaml"), "utf8").includes(`rule: "${id}"`)),
    ).toBe(true);
  });

  it("lists every rule in the summary table", () => {
    for (const id of compatRuleIds)
      expect(doc).toContain(`| [\`${id}\`](#${id}) | ${compatRules[id].severity} |`);
  });
});
