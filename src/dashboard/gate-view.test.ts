/**
 * The gate view shows a check report's items as `shipgate check` does: a "fail" item that failed
 * only on warnings (or approved errors) is counted and listed with warnings, not as failed, also for
 * a report stored before its counts had a warn bucket.
 */
import { describe, expect, it } from "vitest";
import type { CheckReport, CheckReportItem, Finding } from "../api/wire-types.js";
import { shownStatus as cliShownStatus } from "../check/item-mark.js";
import type { CheckItem } from "../check/types.js";
import { countsLine, gateSections, shownCounts, shownStatus } from "./gate-view.js";

function finding(severity: Finding["severity"], suppression?: unknown): Finding {
  return {
    ruleId: "pipeline.lint",
    severity,
    message: "a finding",
    ...(suppression !== undefined ? { suppression } : {}),
  };
}

function item(id: string, status: CheckReportItem["status"], findings: Finding[] = []): CheckReportItem {
  return { id, group: "pipeline", title: `title of ${id}`, status, findings, durationMs: 1 };
}

const warned = item("pipeline.lint", "fail", [finding("warning")]);
const approved = item("migrations.lint", "fail", [finding("error", { reason: "reviewed" }), finding("info")]);
const failed = item("hygiene.debug-leftovers", "fail", [finding("warning"), finding("error")]);

/** A report as a server stored it; `counts` as given (an older report has no warn). */
function report(items: CheckReportItem[], counts: CheckReport["counts"]): CheckReport {
  return {
    command: "check",
    failed: items.some((i) => shownStatus(i) === "fail"),
    base: null,
    baseLabel: null,
    environment: null,
    durationMs: 10,
    counts,
    items,
  };
}

const items = [
  item("a", "pass"),
  item("b", "pass"),
  warned,
  approved,
  failed,
  item("c", "manual"),
  item("d", "skipped"),
];

describe("the gate view", () => {
  it("marks each item as the CLI does (item-mark.ts)", () => {
    const cases = [
      warned,
      approved,
      failed,
      item("a", "pass"),
      item("c", "manual"),
      item("d", "skipped"),
      item("e", "fail"),
    ];
    expect(cases.map(shownStatus)).toEqual(["warn", "warn", "fail", "pass", "manual", "skipped", "warn"]);
    // The wire item is the CLI's item after JSON (its group is a plain string there).
    for (const c of cases) expect(shownStatus(c)).toBe(cliShownStatus(c as unknown as CheckItem));
  });

  it("counts the items with warnings apart from the failed ones", () => {
    const current = report(items, { pass: 2, warn: 2, fail: 1, manual: 1, skipped: 1 });
    expect(shownCounts(current)).toEqual(current.counts);
    expect(countsLine(current)).toBe("2 passed, 2 with warnings, 1 failed, 1 to confirm, 1 skipped");
    // A report stored before counts.warn existed counts ⚠ items in fail: the line still tells them apart.
    const older = report(items, { pass: 2, fail: 3, manual: 1, skipped: 1 });
    expect(countsLine(older)).toBe("2 passed, 2 with warnings, 1 failed, 1 to confirm, 1 skipped");
  });

  it("says nothing about warnings when no item has one", () => {
    const clean = report([item("a", "pass"), failed], { pass: 1, warn: 0, fail: 1, manual: 0, skipped: 0 });
    expect(countsLine(clean)).toBe("1 passed, 1 failed, 0 to confirm, 0 skipped");
  });

  it("lists items with warnings in their own section, not under Failed", () => {
    const sections = gateSections(report(items, { pass: 2, warn: 2, fail: 1, manual: 1, skipped: 1 }));
    expect(sections.map((s) => [s.title, s.items.map((i) => i.id)])).toEqual([
      ["Failed", ["hygiene.debug-leftovers"]],
      ["With warnings", ["pipeline.lint", "migrations.lint"]],
      ["To confirm", ["c"]],
      ["Passed", ["a", "b"]],
      ["Skipped", ["d"]],
    ]);
  });
});
