/**
 * What a repository is built with, from a handful of marker files at its root: the language, the
 * package manager (lockfiles), the package.json scripts, the linter and type checker configured, and
 * whether there is a Dockerfile. Cheap (a few small reads, no directory walk): the pipeline audit
 * uses it for its snippets on every `shipgate check`, and `shipgate init` for the files it writes.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type Language = "typescript" | "javascript" | "python" | "go";

export type PackageManager =
  | "npm"
  | "pnpm"
  | "yarn"
  | "yarn-berry"
  | "bun"
  | "pip"
  | "poetry"
  | "uv"
  | "pipenv"
  | "pdm"
  | "go";

export interface Stack {
  /** The primary language; undefined when no marker file was found. */
  language: Language | undefined;
  /** Every language a marker was found for, primary first (a repository can hold several). */
  languages: Language[];
  packageManager: PackageManager | undefined;
  /** The marker files that decided language and package manager, for messages. */
  markers: string[];
  /** package.json scripts (JavaScript/TypeScript). */
  scripts: Readonly<Record<string, string>>;
  /** package.json dependencies and devDependencies names. */
  dependencies: ReadonlySet<string>;
  /** The linter configured, when one is: its config file or dependency was found. */
  linter: "biome" | "eslint" | "ruff" | "flake8" | "pylint" | "golangci-lint" | undefined;
  /** The type checker configured (Python: mypy or pyright config; TypeScript: tsconfig.json). */
  typeChecker: "tsc" | "mypy" | "pyright" | undefined;
  /** A version file the CI setup step can read: .nvmrc, .node-version, .python-version, go.mod. */
  versionFile: string | undefined;
  /**
   * The runtime version the repository pins, for CI images: Node's major from .nvmrc/.node-version,
   * Python's major.minor from .python-version, Go's from the `go 1.x` line of go.mod.
   */
  runtimeVersion: string | undefined;
  hasDockerfile: boolean;
  hasRequirementsTxt: boolean;
  /** Python: pyproject.toml declares a [build-system] (a package that `python -m build` builds). */
  pythonBuildable: boolean;
}

function read(root: string, file: string): string | undefined {
  try {
    return readFileSync(join(root, file), "utf8");
  } catch {
    return undefined;
  }
}

function has(root: string, file: string): boolean {
  return existsSync(join(root, file));
}

interface PackageJson {
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  packageManager?: unknown;
}

