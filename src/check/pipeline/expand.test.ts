import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CommandExpander } from "./expand.js";

let root: string;

function write(file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "shipgate-expand-"));
  write(
    "package.json",
    JSON.stringify({
      scripts: {
        pretest: "npm run lint",
        test: "vitest run",
        lint: "biome ci .",
        ci: "npm test && npm run ci",
      },
    }),
  );
  write("web/package.json", JSON.stringify({ scripts: { build: "vite build" } }));
  write(
    "Makefile",
    "all: check\n\ncheck: lint\n\tgo test ./...\n\nlint:\n\tgolangci-lint run\n.PHONY: check lint\n",
  );
  write("ci/run.sh", "#!/bin/sh\n./ci/inner.sh\n");
  write("ci/inner.sh", "gitleaks detect\n");
  write(
    ".github/actions/checks/action.yml",
    "runs:\n  using: composite\n  steps:\n    - run: pip-audit\n      shell: bash\n    - uses: gitleaks/gitleaks-action@v2\n",
  );
});

describe("CommandExpander", () => {
  it("expands npm scripts with their pre/post scripts, recursively, once each", () => {
    const out = new CommandExpander(root).expandRun("npm run ci");
    expect(out.map((e) => e.via)).toEqual([
      "package.json scripts.ci",
      "package.json scripts.pretest",
      "package.json scripts.lint",
      "package.json scripts.test",
    ]);
  });

  it("reads package.json in the step's working directory", () => {
    const out = new CommandExpander(root).expandRun("pnpm build", "web");
    expect(out).toEqual([{ kind: "run", text: "vite build", via: "web/package.json scripts.build" }]);
  });

  it("expands make targets with their prerequisites, and the default target", () => {
    const named = new CommandExpander(root).expandRun("make check");
    expect(named.map((e) => [e.via, e.text.trim()])).toEqual([
      ["Makefile target check", "go test ./..."],
      ["Makefile target lint", "golangci-lint run"],
    ]);
    expect(new CommandExpander(root).expandRun("make").map((e) => e.via)).toContain("Makefile target lint");
  });

  it("reads shell scripts the command runs, nested", () => {
    const out = new CommandExpander(root).expandRun("bash ci/run.sh");
    expect(out.map((e) => e.via)).toEqual(["ci/run.sh", "ci/inner.sh"]);
  });

  it("reads the steps of a local composite action", () => {
    const out = new CommandExpander(root).expandUses("./.github/actions/checks");
    expect(out.map((e) => [e.kind, e.text.trim()])).toEqual([
      ["run", "pip-audit"],
      ["uses", "gitleaks/gitleaks-action@v2"],
    ]);
  });

  it("never reads outside the repository", () => {
    expect(new CommandExpander(join(root, "web")).expandRun("sh ../ci/run.sh")).toEqual([]);
  });
});
