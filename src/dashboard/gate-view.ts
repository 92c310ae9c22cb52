/**
 * The gate report stored with a release (`shipgate check` JSON): findings grouped by severity,
 * errors first, each with its rule, place, message and the safe alternative.
 */
import { ApiError, api } from "./api-client.js";
import { h, replace } from "./dom.js";
import type { Finding, GateReport } from "./types.js";

const severities: Finding["severity"][] = ["error", "warning", "info"];
const titles: Record<Finding["severity"], string> = { error: "Errors", warning: "Warnings", info: "Info" };

export async function renderGate(main: HTMLElement, releaseId: string): Promise<void> {
  let report: GateReport;
  try {
    report = await api<GateReport>("GET", `/api/releases/${encodeURIComponent(releaseId)}/gate`);
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
  const sections = severities.map((severity) => {
    const findings = report.findings.filter((f) => f.severity === severity);
    const headingId = `gate-${severity}`;
    return h(
      "section",
      { class: "panel", "aria-labelledby": headingId },
      h("h2", { id: headingId }, `${titles[severity]} (${findings.length})`),
      findings.length === 0
        ? h("p", {}, "None.")
        : h(
            "ul",
            { class: `findings ${severity}` },
            findings.map((f) =>
              h(
                "li",
                {},
                h("strong", {}, f.ruleId),
                f.file ? h("span", { class: "muted" }, ` ${f.file}${f.line ? `:${f.line}` : ""}`) : null,
                f.suppression !== undefined ? h("span", { class: "badge idle" }, " approved") : null,
                h("p", {}, f.message),
                f.help ? h("p", { class: "hint" }, f.help) : null,
              ),
            ),
          ),
    );
  });
  const s = report.summary;
  replace(
    main,
    h("h1", {}, `Gate report of ${releaseId}`),
    s
      ? h("p", {}, `${s.errors} errors, ${s.warnings} warnings, ${s.infos} info, ${s.suppressed} approved.`)
      : null,
    sections,
  );
}
