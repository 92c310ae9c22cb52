/**
 * Every snippet does what its finding says: take a pipeline that has every stage, remove one, check
 * the audit reports it with a snippet, paste the snippet where it says, and the stage passes (and,
 * for GitHub, actionlint accepts the result). For GitHub Actions, GitLab CI and Jenkins.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolVersion } from "../../core/version.js";
import { detectStack, stackCommands } from "../../init/index.js";
import { actionlintWorkflow } from "./actionlint.js";
import { auditPipeline, pipelineRules } from "./audit.js";
import { deployActions, stageMatchers, tagActions } from "./matchers.js";
import { stageSnippet } from "./snippets.js";
import { stageDefinitions } from "./stages.js";

type Part =
  | "tests"
  | "type-check"
  | "lint"
  | "dependency-audit"
  | "secret-scan"
  | "migration-lint"
  | "build"
  | "staging-job"
  | "smoke"
  | "staging-concurrency"
  | "production-job"
  | "production-environment"
  | "production-concurrency"
  | "tag";

function has(omit: ReadonlySet<Part>, part: Part, lines: string[]): string[] {
  return omit.has(part) ? [] : lines;
}

function githubWorkflow(omit: ReadonlySet<Part>): string {
  return [
    "name: CI and deploys",
    "on:",
    "  push:",
    "    branches: [main]",
    "permissions:",
    "  contents: write",
    "jobs:",
    "  ci:",
    "    runs-on: ubuntu-latest",
    "    steps:",
    "      - uses: actions/checkout@v4",
    "      - run: npm ci",
    ...has(omit, "tests", ["      - run: npm test"]),
    ...has(omit, "type-check", ["      - run: npm run typecheck"]),
    ...has(omit, "lint", ["      - run: npm run lint"]),
    ...has(omit, "dependency-audit", ["      - run: npm audit --audit-level=high"]),
    ...has(omit, "secret-scan", ["      - uses: gitleaks/gitleaks-action@v2"]),
    ...has(omit, "migration-lint", ["      - run: npx shipgate migrations lint"]),
    ...has(omit, "build", ["      - run: npm run build"]),
    "      # @steps:ci",
    ...has(omit, "staging-job", [
      "  deploy-staging:",
      "    needs: ci",
      "    runs-on: ubuntu-latest",
      "    # @keys:deploy-staging",
      "    environment: staging",
      ...has(omit, "staging-concurrency", ["    concurrency:", "      group: deploy-staging"]),
      "    steps:",
      "      - run: ./scripts/deploy.sh staging",
      ...has(omit, "smoke", [
        "      - name: Smoke tests",
        "        run: curl --fail https://staging.example.com/health",
      ]),
      "      # @steps:deploy-staging",
    ]),
    ...has(omit, "production-job", [
      "  deploy-production:",
      "    needs: deploy-staging",
      "    runs-on: ubuntu-latest",
      "    # @keys:deploy-production",
      ...has(omit, "production-environment", ["    environment: production"]),
      ...has(omit, "production-concurrency", ["    concurrency:", "      group: deploy-production"]),
      "    steps:",
      "      - run: ./scripts/deploy.sh production",
      ...has(omit, "tag", ['      - run: git tag "deploy-$GITHUB_RUN_NUMBER" && git push origin --tags']),
      "      # @steps:deploy-production",
    ]),
    "  # @jobs",
    "",
  ].join("\n");
}

function gitlabCi(omit: ReadonlySet<Part>): string {
  return [
    ...has(omit, "secret-scan", ["include:", "  - template: Security/Secret-Detection.gitlab-ci.yml"]),
    "test:",
    "  image: node:22",
    "  script:",
    "    - npm ci",
    ...has(omit, "tests", ["    - npm test"]),
    ...has(omit, "type-check", ["    - npm run typecheck"]),
    ...has(omit, "lint", ["    - npm run lint"]),
    ...has(omit, "dependency-audit", ["    - npm audit --audit-level=high"]),
    ...has(omit, "migration-lint", ["    - npx shipgate migrations lint"]),
    ...has(omit, "build", ["    - npm run build"]),
    ...has(omit, "staging-job", [
      "deploy-staging:",
      "  stage: deploy",
      "  environment:",
      "    name: staging",
      ...has(omit, "staging-concurrency", ["  resource_group: staging"]),
      "  script:",
      "    - ./scripts/deploy.sh staging",
      ...has(omit, "smoke", ['    - curl --fail "$STAGING_URL/health"']),
      "    # @script:deploy-staging",
    ]),
    ...has(omit, "production-job", [
      "deploy-production:",
      "  stage: deploy",
      "  # @keys:deploy-production",
      "  environment:",
      "    name: production",
      ...has(omit, "production-environment", ["  when: manual"]),
      ...has(omit, "production-concurrency", ["  resource_group: production"]),
      "  script:",
      "    - ./scripts/deploy.sh production",
    ]),
    ...has(omit, "tag", [
      "tag-production:",
      "  stage: deploy",
      "  script: [echo]",
      "  release:",
      "    tag_name: deploy-$CI_PIPELINE_IID",
      "    description: deployed",
    ]),
    "# @jobs",
    "",
  ].join("\n");
}

function jenkinsfile(omit: ReadonlySet<Part>): string {
  const stage = (name: string, body: string) => [
    `        stage('${name}') {`,
    `            steps { ${body} }`,
    "        }",
  ];
  return [
    "pipeline {",
    "    agent any",
    ...has(omit, "production-concurrency", ["    options { disableConcurrentBuilds() }"]),
    "    // @options",
    "    stages {",
    ...has(omit, "tests", stage("Test", "sh 'npm test'")),
    ...has(omit, "type-check", stage("Types", "sh 'npm run typecheck'")),
    ...has(omit, "lint", stage("Static", "sh 'npm run lint'")),
    ...has(omit, "dependency-audit", stage("Vulnerabilities", "sh 'npm audit'")),
    ...has(omit, "secret-scan", stage("Leaks", "sh 'gitleaks detect'")),
    ...has(omit, "migration-lint", stage("Migrations", "sh 'npx shipgate migrations lint'")),
    ...has(omit, "build", stage("Package", "sh 'npm run build'")),
    ...has(
      omit,
      "staging-job",
      stage("Deploy to staging", "sh './scripts/deploy.sh staging'; sh 'npm run smoke'"),
    ),
    ...has(omit, "production-environment", stage("Approval", "input message: 'Ship?'")),
    ...has(omit, "production-job", stage("Deploy to production", "sh './scripts/deploy.sh production'")),
    ...has(omit, "tag", stage("Tag", "sh 'git tag deploy-$BUILD_NUMBER && git push origin --tags'")),
    "        // @stages",
    "    }",
    "}",
    "",
  ].join("\n");
}

/** Inserts `text` before the marker line (keeping the marker). */
function insertAt(file: string, marker: string, text: string): string {
  const lines = file.split("\n");
  const i = lines.findIndex((l) => l.trim() === marker);
  if (i < 0) throw new Error(`marker ${marker} not found`);
  lines.splice(i, 0, ...text.replace(/\n$/, "").split("\n"));
  return lines.join("\n");
}

