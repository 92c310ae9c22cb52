/**
 * How a checklist item shows, shared by `shipgate check` (render.ts) and `shipgate pipeline audit`:
 * a failed item whose findings are all warnings (or approved) did not fail the gate, so it shows as
 * ⚠, never as ✗ under a "passed" headline. Kept apart from render.ts so that the CLI can mark a
 * stage list without loading the reporters.
 */
import { failingFindings } from "../core/finding.js";
import type { CheckItem, CheckStatus } from "./types.js";

export type ShownStatus = CheckStatus | "warn";

export function shownStatus(item: CheckItem): ShownStatus {
  return item.status === "fail" && failingFindings(item.findings).length === 0 ? "warn" : item.status;
}

export const statusSymbols: Record<ShownStatus, string> = {
  pass: "✓",
  warn: "⚠",
  fail: "✗",
  manual: "?",
  skipped: "-",
};

/** The item's mark in a checklist: ✓, ⚠ (failed on warnings only: the gate passes), ✗, ? or -. */
export function itemSymbol(item: CheckItem): string {
  return statusSymbols[shownStatus(item)];
}
