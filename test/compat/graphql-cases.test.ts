/**
 * GraphQL pairs: each directory under fixtures/graphql holds a base and a head schema (SDL or
 * introspection JSON) and the findings they must produce, through the function the CLI uses.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCompatGraphql } from "../../src/cli/commands/compat.js";
import type { Finding } from "../../src/core/finding.js";

const casesDir = join(import.meta.dirname, "fixtures/graphql");

interface Expected {
  rule: string;
  severity: string;
  operation?: string;
  pointer?: string;
  line?: number;
}

const cases = readdirSync(casesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const dir = join(casesDir, d.name);
    const e = parse(readFileSync(join(dir, "expected.yaml"), "utf8")) as {
      base?: string;
      head?: string;
      findings: Expected[];
    };
    return {
      name: d.name,
      dir,
      base: e.base ?? "base.graphql",
      head: e.head ?? "head.graphql",
      findings: e.findings,
    };
  });

const identity = (f: Expected) =>
  `${f.rule} | ${f.severity} | ${f.operation ?? "-"} | ${f.pointer ?? "-"} | ${f.line ?? "-"}`;

function fromFinding(f: Finding): Expected {
  const e: Expected = { rule: f.ruleId, severity: f.severity };
  if (f.operation !== undefined) e.operation = f.operation;
  if (f.pointer !== undefined) e.pointer = f.pointer;
  if (f.line !== undefined) e.line = f.line;
  return e;
}

describe("compat graphql: schema pairs", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const result = await runCompatGraphql({
      cwd: c.dir,
      specs: [c.base, c.head],
      now: new Date("2026-01-15"),
    });
    expect(result.report.findings.map(fromFinding).map(identity).sort()).toEqual(
      c.findings.map(identity).sort(),
    );
    for (const f of result.report.findings) {
      expect(f.file).toBe(c.head);
      expect(f.message).not.toBe("");
    }
    expect(result.failed).toBe(c.findings.some((f) => f.severity === "error"));
  });

  it("names the root fields a changed type is reachable from", async () => {
    const c = cases.find((x) => x.name === "schema-changes");
    if (!c) throw new Error("missing case");
    const result = await runCompatGraphql({ cwd: c.dir, specs: [c.base, c.head] });
    const removed = result.report.findings.find((f) => f.pointer === "/User/email");
    expect(removed?.message).toContain("reachable from Mutation.createUser, Query.user, Query.users");
  });
});
