/**
 * `shipgate env audit`: gathers the inputs (files, the example file, what git tracks) and hands them
 * to the pure audit (src/env-audit/audit.ts); returns the report, and the CLI entry renders it and
 * derives the exit code.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import picomatch from "picomatch";
import { type LoadedConfig, loadConfig } from "../../config/load.js";
import { ShipgateError } from "../../core/errors.js";
import { compareFindings, failingFindings } from "../../core/finding.js";
import {
  gitChangedFiles,
  gitDeletedFiles,
  gitGrepFiles,
  gitInsideWorkTree,
  gitListFiles,
  gitReadFilesAtCommit,
  gitRepoRoot,
  gitResolveCommit,
} from "../../core/git.js";
import type { Report } from "../../core/report.js";
import {
  auditEnv,
  type ExampleFile,
  envAuditRules,
  findEnvReads,
  isEnvExampleVariant,
  parseExampleFile,
  type SourceFile,
  sourceLanguage,
} from "../../env-audit/audit.js";
import { firstNewlyRequiredReads, newlyRequired } from "../../env-audit/diff.js";
import { loadEnvSchema, parseSchemaReference } from "../../env-audit/schema-module.js";

export interface EnvAuditOptions {
  cwd: string;
  configPath?: string;
  /** Files or directories; empty: the repository's files (git), else a walk of cwd. */
  paths: string[];
  /** The example file (relative to cwd); default: config env.example. */
  example?: string;
  /**
   * Diff mode: report only the variables that became required (read without a default) between this
   * ref and the working tree (env-newly-required), plus parse errors of the current code.
   */
  since?: string;
  /** The env schema module (path or path#export), relative to cwd; default: config env.schema. */
  schema?: string;
}

export interface EnvAuditResult {
  report: Report;
  /** True when an unapproved error-severity finding exists. */
  failed: boolean;
}

/** Directories a walk never enters. */
const skippedDirs = new Set(["node_modules", "dist", ".git", "venv", ".venv", "__pycache__"]);

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** Every file under `dir` (absolute paths), skipping dependency, build and VCS directories. */
function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirs.has(entry.name)) walk(full, out);
    } else if (entry.isFile()) {
      out.push(full);
    }
  }
}

/** The files named on the command line (directories walked), as absolute paths. */
function expandPaths(cwd: string, paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      throw new ShipgateError("FILE_NOT_FOUND", `${p} does not exist`, {
        hint: "Pass files or directories that exist, or no paths to audit the whole repository.",
      });
    }
    if (isDir) walk(abs, out);
    else out.push(abs);
  }
  return out;
}

function readText(abs: string): string | undefined {
  try {
    return readFileSync(abs, "utf8");
  } catch {
    // Tracked but deleted from the work tree, or unreadable: nothing to audit.
    return undefined;
  }
}

