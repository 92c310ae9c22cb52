/**
 * The exact text to add for each missing stage, for the CI system in use and the repository's stack
 * (the same commands `shipgate init` writes). GitHub snippets are indented for a conventionally
 * indented workflow (jobs at 2 spaces, steps at 6), so they paste in place; GitLab snippets are
 * top-level jobs; Jenkins snippets are declarative `stage` blocks. Each snippet says where it goes.
 */
import {
  type GithubStep,
  githubStep,
  lines,
  type StackCommands,
  seqItem,
  shipgateCommand,
} from "../../init/index.js";
import type { CiSystem } from "./model.js";

export type StageId =
  | "tests"
  | "type-check"
  | "lint"
  | "dependency-audit"
  | "secret-scan"
  | "migration-lint"
  | "build"
  | "staging-deploy"
  | "smoke-tests"
  | "production-approval"
  | "deploy-concurrency"
  | "deploy-tagging";

export type SnippetPlacement = "step" | "job" | "job-key" | "include" | "stage" | "pipeline-option";

export interface Snippet {
  placement: SnippetPlacement;
  /** Where to put it, as an instruction ending with a colon. */
  where: string;
  /** The text to add, ending with a newline. */
  text: string;
}

export interface SnippetContext {
  commands: StackCommands;
  /** The CI file the snippet goes into (display path), when known. */
  file?: string;
  /** The job it goes into (id), when known. */
  job?: string;
  /** The environment the snippet is about (deploy-concurrency, production-approval). */
  environment?: string;
  /** Job ids already in the pipeline: a new GitLab job never reuses one (the YAML key would clash). */
  existingJobs?: ReadonlySet<string>;
}

/** `name`, or `name-2`, `name-3`… when a job with that id exists. */
function freeJobName(name: string, taken: ReadonlySet<string> | undefined): string {
  if (!taken?.has(name)) return name;
  for (let i = 2; ; i++) if (!taken.has(`${name}-${i}`)) return `${name}-${i}`;
}

interface StageCommand {
  command: string;
  /** Set when the command is a stand-in the user must replace or check. */
  note?: string;
}

function commandFor(stage: StageId, c: StackCommands): StageCommand {
  const replace = (command: string, what: string): StageCommand => ({
    command,
    note: `Replace with ${what}.`,
  });
  switch (stage) {
    case "tests":
      return c.test ? { command: c.test } : replace("make test", "the command that runs your tests");
    case "type-check":
      return c.typeCheck ? { command: c.typeCheck } : replace("make typecheck", "your type checker");
    case "lint":
      return c.lint
        ? { command: c.lint }
        : {
            command: "npx --yes @biomejs/biome@2 lint .",
            note: "No linter configured: Biome runs with its recommended rules.",
          };
    case "dependency-audit":
      return c.dependencyAudit
        ? { command: c.dependencyAudit }
        : {
            command: `${shipgateCommand} check`,
            note: "shipgate check runs the dependency audit of the stacks it knows.",
          };
    case "migration-lint":
      return { command: `${shipgateCommand} migrations lint` };
    case "build":
      return c.build
        ? { command: c.build }
        : replace("docker build --tag app:ci .", "the command that builds your release artifact");
    default:
      return { command: "" };
  }
}

const stepNames: Partial<Record<StageId, string>> = {
  tests: "Tests",
  "type-check": "Type check",
  lint: "Lint",
  "dependency-audit": "Dependency audit",
  "migration-lint": "Migration lint",
  build: "Build",
};

export const smokeStep = (environment: string): GithubStep => {
  const variable = `${environment.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL`;
  return {
    name: "Smoke tests",
    comment: `${variable}: a repository or environment secret holding the base URL. Adjust the health path.`,
    env: { [variable]: `\${{ secrets.${variable} }}` },
    run: [
      `test -n "$${variable}" || { echo "::error::set the ${variable} secret"; exit 1; }`,
      `curl --fail --silent --show-error --retry 5 --retry-all-errors --retry-delay 5 "$${variable}/health"`,
    ].join("\n"),
  };
};

