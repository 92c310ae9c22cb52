/**
 * The gate report stored with a release: the `shipgate check --format json` report of its commit.
 * The verdict and counts, then the checklist — failed items first, each with its detail and its
 * findings (rule, place, message, the safe alternative) — then manual, passed and skipped items.
 */

import type { CheckReport, CheckReportItem, CheckStatus, Finding, ReleaseGate } from "../api/wire-types.js";
import { ApiError, api } from "./api-client.js";
import { h, replace } from "./dom.js";

const order: readonly CheckStatus[] = ["fail", "manual", "pass", "skipped"];
const titles: Record<CheckStatus, string> = {
  fail: "Failed",
  manual: "To confirm",
  pass: "Passed",
  skipped: "Skipped",
};
const badges: Record<CheckStatus, string> = {
  fail: "verdict-failed",
  manual: "verdict-inconclusive",
  pass: "verdict-passed",
  skipped: "idle",
};

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
  return h(
    "li",
    {},
    h("span", { class: `badge ${badges[item.status]}` }, item.status),
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
  const sections = order.map((status) => {
    const items = report.items.filter((i) => i.status === status);
    const headingId = `gate-${status}`;
    return h(
      "section",
      { class: "panel", "aria-labelledby": headingId },
      h("h2", { id: headingId }, `${titles[status]} (${items.length})`),
      items.length === 0 ? h("p", {}, "None.") : h("ul", { class: "checklist" }, items.map(renderItem)),
    );
  });
  const c = report.counts;
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
      ` ${c.pass} passed, ${c.fail} failed, ${c.manual} to confirm, ${c.skipped} skipped — commit ${reply.gate.gitSha.slice(0, 12)}`,
      reply.gate.environment ? `, environment ${reply.gate.environment}` : "",
      `, checked by ${reply.gate.createdBy} at ${reply.gate.createdAt}.`,
    ),
    sections,
  );
}
