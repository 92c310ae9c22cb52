import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config/load.js";
import type { CheckContext, CheckItem } from "../types.js";
import { auditPipeline, pipelineCheck, pipelineRules } from "./index.js";

const fixtures = join(import.meta.dirname, "../../../test/fixtures/pipeline");

function statuses(items: readonly CheckItem[]): Record<string, string> {
  return Object.fromEntries(items.map((i) => [i.id, i.status]));
}

function item(items: readonly CheckItem[], id: string): CheckItem {
  const found = items.find((i) => i.id === `pipeline.${id}`);
  if (!found) throw new Error(`no item pipeline.${id}`);
  return found;
}

describe("auditPipeline on fixture repositories", () => {
  it("github-complete: every stage found, through scripts, reusable workflows and composite expansion", async () => {
    const { items } = await auditPipeline({ cwd: join(fixtures, "github-complete") });
    expect(statuses(items)).toEqual({
      "pipeline.tests": "pass",
      "pipeline.type-check": "pass",
      "pipeline.lint": "pass",
      "pipeline.dependency-audit": "pass",
      "pipeline.secret-scan": "pass",
      "pipeline.migration-lint": "pass",
      "pipeline.build": "pass",
      "pipeline.staging-deploy": "pass",
      "pipeline.production-approval": "pass",
      "pipeline.deploy-concurrency": "pass",
      "pipeline.deploy-tagging": "pass",
      "pipeline.workflow-lint": "pass",
    });
    expect(item(items, "tests").detail).toBe(
      '.github/workflows/ci.yml:18 job test runs "vitest" (in package.json scripts.ci)',
    );
    expect(item(items, "deploy-tagging").detail).toContain("(in scripts/deploy.sh)");
    expect(item(items, "production-approval").detail).toContain("(staging or production)");
    expect(items.every((i) => i.findings.length === 0)).toBe(true);
  });

  it("github-bare: each missing stage is a finding with its rule id, position and snippet", async () => {
    const { items } = await auditPipeline({ cwd: join(fixtures, "github-bare") });
    expect(statuses(items)).toMatchObject({
      "pipeline.tests": "pass",
      "pipeline.type-check": "skipped",
      "pipeline.migration-lint": "skipped",
      "pipeline.lint": "fail",
      "pipeline.production-approval": "fail",
      "pipeline.deploy-concurrency": "fail",
    });
    const approval = item(items, "production-approval").findings;
    expect(approval).toEqual([
      expect.objectContaining({
        ruleId: "pipeline-missing-production-approval",
        severity: "error",
        file: ".github/workflows/main.yml",
        line: 10,
        help: expect.stringContaining("    environment: production"),
      }),
    ]);
    expect(item(items, "dependency-audit").findings[0]?.help).toContain("run: npm audit --audit-level=high");
    expect(item(items, "lint").findings[0]).toMatchObject({
      ruleId: "pipeline-missing-lint",
      severity: "warning",
    });
    expect(item(items, "deploy-concurrency").findings[0]).toMatchObject({
      ruleId: "pipeline-missing-deploy-concurrency",
      line: 10,
    });
    for (const f of items.flatMap((i) => i.findings)) {
      expect(pipelineRules[f.ruleId], f.ruleId).toBeDefined();
      expect(f.docsUrl).toMatch(/docs\/pipeline-audit\.md#/);
    }
  });

  it("github-invalid: YAML errors and actionlint errors are findings of pipeline.workflow-lint", async () => {
    const { items } = await auditPipeline({ cwd: join(fixtures, "github-invalid") });
    const lint = item(items, "workflow-lint");
    expect(lint.status).toBe("fail");
    expect(lint.findings.map((f) => [f.ruleId, f.file, f.line, f.severity])).toEqual([
      ["pipeline-yaml", ".github/workflows/syntax.yml", 6, "error"],
      ["pipeline-yaml", ".github/workflows/syntax.yml", 7, "error"],
      ["pipeline-actionlint", ".github/workflows/broken.yml", 3, "error"],
      ["pipeline-actionlint", ".github/workflows/broken.yml", 7, "error"],
      ["pipeline-actionlint", ".github/workflows/broken.yml", 10, "error"],
      ["pipeline-actionlint", ".github/workflows/broken.yml", 12, "warning"],
    ]);
  });

  it("gitlab-complete: templates, local includes, extends and release keyword count", async () => {
    const { items, pipeline } = await auditPipeline({ cwd: join(fixtures, "gitlab-complete") });
    expect(pipeline?.files.map((f) => f.path)).toEqual([".gitlab-ci.yml", "ci/deploy.yml"]);
    expect(Object.values(statuses(items)).filter((s) => s !== "pass")).toEqual([]);
    expect(item(items, "secret-scan").detail).toContain("template: Security/Secret-Detection.gitlab-ci.yml");
    expect(item(items, "production-approval").detail).toBe(
      "ci/deploy.yml:27 job deploy-production deploys to production with when: manual",
    );
  });

  it("gitlab-partial: an automatic production deploy is a warning (protection is not visible); interruptible deploys", async () => {
    const { items } = await auditPipeline({ cwd: join(fixtures, "gitlab-partial") });
    expect(item(items, "production-approval").findings).toEqual([
      expect.objectContaining({
        severity: "warning",
        line: 8,
        help: expect.stringContaining("  when: manual"),
      }),
    ]);
    expect(item(items, "deploy-concurrency").findings[0]).toMatchObject({
      ruleId: "pipeline-missing-deploy-concurrency",
      help: expect.stringContaining("  resource_group: production"),
    });
    expect(item(items, "secret-scan").findings[0]?.help).toContain(
      "template: Security/Secret-Detection.gitlab-ci.yml",
    );
  });

  it("jenkins: judged by stage names and their text; approval is an input stage", async () => {
    const { items } = await auditPipeline({ cwd: join(fixtures, "jenkins") });
    expect(statuses(items)).toMatchObject({
      "pipeline.tests": "pass",
      "pipeline.staging-deploy": "pass",
      "pipeline.production-approval": "pass",
      "pipeline.deploy-concurrency": "pass",
      "pipeline.deploy-tagging": "pass",
      "pipeline.dependency-audit": "fail",
      "pipeline.workflow-lint": "skipped",
    });
    expect(item(items, "dependency-audit").findings[0]?.help).toContain("stage('Dependency audit')");
    expect(item(items, "production-approval").detail).toContain(
      "stage 'Approve production' waits for an input step",
    );
  });

  it("python-github: commands behind uv run count; missing ones get uv snippets", async () => {
    const { items } = await auditPipeline({ cwd: join(fixtures, "python-github") });
    expect(item(items, "tests").status).toBe("pass");
    expect(item(items, "lint").status).toBe("pass");
    expect(item(items, "type-check").findings[0]?.help).toContain(
      "run: uv run --with mypy mypy --ignore-missing-imports .",
    );
  });

  it("no CI configuration: every applicable stage fails with pipeline-no-ci naming shipgate init", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-no-ci-"));
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, "package.json"), "{}");
    const { items, pipeline } = await auditPipeline({ cwd: dir });
    expect(pipeline).toBeUndefined();
    const failing = items.filter((i) => i.status === "fail");
    expect(failing.map((i) => i.id)).toEqual([
      "pipeline.tests",
      "pipeline.lint",
      "pipeline.dependency-audit",
      "pipeline.secret-scan",
      "pipeline.build",
      "pipeline.staging-deploy",
      "pipeline.production-approval",
      "pipeline.deploy-concurrency",
      "pipeline.deploy-tagging",
    ]);
    for (const i of failing) {
      expect(i.findings).toEqual([
        expect.objectContaining({ ruleId: "pipeline-no-ci", help: expect.stringContaining("shipgate init") }),
      ]);
    }
    expect(item(items, "workflow-lint").status).toBe("skipped");
  });

  it("finds the CI files at the repository root from a subdirectory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-sub-"));
    mkdirSync(join(dir, ".git"));
    mkdirSync(join(dir, "services", "api"), { recursive: true });
    writeFileSync(join(dir, ".gitlab-ci.yml"), "test:\n  script: [npm test]\n");
    const { pipeline, items } = await auditPipeline({ cwd: join(dir, "services", "api") });
    expect(pipeline?.files.map((f) => f.path)).toEqual(["../../.gitlab-ci.yml"]);
    expect(item(items, "tests").status).toBe("pass");
  });

  it("counts migrations declared in config even without a conventional directory", async () => {
    const dir = join(fixtures, "github-bare");
    const config = parseConfig({ migrations: { paths: ["sql"] } }, "test");
    const { items } = await auditPipeline({ cwd: dir, config, configDir: dir });
    expect(item(items, "migration-lint").findings[0]?.help).toContain("shipgate@");
  });
});

describe("pipelineCheck", () => {
  it("is the check with id pipeline, yielding one item per stage plus workflow-lint", async () => {
    const cwd = join(fixtures, "github-complete");
    const context: CheckContext = {
      cwd,
      configDir: cwd,
      configPath: undefined,
      config: parseConfig({}, "test"),
      env: {},
      base: undefined,
      baseLabel: undefined,
      changedFiles: [],
      environment: undefined,
      now: new Date(0),
    };
    expect(pipelineCheck.id).toBe("pipeline");
    const items = await pipelineCheck.run(context);
    expect(items.map((i) => i.id)).toHaveLength(12);
    expect(new Set(items.map((i) => i.group))).toEqual(
      new Set(["application", "data", "infrastructure", "rollback"]),
    );
  });
});
