import { describe, expect, it } from "vitest";
import type { CheckItem } from "../check/types.js";
import { renderStageList } from "./register-pipeline.js";

const item = (over: Partial<CheckItem>): CheckItem => ({
  id: "pipeline.tests",
  group: "application",
  title: "CI runs the tests",
  status: "pass",
  findings: [],
  ...over,
});

describe("pipeline audit stage list", () => {
  it("marks a stage missing at warning level ⚠ (as shipgate check does), an error ✗", () => {
    const text = renderStageList(
      [
        item({ status: "pass", detail: 'ci.yml:9 job test runs "npm test"' }),
        item({
          id: "pipeline.lint",
          title: "CI runs a linter",
          status: "fail",
          detail: "nothing lints the code",
          findings: [{ ruleId: "pipeline-missing-lint", severity: "warning", message: "nothing lints" }],
        }),
        item({
          id: "pipeline.secret-scan",
          title: "CI scans for committed secrets",
          status: "fail",
          detail: "nothing scans for secrets",
          findings: [{ ruleId: "pipeline-missing-secret-scan", severity: "error", message: "nothing scans" }],
        }),
        item({
          id: "pipeline.deploy-concurrency",
          title: "Deploys never overlap",
          status: "skipped",
          detail: "no deploy job",
        }),
      ],
      "Pipeline (GitHub Actions: ci.yml)",
    );
    expect(text.split("\n")).toEqual([
      "Pipeline (GitHub Actions: ci.yml)",
      '  ✓ CI runs the tests — ci.yml:9 job test runs "npm test"',
      "  ⚠ CI runs a linter — nothing lints the code",
      "  ✗ CI scans for committed secrets — nothing scans for secrets",
      "  - Deploys never overlap — skipped: no deploy job",
      "",
      "",
    ]);
  });
});
