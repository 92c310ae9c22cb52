import { describe, expect, it } from "vitest";
import { expressionCandidates, linkReusableWorkflows, parseGithubWorkflow } from "./github.js";

const workflow = `name: Deploy
on:
  workflow_dispatch:
    inputs:
      target:
        type: choice
        options: [staging, production]
concurrency: deploy-\${{ inputs.target }}
jobs:
  deploy:
    name: Deploy it
    runs-on: ubuntu-latest
    environment:
      name: \${{ inputs.target }}
      url: https://example.com
    steps:
      - uses: actions/checkout@v4
      - name: Ship
        working-directory: web
        run: |
          npm ci
          npm run deploy
  matrix:
    runs-on: ubuntu-latest
    needs: [deploy]
    strategy:
      matrix:
        env: [qa, prod]
    environment: \${{ matrix.env }}
    concurrency:
      group: m-\${{ matrix.env }}
      cancel-in-progress: true
    steps:
      - run: echo
`;

describe("parseGithubWorkflow", () => {
  const file = parseGithubWorkflow(".github/workflows/deploy.yml", workflow);
  const [deploy, matrix] = file.jobs;

  it("reads jobs with positions, steps and working directories", () => {
    expect(file.problems).toEqual([]);
    expect(deploy).toMatchObject({
      id: "deploy",
      name: "Deploy it",
      at: { line: 10, column: 3 },
      triggers: ["workflow_dispatch"],
    });
    expect(deploy?.commands.map((c) => [c.kind, c.at.line])).toEqual([
      ["uses", 17],
      ["run", 21],
    ]);
    expect(deploy?.commands[1]).toMatchObject({
      name: "Ship",
      workingDirectory: "web",
      text: "npm ci\nnpm run deploy\n",
    });
    expect(matrix?.needs).toEqual(["deploy"]);
  });

  it("resolves the names an environment expression can take", () => {
    expect(deploy?.environment).toMatchObject({
      name: `\${{ inputs.target }}`,
      candidates: ["staging", "production"],
    });
    expect(matrix?.environment?.candidates).toEqual(["qa", "prod"]);
  });

  it("takes the job's concurrency, else the workflow's", () => {
    expect(deploy?.concurrency).toMatchObject({
      level: "workflow",
      group: `deploy-\${{ inputs.target }}`,
      cancelInProgress: false,
    });
    expect(matrix?.concurrency).toMatchObject({ level: "job", cancelInProgress: true, at: { line: 31 } });
  });

  it("reports YAML errors with their line and reads no jobs", () => {
    const broken = parseGithubWorkflow("w.yml", "on: push\njobs:\n  a: [\n");
    expect(broken.jobs).toEqual([]);
    expect(broken.problems[0]).toMatchObject({ ruleId: "pipeline-yaml", severity: "error", file: "w.yml" });
    expect(broken.problems[0]?.line).toBeGreaterThan(0);
  });

  it("knows a workflow that deploys only releases or tags", () => {
    expect(
      parseGithubWorkflow(
        "a.yml",
        "on:\n  release:\n    types: [published]\njobs: {a: {runs-on: x, steps: [{run: ls}]}}\n",
      ).jobs[0]?.runsOnTags,
    ).toBe(true);
    expect(
      parseGithubWorkflow(
        "b.yml",
        "on:\n  push:\n    tags: ['v*']\njobs: {a: {runs-on: x, steps: [{run: ls}]}}\n",
      ).jobs[0]?.runsOnTags,
    ).toBe(true);
    expect(
      parseGithubWorkflow("c.yml", "on: [push, release]\njobs: {a: {runs-on: x, steps: [{run: ls}]}}\n")
        .jobs[0]?.runsOnTags,
    ).toBe(false);
  });
});

describe("expressionCandidates", () => {
  it("takes literals, inputs and matrix values, also substituted into the surrounding text", () => {
    const inputs = new Map([["env", ["staging"]]]);
    expect(
      expressionCandidates(
        `\${{ github.ref == 'refs/heads/main' && 'production' || 'staging' }}`,
        new Map(),
        new Map(),
      ),
    ).toEqual(["production", "staging"]);
    expect(expressionCandidates(`deploy-\${{ inputs.env }}`, inputs, new Map())).toEqual([
      "staging",
      "deploy-staging",
    ]);
    expect(expressionCandidates("production", new Map(), new Map())).toEqual(["production"]);
  });
});

describe("linkReusableWorkflows", () => {
  it("passes callers' inputs and concurrency to the called jobs and marks the callers", () => {
    const caller = parseGithubWorkflow(
      ".github/workflows/cd.yml",
      "on: push\njobs:\n  prod:\n    concurrency: prod\n    uses: ./.github/workflows/deploy.yml\n    with:\n      environment: production\n",
    );
    const callee = parseGithubWorkflow(
      ".github/workflows/deploy.yml",
      `on:\n  workflow_call:\n    inputs:\n      environment: {type: string}\njobs:\n  run:\n    runs-on: x\n    environment: \${{ inputs.environment }}\n    steps: [{run: ls}]\n`,
    );
    linkReusableWorkflows([caller, callee], (rel) => rel);
    expect(caller.jobs[0]?.calls).toBe(".github/workflows/deploy.yml");
    expect(callee.jobs[0]?.environment?.candidates).toContain("production");
    expect(callee.jobs[0]?.concurrency?.group).toBe("prod");
    expect(callee.jobs[0]?.triggers).toContain("push");
  });
});
