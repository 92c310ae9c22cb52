/**
 * Renders a check run: the checklist on a terminal (✓ ✗ manual skipped, grouped as in the deployment
 * checklist, each item with its time), JSON, a Markdown pull-request comment kept under GitHub's
 * 65,536-character limit, and, for SARIF and GitHub annotations, the findings through the shared
 * reporters.
 */
import { createColors } from "picocolors";
import type { CheckReport } from "../api/wire-types.js";
import type { Finding } from "../core/finding.js";
import { plural } from "../core/plural.js";
import type { RenderOptions, Report, ReportFormat } from "../core/report.js";
import { escapeCell, markdownMarker, renderReport } from "../core/reporters/index.js";
import { itemSymbol, type ShownStatus, shownStatus, statusSymbols } from "./item-mark.js";
import type { CheckRun } from "./run.js";
import { type CheckGroup, type CheckItem, checkGroups, checkGroupTitles } from "./types.js";

/** GitHub rejects comments longer than this (characters). */
export const githubCommentLimit = 65_536;

const words: Record<ShownStatus, string> = {
  pass: "pass",
  warn: "warning",
  fail: "fail",
  manual: "manual",
  skipped: "skipped",
};

function seconds(ms: number | undefined): string {
  if (ms === undefined) return "";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function byGroup(items: readonly CheckItem[]): [CheckGroup, CheckItem[]][] {
  return checkGroups
    .map((g): [CheckGroup, CheckItem[]] => [g, items.filter((i) => i.group === g)])
    .filter(([, list]) => list.length > 0);
}

/** Items per shown status (✓ ⚠ ✗ manual skipped): each counted once, ⚠ items not as failed. */
function shownCounts(items: readonly CheckItem[]): Record<ShownStatus, number> {
  const c: Record<ShownStatus, number> = { pass: 0, warn: 0, fail: 0, manual: 0, skipped: 0 };
  for (const i of items) c[shownStatus(i)]++;
  return c;
}

/** "18 ✓, 2 ⚠, 1 ✗, 2 manual, 15 skipped" (⚠ only when there is one). */
function tally(items: readonly CheckItem[]): string {
  const c = shownCounts(items);
  return [
    `${c.pass} ✓`,
    ...(c.warn > 0 ? [`${c.warn} ⚠`] : []),
    `${c.fail} ✗`,
    `${c.manual} manual`,
    `${c.skipped} skipped`,
  ].join(", ");
}

function where(f: Finding): string {
  if (f.file) return `${f.file}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ""}` : ""}`;
  return f.operation ?? "";
}

/**
 * The findings shown under a checked item: its unapproved errors (what failed it), then its
 * unapproved warnings, also those of an item that passed with warnings, which its detail counts.
 * Approved findings and info notes are left to the full report.
 */
function shownFindings(item: CheckItem): Finding[] {
  if (item.status !== "pass" && item.status !== "fail") return [];
  const open = item.findings.filter((f) => f.suppression === undefined);
  return [...open.filter((f) => f.severity === "error"), ...open.filter((f) => f.severity === "warning")];
}

function headline(run: CheckRun): string {
  const parts = [
    run.baseLabel ? `base ${run.baseLabel} ${run.base?.slice(0, 12) ?? ""}`.trim() : "no base",
    ...(run.environment ? [`environment ${run.environment}`] : []),
    seconds(run.durationMs),
  ];
  return `shipgate check: ${run.failed ? "FAILED" : "passed"} — ${tally(run.items)} (${parts.join(", ")})`;
}

export function renderCheckPretty(run: CheckRun, color: boolean): string {
  const pc = createColors(color);
  const paint: Record<ShownStatus, (s: string) => string> = {
    pass: pc.green,
    warn: pc.yellow,
    fail: pc.red,
    manual: pc.yellow,
    skipped: pc.dim,
  };
  const width = Math.min(60, Math.max(...run.items.map((i) => i.title.length), 10));
  const out: string[] = [run.failed ? pc.red(headline(run)) : pc.green(headline(run)), ""];
  for (const [group, items] of byGroup(run.items)) {
    out.push(pc.bold(checkGroupTitles[group]));
    for (const item of items) {
      const detail = item.detail
        ? `  ${item.status === "skipped" ? `skipped: ${item.detail}` : item.detail}`
        : "";
      const status = shownStatus(item);
      out.push(
        `  ${paint[status](statusSymbols[status])} ${item.title.padEnd(width)} ${pc.dim(seconds(item.durationMs).padStart(7))}${detail}`,
      );
      for (const f of shownFindings(item)) {
        const severityPaint = f.severity === "error" ? paint.fail : paint.warn;
        out.push(`      ${severityPaint(f.severity)} ${where(f) ? `${where(f)}  ` : ""}${f.message}`);
        if (f.help) out.push(`            ${pc.dim(f.help.split("\n").join("\n            "))}`);
      }
    }
    out.push("");
  }
  const manual = run.items.filter((i) => i.status === "manual");
  if (manual.length > 0) {
    out.push(
      `Confirm the manual items when they are done: ${manual.map((i) => `--confirm ${i.id.replace(/^manual\./, "")}`).join(" ")}`,
    );
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The report `--format json` prints, the ledger stores per commit and the team server serves. */
export function toJsonCheckRun(run: CheckRun): CheckReport {
  return {
    command: "check",
    failed: run.failed,
    base: run.base ?? null,
    baseLabel: run.baseLabel ?? null,
    environment: run.environment ?? null,
    durationMs: Math.round(run.durationMs),
    counts: shownCounts(run.items),
    items: run.items.map((i) => ({ ...i, durationMs: Math.round(i.durationMs ?? 0) })),
  };
}

/**
 * The pull-request comment. It starts with a marker a bot looks for to update its comment in place.
 * When the details would pass `limit` characters, findings are dropped from the end (the checklist
 * itself always stays) and a line says how many were left out.
 */
export function renderCheckMarkdown(run: CheckRun, limit = githubCommentLimit): string {
  const c = shownCounts(run.items);
  const head = [
    markdownMarker("check"),
    `### ${run.failed ? "❌ shipgate check failed" : "✅ shipgate check passed"}`,
    "",
    `${c.pass} passed · ${c.warn > 0 ? `${c.warn} with warnings · ` : ""}${c.fail} failed · ${c.manual} manual · ${c.skipped} skipped — ${[
      run.baseLabel ? `base \`${run.baseLabel}\`` : "no base",
      ...(run.environment ? [`environment \`${run.environment}\``] : []),
      seconds(run.durationMs),
    ].join(", ")}`,
    "",
  ];
  const table: string[] = [];
  for (const [group, items] of byGroup(run.items)) {
    table.push(
      `**${checkGroupTitles[group]}**`,
      "",
      "| | check | details | time |",
      "| --- | --- | --- | --- |",
    );
    for (const i of items) {
      table.push(
        `| ${itemSymbol(i)} | ${escapeCell(i.title)} | ${escapeCell(i.detail ? `${i.status === "skipped" ? "skipped: " : ""}${i.detail}` : words[shownStatus(i)])} | ${seconds(i.durationMs)} |`,
      );
    }
    table.push("");
  }
  // Every error first, then every warning: a long list drops warnings before errors.
  const shown = run.items.flatMap(shownFindings);
  const errors = shown.filter((f) => f.severity === "error");
  const listed = [...errors, ...shown.filter((f) => f.severity !== "error")];
  const lines = listed.map(
    (f) =>
      `- ${f.severity === "error" ? "" : "⚠ "}\`${escapeCell(where(f) || f.ruleId)}\` ${escapeCell(f.message)}${f.help ? ` — ${escapeCell(f.help)}` : ""}`,
  );
  const manual = run.items.filter((i) => i.status === "manual");
  const tail =
    manual.length > 0
      ? [
          `Manual items: confirm with ${manual.map((i) => `\`--confirm ${i.id.replace(/^manual\./, "")}\``).join(", ")}.`,
          "",
        ]
      : [];
  const fixed = [...head, ...table, ...tail].join("\n");
  const warnings = listed.length - errors.length;
  const open = `<details><summary>${errors.length === 0 ? "Warnings" : warnings === 0 ? "Errors" : "Errors and warnings"}</summary>\n`;
  const close = "\n</details>\n";
  let body = "";
  if (lines.length > 0) {
    const budget = limit - fixed.length - open.length - close.length - 200;
    const kept: string[] = [];
    let size = 0;
    for (const line of lines) {
      if (size + line.length + 1 > budget) break;
      kept.push(line);
      size += line.length + 1;
    }
    const droppedErrors = Math.max(0, errors.length - kept.length);
    const droppedWarnings = lines.length - kept.length - droppedErrors;
    const dropped = [
      ...(droppedErrors > 0 ? [plural(droppedErrors, "more error")] : []),
      ...(droppedWarnings > 0
        ? [plural(droppedWarnings, droppedErrors > 0 ? "warning" : "more warning")]
        : []),
    ].join(" and ");
    body = `${open}\n${kept.join("\n")}${dropped ? `\n\n${dropped} not shown: run \`shipgate check\` for the full report.` : ""}${close}`;
  }
  return `${fixed}${body}`.slice(0, limit);
}

/** Renders a run in any --format: the checklist formats here, SARIF and annotations via the shared reporters. */
export function renderCheck(run: CheckRun, format: ReportFormat, options: RenderOptions): string {
  switch (format) {
    case "pretty":
      return renderCheckPretty(run, options.color);
    case "json":
      return `${JSON.stringify(toJsonCheckRun(run), null, 2)}\n`;
    case "markdown":
      return renderCheckMarkdown(run);
    default: {
      const report: Report = {
        command: "check",
        files: [],
        findings: run.items.flatMap((i) => i.findings),
      };
      return renderReport(report, format, options);
    }
  }
}
