/**
 * The commands a stack's CI runs for each stage: install, tests, type check, lint, dependency
 * audit, build; and how a CI job sets up the toolchain (GitHub steps, a GitLab image). One place for
 * both `shipgate init`'s workflows and the pipeline audit's snippets, so the two never disagree.
 *
 * A command is undefined when the repository gives nothing to run it with (no test runner, no
 * linter configured for JavaScript, nothing to build): callers leave the stage out and say why,
 * rather than writing a step that cannot work.
 */
import { toolVersion } from "../core/version.js";
import { isPlaceholderTestScript, type PackageManager, type Stack } from "./stack.js";
import type { GithubStep } from "./yaml-text.js";

export interface StackCommands {
  /** Steps that install the toolchain on a GitHub-hosted runner (before `install`). */
  githubSetup: GithubStep[];
  /** The image GitLab jobs running the project's commands use. */
  gitlabImage: string;
  /** Shell lines that finish the toolchain inside that image (e.g. `corepack enable`). */
  gitlabSetup: string[];
  /** Shell lines that install the project's dependencies (and the tools the stages below run). */
  install: string[];
  test: string | undefined;
  typeCheck: string | undefined;
  lint: string | undefined;
  dependencyAudit: string | undefined;
  build: string | undefined;
  /** The build is `docker build` (GitLab needs a Docker-in-Docker service for it). */
  buildIsDocker: boolean;
  /** Why a stage has no command, by stage, for init's notes. */
  missing: Partial<Record<"test" | "typeCheck" | "lint" | "build", string>>;
}

/** How CI runs shipgate itself: the published package at this version, through npx. */
export const shipgateCommand = `npx --yes shipgate@${toolVersion}`;

const dockerBuild = "docker build --tag app:ci .";

function nodeRun(pm: PackageManager, script: string): string {
  switch (pm) {
    case "pnpm":
      return `pnpm run ${script}`;
    case "yarn":
    case "yarn-berry":
      return `yarn run ${script}`;
    case "bun":
      return `bun run ${script}`;
    default:
      return script === "test" ? "npm test" : `npm run ${script}`;
  }
}

function nodeExec(pm: PackageManager, command: string): string {
  switch (pm) {
    case "pnpm":
      return `pnpm exec ${command}`;
    case "yarn":
    case "yarn-berry":
      return `yarn ${command}`;
    case "bun":
      return `bunx ${command}`;
    default:
      return `npx ${command}`;
  }
}

function nodeCommands(stack: Stack): StackCommands {
  const pm = stack.packageManager ?? "npm";
  const s = stack.scripts;
  const dep = (name: string) => stack.dependencies.has(name);
  const missing: StackCommands["missing"] = {};

  const setupNode: GithubStep = {
    uses: "actions/setup-node@v4",
    with: {
      ...(stack.versionFile ? { "node-version-file": stack.versionFile } : { "node-version": "22" }),
      ...(pm === "npm" ? { cache: "npm" } : pm === "yarn" ? { cache: "yarn" } : {}),
    },
  };
  const githubSetup: GithubStep[] =
    pm === "bun"
      ? [{ uses: "oven-sh/setup-bun@v2" }]
      : pm === "pnpm" || pm === "yarn-berry"
        ? [setupNode, { name: "Enable corepack", run: "corepack enable" }]
        : [setupNode];

  const install =
    pm === "pnpm"
      ? "pnpm install --frozen-lockfile"
      : pm === "yarn"
        ? "yarn install --frozen-lockfile"
        : pm === "yarn-berry"
          ? "yarn install --immutable"
          : pm === "bun"
            ? "bun install --frozen-lockfile"
            : stack.markers.includes("package-lock.json") || stack.markers.includes("npm-shrinkwrap.json")
              ? "npm ci"
              : "npm install";

  let test: string | undefined;
  if (!isPlaceholderTestScript(s.test)) test = nodeRun(pm, "test");
  else if (dep("vitest")) test = nodeExec(pm, "vitest run");
  else if (dep("jest")) test = nodeExec(pm, "jest");
  else if (dep("mocha")) test = nodeExec(pm, "mocha");
  else if (pm === "bun") test = "bun test";
  else
    missing.test = 'package.json has no "test" script and no test runner (vitest, jest, mocha) is installed';

  let typeCheck: string | undefined;
  if (stack.language === "typescript") {
    const script = ["typecheck", "type-check", "check-types", "types", "tsc"].find((n) => s[n] !== undefined);
    typeCheck = script ? nodeRun(pm, script) : nodeExec(pm, "tsc --noEmit");
  }

  let lint: string | undefined;
  if (s.lint !== undefined) lint = nodeRun(pm, "lint");
  else if (stack.linter === "biome") lint = nodeExec(pm, "biome ci .");
  else if (stack.linter === "eslint") lint = nodeExec(pm, "eslint .");
  else missing.lint = 'no linter configured (no "lint" script, Biome or ESLint config)';

  let build: string | undefined;
  if (s.build !== undefined) build = nodeRun(pm, "build");
  else if (stack.hasDockerfile) build = dockerBuild;
  else missing.build = 'no "build" script and no Dockerfile';

  const dependencyAudit =
    pm === "pnpm"
      ? "pnpm audit --audit-level high"
      : pm === "yarn"
        ? "yarn audit --level high"
        : pm === "yarn-berry"
          ? "yarn npm audit --severity high"
          : pm === "bun"
            ? "bun audit"
            : "npm audit --audit-level=high";

  return {
    githubSetup,
    gitlabImage: pm === "bun" ? "oven/bun:1" : `node:${stack.runtimeVersion ?? "22"}`,
    gitlabSetup: pm === "pnpm" || pm === "yarn-berry" ? ["corepack enable"] : [],
    install: [install],
    test,
    typeCheck,
    lint,
    dependencyAudit,
    build,
    buildIsDocker: build === dockerBuild,
    missing,
  };
}