/** The snippet of a finding's help: everything after the first blank line. */
function snippetOf(help: string | undefined): string {
  const i = help?.indexOf("\n\n") ?? -1;
  if (help === undefined || i < 0) throw new Error(`no snippet in help: ${help}`);
  return help.slice(i + 2);
}

interface Case {
  /** The item that fails. */
  stage: string;
  omit: Part[];
  /** Where its snippet goes (a marker in the file; "@end" appends). */
  marker: string;
}

let root: string;

function write(file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "shipgate-snippets-"));
  mkdirSync(join(root, ".git"));
  write(
    "package.json",
    JSON.stringify({
      scripts: {
        test: "vitest run",
        typecheck: "tsc --noEmit",
        lint: "eslint .",
        build: "vite build",
        smoke: "node smoke-test.js",
      },
      devDependencies: { typescript: "5.9.3", vitest: "4.1.12", eslint: "9.0.0" },
    }),
  );
  write("package-lock.json", "{}");
  write("tsconfig.json", "{}");
  write("db/migrations/001_init.sql", "CREATE TABLE t (id bigint);\n");
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function roundTrip(
  ciFile: string,
  render: (omit: ReadonlySet<Part>) => string,
  c: Case,
  validate: boolean,
): Promise<void> {
  const base = render(new Set());
  write(ciFile, base);
  const complete = await auditPipeline({ cwd: root });
  expect(
    complete.items.find((i) => i.id === `pipeline.${c.stage}`)?.status,
    "stage present in the full pipeline",
  ).toBe("pass");

  write(ciFile, render(new Set(c.omit)));
  const before = await auditPipeline({ cwd: root });
  const failed = before.items.find((i) => i.id === `pipeline.${c.stage}`);
  expect(failed?.status).toBe("fail");
  const snippet = snippetOf(failed?.findings[0]?.help);

  const fixed =
    c.marker === "@end"
      ? `${render(new Set(c.omit))}${snippet}`
      : insertAt(render(new Set(c.omit)), c.marker, snippet);
  write(ciFile, fixed);
  const after = await auditPipeline({ cwd: root });
  const item = after.items.find((i) => i.id === `pipeline.${c.stage}`);
  expect(item?.findings, fixed).toEqual([]);
  expect(item?.status).toBe("pass");
  if (validate) expect(await actionlintWorkflow(ciFile, fixed)).toEqual([]);
  else expect(after.items.find((i) => i.id === "pipeline.workflow-lint")?.findings).toEqual([]);
}