export const tagStep = (environment: string): GithubStep => ({
  name: "Tag the deployed commit",
  comment: "Needs `permissions: contents: write` on the job or workflow.",
  run: [
    `tag="deploy-${environment}-$(date -u +%Y%m%d-%H%M%S)"`,
    'git tag "$tag" HEAD',
    'git push origin "refs/tags/$tag"',
  ].join("\n"),
});

export const secretScanStep: GithubStep = {
  name: "Secret scan",
  comment:
    "Needs the full history: `fetch-depth: 0` on actions/checkout. Organisation repositories also need a\nGITLEAKS_LICENSE secret (free key from gitleaks.io).",
  uses: "gitleaks/gitleaks-action@v2",
  env: { GITHUB_TOKEN: `\${{ secrets.GITHUB_TOKEN }}` },
};

function githubDeployJob(environment: string, approval: boolean): string {
  return lines([
    `  deploy-${environment}:`,
    "    runs-on: ubuntu-latest",
    ...(approval
      ? [
          `    # Settings → Environments → ${environment} → Required reviewers: the job waits for one of them.`,
        ]
      : []),
    `    environment: ${environment}`,
    "    concurrency:",
    `      group: deploy-${environment}`,
    "      cancel-in-progress: false",
    "    steps:",
    ...githubStep({ uses: "actions/checkout@v4" }),
    ...githubStep({
      name: `Deploy to ${environment}`,
      comment: "Replace with your deploy command.",
      run: `./scripts/deploy.sh ${environment}`,
    }),
    ...githubStep(smokeStep(environment)),
  ]);
}

function github(stage: StageId, ctx: SnippetContext): Snippet {
  const file = ctx.file ?? ".github/workflows/ci.yml";
  const env =
    ctx.environment ?? (stage === "staging-deploy" || stage === "smoke-tests" ? "staging" : "production");
  const inJob = ctx.job ? `job "${ctx.job}" in ${file}` : `the job that checks your code in ${file}`;
  const inDeployJob = ctx.job ? `job "${ctx.job}" in ${file}` : `your ${env} deploy job in ${file}`;
  switch (stage) {
    case "secret-scan":
      return {
        placement: "step",
        where: `Add this step to ${inJob} (under steps:):`,
        text: lines(githubStep(secretScanStep)),
      };
    case "staging-deploy":
      return {
        placement: "job",
        where: `Add this job under jobs: in ${file} (after the build job; add needs: [<build job>]):`,
        text: githubDeployJob("staging", false),
      };
    case "smoke-tests":
      return {
        placement: "step",
        where: `Add this step after the deploy step of ${inDeployJob}:`,
        text: lines(githubStep(smokeStep(env))),
      };
    case "production-approval":
      return ctx.job
        ? {
            placement: "job-key",
            where: `Add this key to ${inJob}, then set required reviewers in Settings → Environments → ${env}:`,
            text: lines([`    environment: ${env}`]),
          }
        : {
            placement: "job",
            where: `Add this job under jobs: in ${file} (a workflow run on release or workflow_dispatch), then set required reviewers in Settings → Environments → ${env}:`,
            text: githubDeployJob(env, true),
          };
    case "deploy-concurrency":
      return {
        placement: "job-key",
        where: `Add this key to ${inDeployJob} (one group per environment: deploys queue instead of overlapping):`,
        text: lines(["    concurrency:", `      group: deploy-${env}`, "      cancel-in-progress: false"]),
      };
    case "deploy-tagging":
      return {
        placement: "step",
        where: `Add this step at the end of ${inJob}:`,
        text: lines(githubStep(tagStep(env))),
      };
    default: {
      const { command, note } = commandFor(stage, ctx.commands);
      return {
        placement: "step",
        where: `Add this step to ${inJob} (under steps:, after dependencies are installed):`,
        text: lines(
          githubStep({ name: stepNames[stage] ?? stage, ...(note ? { comment: note } : {}), run: command }),
        ),
      };
    }
  }
}

function gitlabScriptJob(
  name: string,
  stage: string,
  image: string,
  script: readonly string[],
  note?: string,
): string {
  return lines([
    `${name}:`,
    `  stage: ${stage}`,
    `  image: ${image}`,
    "  script:",
    ...script.slice(0, -1).flatMap((s) => seqItem(s, 4)),
    ...(note ? [`    # ${note}`] : []),
    ...script.slice(-1).flatMap((s) => seqItem(s, 4)),
  ]);
}

