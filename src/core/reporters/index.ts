/**
 * The reporters shared by every check: pure functions from a Report to the text the CLI prints for
 * --format. Every output ends with a newline (github's is empty when there is nothing to annotate).
 */
import type { RenderOptions, Report, ReportFormat } from "../report.js";
import { renderGithub } from "./github.js";
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";
import { renderPretty } from "./pretty.js";
import { renderSarif } from "./sarif.js";

export { escapeData, escapeProperty, githubAnnotation, renderGithub } from "./github.js";
export { type JsonReport, type ReportSummary, renderJson, summarizeFindings, toJsonReport } from "./json.js";
export { escapeCell, markdownMarker, renderMarkdown } from "./markdown.js";
export { describeLock, type FindingGroup, groupFindings, renderPretty } from "./pretty.js";
export { renderSarif, sarifSchemaUri, shipgateInformationUri, toSarifUri } from "./sarif.js";

export function renderReport(report: Report, format: ReportFormat, options: RenderOptions): string {
  switch (format) {
    case "pretty":
      return renderPretty(report, options);
    case "json":
      return renderJson(report);
    case "sarif":
      return renderSarif(report, options);
    case "github":
      return renderGithub(report);
    case "markdown":
      return renderMarkdown(report);
    default: {
      const unknown: never = format;
      throw new Error(`unknown report format: ${String(unknown)}`);
    }
  }
}
