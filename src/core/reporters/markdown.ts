/**
 * Markdown for a pull-request comment: the verdict, a table of findings per file, the safe
 * alternatives in a collapsible section, and the approved findings with their reasons.
 */
import { type Finding, failingFindings, type MigrationClass, migrationClassRank } from "../finding.js";
import { plural } from "../plural.js";
import type { Report } from "../report.js";
import { summarizeFindings } from "./json.js";
import { describeLock, groupFindings } from "./pretty.js";

/** A marker a bot can look for to update its previous comment instead of adding a new one. */
export function markdownMarker(command: string): string {
  return `<!-- shipgate-report: ${command.replace(/--/g, "- -")} -->`;
}

/**
 * Escapes text for a table cell: HTML-significant characters, pipes, and line breaks (as <br>),
 * so a cell never ends early or opens a tag.
 */
export function escapeCell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r\n|\r|\n/g, "<br>");
}

/** Escapes text outside tables (list items, summaries): HTML only, and line breaks as spaces. */
function escapeInline(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r\n|\r|\n/g, " ");
}

/** Text in a fenced code block (indented under a list item) whose fence no line can close. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return [fence, ...text.split(/\r?\n/), fence].map((l) => `  ${l}`).join("\n");
}

/** A link destination that cannot break out of the (...) of a markdown link. */
function linkTarget(url: string): string {
  return url.replace(/ /g, "%20").replace(/\(/g, "%28").replace(/\)/g, "%29");
}

function ruleLink(f: Finding): string {
  return f.docsUrl ? `[${escapeCell(f.ruleId)}](${linkTarget(f.docsUrl)})` : escapeCell(f.ruleId);
}

function code(text: string): string {
  const flat = text.replace(/\r?\n/g, " ");
  // A code span holding a backtick needs a longer fence, padded with spaces.
  return flat.includes("`") ? `\`\` ${flat} \`\`` : `\`${flat}\``;
}

const severityIcon: Record<Finding["severity"], string> = { error: "🔴", warning: "🟠", info: "🔵" };

function verdict(report: Report): string {
  const s = summarizeFindings(report.findings);
  const counts = [
    plural(s.errors, "error"),
    plural(s.warnings, "warning"),
    plural(s.infos, "info"),
    `${s.suppressed} approved`,
  ].join(", ");
  const failed = failingFindings(report.findings).length > 0;
  return `## ${failed ? "❌" : "✅"} shipgate ${escapeInline(report.command)}: ${counts}`;
}

function filesLine(report: Report): string | undefined {
  if (report.files.length === 0) return undefined;
  const byClass = new Map<MigrationClass, number>();
  for (const f of report.files) {
    if (f.class !== undefined) byClass.set(f.class, (byClass.get(f.class) ?? 0) + 1);
  }
  const classes = [...byClass]
    .sort(([a], [b]) => migrationClassRank[b] - migrationClassRank[a])
    .map(([cls, n]) => `${n} ${cls}`);
  const checked = `${plural(report.files.length, "file")} checked`;
  return classes.length > 0 ? `${checked}: ${classes.join(", ")}.` : `${checked}.`;
}

/** API compatibility findings: the operation, and the JSON pointer under the message. */
function apiFindingsTable(findings: readonly Finding[]): string[] {
  const lines = ["| Line | Severity | Rule | Operation | Message |", "| ---: | --- | --- | --- | --- |"];
  for (const f of findings) {
    const line = f.line !== undefined && f.line >= 1 ? String(f.line) : "";
    const operation = f.operation ? escapeCell(f.operation) : "";
    const pointer = f.pointer ? `<br><code>#${escapeCell(f.pointer)}</code>` : "";
    lines.push(
      `| ${line} | ${severityIcon[f.severity]} ${f.severity} | ${ruleLink(f)} | ${operation} | ${escapeCell(f.message)}${pointer} |`,
    );
  }
  return lines;
}

function findingsTable(findings: readonly Finding[]): string[] {
  if (findings.some((f) => f.operation !== undefined || f.pointer !== undefined))
    return apiFindingsTable(findings);
  // Class and Lock are migration facts: a table of other findings (pipeline, env, hygiene) has none.
  const migration = findings.some((f) => f.class !== undefined || describeLock(f) !== undefined);
  const lines = migration
    ? ["| Line | Severity | Rule | Message | Class | Lock |", "| ---: | --- | --- | --- | --- | --- |"]
    : ["| Line | Severity | Rule | Message |", "| ---: | --- | --- | --- |"];
  for (const f of findings) {
    const line = f.line !== undefined && f.line >= 1 ? String(f.line) : "";
    const cells = [line, `${severityIcon[f.severity]} ${f.severity}`, ruleLink(f), escapeCell(f.message)];
    if (migration) {
      const lock = describeLock(f);
      cells.push(
        f.class ?? "",
        lock === undefined ? "" : escapeCell(f.rewrites ? `${lock} (rewrites table)` : lock),
      );
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines;
}

function helpSection(findings: readonly Finding[]): string[] {
  // One entry per rule and help text: the same advice repeated per finding is noise.
  const seen = new Set<string>();
  const items: string[] = [];
  for (const f of findings) {
    if (!f.help) continue;
    const key = `${f.ruleId}\u0000${f.help}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const docs = f.docsUrl ? ` ([docs](${linkTarget(f.docsUrl)}))` : "";
    items.push(
      f.help.includes("\n")
        ? // A multi-line help is a snippet (e.g. YAML to add): kept verbatim in a fenced block.
          `- **${escapeInline(f.ruleId)}**${docs}\n\n${fenced(f.help)}\n`
        : `- **${escapeInline(f.ruleId)}**: ${escapeInline(f.help)}${docs}`,
    );
  }
  if (items.length === 0) return [];
  return ["<details>", "<summary>How to fix</summary>", "", ...items, "", "</details>"];
}

function approvedTable(approved: readonly Finding[]): string[] {
  const lines = [
    `### Approved (${approved.length})`,
    "",
    "| File | Line | Rule | Reason | Approved in |",
    "| --- | ---: | --- | --- | --- |",
  ];
  for (const f of approved) {
    const file = f.file === undefined ? "" : code(f.file).replace(/\|/g, "\\|");
    const line = f.line !== undefined && f.line >= 1 ? String(f.line) : "";
    const where = f.suppression?.kind === "inline" ? "migration comment" : "config";
    lines.push(
      `| ${file} | ${line} | ${ruleLink(f)} | ${escapeCell(f.suppression?.reason ?? "")} | ${where} |`,
    );
  }
  return lines;
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [markdownMarker(report.command), verdict(report), ""];
  const files = filesLine(report);
  if (files) out.push(files, "");
  const groups = groupFindings(report);
  for (const group of groups) {
    const findings = group.findings.filter((f) => f.suppression === undefined);
    if (findings.length === 0) continue;
    const title = group.file === undefined ? "General" : code(group.file);
    out.push(`### ${title}${group.class ? ` (${group.class})` : ""}`, "", ...findingsTable(findings), "");
  }
  const ordered = groups.flatMap((g) => g.findings);
  const help = helpSection(ordered.filter((f) => f.suppression === undefined));
  if (help.length > 0) out.push(...help, "");
  const approved = ordered.filter((f) => f.suppression !== undefined);
  if (approved.length > 0) out.push(...approvedTable(approved), "");
  return `${out.join("\n").trimEnd()}\n`;
}
