/**
 * The table-driven suite: each directory under fixtures/openapi holds a base and a head spec and
 * expected.yaml, the findings the pair must produce (rule, severity, operation, JSON pointer, and
 * where given the file, line and whether it is approved). Nothing else may be reported. The specs run
 * through the same function the CLI uses, on a fixed day (2026-01-15) for the sunset policy.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCompatOpenapi } from "../../src/cli/commands/compat.js";
import { compatRuleIds } from "../../src/compat/index.js";
import type { Finding } from "../../src/core/finding.js";

export const casesDir = join(import.meta.dirname, "fixtures/openapi");
export const today = new Date("2026-01-15T12:00:00Z");

export interface ExpectedFinding {
  rule: string;
  severity: string;
  operation?: string;
  pointer?: string;
  file?: string;
  line?: number;
  suppressed?: boolean;
}

export interface Case {
  name: string;
  dir: string;
  base: string;
  head: string;
  findings: ExpectedFinding[];
}

export function loadCases(): Case[] {
  return readdirSync(casesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(casesDir, d.name);
      const expected = parse(readFileSync(join(dir, "expected.yaml"), "utf8")) as {
        base?: string;
        head?: string;
        findings: ExpectedFinding[];
      };
      return {
        name: d.name,
        dir,
        base: expected.base ?? "base.yaml",
        head: expected.head ?? "head.yaml",
        findings: expected.findings,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** What a finding is identified by: rule, severity, operation, pointer, approval. */
function identity(f: {
  rule: string;
  severity: string;
  operation?: string;
  pointer?: string;
  suppressed?: boolean;
}) {
  return `${f.rule} | ${f.severity} | ${f.operation ?? "-"} | ${f.pointer ?? "-"}${f.suppressed ? " | approved" : ""}`;
}

function fromFinding(f: Finding): ExpectedFinding {
  const e: ExpectedFinding = { rule: f.ruleId, severity: f.severity };
  if (f.operation !== undefined) e.operation = f.operation;
  if (f.pointer !== undefined) e.pointer = f.pointer;
  if (f.file !== undefined) e.file = f.file;
  if (f.line !== undefined) e.line = f.line;
  if (f.suppression) e.suppressed = true;
  return e;
}

const cases = loadCases();

describe("compat openapi: spec pairs", () => {
  it("has at least 40 pairs", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const result = await runCompatOpenapi({ cwd: c.dir, specs: [c.base, c.head], now: today });
    const actual = result.report.findings.map(fromFinding);
    expect(actual.map(identity).sort()).toEqual(c.findings.map(identity).sort());
    for (const e of c.findings) {
      if (e.file === undefined && e.line === undefined) continue;
      const match = actual.find(
        (a) => identity(a) === identity(e) && (e.line === undefined || a.line === e.line),
      );
      expect(match, `${identity(e)} at ${e.file ?? ""}:${e.line ?? ""}`).toBeDefined();
      if (e.file !== undefined) expect(match?.file).toBe(e.file);
    }
    // Every finding that is not about the accept file names its operation and pointer.
    for (const f of result.report.findings) {
      if (f.ruleId.startsWith("compat-accept-")) continue;
      expect(f.operation).toMatch(/^[A-Z]+ \//);
      expect(f.pointer).toMatch(/^\//);
    }
    expect(result.failed).toBe(
      result.report.findings.some((f) => f.severity === "error" && f.suppression === undefined),
    );
  });

  it("exercises every rule", () => {
    const seen = new Set(cases.flatMap((c) => c.findings.map((f) => f.rule)));
    expect(compatRuleIds.filter((id) => !seen.has(id))).toEqual([]);
  });
});
