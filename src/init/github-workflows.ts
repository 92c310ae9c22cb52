/**
 * The GitHub Actions workflows `shipgate init` writes:
 *
 * - deploy-staging.yml, on every push to main: test (type check, lint, tests) → `shipgate check` →
 *   build → deploy to the `staging` environment → smoke tests;
 * - deploy-production.yml, on a published release or a manual dispatch: `shipgate check` → the
 *   `production` environment (required reviewers approve the job) → migrations dry run, then apply
 *   → deploy → smoke tests → tag the deployed commit; one deploy at a time (concurrency group).
 *
 * The deploy command is the one thing init cannot know: that step fails with a message until it is
 * replaced. Tests run both files through actionlint and the pipeline audit.
 */
import { type StackCommands, shipgateCommand } from "./commands.js";
import { docsUrl } from "./config-file.js";
import type { ProjectFacts } from "./detect.js";
import { type GithubStep, githubStep, lines } from "./yaml-text.js";

export const stagingWorkflowPath = ".github/workflows/deploy-staging.yml";
export const productionWorkflowPath = ".github/workflows/deploy-production.yml";

const checkout: GithubStep = { uses: "actions/checkout@v4" };

const setupNodeForShipgate: GithubStep = { uses: "actions/setup-node@v4", with: { "node-version": "22" } };

function steps(list: readonly GithubStep[]): string[] {
  return list.flatMap((s) => githubStep(s));
}

/** Steps for the project's toolchain and dependencies. */
function projectSetup(c: StackCommands): GithubStep[] {
  return [
    ...c.githubSetup,
    ...(c.install.length > 0 ? [{ name: "Install dependencies", run: c.install.join("\n") }] : []),
  ];
}

function todo(what: string): string[] {
  return [`      # TODO(shipgate init): ${what}`];
}

function stageStep(name: string, command: string | undefined, missing: string | undefined): string[] {
  if (command !== undefined) return githubStep({ name, run: command });
  return todo(`add a ${name.toLowerCase()} step: ${missing ?? "nothing found to run"}.`);
}

function deployPlaceholder(environment: string, file: string): GithubStep {
  return {
    name: `Deploy to ${environment}`,
    comment:
      "TODO(shipgate init): replace with your deploy command (e.g. fly deploy, kubectl apply -k deploy/,\nan ssh + docker compose script). It fails until then, so nothing looks deployed when it is not.",
    run: `echo "::error::No deploy command yet: edit the 'Deploy to ${environment}' step of ${file}"\nexit 1`,
  };
}

function smokeTests(environment: string): GithubStep {
  const variable = `${environment.toUpperCase()}_URL`;
  return {
    name: "Smoke tests",
    comment: `${variable}: the environment's base URL, as a secret of the ${environment} environment. Adjust the path.`,
    env: { [variable]: `\${{ secrets.${variable} }}` },
    run: [
      `test -n "$${variable}" || { echo "::error::set the ${variable} secret of the ${environment} environment"; exit 1; }`,
      `curl --fail --silent --show-error --retry 5 --retry-all-errors --retry-delay 5 "$${variable}/health"`,
    ].join("\n"),
  };
}

function migrationSteps(facts: ProjectFacts, dryRunFirst: boolean): GithubStep[] {
  if (!facts.migrations) return [];
  const env = { SHIPGATE_DATABASE_URL: `\${{ secrets.DATABASE_URL }}` };
  return [
    ...(dryRunFirst
      ? [
          {
            name: "Migrations (dry run)",
            comment: "The plan: statements, locks, tables to back up. Changes nothing.",
            env,
            run: `${shipgateCommand} migrations apply --dry-run`,
          },
        ]
      : []),
    { name: "Migrations", env, run: `${shipgateCommand} migrations apply` },
  ];
}

function header(title: string, description: string[]): string[] {
  return [
    `# ${title}, written by \`shipgate init\` (${docsUrl}/init.md).`,
    ...description.map((d) => `# ${d}`),
    "# Edit the steps marked TODO(shipgate init); `shipgate pipeline audit` checks every stage is still here.",
  ];
}