describe("GitHub Actions snippets", () => {
  const cases: Case[] = [
    { stage: "tests", omit: ["tests"], marker: "# @steps:ci" },
    { stage: "type-check", omit: ["type-check"], marker: "# @steps:ci" },
    { stage: "lint", omit: ["lint"], marker: "# @steps:ci" },
    { stage: "dependency-audit", omit: ["dependency-audit"], marker: "# @steps:ci" },
    { stage: "secret-scan", omit: ["secret-scan"], marker: "# @steps:ci" },
    { stage: "migration-lint", omit: ["migration-lint"], marker: "# @steps:ci" },
    { stage: "build", omit: ["build"], marker: "# @steps:ci" },
    { stage: "staging-deploy", omit: ["staging-job"], marker: "# @jobs" },
    { stage: "staging-deploy", omit: ["smoke"], marker: "# @steps:deploy-staging" },
    { stage: "production-approval", omit: ["production-environment"], marker: "# @keys:deploy-production" },
    { stage: "production-approval", omit: ["production-job"], marker: "# @jobs" },
    { stage: "deploy-concurrency", omit: ["staging-concurrency"], marker: "# @keys:deploy-staging" },
    { stage: "deploy-tagging", omit: ["tag"], marker: "# @steps:deploy-production" },
  ];
  for (const c of cases) {
    it(`${c.stage} (without ${c.omit.join(", ")}): the snippet adds it and passes actionlint`, () =>
      roundTrip(".github/workflows/ci.yml", githubWorkflow, c, true));
  }
});