function parsePackageJson(text: string | undefined): PackageJson | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as PackageJson)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringRecord(value: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

function nodePackageManager(root: string, pkg: PackageJson, markers: string[]): PackageManager {
  const declared = typeof pkg.packageManager === "string" ? pkg.packageManager : "";
  const lockfiles: [string, PackageManager][] = [
    ["pnpm-lock.yaml", "pnpm"],
    ["bun.lock", "bun"],
    ["bun.lockb", "bun"],
    ["yarn.lock", "yarn"],
    ["package-lock.json", "npm"],
    ["npm-shrinkwrap.json", "npm"],
  ];
  for (const [file, pm] of lockfiles) {
    if (!has(root, file)) continue;
    markers.push(file);
    if (pm === "yarn" && (has(root, ".yarnrc.yml") || /^yarn@[2-9]/.test(declared))) return "yarn-berry";
    return pm;
  }
  if (declared.startsWith("pnpm@")) return "pnpm";
  if (declared.startsWith("yarn@")) return /^yarn@1\./.test(declared) ? "yarn" : "yarn-berry";
  if (declared.startsWith("bun@")) return "bun";
  return "npm";
}

function pythonPackageManager(
  root: string,
  pyproject: string | undefined,
  markers: string[],
): PackageManager {
  const lockfiles: [string, PackageManager][] = [
    ["uv.lock", "uv"],
    ["poetry.lock", "poetry"],
    ["Pipfile.lock", "pipenv"],
    ["Pipfile", "pipenv"],
    ["pdm.lock", "pdm"],
  ];
  for (const [file, pm] of lockfiles) {
    if (has(root, file)) {
      markers.push(file);
      return pm;
    }
  }
  if (pyproject?.includes("[tool.poetry]")) return "poetry";
  if (pyproject?.includes("[tool.uv]")) return "uv";
  if (pyproject?.includes("[tool.pdm]")) return "pdm";
  return "pip";
}

/** Reads the marker files at `root`. Never throws: unreadable or invalid files count as absent. */
export function detectStack(root: string): Stack {
  const markers: string[] = [];
  const languages: Language[] = [];
  let packageManager: PackageManager | undefined;
  let scripts: Record<string, string> = {};
  const dependencies = new Set<string>();
  let linter: Stack["linter"];
  let typeChecker: Stack["typeChecker"];
  let versionFile: string | undefined;
  let runtimeVersion: string | undefined;

  const pkgText = read(root, "package.json");
  const pkg = parsePackageJson(pkgText);
  if (pkg) {
    markers.push("package.json");
    scripts = stringRecord(pkg.scripts);
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) dependencies.add(name);
    const ts = has(root, "tsconfig.json") || dependencies.has("typescript");
    if (has(root, "tsconfig.json")) markers.push("tsconfig.json");
    languages.push(ts ? "typescript" : "javascript");
    packageManager = nodePackageManager(root, pkg, markers);
    if (ts) typeChecker = "tsc";
    if (has(root, "biome.json") || has(root, "biome.jsonc") || dependencies.has("@biomejs/biome"))
      linter = "biome";
    else if (
      dependencies.has("eslint") ||
      [
        "eslint.config.js",
        "eslint.config.mjs",
        "eslint.config.cjs",
        "eslint.config.ts",
        ".eslintrc.json",
        ".eslintrc.js",
        ".eslintrc.cjs",
        ".eslintrc.yml",
        ".eslintrc",
      ].some((f) => has(root, f))
    ) {
      linter = "eslint";
    }
    versionFile = [".nvmrc", ".node-version"].find((f) => has(root, f));
    const pinned = versionFile === undefined ? undefined : read(root, versionFile);
    runtimeVersion = pinned === undefined ? undefined : /^\s*v?(\d+)/.exec(pinned)?.[1];
  }

  const pyproject = read(root, "pyproject.toml");
  const python =
    pyproject !== undefined || has(root, "requirements.txt") || has(root, "setup.py") || has(root, "Pipfile");
  if (python) {
    markers.push(
      ...["pyproject.toml", "requirements.txt", "setup.py", "Pipfile"]
        .filter((f) => has(root, f))
        .slice(0, 1),
    );
    languages.push("python");
    const pm = pythonPackageManager(root, pyproject, markers);
    packageManager ??= pm;
    if (languages[0] === "python") {
      const setupCfg = read(root, "setup.cfg") ?? "";
      if (has(root, "pyrightconfig.json") || pyproject?.includes("[tool.pyright]")) typeChecker = "pyright";
      else typeChecker = "mypy";
      if (has(root, "ruff.toml") || has(root, ".ruff.toml") || pyproject?.includes("[tool.ruff"))
        linter = "ruff";
      else if (has(root, ".flake8") || setupCfg.includes("[flake8]")) linter = "flake8";
      else if (has(root, ".pylintrc") || pyproject?.includes("[tool.pylint")) linter = "pylint";
      versionFile = has(root, ".python-version") ? ".python-version" : undefined;
      runtimeVersion = /^\s*(\d+\.\d+)/.exec(read(root, ".python-version") ?? "")?.[1];
    }
  }

  const goMod = read(root, "go.mod");
  if (goMod !== undefined) {
    markers.push("go.mod");
    languages.push("go");
    packageManager ??= "go";
    if (languages[0] === "go") {
      versionFile = "go.mod";
      runtimeVersion = /^go\s+(\d+\.\d+)/m.exec(goMod)?.[1];
      if ([".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json"].some((f) => has(root, f)))
        linter = "golangci-lint";
    }
  }

  return {
    language: languages[0],
    languages,
    packageManager,
    markers,
    scripts,
    dependencies,
    linter,
    typeChecker,
    versionFile,
    runtimeVersion,
    hasDockerfile: has(root, "Dockerfile"),
    hasRequirementsTxt: has(root, "requirements.txt"),
    pythonBuildable: pyproject?.includes("[build-system]") ?? false,
  };
}

/** The placeholder `npm init` writes: not a test script. */
export function isPlaceholderTestScript(script: string | undefined): boolean {
  return script === undefined || /no test specified/i.test(script);
}

export const languageNames: Record<Language, string> = {
  typescript: "TypeScript",
  javascript: "JavaScript",
  python: "Python",
  go: "Go",
};
