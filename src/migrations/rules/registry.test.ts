import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineRuleMetas } from "../engine-rules.js";
import { lintSql } from "../lint-sql.js";
import { allRules } from "./index.js";

const rulesDir = new URL(".", import.meta.url).pathname;
const docsDir = join(rulesDir, "../../../docs/rules");
const ruleFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "index.ts")
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();

describe("rule registry", () => {
  it("lists every rule file, sorted by id, with the id equal to the file name", () => {
    expect(allRules.map((r) => r.meta.id)).toEqual(ruleFiles);
  });

  it("has a test file for every rule", () => {
    const tests = new Set(readdirSync(rulesDir).filter((f) => f.endsWith(".test.ts")));
    expect(ruleFiles.filter((id) => !tests.has(`${id}.test.ts`))).toEqual([]);
  });

  it("gives every rule a description, a help text and at least one message", () => {
    for (const rule of allRules) {
      expect(rule.meta.description.length, rule.meta.id).toBeGreaterThan(10);
      expect(rule.meta.help.length, rule.meta.id).toBeGreaterThan(10);
      expect(Object.keys(rule.meta.messages).length, rule.meta.id).toBeGreaterThan(0);
    }
  });
});

interface DocPage {
  headings: string[];
  blocks: Record<string, string>;
}

function readDoc(id: string): DocPage {
  const text = readFileSync(join(docsDir, `${id}.md`), "utf8");
  const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1] as string);
  const blocks: Record<string, string> = {};
  for (const m of text.matchAll(/^```sql (schema|bad|good)\n([\s\S]*?)^```$/gm))
    blocks[m[1] as string] = m[2] as string;
  return { headings, blocks };
}

describe("rule docs", () => {
  const ids = [...allRules.map((r) => r.meta.id), ...Object.keys(engineRuleMetas)];

  it("has a page for every rule and no page without a rule", () => {
    const pages = readdirSync(docsDir)
      .filter((f) => f.endsWith(".md"))
      .map((f) => f.replace(/\.md$/, ""))
      .sort();
    expect(pages).toEqual([...ids].sort());
  });

  for (const id of ids) {
    it(`${id}: has the standard headings`, () => {
      const doc = readDoc(id);
      expect(doc.headings.slice(0, 4)).toEqual(["Problem", "Why", "Safe pattern", "When to ignore"]);
    });
  }

  for (const rule of allRules) {
    it(`${rule.meta.id}: the bad example triggers the rule and the good one does not`, async () => {
      const { blocks } = readDoc(rule.meta.id);
      expect(blocks.bad, "a ```sql bad block").toBeDefined();
      expect(blocks.good, "a ```sql good block").toBeDefined();
      const options = {
        schema: blocks.schema ?? "",
        ruleSettings: { [rule.meta.id]: rule.meta.severity },
      };
      const bad = await lintSql(blocks.bad ?? "", options);
      const good = await lintSql(blocks.good ?? "", options);
      const active = (fs: typeof bad.findings) =>
        fs.filter((f) => f.ruleId === rule.meta.id && !f.suppression);
      expect(active(bad.findings).length).toBeGreaterThan(0);
      expect(active(good.findings)).toEqual([]);
    });
  }
});
