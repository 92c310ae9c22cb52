import { describe, expect, it } from "vitest";
import { githubCommentLimit, renderCheckMarkdown, renderCheckPretty, toJsonCheckRun } from "./render.js";
import type { CheckRun } from "./run.js";

function run(findings: number): CheckRun {
  return {
    base: "0123456789abcdef0123456789abcdef01234567",
    baseLabel: "origin/main",
    environment: "production",
    failed: findings > 0,
    durationMs: 1234,
    items: [
      {
        id: "migrations.lint",
        group: "data",
        title: "Migrations pass the linter",
        status: "pass",
        findings: [],
        durationMs: 300,
      },
      {
        id: "hygiene.debug-leftovers",
        group: "application",
        title: "No debug leftovers in the change",
        status: findings > 0 ? "fail" : "pass",
        detail: `${findings} debug leftovers`,
        findings: Array.from({ length: findings }, (_, i) => ({
          ruleId: "check-debug-leftover",
          severity: "error" as const,
          file: `src/file-${i}.ts`,
          line: i + 1,
          message: "console.log() added in this change: a debug leftover | <b>",
          help: "Remove it, or use the application's logger.",
        })),
        durationMs: 12,
      },
      {
        id: "manual.on-call",
        group: "observability",
        title: "On-call identified",
        status: "manual",
        detail: "confirm with --confirm on-call",
        findings: [],
      },
      {
        id: "window.deploy-window",
        group: "rollback",
        title: "Inside the deploy window",
        status: "skipped",
        detail: "no target environment",
        findings: [],
        durationMs: 0,
      },
    ],
  };
}

describe("check rendering", () => {
  it("prints the checklist grouped, with statuses, times and the errors under their item", () => {
    const text = renderCheckPretty(run(2), false);
    expect(text.split("\n")[0]).toBe(
      "shipgate check: FAILED — 1 ✓, 1 ✗, 1 manual, 1 skipped (base origin/main 0123456789ab, environment production, 1.2 s)",
    );
    expect(text).toMatch(/Data layer\n {2}✓ Migrations pass the linter +300 ms/);
    expect(text).toContain("  ✗ No debug leftovers in the change");
    expect(text).toContain("      error src/file-0.ts:1  console.log() added");
    expect(text).toContain("  ? On-call identified");
    expect(text).toContain("  - Inside the deploy window");
    expect(text).toContain("skipped: no target environment");
    expect(text).toContain("--confirm on-call");
  });

  it("keeps the pull-request comment under GitHub's limit and says what it left out", () => {
    const small = renderCheckMarkdown(run(3));
    expect(small.startsWith("<!-- shipgate-report: check -->")).toBe(true);
    expect(small).toContain("❌ shipgate check failed");
    expect(small).toContain("&lt;b&gt;");
    expect(small).not.toContain("not shown");
    const big = renderCheckMarkdown(run(5000));
    expect(big.length).toBeLessThanOrEqual(githubCommentLimit);
    expect(big).toMatch(/\d+ more errors not shown: run `shipgate check`/);
    expect(big).toContain("| ✗ | No debug leftovers in the change |");
  });

  it("gives JSON consumers every item with its status and rounded time", () => {
    const json = toJsonCheckRun(run(1));
    expect(json.counts).toEqual({ pass: 1, warn: 0, fail: 1, manual: 1, skipped: 1 });
    expect(json.items.map((i) => [i.id, i.status, i.durationMs])).toEqual([
      ["migrations.lint", "pass", 300],
      ["hygiene.debug-leftovers", "fail", 12],
      ["manual.on-call", "manual", 0],
      ["window.deploy-window", "skipped", 0],
    ]);
  });
});

