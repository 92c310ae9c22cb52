/**
 * GitHub Actions workflow commands: one ::error / ::warning / ::notice line per finding that is not
 * approved, so findings show as annotations on the pull request's diff. Approved findings are left
 * out: they need no attention.
 */
import type { Finding, Severity } from "../finding.js";
import type { Report } from "../report.js";
import { describeApiLocation, describeLock } from "./pretty.js";

const commands: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };

/** Escapes a command's data (the part after "::"). */
export function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a command property value (file=…, title=…). */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function githubAnnotation(f: Finding): string {
  const props: [string, string | number][] = [];
  if (f.file !== undefined && f.file !== "") {
    props.push(["file", f.file]);
    if (f.line !== undefined && f.line >= 1) {
      props.push(["line", f.line]);
      if (f.endLine !== undefined && f.endLine >= f.line) props.push(["endLine", f.endLine]);
      if (f.column !== undefined && f.column >= 1) props.push(["col", f.column]);
      if (f.endColumn !== undefined && f.endColumn >= 1) props.push(["endColumn", f.endColumn]);
    }
  }
  props.push(["title", f.ruleId]);
  const lock = describeLock(f);
  const facts = [
    f.class === undefined ? undefined : `class: ${f.class}`,
    lock === undefined ? undefined : `lock: ${lock}`,
    f.rewrites ? "rewrites table" : undefined,
  ]
    .filter((p) => p !== undefined)
    .join(" · ");
  const message = [f.message, facts, describeApiLocation(f), f.help, f.docsUrl]
    .filter((p) => p !== undefined && p !== "")
    .join("\n");
  const properties = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(",");
  return `::${commands[f.severity]} ${properties}::${escapeData(message)}`;
}

/** One line per unapproved finding, newline-terminated; empty when there is nothing to annotate. */
export function renderGithub(report: Report): string {
  const lines = report.findings.filter((f) => f.suppression === undefined).map(githubAnnotation);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
