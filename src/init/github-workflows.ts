/**
 * The GitHub Actions workflows `shipgate init` writes:
 *
 * - deploy-staging.yml, on every push to main: test (type check, lint, tests) → `shipgate check` →
 *   build → `shipgate deploy staging` (smoke tests included);
 * - deploy-production.yml, on a published release or a manual dispatch: `shipgate check` → the
 *   `production` environment (required reviewers approve the job) → migrations dry run, then apply
 *   → `shipgate deploy production` (smoke tests included) → push the deploy tag; one deploy at a
 *   time (concurrency group). A comment names the rollback command.
 *
 * The deploy step is `shipgate deploy <env> --version <commit>`: it runs the environment's target
 * and strategy from shipgate.yaml, with readiness checks and the environment's smoke tests before
 * and after the switch, and rolls back by itself when one fails. It needs a ledger the runners share
 * (SHIPGATE_LEDGER_URL) and the key sealing each release's env (SHIPGATE_SECRET_KEY), and fails
 * saying so until they are set. Tests run both files through actionlint and the pipeline audit.
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

/** The shared ledger: `shipgate check` reads the last deploy from it, `shipgate deploy` records in it. */
const ledgerEnv = { SHIPGATE_LEDGER_URL: `\${{ secrets.SHIPGATE_LEDGER_URL }}` };

const deployEnv = { ...ledgerEnv, SHIPGATE_SECRET_KEY: `\${{ secrets.SHIPGATE_SECRET_KEY }}` };

/** Fails the step with an annotation when a secret the deploy needs is not set. */
function requireSecret(name: string, why: string): string {
  return `test -n "$${name}" || { echo "::error::set the ${name} secret: ${why}"; exit 1; }`;
}

/**
 * `shipgate deploy`: the environment's target and strategy from shipgate.yaml, readiness checks and
 * smoke tests before and after the switch, automatic rollback when one fails, the ledger entry.
 */
function deployStep(environment: string, version: string): GithubStep {
  return {
    name: `Deploy to ${environment}, with smoke tests`,
    comment: [
      `Runs environments.${environment} of shipgate.yaml: set its target (e.g. a command target calling`,
      "your cloud CLI) and smoke tests there, see",
      `${docsUrl}/deploy.md. Readiness checks and smoke tests run on the new`,
      "release before it gets traffic and again after; a failure puts traffic back on the previous one.",
      "SHIPGATE_LEDGER_URL: a Postgres ledger every run shares (a runner's SQLite file is gone after the job).",
      "SHIPGATE_SECRET_KEY: the key sealing each release's env (openssl rand -base64 32), the same for every run.",
    ].join("\n"),
    env: deployEnv,
    run: [
      requireSecret("SHIPGATE_LEDGER_URL", "a postgres:// ledger shared by every run"),
      requireSecret("SHIPGATE_SECRET_KEY", "openssl rand -base64 32, kept for every run"),
      `${shipgateCommand} deploy ${environment} --version ${version}`,
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
      "On every push to main: test → shipgate check → build → deploy to staging, with smoke tests.",
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
        "Migration lint, env audit, secret scan, dependency audit, pipeline audit, deploy window, rollback plan\nand more, on the change since the version the ledger says staging runs.",
      env: ledgerEnv,
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
      setupNodeForShipgate,
      ...migrationSteps(facts, false),
      deployStep("staging", '"$GITHUB_SHA"'),
    ]),
  ]);
}

export function renderProductionWorkflow(facts: ProjectFacts): string {
  const ref = `\${{ inputs.ref || github.ref }}`;
  return lines([
    header("Deploy to production", [
      "On a published release, or started by hand (Actions → Deploy production → Run workflow):",
      "shipgate check → approval (GitHub Environment production) → migrations dry run, then apply →",
      "deploy with smoke tests → push the deploy tag. One production deploy at a time.",
      "To roll back: `npx shipgate rollback production` (with the same SHIPGATE_* secrets) moves traffic",
      "back to the previous release; `npx shipgate plan rollback` says how long it takes and what else.",
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
    ...githubStep({
      name: "Pre-deploy gate",
      comment: "The change since the version the ledger says production runs, with its rollback plan.",
      env: ledgerEnv,
      run: `${shipgateCommand} check --environment production`,
    }),
    "",
    "  deploy:",
    "    name: Deploy to production",
    "    needs: check",
    "    runs-on: ubuntu-latest",
    "    # Required reviewers: Settings → Environments → production → Required reviewers. With them set,",
    "    # this job waits until one of them approves. Its secrets live there: SHIPGATE_LEDGER_URL,",
    "    # SHIPGATE_SECRET_KEY (and DATABASE_URL for migrations).",
    "    environment: production",
    "    permissions:",
    "      contents: write # push the deploy tag",
    "    steps:",
    ...steps([
      { uses: "actions/checkout@v4", with: { ref } },
      setupNodeForShipgate,
      ...migrationSteps(facts, true),
      // The commit checked out: the release's tag, or the ref given to a manual run.
      deployStep("production", '"$(git rev-parse HEAD)"'),
      {
        name: "Push the deploy tag",
        comment:
          "shipgate deploy tagged the commit deploy-production-<UTC time>; push it here, or set\nenvironments.production.tag.push: true in shipgate.yaml and drop this step.",
        run: 'git push origin "refs/tags/deploy-production-*:refs/tags/deploy-production-*"',
      },
    ]),
  ]);
}
