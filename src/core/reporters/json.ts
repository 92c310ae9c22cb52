/**
 * Machine-readable report: the files, the findings exactly as the checks returned them, and a
 * summary. The summary helper is shared by the human reporters so every format counts the same way.
 */
import type { Finding } from "../finding.js";
import type { Report, ReportedFile } from "../report.js";

export interface ReportSummary {
  /** Unsuppressed findings of error severity (these fail the gate). */
  errors: number;
  /** Unsuppressed findings of warning severity. */
  warnings: number;
  /** Unsuppressed findings of info severity. */
  infos: number;
  /** Approved findings, whatever their severity. */
  suppressed: number;
}

export interface JsonReport {
  files: ReportedFile[];
  findings: Finding[];
  summary: ReportSummary;
}

export function summarizeFindings(findings: readonly Finding[]): ReportSummary {
  const summary: ReportSummary = { errors: 0, warnings: 0, infos: 0, suppressed: 0 };
  for (const f of findings) {
    if (f.suppression !== undefined) summary.suppressed++;
    else if (f.severity === "error") summary.errors++;
    else if (f.severity === "warning") summary.warnings++;
    else summary.infos++;
  }
  return summary;
}

export function toJsonReport(report: Report): JsonReport {
  return {
    files: report.files.map((f) =>
      f.class === undefined ? { path: f.path } : { path: f.path, class: f.class },
    ),
    findings: report.findings,
    summary: summarizeFindings(report.findings),
  };
}

/** Two-space indented JSON, newline-terminated. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
