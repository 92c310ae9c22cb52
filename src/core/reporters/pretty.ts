/**
 * The human report: findings grouped by file, each with its migration facts, a code frame when the
 * source is known, the safe alternative and the docs link; approved findings on one dim line each;
 * a summary at the end. Plain text when piped: ANSI escapes only when options.color is set, and no
 * cursor movement or other TTY tricks ever.
 */
import { codeFrameColumns, type SourceLocation } from "@babel/code-frame";
import { createColors } from "picocolors";
import {
  compareFindings,
  type Finding,
  type MigrationClass,
  migrationClassRank,
  type Severity,
} from "../finding.js";
import { plural } from "../plural.js";
import type { RenderOptions, Report } from "../report.js";
import { summarizeFindings } from "./json.js";

type Colors = ReturnType<typeof createColors>;

/** Findings of one file (or of no file), in the order the reporters print them. */
export interface FindingGroup {
  /** undefined for findings that are not about a file. */
  file: string | undefined;
  class: MigrationClass | undefined;
  findings: Finding[];
}

/**
 * Groups findings by file: files in the order of report.files, then files only findings mention
 * (in order of first mention), then findings without a file. Within a group, findings are sorted by
 * position. Files without findings are left out.
 */
export function groupFindings(report: Report): FindingGroup[] {
  const classes = new Map<string, MigrationClass | undefined>();
  for (const f of report.files) classes.set(f.path, f.class);
  const byFile = new Map<string | undefined, Finding[]>();
  for (const f of report.files) byFile.set(f.path, []);
  for (const f of report.findings) {
    if (f.file === undefined) continue;
    const list = byFile.get(f.file);
    if (list) list.push(f);
    else byFile.set(f.file, [f]);
  }
  const general = report.findings.filter((f) => f.file === undefined);
  const groups: FindingGroup[] = [];
  for (const [file, findings] of byFile) {
    if (findings.length === 0 || file === undefined) continue;
    groups.push({ file, class: classes.get(file), findings: [...findings].sort(compareFindings) });
  }
  if (general.length > 0) groups.push({ file: undefined, class: undefined, findings: general });
  return groups;
}

/** "ACCESS EXCLUSIVE on public.users", "none", or undefined when the finding has no lock fact. */
export function describeLock(f: Finding): string | undefined {
  if (f.lock === undefined) return undefined;
  if (f.lock === null) return "none";
  return f.relation ? `${f.lock} on ${f.relation}` : f.lock;
}

/** "class: destructive · lock: ACCESS EXCLUSIVE on public.users · rewrites table", or undefined. */
function migrationFacts(f: Finding, c: Colors): string | undefined {
  const parts: string[] = [];
  if (f.class !== undefined) parts.push(`class: ${paintClass(f.class, c)}`);
  const lock = describeLock(f);
  if (lock !== undefined) parts.push(`lock: ${f.lock ? c.bold(lock) : lock}`);
  if (f.rewrites === true) parts.push(c.yellow("rewrites table"));
  return parts.length > 0 ? parts.join(c.dim(" · ")) : undefined;
}

function paintClass(cls: MigrationClass, c: Colors): string {
  if (cls === "destructive") return c.red(cls);
  if (cls === "transformative") return c.yellow(cls);
  return c.green(cls);
}

/** Severities are padded to the longest, "warning", so rule ids line up. */
const severityWidth = "warning".length;

function paintSeverity(severity: Severity, c: Colors): string {
  const padded = severity.padEnd(severityWidth);
  if (severity === "error") return c.red(c.bold(padded));
  if (severity === "warning") return c.yellow(padded);
  return c.blue(padded);
}

/** "GET /orders/{id}  #/paths/~1orders~1{id}/get/…": where an API compatibility finding is. */
export function describeApiLocation(f: Finding): string | undefined {
  const parts = [f.operation, f.pointer === undefined ? undefined : `#${f.pointer}`].filter(
    (p): p is string => p !== undefined && p !== "" && p !== "#",
  );
  return parts.length > 0 ? parts.join("  ") : undefined;
}

