import { describe, expect, it } from "vitest";
import { type Report, reportFormats } from "../report.js";
import { renderGithub } from "./github.js";
import { renderReport } from "./index.js";
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";
import { renderPretty } from "./pretty.js";
import { renderSarif } from "./sarif.js";

const report: Report = {
  command: "migrations lint",
  files: [{ path: "m/1.sql", class: "additive" }],
  findings: [{ ruleId: "r", severity: "error", file: "m/1.sql", line: 1, column: 1, message: "bad" }],
};
const options = { color: false, toolVersion: "9.9.9" };

describe("renderReport", () => {
  it("dispatches every format to its renderer", () => {
    expect(renderReport(report, "pretty", options)).toBe(renderPretty(report, options));
    expect(renderReport(report, "json", options)).toBe(renderJson(report));
    expect(renderReport(report, "sarif", options)).toBe(renderSarif(report, options));
    expect(renderReport(report, "github", options)).toBe(renderGithub(report));
    expect(renderReport(report, "markdown", options)).toBe(renderMarkdown(report));
  });

  it("ends every format's output with a newline", () => {
    for (const format of reportFormats)
      expect(renderReport(report, format, options).endsWith("\n")).toBe(true);
  });

  it("writes no ANSI escape in any format when colour is off", () => {
    for (const format of reportFormats)
      expect(renderReport(report, format, options)).not.toContain("\u001b[");
  });

  it("colours only the pretty format", () => {
    const on = { ...options, color: true };
    for (const format of reportFormats) {
      const out = renderReport(report, format, on);
      if (format === "pretty") expect(out).toContain("\u001b[");
      else expect(out).not.toContain("\u001b[");
    }
  });
});
