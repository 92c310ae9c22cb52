/**
 * Runs the linter over a sequence of migration files, restoring what an unchanged prefix of the
 * sequence produced last time (content-hash cache).
 *
 * Everything runs in this thread. Worker threads were measured and rejected (docs/performance.md):
 * linting is sequential because each file needs the catalog left by the one before, and shipping
 * parse trees between threads costs more than parsing them.
 */
import { createHash } from "node:crypto";
import { type CachedRun, type CacheStore, openCache } from "./cache.js";
import { Catalog } from "./catalog.js";
import { type FileLintResult, type LintOptions, MigrationLinter, type MigrationSource } from "./lint.js";
import { loadParser, parseFile } from "./parse.js";
import { allRules } from "./rules/index.js";

export type JobRole = "replay" | "lint";

export interface LintJob {
  source: MigrationSource;
  /** replay: build the catalog only (schema dump, already-applied migrations); lint: report. */
  role: JobRole;
}

export type LintSettings = Omit<LintOptions, "rules">;

export interface RunLintOptions {
  jobs: LintJob[];
  settings: LintSettings;
  /** Directory for the content-hash cache; undefined disables it. */
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
  /** shipgate's version: part of the cache key. */
  toolVersion: string;
}

export interface RunLintResult {
  files: FileLintResult[];
  /** Files whose results came from the cache. */
  cached: number;
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Chain keys: key i covers the settings, the tool version and every job up to and including i. */
function chainKeys(jobs: readonly LintJob[], settings: LintSettings, toolVersion: string): string[] {
  let prev = sha(JSON.stringify({ toolVersion, settings }));
  return jobs.map((job) => {
    prev = sha(
      `${prev}\0${job.role}\0${job.source.path}\0${job.source.transactionModel ?? ""}\0${sha(job.source.text)}`,
    );
    return prev;
  });
}

/** Where to resume: the number of leading jobs whose outcome the cache holds, and the catalog after them. */
function resumePoint(
  jobs: readonly LintJob[],
  keys: readonly string[],
  previous: CachedRun | undefined,
): { at: number; catalog: Catalog } {
  if (!previous) return { at: 0, catalog: new Catalog() };
  const snapshotAt = keys.indexOf(previous.catalogKey);
  if (snapshotAt < 0) return { at: 0, catalog: new Catalog() };
  const prefixCached = jobs
    .slice(0, snapshotAt + 1)
    .every((job, i) => job.role === "replay" || previous.results[keys[i] as string] !== undefined);
  return prefixCached
    ? { at: snapshotAt + 1, catalog: new Catalog(previous.catalog) }
    : { at: 0, catalog: new Catalog() };
}

export async function runLint(options: RunLintOptions): Promise<RunLintResult> {
  const { jobs, settings } = options;
  const keys = chainKeys(jobs, settings, options.toolVersion);
  const cache: CacheStore | undefined = options.cacheDir ? openCache(options.cacheDir) : undefined;
  const previous = cache?.load();
  const resume = resumePoint(jobs, keys, previous);

  const total = jobs.filter((j) => j.role === "lint").length;
  const files: FileLintResult[] = [];
  for (const [i, job] of jobs.slice(0, resume.at).entries()) {
    if (job.role === "lint") files.push(previous?.results[keys[i] as string] as FileLintResult);
  }
  const cached = files.length;
  options.onProgress?.(cached, total);

  const linter = new MigrationLinter({ ...settings, rules: allRules }, resume.catalog);
  if (resume.at < jobs.length) {
    await loadParser();
    for (const job of jobs.slice(resume.at)) {
      const parsed = parseFile(job.source);
      if (job.role === "replay") linter.replay(parsed);
      else {
        files.push(linter.lint(job.source, parsed));
        options.onProgress?.(files.length, total);
      }
    }
  }

  if (cache && jobs.length > 0 && resume.at < jobs.length) {
    const results: Record<string, FileLintResult> = {};
    let k = 0;
    for (const [i, job] of jobs.entries())
      if (job.role === "lint") results[keys[i] as string] = files[k++] as FileLintResult;
    cache.save({ results, catalogKey: keys[keys.length - 1] as string, catalog: linter.catalog.data });
  }
  return { files, cached };
}