function gitlabDeployJob(
  environment: string,
  manual: boolean,
  taken: ReadonlySet<string> | undefined,
): string {
  const variable = `${environment.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL`;
  return lines([
    `${freeJobName(`deploy-${environment}`, taken)}:`,
    "  stage: deploy",
    "  image: alpine:3",
    "  environment:",
    `    name: ${environment}`,
    `  resource_group: ${environment}`,
    "  rules:",
    "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
    ...(manual ? ["      when: manual"] : []),
    "  script:",
    "    - apk add --no-cache curl",
    `    - ./scripts/deploy.sh ${environment} # replace with your deploy command`,
    `    - curl --fail --silent --show-error --retry 5 --retry-all-errors --retry-delay 5 "$${variable}/health" # smoke tests`,
  ]);
}

function gitlab(stage: StageId, ctx: SnippetContext): Snippet {
  const file = ctx.file ?? ".gitlab-ci.yml";
  const c = ctx.commands;
  const env =
    ctx.environment ?? (stage === "staging-deploy" || stage === "smoke-tests" ? "staging" : "production");
  const job = ctx.job ? `job "${ctx.job}" in ${file}` : file;
  const setup = [...c.gitlabSetup, ...c.install];
  const name = (n: string) => freeJobName(n, ctx.existingJobs);
  switch (stage) {
    case "secret-scan":
      return {
        placement: "include",
        where: `Add this to ${file} (merge it into an existing include: list):`,
        text: lines(["include:", "  - template: Security/Secret-Detection.gitlab-ci.yml"]),
      };
    case "migration-lint":
      return {
        placement: "job",
        where: `Add this job to ${file}:`,
        text: gitlabScriptJob(name("migration-lint"), "test", "node:22", [
          `${shipgateCommand} migrations lint`,
        ]),
      };
    case "dependency-audit": {
      const { command, note } = commandFor(stage, c);
      return {
        placement: "job",
        where: `Add this job to ${file}:`,
        text: gitlabScriptJob(
          name("dependency-audit"),
          "test",
          c.dependencyAudit ? c.gitlabImage : "node:22",
          [...(c.dependencyAudit ? setup : []), command],
          note,
        ),
      };
    }
    case "staging-deploy":
      return {
        placement: "job",
        where: `Add this job to ${file}:`,
        text: gitlabDeployJob("staging", false, ctx.existingJobs),
      };
    case "smoke-tests":
      return {
        placement: "step",
        where: `Add this line to the script: of ${job}, after the deploy command:`,
        text: lines([
          `    - curl --fail --silent --show-error --retry 5 --retry-all-errors --retry-delay 5 "$${env.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL/health" # smoke tests`,
        ]),
      };
    case "production-approval":
      return ctx.job
        ? {
            placement: "job-key",
            where: `Add this key to ${job} (a person starts the production deploy):`,
            text: lines(["  when: manual"]),
          }
        : {
            placement: "job",
            where: `Add this job to ${file}:`,
            text: gitlabDeployJob(env, true, ctx.existingJobs),
          };
    case "deploy-concurrency":
      return {
        placement: "job-key",
        where: `Add this key to ${job} (deploys to one environment run one at a time):`,
        text: lines([`  resource_group: ${env}`]),
      };
    case "deploy-tagging":
      return {
        placement: "job",
        where: `Add this job to ${file} (it runs after the production deploy):`,
        text: lines([
          `${name(`tag-${env}`)}:`,
          "  stage: deploy",
          "  image: registry.gitlab.com/gitlab-org/release-cli:latest",
          `  needs: [${ctx.job ?? `deploy-${env}`}]`,
          "  rules:",
          "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
          "  script:",
          `    - echo "Tagging $CI_COMMIT_SHA as deployed to ${env}"`,
          "  release:",
          `    tag_name: deploy-${env}-$CI_PIPELINE_IID`,
          "    ref: $CI_COMMIT_SHA",
          `    description: Deployed to ${env} by pipeline $CI_PIPELINE_URL`,
        ]),
      };
    default: {
      const { command, note } = commandFor(stage, c);
      const jobName = name(stage);
      const docker = stage === "build" && (c.buildIsDocker || c.build === undefined);
      if (docker) {
        return {
          placement: "job",
          where: `Add this job to ${file}:`,
          text: lines([
            `${jobName}:`,
            "  stage: build",
            "  image: docker:27",
            "  services:",
            "    - docker:27-dind",
            "  script:",
            ...(note ? [`    # ${note}`] : []),
            ...seqItem(command, 4),
          ]),
        };
      }
      return {
        placement: "job",
        where: `Add this job to ${file}:`,
        text: gitlabScriptJob(
          jobName,
          stage === "build" ? "build" : "test",
          c.gitlabImage,
          [...setup, command],
          note,
        ),
      };
    }
  }
}

