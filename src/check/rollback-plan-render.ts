/**
 * Renders a rollback plan: a terminal page, a Markdown document (a runbook section or a
 * pull-request comment) and JSON. Every text comes from the plan; nothing here decides.
 */
import { createColors } from "picocolors";
import { escapeCell, markdownMarker } from "../core/reporters/index.js";
import type { RollbackPlan } from "./rollback-plan.js";

export const rollbackPlanFormats = ["pretty", "json", "markdown"] as const;
export type RollbackPlanFormat = (typeof rollbackPlanFormats)[number];

function changeLine(plan: RollbackPlan): string {
  const { base, baseLabel, head } = plan.change;
  // Why there is none (no repository, no default branch) is on the schema and data lines.
  if (!base) return "no base: the change is unknown";
  const range = `${base.slice(0, 12)}..${head ? head.slice(0, 12) : "the working tree"}`;
  return baseLabel && baseLabel !== base ? `${range} (base: ${baseLabel})` : range;
}

function commandLines(plan: RollbackPlan): string[] {
  const c = plan.commands;
  return [
    ...(c.rollback ? [`${c.rollback}    back to the previous release`] : []),
    ...(c.rollbackTo ? [`${c.rollbackTo}    the same, by version`] : []),
    ...(c.schema ? [`${c.schema} --dry-run    show the down migrations, then run without --dry-run`] : []),
    ...(c.abort ? [`${c.abort}    while the canary runs: traffic returns at once`] : []),
  ];
}

export function renderRollbackPlanPretty(plan: RollbackPlan, color: boolean): string {
  const pc = createColors(color);
  const label = (s: string) => pc.bold(s.padEnd(17));
  const pad = " ".repeat(17);
  const out: string[] = [
    pc.bold(`Rollback plan for ${plan.environment ?? "(no environment)"}`),
    `change: ${changeLine(plan)}`,
    `history: ${plan.history}`,
    "",
  ];
  out.push(`${label("Estimated time")}${plan.estimate.text}`);
  const commands = commandLines(plan);
  if (commands.length === 0) out.push(`${label("Command")}none: there is no earlier release to roll back to`);
  else out.push(...commands.map((line, i) => `${i === 0 ? label("Command") : pad}${line}`));
  out.push(`${label("Traffic")}${plan.traffic.text}`);
  out.push(`${label("Schema rollback")}${plan.schema.text}`);
  for (const m of plan.schema.migrations) {
    out.push(
      `${pad}  ${m.path}  ${m.class}  down: ${m.down ?? (m.class === "additive" ? "none (additive)" : pc.red(`missing — expected ${m.expectedDown}`))}`,
    );
  }
  out.push(`${label("Data rollback")}${plan.data.text}`);
  out.push(`${pad}backups: ${plan.data.backup.text}`);
  out.push(`${label("Notify")}${plan.notify.text}`);
  out.push(...plan.criteria.map((c, i) => `${i === 0 ? label("Roll back when") : pad}- ${c.text}`));
  if (plan.gaps.length > 0) {
    out.push("", pc.bold("Gaps (`shipgate check` fails on the errors):"));
    for (const g of plan.gaps) {
      out.push(`  ${g.severity === "error" ? pc.red("✗") : pc.yellow("!")} ${g.message}`);
      out.push(`    ${pc.dim(g.help)}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/**
 * Text for a table cell: code spans (`…`) keep their text (only pipes and line breaks are escaped,
 * as GitHub needs inside a table), everything else goes through escapeCell.
 */
function cell(text: string): string {
  return text
    .split(/(`[^`\n]*`)/)
    .map((part) =>
      part.startsWith("`") && part.endsWith("`") && part.length > 1
        ? part.replace(/\|/g, "\\|")
        : escapeCell(part),
    )
    .join("");
}

export function renderRollbackPlanMarkdown(plan: RollbackPlan): string {
  const code = (s: string) => `\`${s}\``;
  const commands = [
    plan.commands.rollback,
    plan.commands.rollbackTo,
    plan.commands.schema,
    plan.commands.abort,
  ].filter((c): c is string => c !== null);
  // Each row holds lines; every line is escaped for a table cell, then joined with <br>.
  const rows: [string, string[]][] = [
    ["Estimated time", [plan.estimate.text]],
    [
      "Command",
      commands.length > 0 ? commands.map(code) : ["none: there is no earlier release to roll back to"],
    ],
    ["Traffic rollback", [plan.traffic.text]],
    ["Schema rollback", [plan.schema.text]],
    ["Data rollback", [plan.data.text]],
    ["Backups", [plan.data.backup.text]],
    ["Notify", [plan.notify.text]],
    ["Roll back when", plan.criteria.map((c) => c.text)],
  ];
  const out: string[] = [
    markdownMarker("plan rollback"),
    `### Rollback plan: ${plan.environment ?? "(no environment)"}`,
    "",
    `Change: ${cell(changeLine(plan))} · ${cell(plan.history)}`,
    "",
    "| | |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| **${k}** | ${v.map(cell).join("<br>")} |`),
    "",
  ];
  if (plan.schema.migrations.length > 0) {
    out.push("| migration | class | down migration |", "| --- | --- | --- |");
    for (const m of plan.schema.migrations) {
      out.push(
        `| ${code(m.path)} | ${m.class} | ${m.down ? code(m.down) : m.class === "additive" ? "none (additive)" : `**missing** — expected ${escapeCell(m.expectedDown)}`} |`,
      );
    }
    out.push("");
  }
  if (plan.data.backup.recent.length > 0) {
    out.push("| backup | taken | tables |", "| --- | --- | --- |");
    for (const b of plan.data.backup.recent) {
      out.push(`| ${code(b.id)} | ${b.createdAt} | ${escapeCell(b.tables.join(", "))} |`);
    }
    out.push("");
  }
  if (plan.gaps.length > 0) {
    out.push("**Gaps** (`shipgate check` fails on the errors):", "");
    for (const g of plan.gaps)
      out.push(`- ${g.severity === "error" ? "❌" : "⚠️"} ${escapeCell(g.message)} — ${escapeCell(g.help)}`);
    out.push("");
  }
  return `${out.join("\n")}`;
}

export function renderRollbackPlan(
  plan: RollbackPlan,
  format: RollbackPlanFormat,
  options: { color: boolean },
): string {
  switch (format) {
    case "json":
      return `${JSON.stringify({ command: "plan rollback", ...plan }, null, 2)}\n`;
    case "markdown":
      return renderRollbackPlanMarkdown(plan);
    case "pretty":
      return renderRollbackPlanPretty(plan, options.color);
  }
}
