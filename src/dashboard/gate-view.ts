/**
 * The gate report stored with a release: the `shipgate check --format json` report of its commit.
 * The verdict and counts, then the checklist — failed items first, each with its detail and its
 * findings (rule, place, message, the safe alternative) — then items with warnings, manual, passed
 * and skipped items. An item is shown as `shipgate check` shows it (src/check/item-mark.ts): a
 * "fail" item whose findings are all warnings or approved did not fail the gate, so it is listed and
 * counted with warnings, not as failed.
 */

import type { CheckReport, CheckReportItem, CheckStatus, Finding, ReleaseGate } from "../api/wire-types.js";
import { ApiError, api } from "./api-client.js";
import { h, replace } from "./dom.js";

/** An item's status as shown: "warn" for a "fail" item that did not fail the gate (⚠ in the CLI). */
export type ShownStatus = CheckStatus | "warn";

const order: readonly ShownStatus[] = ["fail", "warn", "manual", "pass", "skipped"];
const titles: Record<ShownStatus, string> = {
  fail: "Failed",
  warn: "With warnings",
  manual: "To confirm",
  pass: "Passed",
  skipped: "Skipped",
};
const badges: Record<ShownStatus, string> = {
  fail: "verdict-failed",
  warn: "verdict-inconclusive",
  manual: "verdict-inconclusive",
  pass: "verdict-passed",
  skipped: "idle",
};
const labels: Record<ShownStatus, string> = {
  fail: "fail",
  warn: "warning",
  manual: "manual",
  pass: "pass",
  skipped: "skipped",
};

/**
 * The item's shown status, by the rule of src/check/item-mark.ts `shownStatus` (which the browser
 * build cannot import: it is compiled from src/dashboard and wire-types.ts only). A test holds the
 * two to the same answers.
 */
export function shownStatus(item: Pick<CheckReportItem, "status" | "findings">): ShownStatus {
  if (item.status !== "fail") return item.status;
  const failing = item.findings.some((f) => f.severity === "error" && f.suppression === undefined);
  return failing ? "fail" : "warn";
}

/**
 * Items per shown status, counted from the items: a report stored before `counts.warn` existed
 * counts its ⚠ items in `fail`, so its counts cannot be read as they are.
 */
export function shownCounts(report: Pick<CheckReport, "items">): Record<ShownStatus, number> {
  const c: Record<ShownStatus, number> = { pass: 0, warn: 0, fail: 0, manual: 0, skipped: 0 };
  for (const item of report.items) c[shownStatus(item)]++;
  return c;
}

/** "3 passed, 1 with warnings, 0 failed, 1 to confirm, 2 skipped" (warnings only when there is one, as the CLI's tally). */
export function countsLine(report: Pick<CheckReport, "items">): string {
  const c = shownCounts(report);
  return [
    `${c.pass} passed`,
    ...(c.warn > 0 ? [`${c.warn} with warnings`] : []),
    `${c.fail} failed`,
    `${c.manual} to confirm`,
    `${c.skipped} skipped`,
  ].join(", ");
}

/** The checklist's sections in order (failed first), each with its items; empty sections included. */
export function gateSections(
  report: Pick<CheckReport, "items">,
): { status: ShownStatus; title: string; items: CheckReportItem[] }[] {
  return order.map((status) => ({
    status,
    title: titles[status],
    items: report.items.filter((i) => shownStatus(i) === status),
  }));
}

function renderFinding(f: Finding): HTMLElement {
  return h(
    "li",
    {},
    h("strong", {}, `${f.severity} ${f.ruleId}`),
    f.file ? h("span", { class: "muted" }, ` ${f.file}${f.line ? `:${f.line}` : ""}`) : null,
    f.suppression !== undefined ? h("span", { class: "badge idle" }, " approved") : null,
    h("p", {}, f.message),
    f.help ? h("p", { class: "hint" }, f.help) : null,
  );
}

function renderItem(item: CheckReportItem): HTMLElement {
  const status = shownStatus(item);
  return h(
    "li",
    {},
    h("span", { class: `badge ${badges[status]}` }, labels[status]),
    " ",
    h("strong", {}, item.title),
    h("span", { class: "muted" }, ` ${item.id}`),
    item.detail ? h("p", {}, item.detail) : null,
    item.findings.length > 0 ? h("ul", { class: "findings" }, item.findings.map(renderFinding)) : null,
  );
}

export async function renderGate(main: HTMLElement, releaseId: string): Promise<void> {
  let reply: ReleaseGate;
  try {
    reply = await api<ReleaseGate>("GET", `/api/releases/${encodeURIComponent(releaseId)}/gate`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      replace(
        main,
        h("h1", {}, `Gate report of ${releaseId}`),
        h("p", { class: "notice" }, "No gate report stored for this release."),
      );
      return;
    }
    throw error;
  }
  const report: CheckReport = reply.gate.report;
  const sections = gateSections(report).map(({ status, title, items }) => {
    const headingId = `gate-${status}`;
    return h(
      "section",
      { class: "panel", "aria-labelledby": headingId },
      h("h2", { id: headingId }, `${title} (${items.length})`),
      items.length === 0 ? h("p", {}, "None.") : h("ul", { class: "checklist" }, items.map(renderItem)),
    );
  });
  replace(
    main,
    h("h1", {}, `Gate report of ${reply.release.version}`),
    h(
      "p",
      {},
      h(
        "span",
        { class: `badge ${report.failed ? "verdict-failed" : "verdict-passed"}` },
        reply.gate.summary,
      ),
      ` ${countsLine(report)} — commit ${reply.gate.gitSha.slice(0, 12)}`,
      reply.gate.environment ? `, environment ${reply.gate.environment}` : "",
      `, checked by ${reply.gate.createdBy} at ${reply.gate.createdAt}.`,
    ),
    sections,
  );
}