describe("an item that failed on warnings only", () => {
  const warned: CheckRun = {
    ...run(0),
    items: [
      ...run(0).items,
      {
        id: "pipeline.lint",
        group: "infrastructure",
        title: "CI runs a linter",
        status: "fail",
        detail: "no CI configuration",
        findings: [{ ruleId: "pipeline-no-ci", severity: "warning", message: "nothing lints the code" }],
        durationMs: 1,
      },
    ],
  };

  it("shows ⚠ with its warnings, never ✗ under a passed headline", () => {
    const text = renderCheckPretty(warned, false);
    expect(text).toMatch(/^shipgate check: passed — 2 ✓, 1 ⚠, 0 ✗, 1 manual, 1 skipped/);
    expect(text).toMatch(
      / {2}⚠ CI runs a linter +\S+ ms +no CI configuration\n {6}warning nothing lints the code\n/,
    );
    expect(text).not.toContain("✗ CI runs a linter");
    const md = renderCheckMarkdown(warned);
    expect(md).toContain("2 passed · 1 with warnings · 0 failed · 1 manual · 1 skipped");
    expect(md).toContain("| ⚠ | CI runs a linter | no CI configuration |");
    // The JSON keeps the item's own status; its counts match the tally (⚠ as warn, not as fail) and
    // add up to the number of items.
    const json = toJsonCheckRun(warned);
    expect(json.items.find((i) => i.id === "pipeline.lint")?.status).toBe("fail");
    expect(json.counts).toEqual({ pass: 2, warn: 1, fail: 0, manual: 1, skipped: 1 });
    expect(Object.values(json.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(json.items.length);
  });
});

describe("an item that passed with warnings", () => {
  const flagsItem = {
    id: "flags.lifecycle",
    group: "application" as const,
    title: "Feature flags are within their lifecycle",
    status: "pass" as const,
    detail: "2 flags, 1 reference in code: 1 warning",
    findings: [
      {
        ruleId: "flag-undefined-in-code",
        severity: "warning" as const,
        file: "src/checkout.ts",
        line: 3,
        message: 'flag "new-checkout" is used in code but not defined in the ledger (src/checkout.ts:3)',
        help: "Create it or fix the key; until then it evaluates to off.",
      },
      {
        ruleId: "flag-stale-rollout",
        severity: "warning" as const,
        message: 'flag "old-banner" (owner: web) has been at 100% in production for 90 days',
        suppression: { kind: "config" as const, reason: "kept for the sale" },
      },
      { ruleId: "flag-info", severity: "info" as const, message: "an informational note" },
    ],
    durationMs: 5,
  };
  const passed: CheckRun = { ...run(0), items: [...run(0).items, flagsItem] };

  it("shows its warnings under it in the warning colour, and keeps it counted as passed", () => {
    const text = renderCheckPretty(passed, false);
    expect(text).toMatch(/^shipgate check: passed — 3 ✓, 0 ✗, 1 manual, 1 skipped/);
    expect(text).toMatch(
      / {2}✓ Feature flags are within their lifecycle +5 ms +2 flags, 1 reference in code: 1 warning\n {6}warning src\/checkout\.ts:3 {2}flag "new-checkout" is used in code but not defined in the ledger \(src\/checkout\.ts:3\)\n {12}Create it/,
    );
    // Approved warnings and info findings are not what the detail counts.
    expect(text).not.toContain("old-banner");
    expect(text).not.toContain("informational");
    const colored = renderCheckPretty(passed, true);
    expect(colored).toContain("\u001b[33mwarning\u001b[39m src/checkout.ts:3");
  });

  it("lists its warnings in the pull-request comment, after the errors", () => {
    const md = renderCheckMarkdown(passed);
    expect(md).toContain("3 passed · 0 failed · 1 manual · 1 skipped");
    expect(md).toContain("<details><summary>Warnings</summary>");
    expect(md).toContain(
      '- ⚠ `src/checkout.ts:3` flag "new-checkout" is used in code but not defined in the ledger (src/checkout.ts:3) — Create it',
    );
    expect(md).not.toContain("old-banner");
    const both = renderCheckMarkdown({ ...run(1), items: [...run(1).items, flagsItem] });
    expect(both).toContain("<details><summary>Errors and warnings</summary>");
    expect(both.indexOf("console.log()")).toBeLessThan(both.indexOf("new-checkout"));
    // A comment over the limit drops warnings before errors, and says how many of each it left out.
    const big = renderCheckMarkdown({ ...run(5000), items: [...run(5000).items, flagsItem] });
    expect(big.length).toBeLessThanOrEqual(githubCommentLimit);
    expect(big).toMatch(/\d+ more errors and 1 warning not shown: run `shipgate check`/);
    expect(big).not.toContain("new-checkout");
  });

  it("leaves the JSON report as it was: the item's status, findings and the counts", () => {
    const json = toJsonCheckRun(passed);
    expect(json.counts).toEqual({ pass: 3, warn: 0, fail: 0, manual: 1, skipped: 1 });
    expect(json.items.find((i) => i.id === "flags.lifecycle")).toEqual(flagsItem);
  });
});