describe("GitLab CI snippets", () => {
  beforeAll(() => rmSync(join(root, ".github"), { recursive: true, force: true }));
  const cases: Case[] = [
    { stage: "tests", omit: ["tests"], marker: "@end" },
    { stage: "type-check", omit: ["type-check"], marker: "@end" },
    { stage: "lint", omit: ["lint"], marker: "@end" },
    { stage: "dependency-audit", omit: ["dependency-audit"], marker: "@end" },
    { stage: "secret-scan", omit: ["secret-scan"], marker: "@end" },
    { stage: "migration-lint", omit: ["migration-lint"], marker: "@end" },
    { stage: "build", omit: ["build"], marker: "@end" },
    { stage: "staging-deploy", omit: ["staging-job"], marker: "@end" },
    { stage: "staging-deploy", omit: ["smoke"], marker: "# @script:deploy-staging" },
    { stage: "production-approval", omit: ["production-environment"], marker: "# @keys:deploy-production" },
    { stage: "production-approval", omit: ["production-job"], marker: "@end" },
    { stage: "deploy-concurrency", omit: ["production-concurrency"], marker: "# @keys:deploy-production" },
    { stage: "deploy-tagging", omit: ["tag"], marker: "@end" },
  ];
  for (const c of cases) {
    it(`${c.stage} (without ${c.omit.join(", ")}): the snippet adds it`, () =>
      roundTrip(".gitlab-ci.yml", gitlabCi, c, false));
  }
});

describe("Jenkins snippets", () => {
  beforeAll(() => rmSync(join(root, ".gitlab-ci.yml"), { force: true }));
  const cases: Case[] = [
    { stage: "tests", omit: ["tests"], marker: "// @stages" },
    { stage: "dependency-audit", omit: ["dependency-audit"], marker: "// @stages" },
    { stage: "secret-scan", omit: ["secret-scan"], marker: "// @stages" },
    { stage: "migration-lint", omit: ["migration-lint"], marker: "// @stages" },
    { stage: "staging-deploy", omit: ["staging-job"], marker: "// @stages" },
    { stage: "deploy-concurrency", omit: ["production-concurrency"], marker: "// @options" },
    { stage: "deploy-tagging", omit: ["tag"], marker: "// @stages" },
  ];
  for (const c of cases) {
    it(`${c.stage} (without ${c.omit.join(", ")}): the snippet adds it`, () =>
      roundTrip("Jenkinsfile", jenkinsfile, c, false));
  }
});

describe("docs/pipeline-audit.md", () => {
  const doc = readFileSync(join(import.meta.dirname, "../../../docs/pipeline-audit.md"), "utf8");

  it("has a section per stage and names every rule id", () => {
    for (const def of stageDefinitions) expect(doc, def.id).toContain(`### ${def.id}\n`);
    for (const rule of Object.keys(pipelineRules)) expect(doc, rule).toContain(rule);
  });

  it("lists every action and template the audit recognises", () => {
    const lower = doc.toLowerCase();
    for (const [stage, m] of Object.entries(stageMatchers)) {
      for (const action of m.uses) expect(lower, `${stage}: ${action}`).toContain(action);
    }
    for (const action of [...tagActions, ...deployActions]) expect(lower, action).toContain(action);
  });

  it("shows the GitHub snippets exactly as the audit writes them (TypeScript with npm)", () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-doc-snippets-"));
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        scripts: { test: "vitest run", lint: "eslint .", build: "vite build", typecheck: "tsc --noEmit" },
      }),
    );
    writeFileSync(join(dir, "tsconfig.json"), "{}");
    const commands = stackCommands(detectStack(dir));
    for (const stage of [
      "tests",
      "type-check",
      "lint",
      "dependency-audit",
      "secret-scan",
      "migration-lint",
      "build",
      "staging-deploy",
      "deploy-tagging",
    ] as const) {
      const snippet = stageSnippet(stage, "github", { commands }).text.replace("0.1.0", toolVersion);
      expect(doc.replaceAll("0.1.0", toolVersion), stage).toContain(snippet);
    }
    expect(doc).toContain(stageSnippet("deploy-concurrency", "github", { commands, job: "deploy" }).text);
    expect(doc).toContain(stageSnippet("production-approval", "github", { commands, job: "deploy" }).text);
  });
});