function realpathOrSelf(abs: string): string {
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/**
 * The env schema module to load: the command line's (relative to cwd) wins over config env.schema
 * (relative to the config file). `display` is the module path relative to cwd, for messages.
 */
export function configuredSchema(
  loaded: LoadedConfig,
  cwd: string,
  flag: string | undefined,
): { baseDir: string; reference: string; display: string } | undefined {
  const baseDir = flag !== undefined ? cwd : loaded.dir;
  const reference = flag ?? loaded.config.env.schema;
  if (reference === undefined) return undefined;
  const { file } = parseSchemaReference(reference);
  return { baseDir, reference, display: toPosix(path.relative(cwd, path.resolve(baseDir, file))) };
}

export interface GatheredSources {
  /** Files git tracks (relative to cwd); [] outside a repository. */
  tracked: string[];
  /** Every candidate file (absolute, sorted): the named paths, else the repository's files. */
  candidates: string[];
  /** The JS/TS and Python files among them, with their text. */
  sources: SourceFile[];
}

/**
 * The files an env check reads: `paths` (directories walked), else the repository's tracked and
 * untracked-but-not-ignored files, else (outside git) every file under cwd.
 */
export async function gatherSources(cwd: string, paths: readonly string[]): Promise<GatheredSources> {
  const inGit = await gitInsideWorkTree(cwd);
  const tracked = inGit ? await gitListFiles(cwd) : [];
  let candidates: string[];
  if (paths.length > 0) candidates = expandPaths(cwd, paths);
  else if (inGit)
    candidates = (await gitListFiles(cwd, { untracked: true })).map((p) => path.resolve(cwd, p));
  else {
    candidates = [];
    walk(cwd, candidates);
  }
  candidates = [...new Set(candidates)].sort();
  const sources: SourceFile[] = [];
  for (const abs of candidates) {
    if (sourceLanguage(abs) === undefined) continue;
    const text = readText(abs);
    if (text !== undefined) sources.push({ path: toPosix(path.relative(cwd, abs)), text });
  }
  return { tracked, candidates, sources };
}

/**
 * Diff mode, in time proportional to the change rather than the repository. A variable is newly
 * required when some read of it has no default now and none had at the ref. Files the change did not
 * touch read the same variables at both versions, so only two sets of files are parsed: the changed
 * (and deleted) files at both versions, and the unchanged files that mention a candidate variable
 * (found by `git grep`, then parsed, so the answer equals a full comparison). Pydantic settings map
 * field names to variables (prefixes, aliases), so files defining BaseSettings are always included.
 */
async function auditSince(cwd: string, ref: string, paths: readonly string[]): Promise<EnvAuditResult> {
  // Resolves the ref first: an unknown ref (or no repository) is GIT_FAILED, with a hint.
  const commit = await gitResolveCommit(cwd, ref);
  const root = await gitRepoRoot(cwd);
  const realCwd = realpathOrSelf(cwd);
  const scope = paths.length > 0 ? paths.map((p) => toPosix(path.relative(cwd, path.resolve(cwd, p)))) : [""];
  const inScope = (rel: string): boolean =>
    !rel.startsWith("../") &&
    rel !== ".." &&
    !path.isAbsolute(rel) &&
    scope.some((s) => s === "" || rel === s || rel.startsWith(`${s}/`));
  const [changedAbs, deletedAbs] = await Promise.all([
    gitChangedFiles(cwd, commit),
    gitDeletedFiles(cwd, commit),
  ]);
  const relToCwd = (abs: string) => toPosix(path.relative(realCwd, abs));
  const changed = changedAbs.map(relToCwd).filter((rel) => inScope(rel) && sourceLanguage(rel) !== undefined);
  const deleted = deletedAbs.map(relToCwd).filter((rel) => inScope(rel) && sourceLanguage(rel) !== undefined);

  const nowSources: SourceFile[] = [];
  for (const rel of changed) {
    const text = readText(path.resolve(cwd, rel));
    if (text !== undefined) nowSources.push({ path: rel, text });
  }
  const fromRoot = (rel: string) => toPosix(path.relative(root, path.resolve(realCwd, rel)));
  const atRef = await gitReadFilesAtCommit(root, commit, [...changed, ...deleted].map(fromRoot));
  const decoder = new TextDecoder();
  const beforeSources: SourceFile[] = [];
  for (const rel of [...changed, ...deleted]) {
    const bytes = atRef.get(fromRoot(rel));
    if (bytes !== undefined) beforeSources.push({ path: rel, text: decoder.decode(bytes) });
  }

  const now = findEnvReads(nowSources);
  const before = findEnvReads(beforeSources);
  const candidates = [...firstNewlyRequiredReads(before.reads, now.reads).keys()];
  let findings = newlyRequired(before.reads, now.reads, ref);
  if (candidates.length > 0) {
    const touched = new Set([...changed, ...deleted]);
    const mentioning = await gitGrepFiles(cwd, [...candidates, "BaseSettings"]);
    const unchanged: SourceFile[] = [];
    for (const rel of mentioning) {
      if (touched.has(rel) || !inScope(rel) || sourceLanguage(rel) === undefined) continue;
      const text = readText(path.resolve(cwd, rel));
      if (text !== undefined) unchanged.push({ path: rel, text });
    }
    const same = findEnvReads(unchanged).reads;
    findings = newlyRequired([...before.reads, ...same], [...now.reads, ...same], ref);
  }
  findings.push(...now.findings);
  findings.sort(compareFindings);
  return {
    report: {
      command: "env audit",
      files: nowSources.map((s) => ({ path: s.path })),
      findings,
      sources: new Map(nowSources.map((s) => [s.path, s.text])),
      ruleDescriptions: envAuditRules,
    },
    failed: failingFindings(findings).length > 0,
  };
}

export async function runEnvAudit(options: EnvAuditOptions): Promise<EnvAuditResult> {
  const { cwd } = options;
  const loaded = loadConfig({ cwd, ...(options.configPath ? { configPath: options.configPath } : {}) });
  const rel = (abs: string) => toPosix(path.relative(cwd, abs));

  const exampleAbs = options.example
    ? path.resolve(cwd, options.example)
    : path.resolve(loaded.dir, loaded.config.env.example);
  if (options.example && !existsSync(exampleAbs)) {
    throw new ShipgateError("FILE_NOT_FOUND", `example file ${options.example} does not exist`, {
      hint: "Pass the file that declares your variables (e.g. --example .env.example), or omit --example.",
    });
  }
  if (existsSync(exampleAbs) && statSync(exampleAbs).isDirectory()) {
    const shown = options.example ?? rel(exampleAbs);
    throw new ShipgateError(
      options.example ? "USAGE" : "CONFIG_INVALID",
      `example file ${shown} is a directory`,
      {
        hint: options.example
          ? "Pass the example file itself (e.g. --example config/.env.example)."
          : "Set env.example in shipgate.yaml to the example file itself (e.g. config/.env.example).",
      },
    );
  }
  const exampleText = readText(exampleAbs);
  const example = exampleText === undefined ? undefined : parseExampleFile(rel(exampleAbs), exampleText);

  if (options.since !== undefined) return await auditSince(cwd, options.since, options.paths);

  const { tracked, candidates, sources } = await gatherSources(cwd, options.paths);

  // env-parity: variants git tracks or the command line names, with the main example beside them.
  const variantPaths = new Set([
    ...tracked.filter(isEnvExampleVariant).map((p) => path.resolve(cwd, p)),
    ...(options.paths.length > 0 ? candidates.filter(isEnvExampleVariant) : []),
  ]);
  const parityFiles: ExampleFile[] = [];
  for (const abs of variantPaths) {
    const text = readText(abs);
    if (text !== undefined) parityFiles.push(parseExampleFile(rel(abs), text));
  }
  if (example && parityFiles.some((f) => path.posix.dirname(f.path) === path.posix.dirname(example.path))) {
    parityFiles.push(example);
  }

  const globs = loaded.config.env.configModules;
  const matchesConfigModule = picomatch(globs, { dot: true });
  const inConfigModule =
    globs.length === 0
      ? undefined
      : (file: string): boolean => {
          const fromConfig = toPosix(path.relative(loaded.dir, path.resolve(cwd, file)));
          return matchesConfigModule(fromConfig);
        };

  const schemaRef = configuredSchema(loaded, cwd, options.schema);
  const schema = schemaRef ? await loadEnvSchema(schemaRef.baseDir, schemaRef.reference) : undefined;

  const result = auditEnv({
    sources,
    example,
    examplePath: rel(exampleAbs),
    trackedFiles: tracked,
    parityFiles,
    configModules: globs,
    ...(inConfigModule ? { inConfigModule } : {}),
    ...(schema && schemaRef
      ? { schema: { path: schemaRef.display, names: Object.keys(schema.schema) } }
      : {}),
  });

  // Code frames show source lines: only code is passed, never an env or example file (values).
  return {
    report: {
      command: "env audit",
      files: [...sources.map((s) => ({ path: s.path })), ...(example ? [{ path: example.path }] : [])],
      findings: result.findings,
      sources: new Map(sources.map((s) => [s.path, s.text])),
      ruleDescriptions: envAuditRules,
    },
    failed: failingFindings(result.findings).length > 0,
  };
}