function smokeCurl(env: string): string {
  return `curl --fail --retry 5 --retry-all-errors --retry-delay 5 "$${env.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL/health"`;
}

function groovyString(command: string): string {
  return command.includes("'") ? `'''${command}'''` : `'${command}'`;
}

function jenkinsStage(name: string, body: readonly string[]): string {
  return lines([
    `        stage('${name}') {`,
    "            steps {",
    ...body.map((l) => `                ${l}`),
    "            }",
    "        }",
  ]);
}

function jenkins(stage: StageId, ctx: SnippetContext): Snippet {
  const env =
    ctx.environment ?? (stage === "staging-deploy" || stage === "smoke-tests" ? "staging" : "production");
  const where = "Add this stage inside stages { } of the Jenkinsfile:";
  switch (stage) {
    case "secret-scan":
      return {
        placement: "stage",
        where,
        text: jenkinsStage("Secret scan", [
          `sh ${groovyString('docker run --rm -v "$WORKSPACE:/repo" zricethezav/gitleaks:latest detect --source /repo')}`,
        ]),
      };
    case "staging-deploy":
      return {
        placement: "stage",
        where,
        text: jenkinsStage(`Deploy to ${env}`, [
          `sh ${groovyString(`./scripts/deploy.sh ${env}`)} // replace with your deploy command`,
          `sh ${groovyString(smokeCurl(env))} // smoke tests`,
        ]),
      };
    case "smoke-tests":
      return {
        placement: "step",
        where: `Add this step to the steps { } of ${ctx.job ? `stage '${ctx.job}'` : `your ${env} deploy stage`}, after the deploy:`,
        text: lines([`                sh ${groovyString(smokeCurl(env))} // smoke tests`]),
      };
    case "production-approval":
      return {
        placement: "stage",
        where: "Add this stage before the production deploy stage:",
        text: jenkinsStage(`Approve ${env}`, [
          `input message: 'Deploy to ${env}?', submitter: 'release-managers'`,
        ]),
      };
    case "deploy-concurrency":
      return {
        placement: "pipeline-option",
        where: "Add this block inside pipeline { } (or disableConcurrentBuilds() to its options { } block):",
        text: lines(["    options {", "        disableConcurrentBuilds()", "    }"]),
      };
    case "deploy-tagging":
      return {
        placement: "stage",
        where: "Add this stage after the production deploy stage:",
        text: jenkinsStage(`Tag ${env} deploy`, [
          `sh ${groovyString(`git tag "deploy-${env}-$BUILD_NUMBER" && git push origin "refs/tags/deploy-${env}-$BUILD_NUMBER"`)}`,
        ]),
      };
    default: {
      const { command, note } = commandFor(stage, ctx.commands);
      return {
        placement: "stage",
        where,
        text: jenkinsStage(stepNames[stage] ?? stage, [
          `sh ${groovyString(command)}${note ? ` // ${note}` : ""}`,
        ]),
      };
    }
  }
}

/** The snippet that adds `stage` to a pipeline of `system`. */
export function stageSnippet(stage: StageId, system: CiSystem, ctx: SnippetContext): Snippet {
  switch (system) {
    case "github":
      return github(stage, ctx);
    case "gitlab":
      return gitlab(stage, ctx);
    case "jenkins":
      return jenkins(stage, ctx);
    default: {
      const unknown: never = system;
      throw new Error(`unknown CI system ${String(unknown)}`);
    }
  }
}

/** A finding's help: where the snippet goes, a blank line, the snippet. */
export function snippetHelp(snippet: Snippet): string {
  return `${snippet.where}\n\n${snippet.text.replace(/\n$/, "")}`;
}
