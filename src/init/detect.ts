/**
 * What `shipgate init` needs to know about an existing repository: its stack (stack.ts), its
 * migrations (the migration linter's own framework detection, src/migrations/discover.ts), its API
 * spec files, and the CI it already has (files, or a GitLab remote).
 */
import { execFile } from "node:child_process";
import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
// Not through check/pipeline/index.ts: the pipeline audit imports init, and this keeps the graph acyclic.
import { findCiFiles } from "../check/pipeline/discover.js";
import { gitInsideWorkTree, gitListFiles } from "../core/git.js";
import type { Framework } from "../migrations/discover.js";
import { conventionalDirs as sqlMigrationDirs } from "../migrations/discover.js";
import { detectStack, type Stack } from "./stack.js";

export interface DetectedMigrations {
  framework: Framework;
  /** Relative to the repository root, forward slashes. */
  dir: string;
  files: number;
}

export interface ProjectFacts {
  /** The repository root (absolute). */
  root: string;
  stack: Stack;
  migrations: DetectedMigrations | undefined;
  /** Alembic is set up (alembic.ini): its migrations are Python; lint the SQL it prints. */
  alembic: boolean;
  /** Spec files, relative to the root, sorted. */
  specs: { openapi: string[]; graphql: string[] };
  /** CI the repository already has. */
  ci: { github: string[]; gitlab: boolean; jenkins: boolean; gitlabRemote: boolean };
}

/** Directories never searched for spec files. */
const skippedDirs =
  /(^|\/)(node_modules|vendor|dist|build|out|target|coverage|\.git|\.venv|venv|__pycache__|fixtures|__tests__|testdata|examples?)(\/|$)/;

const maxSpecs = 20;

function walk(root: string, dir: string, out: string[], depth = 0): void {
  if (depth > 12 || out.length > 20_000) return;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const abs = join(dir, e.name);
    const rel = relative(root, abs).split(sep).join("/");
    if (e.isDirectory()) {
      if (!e.name.startsWith(".") && !skippedDirs.test(`${rel}/`)) walk(root, abs, out, depth + 1);
    } else if (e.isFile()) {
      out.push(rel);
    }
  }
}

async function repositoryFiles(root: string): Promise<string[]> {
  if (await gitInsideWorkTree(root)) {
    try {
      return await gitListFiles(root, { untracked: true });
    } catch {
      // fall back to a walk
    }
  }
  const out: string[] = [];
  walk(root, root, out);
  return out;
}

function looksLikeGraphqlSchema(root: string, file: string): boolean {
  if (/\.graphqls$/i.test(file) || /schema/i.test(basename(file))) return true;
  try {
    if (statSync(join(root, file)).size > 4 * 1024 * 1024) return false;
    const text = readFileSync(join(root, file), "utf8");
    return /\btype\s+(?:Query|Mutation|Subscription)\b|^\s*schema\s*\{/m.test(text);
  } catch {
    return false;
  }
}

/** OpenAPI/Swagger documents and GraphQL schemas among the repository's files. */
export function findSpecFiles(
  root: string,
  files: readonly string[],
): { openapi: string[]; graphql: string[] } {
  const openapi: string[] = [];
  const graphql: string[] = [];
  for (const file of files) {
    if (skippedDirs.test(file)) continue;
    const name = basename(file);
    if (/^(?:openapi|swagger)[\w.-]*\.(?:ya?ml|json)$/i.test(name)) {
      if (openapi.length < maxSpecs) openapi.push(file);
    } else if (
      /\.(?:graphqls?|gql)$/i.test(name) &&
      graphql.length < maxSpecs &&
      looksLikeGraphqlSchema(root, file)
    ) {
      graphql.push(file);
    }
  }
  return { openapi: openapi.sort(), graphql: graphql.sort() };
}

async function detectMigrations(root: string): Promise<DetectedMigrations | undefined> {
  const { discoverMigrations } = await import("../migrations/discover.js");
  for (const dir of sqlMigrationDirs) {
    try {
      if (!statSync(join(root, ...dir.split("/"))).isDirectory()) continue;
    } catch {
      continue;
    }
    try {
      const found = await discoverMigrations({ cwd: root, paths: [dir] });
      if (found.targets.length === 0) continue;
      return { framework: found.framework, dir, files: found.targets.length };
    } catch {
      // e.g. a directory mixing frameworks: the linter will say so; init does not guess
    }
  }
  return undefined;
}

function gitRemotes(root: string): Promise<string> {
  return new Promise((resolve) => {
    execFile("git", ["remote", "-v"], { cwd: root, timeout: 5000, windowsHide: true }, (error, stdout) => {
      resolve(error ? "" : String(stdout));
    });
  });
}

export async function detectProject(root: string): Promise<ProjectFacts> {
  const stack = detectStack(root);
  const [migrations, files, remotes] = await Promise.all([
    detectMigrations(root),
    repositoryFiles(root),
    gitRemotes(root),
  ]);
  const location = findCiFiles(root);
  const here = location?.root === root ? location : undefined;
  let alembic = false;
  try {
    alembic = statSync(join(root, "alembic.ini")).isFile();
  } catch {
    alembic = false;
  }
  return {
    root,
    stack,
    migrations,
    alembic,
    specs: findSpecFiles(root, files),
    ci: {
      github: (here?.github ?? []).map((f) => relative(root, f).split(sep).join("/")),
      gitlab: here?.gitlab !== undefined,
      jenkins: here?.jenkins !== undefined,
      gitlabRemote: /gitlab/i.test(remotes),
    },
  };
}