export function renderStagingWorkflow(facts: ProjectFacts, c: StackCommands): string {
  const setup = projectSetup(c);
  return lines([
    header("Deploy to staging", [
      "On every push to main: test → shipgate check → build → deploy to staging → smoke tests.",
    ]),
    "name: Deploy staging",
    "",
    "on:",
    "  push:",
    "    branches: [main]",
    "",
    "permissions:",
    "  contents: read",
    "",
    "jobs:",
    "  test:",
    "    name: Test, type check, lint",
    "    runs-on: ubuntu-latest",
    "    steps:",
    ...steps([checkout, ...setup]),
    ...(facts.stack.language === "javascript"
      ? []
      : stageStep("Type check", c.typeCheck, c.missing.typeCheck)),
    ...stageStep("Lint", c.lint, c.missing.lint),
    ...stageStep("Tests", c.test, c.missing.test),
    "",
    "  check:",
    "    name: shipgate check",
    "    needs: test",
    "    runs-on: ubuntu-latest",
    "    steps:",
    ...githubStep({
      name: "Check out with history",
      comment: "The gate compares with the last deployed version.",
      uses: "actions/checkout@v4",
      with: { "fetch-depth": "0" },
    }),
    ...steps([setupNodeForShipgate]),
    ...githubStep({
      name: "Pre-deploy gate",
      comment:
        "Migration lint, env audit, secret scan, dependency audit, pipeline audit, deploy window and more.",
      run: `${shipgateCommand} check --environment staging`,
    }),
    "",
    "  build:",
    "    needs: check",
    "    runs-on: ubuntu-latest",
    "    steps:",
    ...steps([checkout, ...setup]),
    ...stageStep("Build", c.build, c.missing.build),
    ...todo("publish what you built (an image to a registry, actions/upload-artifact) and deploy that."),
    "",
    "  deploy:",
    "    name: Deploy to staging",
    "    needs: build",
    "    runs-on: ubuntu-latest",
    "    environment: staging",
    "    # One staging deploy at a time; a newer run waits instead of cancelling one half-way.",
    "    concurrency:",
    "      group: deploy-staging",
    "      cancel-in-progress: false",
    "    steps:",
    ...steps([
      checkout,
      ...(facts.migrations ? [setupNodeForShipgate, ...migrationSteps(facts, false)] : []),
      deployPlaceholder("staging", stagingWorkflowPath),
      smokeTests("staging"),
    ]),
  ]);
}

export function renderProductionWorkflow(facts: ProjectFacts): string {
  const ref = `\${{ inputs.ref || github.ref }}`;
  return lines([
    header("Deploy to production", [
      "On a published release, or started by hand (Actions → Deploy production → Run workflow):",
      "shipgate check → approval (GitHub Environment production) → migrations dry run, then apply →",
      "deploy → smoke tests → tag the deployed commit. One production deploy at a time.",
    ]),
    "name: Deploy production",
    "",
    "on:",
    "  release:",
    "    types: [published]",
    "  workflow_dispatch:",
    "    inputs:",
    "      ref:",
    "        description: Tag or commit to deploy (default the ref the run starts from)",
    "        required: false",
    "        type: string",
    "",
    "permissions:",
    "  contents: read",
    "",
    "# Runs queue: a second deploy waits for the first to finish, and is never cancelled half-way.",
    "concurrency:",
    "  group: deploy-production",
    "  cancel-in-progress: false",
    "",
    "jobs:",
    "  check:",
    "    name: shipgate check",
    "    runs-on: ubuntu-latest",
    "    steps:",
    ...githubStep({ uses: "actions/checkout@v4", with: { ref, "fetch-depth": "0" } }),
    ...steps([setupNodeForShipgate]),
    ...githubStep({ name: "Pre-deploy gate", run: `${shipgateCommand} check --environment production` }),
    "",
    "  deploy:",
    "    name: Deploy to production",
    "    needs: check",
    "    runs-on: ubuntu-latest",
    "    # Required reviewers: Settings → Environments → production → Required reviewers. With them set,",
    "    # this job waits until one of them approves; its secrets (DATABASE_URL, PRODUCTION_URL) live there.",
    "    environment: production",
    "    permissions:",
    "      contents: write # push the deploy tag",
    "    steps:",
    ...steps([
      { uses: "actions/checkout@v4", with: { ref } },
      setupNodeForShipgate,
      ...migrationSteps(facts, true),
      deployPlaceholder("production", productionWorkflowPath),
      smokeTests("production"),
      {
        name: "Tag the deployed commit",
        run: [
          'tag="deploy-production-$(date -u +%Y%m%d-%H%M%S)"',
          'git tag "$tag" HEAD',
          'git push origin "refs/tags/$tag"',
        ].join("\n"),
      },
    ]),
  ]);
}
