/**
 * Each pipeline stage the deployment checklist asks for, judged on the parsed pipeline: the
 * evidence that shows it (a command, an action, a template, a job's environment), or the findings
 * that say what is missing with the snippet to add. Pure: everything it reads is in the context.
 */

import type { Finding, Severity } from "../../core/finding.js";
import type { StackCommands } from "../../init/index.js";
import type { CheckGroup, CheckStatus } from "../types.js";
import type { CommandExpander, Expansion } from "./expand.js";
import {
  type CommandStageId,
  deployActions,
  deployCommands,
  deployName,
  firstMatch,
  githubScriptTag,
  isAction,
  matchableText,
  productionName,
  type StageMatchers,
  shipgateCheck,
  smokeCommands,
  smokeName,
  stageMatchers,
  stagingName,
  tagActions,
  tagCommands,
} from "./matchers.js";
import {
  type CiCommand,
  type CiJob,
  type CiSystem,
  ciSystemNames,
  type Pipeline,
  type Position,
} from "./model.js";
import { type SnippetContext, type StageId, snippetHelp, stageSnippet } from "./snippets.js";
import { pipelineDocsUrl } from "./yaml-nodes.js";

export interface StageDefinition {
  id: Exclude<StageId, "smoke-tests">;
  title: string;
  group: CheckGroup;
  /** Severity of the finding when the stage is missing. */
  severity: Severity;
  /** What the stage does, completing "nothing …" in messages. */
  verb: string;
}

/** The stages, in checklist order. */
export const stageDefinitions: readonly StageDefinition[] = [
  {
    id: "tests",
    title: "CI runs the tests",
    group: "application",
    severity: "error",
    verb: "runs the tests",
  },
  {
    id: "type-check",
    title: "CI type-checks the code",
    group: "application",
    severity: "error",
    verb: "type-checks the code",
  },
  {
    id: "lint",
    title: "CI runs a linter",
    group: "application",
    severity: "warning",
    verb: "lints the code",
  },
  {
    id: "dependency-audit",
    title: "CI audits dependencies for known vulnerabilities",
    group: "application",
    severity: "error",
    verb: "audits dependencies",
  },
  {
    id: "secret-scan",
    title: "CI scans for committed secrets",
    group: "application",
    severity: "error",
    verb: "scans for secrets",
  },
  {
    id: "migration-lint",
    title: "CI lints database migrations",
    group: "data",
    severity: "error",
    verb: "lints migrations",
  },
  {
    id: "build",
    title: "CI builds the release artifact",
    group: "application",
    severity: "warning",
    verb: "builds the release",
  },
  {
    id: "staging-deploy",
    title: "CI deploys to staging and runs smoke tests",
    group: "infrastructure",
    severity: "error",
    verb: "deploys to staging",
  },
  {
    id: "production-approval",
    title: "Production deploys wait for an approval",
    group: "infrastructure",
    severity: "error",
    verb: "deploys to production behind an approval",
  },
  {
    id: "deploy-concurrency",
    title: "Deploys to one environment never overlap (concurrency group)",
    group: "infrastructure",
    severity: "error",
    verb: "serializes deploys",
  },
  {
    id: "deploy-tagging",
    title: "CI tags the deployed version",
    group: "rollback",
    severity: "warning",
    verb: "tags deploys",
  },
];

export interface StageContext {
  pipeline: Pipeline;
  jobs: readonly CiJob[];
  expander: CommandExpander;
  commands: StackCommands;
  /** The CI system snippets are written for. */
  system: CiSystem;
  /** The file stage findings without a better place point at. */
  primaryFile: string | undefined;
  /** Why a stage does not apply to this repository (e.g. no migrations), by stage. */
  notApplicable: Partial<Record<StageId, string>>;
}

export interface StageResult {
  status: CheckStatus;
  detail: string;
  findings: Finding[];
}

export interface Evidence {
  job: CiJob;
  at: Position;
  /** What matched: the command text, the action, the stage name. */
  what: string;
  /** Where the matched text came from, when not the CI file: a package.json script, a Makefile target. */
  via?: string;
  /** `shipgate check` stands for the stage. */
  byShipgateCheck?: boolean;
  /** Replaces `runs "<what>"` when the evidence is not a command (a step name, a stage name). */
  phrase?: string;
}

function clip(text: string, max = 72): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "job deploy" or, in a Jenkinsfile, "stage 'Deploy'". */
export function describeJob(job: CiJob): string {
  return job.system === "jenkins" ? `stage '${job.id}'` : `job ${job.id}`;
}