function location(f: Finding): string {
  if (f.file === undefined) return f.operation ?? "";
  if (f.line === undefined || f.line < 1) return f.file;
  if (f.column === undefined || f.column < 1) return `${f.file}:${f.line}`;
  return `${f.file}:${f.line}:${f.column}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => (l.length > 0 ? prefix + l : l))
    .join("\n");
}

/** How many lines a code frame may mark before it shows just the start of the finding. */
const maxFramedLines = 6;

function codeFrame(f: Finding, source: string | undefined, color: boolean): string | undefined {
  if (source === undefined || f.line === undefined || f.line < 1) return undefined;
  const lineCount = source.split(/\r\n|[\n\r\u2028\u2029]/).length;
  if (f.line > lineCount) return undefined;
  const start: SourceLocation["start"] = { line: f.line };
  if (f.column !== undefined && f.column >= 1) start.column = f.column;
  const loc: SourceLocation = { start };
  if (f.endLine !== undefined && f.endLine >= f.line && f.endLine - f.line < maxFramedLines) {
    const end: SourceLocation["start"] = { line: Math.min(f.endLine, lineCount) };
    if (f.endColumn !== undefined && f.endColumn >= 1) end.column = f.endColumn;
    loc.end = end;
  }
  // forceColor follows the CLI's decision too, so the frame never decides colour on its own.
  return codeFrameColumns(source, loc, {
    highlightCode: color,
    forceColor: color,
    linesAbove: 1,
    linesBelow: 2,
  });
}

function renderFinding(
  f: Finding,
  report: Report,
  options: RenderOptions,
  c: Colors,
  showFrame = true,
): string[] {
  const loc = location(f);
  const head = [loc ? c.bold(loc) : undefined, paintSeverity(f.severity, c), c.dim(f.ruleId), f.message]
    .filter((p) => p !== undefined)
    .join("  ");
  const lines = [`  ${head}`];
  const pad = "      ";
  const facts = migrationFacts(f, c);
  if (facts) lines.push(pad + facts);
  // API findings: the operation (unless it is already the location) and the JSON pointer.
  const operation = f.file !== undefined && f.operation ? c.bold(f.operation) : undefined;
  const pointer = f.pointer ? c.dim(`#${f.pointer}`) : undefined;
  if (operation || pointer) lines.push(pad + [operation, pointer].filter((p) => p !== undefined).join("  "));
  const frame =
    f.file === undefined || !showFrame ? undefined : codeFrame(f, report.sources?.get(f.file), options.color);
  if (frame) lines.push("", indent(frame, pad), "");
  if (f.help) lines.push(`${pad}${c.cyan("help:")} ${f.help.replace(/\r?\n/g, `\n${pad}      `)}`);
  if (f.docsUrl) lines.push(`${pad}${c.dim("docs:")} ${c.underline(f.docsUrl)}`);
  return lines;
}

function renderApproved(f: Finding, c: Colors): string {
  const at = f.line !== undefined && f.line >= 1 ? ` at line ${f.line}` : "";
  const reason = f.suppression?.reason ?? "";
  return `  ${c.dim(`allowed ${f.ruleId}${at}: ${reason}`)}`;
}

function fileHeader(group: FindingGroup, c: Colors): string {
  const name = group.file === undefined ? "(not about a file)" : group.file;
  const cls = group.class === undefined ? "" : ` ${c.dim("(")}${paintClass(group.class, c)}${c.dim(")")}`;
  return `${c.underline(c.bold(name))}${cls}`;
}

function renderSummary(report: Report, c: Colors): string[] {
  const s = summarizeFindings(report.findings);
  const counts = [
    s.errors > 0 ? c.red(c.bold(plural(s.errors, "error"))) : plural(s.errors, "error"),
    s.warnings > 0 ? c.yellow(plural(s.warnings, "warning")) : plural(s.warnings, "warning"),
    plural(s.infos, "info"),
    `${s.suppressed} approved`,
  ].join(c.dim(" · "));
  const mark = s.errors > 0 ? c.red("✖") : c.green("✔");
  const lines = [`${mark} ${report.command}: ${counts}`];
  if (report.files.length > 0) {
    const byClass = new Map<MigrationClass, number>();
    for (const f of report.files) {
      if (f.class !== undefined) byClass.set(f.class, (byClass.get(f.class) ?? 0) + 1);
    }
    const classes = [...byClass]
      .sort(([a], [b]) => migrationClassRank[b] - migrationClassRank[a])
      .map(([cls, n]) => `${n} ${paintClass(cls, c)}`);
    const checked = `${plural(report.files.length, "file")} checked`;
    lines.push(classes.length > 0 ? `  ${checked}: ${classes.join(c.dim(" · "))}` : `  ${checked}`);
  }
  return lines;
}

export function renderPretty(report: Report, options: RenderOptions): string {
  const c = createColors(options.color);
  const out: string[] = [];
  for (const group of groupFindings(report)) {
    out.push(fileHeader(group, c));
    const active = group.findings.filter((f) => f.suppression === undefined);
    const approved = group.findings.filter((f) => f.suppression !== undefined);
    // A definition shared by many operations gives many findings at one line: frame it once.
    let lastFramed: string | undefined;
    for (const f of active) {
      const at = f.operation !== undefined && f.line !== undefined ? `${f.file}:${f.line}` : undefined;
      out.push(...renderFinding(f, report, options, c, at === undefined || at !== lastFramed), "");
      lastFramed = at;
    }
    for (const f of approved) out.push(renderApproved(f, c));
    if (approved.length > 0) out.push("");
  }
  out.push(...renderSummary(report, c));
  // Collapse the blank lines a frame and the separator may stack up, and trailing spaces.
  const text = out
    .join("\n")
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n");
  return `${text}\n`;
}
