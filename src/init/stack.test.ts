import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { stackCommands } from "./commands.js";
import { detectStack } from "./stack.js";

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-stack-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

describe("detectStack", () => {
  it.each([
    [{ "package.json": "{}", "package-lock.json": "{}" }, "javascript", "npm"],
    [{ "package.json": "{}", "pnpm-lock.yaml": "" }, "javascript", "pnpm"],
    [{ "package.json": "{}", "yarn.lock": "" }, "javascript", "yarn"],
    [{ "package.json": "{}", "yarn.lock": "", ".yarnrc.yml": "" }, "javascript", "yarn-berry"],
    [{ "package.json": '{"packageManager":"pnpm@9.0.0"}' }, "javascript", "pnpm"],
    [{ "package.json": "{}", "bun.lock": "" }, "javascript", "bun"],
    [{ "package.json": "{}", "tsconfig.json": "{}" }, "typescript", "npm"],
    [{ "pyproject.toml": "[project]\n", "uv.lock": "" }, "python", "uv"],
    [{ "pyproject.toml": "[tool.poetry]\n" }, "python", "poetry"],
    [{ "requirements.txt": "flask\n" }, "python", "pip"],
    [{ "go.mod": "module x\n\ngo 1.22\n" }, "go", "go"],
    [{ "README.md": "" }, undefined, undefined],
  ] as const)("%j → %s, %s", (files, language, pm) => {
    const stack = detectStack(repo(files));
    expect(stack.language).toBe(language);
    expect(stack.packageManager).toBe(pm);
  });

  it("reads scripts, the linter and pinned runtime versions; a broken package.json counts as absent", () => {
    const stack = detectStack(
      repo({
        "package.json": JSON.stringify({ scripts: { lint: "biome ci ." } }),
        "biome.json": "{}",
        ".nvmrc": "v20.11.1\n",
      }),
    );
    expect(stack).toMatchObject({
      linter: "biome",
      scripts: { lint: "biome ci ." },
      versionFile: ".nvmrc",
      runtimeVersion: "20",
    });
    expect(detectStack(repo({ "package.json": "{ not json" })).language).toBeUndefined();
    expect(detectStack(repo({ "go.mod": "module x\n\ngo 1.23.4\n" })).runtimeVersion).toBe("1.23");
  });

  it("keeps every language found, the first marker the primary one", () => {
    const stack = detectStack(repo({ "package.json": "{}", "requirements.txt": "", "go.mod": "module x\n" }));
    expect(stack.languages).toEqual(["javascript", "python", "go"]);
  });
});

describe("stackCommands", () => {
  it("uses the package.json scripts with the package manager, and says what is missing", () => {
    const c = stackCommands(
      detectStack(
        repo({
          "package.json": JSON.stringify({ scripts: { test: "vitest run", typecheck: "tsc --noEmit" } }),
          "pnpm-lock.yaml": "",
          "tsconfig.json": "{}",
        }),
      ),
    );
    expect(c).toMatchObject({
      test: "pnpm run test",
      typeCheck: "pnpm run typecheck",
      dependencyAudit: "pnpm audit --audit-level high",
    });
    expect(c.install).toEqual(["pnpm install --frozen-lockfile"]);
    expect(c.lint).toBeUndefined();
    expect(c.missing.lint).toMatch(/no linter/);
    expect(c.missing.build).toMatch(/no "build" script/);
  });

  it("does not take npm's placeholder test script for a test command", () => {
    const c = stackCommands(
      detectStack(
        repo({
          "package.json": JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }),
        }),
      ),
    );
    expect(c.test).toBeUndefined();
  });

  it("runs Python tools inside the project's environment", () => {
    const pip = stackCommands(detectStack(repo({ "requirements.txt": "flask\n" })));
    expect(pip.install).toEqual([
      "python -m pip install -r requirements.txt",
      "python -m pip install pytest mypy ruff pip-audit",
    ]);
    expect(pip.dependencyAudit).toBe("pip-audit -r requirements.txt");
    const poetry = stackCommands(
      detectStack(repo({ "pyproject.toml": "[tool.poetry]\n", Dockerfile: "FROM x\n" })),
    );
    expect(poetry).toMatchObject({ test: "poetry run python -m pytest", buildIsDocker: true });
  });
});