export function describeEvidence(e: Evidence): string {
  const where = `${e.at.file}:${e.at.line}`;
  const job = describeJob(e.job);
  if (e.phrase) return `${where} ${job} ${e.phrase}`;
  const what = e.via ? `"${clip(e.what)}" (in ${e.via})` : `"${clip(e.what)}"`;
  return `${where} ${job} runs ${what}${e.byShipgateCheck ? ", which includes it" : ""}`;
}

/** Position of `index` in a command's text (its text starts at `at`). */
function positionIn(command: CiCommand, text: string, index: number): Position {
  const before = text.slice(0, index);
  const newlines = before.split("\n").length - 1;
  if (newlines === 0)
    return command.kind === "text" ? { ...command.at } : { ...command.at, column: command.at.column + index };
  return { ...command.at, line: command.at.line + newlines, column: index - before.lastIndexOf("\n") };
}

function matchRun(patterns: readonly RegExp[], text: string): { text: string; index: number } | undefined {
  return firstMatch(patterns, matchableText(text));
}

interface CommandRules {
  run: readonly RegExp[];
  uses: readonly string[];
  include?: readonly RegExp[];
  /** Extra test on a `uses` command (e.g. actions/github-script creating a tag). */
  usesWhen?: (command: { text: string; inputs?: Readonly<Record<string, string>> }) => boolean;
  release?: boolean;
}

/** The first command of `job` (or what it expands to) matching the rules. */
export function commandEvidence(
  job: CiJob,
  rules: CommandRules,
  expander: CommandExpander,
): Evidence | undefined {
  for (const command of job.commands) {
    if (command.kind === "run" || command.kind === "text") {
      const m = matchRun(rules.run, command.text);
      if (m) return { job, at: positionIn(command, matchableText(command.text), m.index), what: m.text };
      const expanded = expansionEvidence(
        job,
        command,
        expander.expandRun(command.text, command.workingDirectory ?? "."),
        rules,
      );
      if (expanded) return expanded;
    } else if (command.kind === "uses") {
      if (isAction(command.text, rules.uses) || rules.usesWhen?.(command)) {
        return { job, at: command.at, what: command.text };
      }
      const expanded = expansionEvidence(job, command, expander.expandUses(command.text), rules);
      if (expanded) return expanded;
    } else if (command.kind === "include") {
      if (rules.include?.some((p) => p.test(command.text)))
        return { job, at: command.at, what: command.text };
    } else if (command.kind === "release" && rules.release) {
      return { job, at: command.at, what: command.text };
    }
  }
  return undefined;
}

function expansionEvidence(
  job: CiJob,
  command: CiCommand,
  expansions: readonly Expansion[],
  rules: CommandRules,
): Evidence | undefined {
  for (const e of expansions) {
    if (e.kind === "run") {
      const m = matchRun(rules.run, e.text);
      if (m) return { job, at: command.at, what: m.text, via: e.via };
    } else if (isAction(e.text, rules.uses)) {
      return { job, at: command.at, what: e.text, via: e.via };
    }
  }
  return undefined;
}

