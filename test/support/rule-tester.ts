/**
 * Table-driven rule tests: each rule's test lists valid SQL (no finding from the rule) and invalid
 * SQL with the expected lines. Assert ids and positions, never message wording.
 */
import { describe, expect, it } from "vitest";
import { type LintSqlOptions, lintSql } from "../../src/migrations/lint-sql.js";
import type { Rule } from "../../src/migrations/rule.js";

export interface RuleCase extends LintSqlOptions {
  sql: string;
  /** Optional name for the test. */
  name?: string;
}

export interface InvalidRuleCase extends RuleCase {
  /** 1-based lines where the rule must report, in order (one entry per finding). */
  lines: number[];
  /** Optional message ids, in the same order as lines. */
  messageIds?: string[];
}

export function testRule(rule: Rule, cases: { valid: RuleCase[]; invalid: InvalidRuleCase[] }): void {
  const run = async (c: RuleCase) => {
    const result = await lintSql(c.sql, {
      ...c,
      rules: [rule],
      ruleSettings: { [rule.meta.id]: rule.meta.severity, ...c.ruleSettings },
    });
    return result.findings.filter((f) => f.ruleId === rule.meta.id && f.suppression === undefined);
  };
  describe(rule.meta.id, () => {
    for (const [i, c] of cases.valid.entries()) {
      it(`valid #${i + 1}${c.name ? `: ${c.name}` : ""}`, async () => {
        const findings = await run(c);
        expect(findings.map((f) => `${f.line}: ${f.message}`)).toEqual([]);
      });
    }
    for (const [i, c] of cases.invalid.entries()) {
      it(`invalid #${i + 1}${c.name ? `: ${c.name}` : ""}`, async () => {
        const findings = await run(c);
        expect(findings.map((f) => f.line)).toEqual(c.lines);
        for (const f of findings) {
          expect(f.severity).toBe(rule.meta.severity);
          expect(f.class).toBeDefined();
          expect(f.docsUrl).toContain(rule.meta.id);
        }
        if (c.messageIds) {
          const ids = findings.map(
            (f) => Object.entries(rule.meta.messages).find(([, t]) => matches(t, f.message))?.[0],
          );
          expect(ids).toEqual(c.messageIds);
        }
      });
    }
  });
}

/** Whether a rendered message came from a template (placeholders match anything). */
function matches(template: string, message: string): boolean {
  const pattern = template
    .split(/\{\w+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[\\s\\S]*");
  return new RegExp(`^${pattern}$`).test(message);
}
