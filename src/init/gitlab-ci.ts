/**
 * The .gitlab-ci.yml `shipgate init` writes: on the default branch, test → `shipgate check` → build →
 * `shipgate deploy staging` (smoke tests included); then a manual production job (a person starts
 * it) that runs the gate again, the migrations dry run and apply and `shipgate deploy production`,
 * and a release job that tags the deployed commit. Each environment deploys one job at a time
 * (resource_group). The deploys need a shared ledger (SHIPGATE_LEDGER_URL) and the key sealing each
 * release's env (SHIPGATE_SECRET_KEY) as CI/CD variables, and fail saying so until they are set.
 */
import { type StackCommands, shipgateCommand } from "./commands.js";
import { docsUrl } from "./config-file.js";
import type { ProjectFacts } from "./detect.js";
import { lines, seqItem } from "./yaml-text.js";

export const gitlabCiPath = ".gitlab-ci.yml";

function script(commands: readonly (string | { comment: string })[]): string[] {
  return [
    "  script:",
    ...commands.flatMap((c) => (typeof c === "string" ? seqItem(c, 4) : [`    # ${c.comment}`])),
  ];
}

function step(
  command: string | undefined,
  what: string,
  missing: string | undefined,
): (string | { comment: string })[] {
  return command !== undefined
    ? [command]
    : [{ comment: `TODO(shipgate init): add ${what}: ${missing ?? "nothing found to run"}.` }];
}

function requireVariable(name: string, why: string): string {
  return `test -n "$${name}" || { echo "set the ${name} CI/CD variable: ${why}"; exit 1; }`;
}

/**
 * `shipgate deploy`: the environment's target and strategy from shipgate.yaml, readiness checks and
 * smoke tests before and after the switch, automatic rollback when one fails, the ledger entry.
 */
function deploy(environment: string): (string | { comment: string })[] {
  return [
    {
      comment: `shipgate deploy runs environments.${environment} of shipgate.yaml: its target and smoke tests`,
    },
    { comment: `(${docsUrl}/deploy.md). Smoke tests run on the new release` },
    { comment: "before it gets traffic and again after; a failure puts traffic back on the previous one." },
    requireVariable("SHIPGATE_LEDGER_URL", "a postgres:// ledger shared by every job"),
    requireVariable("SHIPGATE_SECRET_KEY", "openssl rand -base64 32, kept for every job"),
    `${shipgateCommand} deploy ${environment} --version "$CI_COMMIT_SHA"`,
  ];
}

const onDefaultBranch = ["  rules:", "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"];

export function renderGitlabCi(facts: ProjectFacts, c: StackCommands): string {
  const setup = [...c.gitlabSetup, ...c.install];
  const migrations = facts.migrations !== undefined;
  const dbVariables = migrations
    ? [
        "  variables:",
        "    # DATABASE_URL: a CI/CD variable scoped to the environment (Settings → CI/CD → Variables).",
        "    SHIPGATE_DATABASE_URL: $DATABASE_URL",
      ]
    : [];
  const build =
    c.build === undefined
      ? [
          `# TODO(shipgate init): add a build job (stage: build): ${c.missing.build ?? "nothing found to build"}.`,
        ]
      : c.buildIsDocker
        ? [
            "build:",
            "  stage: build",
            "  image: docker:27",
            "  services:",
            "    - docker:27-dind",
            ...script([c.build]),
          ]
        : ["build:", "  stage: build", `  image: ${c.gitlabImage}`, ...script([...setup, c.build])];
  return lines([
    `# GitLab CI, written by \`shipgate init\` (${docsUrl}/init.md).`,
    "# On the default branch: test → shipgate check → build → deploy to staging with smoke tests; then a",
    "# manual production deploy (a person starts it) with migrations dry run and apply, smoke tests and",
    "# a release tag. CI/CD variables: SHIPGATE_LEDGER_URL (a Postgres ledger every job shares) and",
    "# SHIPGATE_SECRET_KEY (the key sealing each release's env). Edit the lines marked TODO(shipgate init);",
    "# `shipgate pipeline audit` checks every stage is still here.",
    "stages:",
    "  - test",
    "  - check",
    "  - build",
    "  - staging",
    "  - production",
    "",
    "test:",
    "  stage: test",
    `  image: ${c.gitlabImage}`,
    ...script([
      ...setup,
      ...(facts.stack.language === "javascript"
        ? []
        : step(c.typeCheck, "a type check", c.missing.typeCheck)),
      ...step(c.lint, "a linter", c.missing.lint),
      ...step(c.test, "the tests", c.missing.test),
    ]),
    "",
    "shipgate-check:",
    "  stage: check",
    "  image: node:22",
    "  variables:",
    '    GIT_DEPTH: "0" # the gate compares with the last deployed version',
    ...script([
      {
        comment:
          "Migration lint, env audit, secret scan, dependency audit, pipeline audit, deploy window and more.",
      },
      `${shipgateCommand} check --environment staging`,
    ]),
    "",
    ...build,
    "",
    "deploy-staging:",
    "  stage: staging",
    "  image: node:22",
    "  environment:",
    "    name: staging",
    "  resource_group: staging",
    ...onDefaultBranch,
    ...dbVariables,
    ...script([...(migrations ? [`${shipgateCommand} migrations apply`] : []), ...deploy("staging")]),
    "",
    "deploy-production:",
    "  stage: production",
    "  image: node:22",
    "  environment:",
    "    name: production",
    "  resource_group: production",
    "  rules:",
    "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
    "      when: manual # a person starts the production deploy; protect the environment to choose who",
    ...dbVariables,
    ...script([
      `${shipgateCommand} check --environment production`,
      ...(migrations
        ? [`${shipgateCommand} migrations apply --dry-run`, `${shipgateCommand} migrations apply`]
        : []),
      ...deploy("production"),
      { comment: "To roll back: `npx shipgate rollback production` (the same variables) moves traffic back" },
      {
        comment:
          "to the previous release; `npx shipgate plan rollback` says how long it takes and what else.",
      },
    ]),
    "",
    "tag-production:",
    "  stage: production",
    "  image: registry.gitlab.com/gitlab-org/release-cli:latest",
    "  needs: [deploy-production]",
    ...onDefaultBranch,
    ...script(['echo "Tagging $CI_COMMIT_SHA as deployed to production"']),
    "  release:",
    "    tag_name: deploy-production-$CI_PIPELINE_IID",
    "    ref: $CI_COMMIT_SHA",
    "    description: Deployed to production by pipeline $CI_PIPELINE_URL",
  ]);
}