function stageEvidence(ctx: StageContext, stage: CommandStageId): Evidence | undefined {
  const m: StageMatchers = stageMatchers[stage];
  for (const job of ctx.jobs) {
    const found = commandEvidence(job, m, ctx.expander);
    if (found) return found;
  }
  if (m.jenkinsStageName) {
    const byName = ctx.jobs.find((j) => j.system === "jenkins" && m.jenkinsStageName?.test(j.id));
    if (byName) return { job: byName, at: byName.at, what: byName.id, phrase: "is named for it" };
  }
  if (m.shipgateCheck) {
    for (const job of ctx.jobs) {
      const found = commandEvidence(job, { run: [shipgateCheck], uses: [] }, ctx.expander);
      if (found) return { ...found, byShipgateCheck: true };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Deploy jobs

export type DeployTarget = "production" | "staging";

/** The names that tell where a job deploys: its environment's candidates, else its id and name. */
function targetNames(job: CiJob): string[] {
  if (job.environment) return job.environment.candidates;
  return [job.id, job.name ?? ""];
}

export function deployTargets(job: CiJob): Set<DeployTarget> {
  const out = new Set<DeployTarget>();
  for (const n of targetNames(job)) {
    if (productionName.test(n)) out.add("production");
    if (stagingName.test(n)) out.add("staging");
  }
  return out;
}

/**
 * Whether a job deploys: it has an environment, a deploy-ish name, or runs a deploy command or
 * action. A job calling a local reusable workflow is judged through the called jobs instead.
 */
export function isDeployJob(job: CiJob, expander: CommandExpander): boolean {
  if (job.calls !== undefined) return false;
  if (job.environment) return true;
  if (job.system !== "gitlab" || job.id !== "include") {
    if (deployName.test(job.id) || deployName.test(job.name ?? "")) return true;
  }
  return (
    commandEvidence(
      job,
      { run: deployCommands, uses: deployActions, usesWhen: (c) => /deploy/i.test(c.text) },
      expander,
    ) !== undefined
  );
}

/**
 * Jobs that run after `job`: those that (transitively) need it in its file, and, for a job of a
 * reusable workflow, those that need the jobs calling that workflow.
 */
function downstream(job: CiJob, jobs: readonly CiJob[]): CiJob[] {
  const out: CiJob[] = [];
  const starts = [job, ...jobs.filter((j) => j.calls === job.at.file)];
  const queue = [...starts];
  while (queue.length > 0) {
    const current = queue.shift() as CiJob;
    for (const j of jobs) {
      if (
        j.at.file === current.at.file &&
        j.needs.includes(current.id) &&
        !out.includes(j) &&
        !starts.includes(j)
      ) {
        out.push(j);
        queue.push(j);
      }
    }
  }
  return out;
}

function smokeEvidence(job: CiJob, ctx: StageContext): Evidence | undefined {
  for (const j of [job, ...downstream(job, ctx.jobs)]) {
    const named = j.commands.find((c) => c.name !== undefined && smokeName.test(c.name) && c.kind !== "text");
    if (named)
      return { job: j, at: named.at, what: named.name ?? "", phrase: `has the step "${named.name}"` };
    if (j !== job && (smokeName.test(j.id) || smokeName.test(j.name ?? ""))) {
      return { job: j, at: j.at, what: j.id, phrase: "is named for smoke tests" };
    }
    const found = commandEvidence(j, { run: smokeCommands, uses: [] }, ctx.expander);
    if (found) return found;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Findings

function finding(
  definition: Pick<StageDefinition, "id" | "severity">,
  ruleId: string,
  message: string,
  help: string,
  at: Position | { file: string | undefined },
  severity: Severity = definition.severity,
): Finding {
  const position =
    "line" in at ? { file: at.file, line: at.line, column: at.column } : at.file ? { file: at.file } : {};
  return { ruleId, severity, ...position, message, help, docsUrl: `${pipelineDocsUrl}#${definition.id}` };
}

function missing(
  def: StageDefinition,
  ctx: StageContext,
  snippetCtx: Partial<SnippetContext> = {},
  message?: string,
): Finding {
  const snippet = stageSnippet(def.id, ctx.system, {
    commands: ctx.commands,
    ...(ctx.primaryFile ? { file: ctx.primaryFile } : {}),
    ...snippetCtx,
  });
  const where = ctx.pipeline.files.map((f) => f.path).join(", ");
  return finding(
    def,
    `pipeline-missing-${def.id}`,
    message ?? `nothing in the pipeline ${def.verb} (${ciSystemNames[ctx.system]}: ${where})`,
    snippetHelp(snippet),
    { file: snippetCtx.file ?? ctx.primaryFile },
  );
}

function result(findings: Finding[], passDetail: string, failDetail: string): StageResult {
  const failing = findings.some((f) => f.severity === "error" || f.severity === "warning");
  return { status: failing ? "fail" : "pass", detail: failing ? failDetail : passDetail, findings };
}

// ---------------------------------------------------------------------------------------------
// Stages

function commandStage(def: StageDefinition, stage: CommandStageId, ctx: StageContext): StageResult {
  const evidence = stageEvidence(ctx, stage);
  if (evidence) return { status: "pass", detail: describeEvidence(evidence), findings: [] };
  const reason = ctx.notApplicable[def.id];
  if (reason) return { status: "skipped", detail: reason, findings: [] };
  return result([missing(def, ctx)], "", `nothing ${def.verb}`);
}

function stagingStage(def: StageDefinition, ctx: StageContext, deployJobs: readonly CiJob[]): StageResult {
  const staging = deployJobs.filter((j) => deployTargets(j).has("staging"));
  if (staging.length === 0) {
    return result(
      [missing(def, ctx, {}, `no job deploys to staging (${ciSystemNames[ctx.system]})`)],
      "",
      "no staging deploy",
    );
  }
  for (const job of staging) {
    const smoke = smokeEvidence(job, ctx);
    if (smoke) {
      return {
        status: "pass",
        detail: `${job.at.file}:${job.at.line} ${describeJob(job)} deploys to staging; smoke tests: ${describeEvidence(smoke)}`,
        findings: [],
      };
    }
  }
  const job = staging[0] as CiJob;
  const env = job.environment?.candidates.find((c) => stagingName.test(c)) ?? "staging";
  const snippet = stageSnippet("smoke-tests", ctx.system, {
    commands: ctx.commands,
    file: job.at.file,
    job: job.id,
    environment: env,
  });
  return result(
    [
      finding(
        def,
        "pipeline-missing-smoke-tests",
        `${describeJob(job)} deploys to staging but nothing smoke-tests it afterwards`,
        snippetHelp(snippet),
        job.at,
      ),
    ],
    "",
    `staging deploy ${describeJob(job)} has no smoke tests`,
  );
}

function approvalStage(def: StageDefinition, ctx: StageContext, deployJobs: readonly CiJob[]): StageResult {
  const production = deployJobs.filter((j) => deployTargets(j).has("production"));
  if (production.length === 0) {
    return result(
      [missing(def, ctx, {}, `no job deploys to production (${ciSystemNames[ctx.system]})`)],
      "",
      "no production deploy",
    );
  }
  const findings: Finding[] = [];
  const approved: string[] = [];
  for (const job of production) {
    const env = job.environment?.candidates.find((c) => productionName.test(c)) ?? "production";
    const snippet = (withJob: boolean) =>
      snippetHelp(
        stageSnippet("production-approval", job.system, {
          commands: ctx.commands,
          file: job.at.file,
          ...(withJob ? { job: job.id } : {}),
          environment: env,
        }),
      );
    if (job.system === "github") {
      if (job.environment) {
        approved.push(
          `${job.at.file}:${job.environment.at.line} job ${job.id} uses the GitHub Environment ${job.environment.name}${job.environment.name.includes("${{") ? ` (${job.environment.candidates.join(" or ")})` : ""}; its required reviewers are set in Settings → Environments (not visible to shipgate)`,
        );
      } else {
        findings.push(
          finding(
            def,
            "pipeline-missing-production-approval",
            `job ${job.id} deploys to production without a GitHub Environment, so nobody approves it`,
            snippet(true),
            job.at,
          ),
        );
      }
    } else if (job.system === "gitlab") {
      if (job.manual)
        approved.push(
          `${job.manual.file}:${job.manual.line} job ${job.id} deploys to production with when: manual`,
        );
      else {
        findings.push(
          finding(
            def,
            "pipeline-missing-production-approval",
            job.environment
              ? `job ${job.id} deploys to ${job.environment.name} automatically; shipgate cannot see whether that is a protected environment with required approvals`
              : `job ${job.id} deploys to production automatically, without when: manual`,
            snippet(true),
            job.at,
            job.environment ? "warning" : def.severity,
          ),
        );
      }
    } else {
      const index = ctx.jobs.indexOf(job);
      const gate = ctx.jobs
        .slice(0, index + 1)
        .find((j) => j.system === "jenkins" && j.at.file === job.at.file && j.manual);
      if (gate?.manual)
        approved.push(
          `${gate.manual.file}:${gate.manual.line} stage '${gate.id}' waits for an input step before '${job.id}'`,
        );
      else {
        findings.push(
          finding(
            def,
            "pipeline-missing-production-approval",
            `stage '${job.id}' deploys to production without an input step before it`,
            snippet(false),
            job.at,
          ),
        );
      }
    }
  }
  return result(
    findings,
    approved.join("; "),
    `${findings.length} production deploy job(s) without an approval`,
  );
}

/** Concurrency keys that differ on every run serialize nothing. */
const perRunKey = /github\.(?:run_id|run_number|run_attempt|sha)\b|\$CI_(?:PIPELINE_ID|JOB_ID|COMMIT_SHA)\b/;

function concurrencyStage(
  def: StageDefinition,
  ctx: StageContext,
  deployJobs: readonly CiJob[],
): StageResult {
  if (deployJobs.length === 0) {
    return {
      status: "skipped",
      detail: "no deploy job found (see pipeline.staging-deploy and pipeline.production-approval)",
      findings: [],
    };
  }
  const findings: Finding[] = [];
  const covered: string[] = [];
  for (const job of deployJobs) {
    const env =
      job.environment?.candidates.find((c) => !c.includes("${{")) ??
      [...deployTargets(job)][0] ??
      "production";
    const c = job.concurrency;
    if (!c) {
      const snippet = stageSnippet("deploy-concurrency", job.system, {
        commands: ctx.commands,
        file: job.at.file,
        job: job.id,
        environment: env,
      });
      findings.push(
        finding(
          def,
          "pipeline-missing-deploy-concurrency",
          `deploy ${describeJob(job)} has no ${job.system === "gitlab" ? "resource_group" : job.system === "jenkins" ? "disableConcurrentBuilds() or lock()" : "concurrency group"}: two runs can deploy at the same time`,
          snippetHelp(snippet),
          job.at,
        ),
      );
      continue;
    }
    if (perRunKey.test(c.group)) {
      findings.push(
        finding(
          def,
          "pipeline-deploy-concurrency-per-run",
          `the concurrency group of deploy ${describeJob(job)} ("${c.group}") differs on every run, so it serializes nothing`,
          `Use one group per environment, e.g. group: deploy-${env}.`,
          c.at,
        ),
      );
      continue;
    }
    if (c.cancelInProgress) {
      findings.push(
        finding(
          def,
          "pipeline-deploy-cancel-in-progress",
          `deploy ${describeJob(job)} cancels a deploy in progress when a new run starts (${c.keyword}): a deploy stopped half-way leaves the environment partly rolled out`,
          job.system === "gitlab"
            ? "Remove interruptible: true from the deploy job."
            : "Set cancel-in-progress: false: the new run waits for the running deploy instead.",
          c.at,
          "warning",
        ),
      );
      continue;
    }
    covered.push(
      `${describeJob(job)} (${c.keyword}${c.group ? ` ${c.group}` : ""}, ${c.at.file}:${c.at.line})`,
    );
  }
  return result(
    findings,
    `every deploy job is serialized: ${covered.join(", ")}`,
    `${findings.length} deploy job(s) can overlap`,
  );
}

function taggingStage(def: StageDefinition, ctx: StageContext, deployJobs: readonly CiJob[]): StageResult {
  const rules: CommandRules = {
    run: tagCommands,
    uses: tagActions,
    usesWhen: (c) =>
      isAction(c.text, ["actions/github-script"]) && githubScriptTag.test(c.inputs?.script ?? ""),
    release: true,
  };
  for (const job of ctx.jobs) {
    const e = commandEvidence(job, rules, ctx.expander);
    if (e) return { status: "pass", detail: describeEvidence(e), findings: [] };
  }
  const production = deployJobs.filter((j) => deployTargets(j).has("production"));
  const onTags = production.find((j) => j.runsOnTags);
  if (onTags) {
    return {
      status: "pass",
      detail: `${onTags.at.file}:${onTags.at.line} ${describeJob(onTags)} deploys only tags or releases, so every deployed version is tagged`,
      findings: [],
    };
  }
  const target = production[0];
  const env = target?.environment?.candidates.find((c) => productionName.test(c)) ?? "production";
  return result(
    [
      missing(
        def,
        ctx,
        { ...(target ? { file: target.at.file, job: target.id } : {}), environment: env },
        target
          ? `nothing tags the version production deploy ${describeJob(target)} deploys`
          : `nothing in the pipeline tags deployed versions (${ciSystemNames[ctx.system]})`,
      ),
    ],
    "",
    "deploys are not tagged",
  );
}

/** Judges every stage; results in stageDefinitions order. */
export function evaluateStages(ctx: StageContext): Map<StageDefinition["id"], StageResult> {
  const deployJobs = ctx.jobs.filter((j) => isDeployJob(j, ctx.expander));
  const out = new Map<StageDefinition["id"], StageResult>();
  for (const def of stageDefinitions) {
    switch (def.id) {
      case "staging-deploy":
        out.set(def.id, stagingStage(def, ctx, deployJobs));
        break;
      case "production-approval":
        out.set(def.id, approvalStage(def, ctx, deployJobs));
        break;
      case "deploy-concurrency":
        out.set(def.id, concurrencyStage(def, ctx, deployJobs));
        break;
      case "deploy-tagging":
        out.set(def.id, taggingStage(def, ctx, deployJobs));
        break;
      default:
        out.set(def.id, commandStage(def, def.id, ctx));
    }
  }
  return out;
}