function pythonCommands(stack: Stack): StackCommands {
  const pm = stack.packageManager ?? "pip";
  const missing: StackCommands["missing"] = {};
  const linterPackage = stack.linter === "flake8" ? "flake8" : stack.linter === "pylint" ? "pylint" : "ruff";
  const checkerPackage = stack.typeChecker === "pyright" ? "pyright" : "mypy";
  const tools = ["pytest", checkerPackage, linterPackage, "pip-audit"];
  const lintArgs =
    linterPackage === "ruff"
      ? "ruff check ."
      : linterPackage === "flake8"
        ? "flake8 ."
        : "pylint $(git ls-files '*.py')";
  const checkArgs = checkerPackage === "pyright" ? "pyright" : "mypy --ignore-missing-imports .";
  const setupPython: GithubStep = {
    uses: "actions/setup-python@v5",
    with: stack.versionFile ? { "python-version-file": stack.versionFile } : { "python-version": "3.12" },
  };
  const image = `python:${stack.runtimeVersion ?? "3.12"}`;

  if (pm === "uv") {
    return {
      githubSetup: [setupPython, { uses: "astral-sh/setup-uv@v5" }],
      gitlabImage: image,
      gitlabSetup: ["pip install uv"],
      install: ["uv sync --frozen"],
      test: "uv run --with pytest pytest",
      typeCheck: `uv run --with ${checkerPackage} ${checkArgs}`,
      lint: `uv run --with ${linterPackage} ${lintArgs}`,
      dependencyAudit: "uv run --with pip-audit pip-audit",
      build: stack.hasDockerfile ? dockerBuild : "uv build",
      buildIsDocker: stack.hasDockerfile,
      missing,
    };
  }

  // pip, poetry, pipenv, pdm: the tools go into the project's environment, so they see its imports.
  const prefix = pm === "poetry" ? "poetry run " : pm === "pipenv" ? "pipenv run " : "";
  const pip = pm === "poetry" || pm === "pipenv" ? `${prefix}pip install` : "python -m pip install";
  const install =
    pm === "poetry"
      ? ["pip install poetry", "poetry install"]
      : pm === "pipenv"
        ? ["pip install pipenv", "pipenv install --dev"]
        : stack.hasRequirementsTxt
          ? ["python -m pip install -r requirements.txt"]
          : ["python -m pip install -e ."];
  let build: string | undefined;
  if (stack.hasDockerfile) build = dockerBuild;
  else if (pm === "poetry") build = "poetry build";
  else if (stack.pythonBuildable) build = `${pip} build && ${prefix}python -m build`;
  else missing.build = "no Dockerfile and pyproject.toml declares no [build-system]";
  return {
    githubSetup: [setupPython],
    gitlabImage: image,
    gitlabSetup: [],
    install: [...install, `${pip} ${tools.join(" ")}`],
    test: `${prefix}python -m pytest`,
    typeCheck: `${prefix}${checkArgs}`,
    lint: `${prefix}${lintArgs}`,
    dependencyAudit:
      stack.hasRequirementsTxt && pm === "pip" ? "pip-audit -r requirements.txt" : `${prefix}pip-audit`,
    build,
    buildIsDocker: build === dockerBuild,
    missing,
  };
}

function goCommands(stack: Stack): StackCommands {
  return {
    githubSetup: [{ uses: "actions/setup-go@v5", with: { "go-version-file": "go.mod" } }],
    gitlabImage: `golang:${stack.runtimeVersion ?? "1.23"}`,
    gitlabSetup: [],
    install: ["go mod download"],
    test: "go test ./...",
    typeCheck: "go vet ./...",
    lint:
      stack.linter === "golangci-lint"
        ? "go run github.com/golangci/golangci-lint/cmd/golangci-lint@latest run"
        : "go run honnef.co/go/tools/cmd/staticcheck@latest ./...",
    dependencyAudit: "go run golang.org/x/vuln/cmd/govulncheck@latest ./...",
    build: "go build ./...",
    buildIsDocker: false,
    missing: {},
  };
}

/** The commands for a stack. An unknown stack gets no commands (each stage says why). */
export function stackCommands(stack: Stack): StackCommands {
  switch (stack.language) {
    case "typescript":
    case "javascript":
      return nodeCommands(stack);
    case "python":
      return pythonCommands(stack);
    case "go":
      return goCommands(stack);
    default: {
      const why = "no package.json, pyproject.toml, requirements.txt or go.mod found";
      return {
        githubSetup: [],
        gitlabImage: "alpine:3",
        gitlabSetup: [],
        install: [],
        test: undefined,
        typeCheck: undefined,
        lint: undefined,
        dependencyAudit: undefined,
        build: stack.hasDockerfile ? dockerBuild : undefined,
        buildIsDocker: stack.hasDockerfile,
        missing: { test: why, typeCheck: why, lint: why, ...(stack.hasDockerfile ? {} : { build: why }) },
      };
    }
  }
}
