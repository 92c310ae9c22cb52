/**
 * Runs the linter over a sequence of migration files: restores what an unchanged prefix of the
 * sequence produced last time (content-hash cache), and parses and lints the rest in parallel
 * chunks: chunk 0 in this thread, the others in worker threads that parse while earlier chunks are
 * linted, then receive the catalog as it stands before their first file.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type CachedRun, type CacheStore, openCache } from "./cache.js";
import { Catalog, type CatalogData } from "./catalog.js";
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
  /** Worker threads: "auto" uses them for large runs when compiled JS is available. */
  parallel?: "auto" | "off";
  onProgress?: (done: number, total: number) => void;
  /** shipgate's version: part of the cache key. */
  toolVersion: string;
}

export interface RunLintResult {
  files: FileLintResult[];
  /** Files whose results came from the cache. */
  cached: number;
  /** Worker threads used (0 when everything ran here). */
  workers: number;
}

/** Message from the main thread to a chunk worker. */
export type WorkerRequest =
  | { type: "start"; jobs: LintJob[]; settings: LintSettings }
  | { type: "catalog"; data: CatalogData };
/** Message from a chunk worker. */
export type WorkerResponse =
  | { type: "done"; results: FileLintResult[]; catalog: CatalogData }
  | { type: "error"; message: string; stack?: string };

const minFilesPerChunk = 150;

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

/** Lints one contiguous chunk in this thread. Exported for the worker. */
export function lintChunk(
  jobs: readonly LintJob[],
  settings: LintSettings,
  catalog: Catalog,
  onFile?: () => void,
): FileLintResult[] {
  const linter = new MigrationLinter({ ...settings, rules: allRules }, catalog);
  const results: FileLintResult[] = [];
  for (const job of jobs) {
    const parsed = parseFile(job.source);
    if (job.role === "replay") linter.replay(parsed);
    else results.push(linter.lint(job.source, parsed));
    onFile?.();
  }
  return results;
}

function workerScript(): string | undefined {
  const url = new URL("./lint-worker.js", import.meta.url);
  const path = fileURLToPath(url);
  // Under a TypeScript runner (tests) the worker is a .ts file Node cannot start: stay in-thread.
  return import.meta.url.endsWith(".js") && existsSync(path) ? path : undefined;
}

class ChunkWorker {
  private readonly worker: Worker;
  private readonly done: Promise<{ results: FileLintResult[]; catalog: CatalogData }>;

  constructor(script: string, jobs: LintJob[], settings: LintSettings) {
    this.worker = new Worker(script);
    this.done = new Promise((resolvePromise, reject) => {
      this.worker.on("message", (m: WorkerResponse) => {
        if (m.type === "done") resolvePromise({ results: m.results, catalog: m.catalog });
        if (m.type === "error") reject(Object.assign(new Error(m.message), { stack: m.stack }));
      });
      this.worker.on("error", reject);
      this.worker.on("exit", (code) => {
        if (code !== 0) reject(new Error(`lint worker exited with code ${code}`));
      });
    });
    this.worker.postMessage({ type: "start", jobs, settings } satisfies WorkerRequest);
  }

  async lintFrom(catalog: CatalogData): Promise<{ results: FileLintResult[]; catalog: CatalogData }> {
    this.worker.postMessage({ type: "catalog", data: catalog } satisfies WorkerRequest);
    try {
      return await this.done;
    } finally {
      await this.worker.terminate();
    }
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

function splitChunks<T>(items: readonly T[], count: number): T[][] {
  const chunks: T[][] = [];
  const size = Math.ceil(items.length / count);
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export async function runLint(options: RunLintOptions): Promise<RunLintResult> {
  const { jobs, settings } = options;
  const keys = chainKeys(jobs, settings, options.toolVersion);
  const cache: CacheStore | undefined = options.cacheDir ? openCache(options.cacheDir) : undefined;
  const previous: CachedRun | undefined = cache?.load();

  // Longest prefix whose results (for lint jobs) are cached, and the catalog snapshot to resume from.
  const results: (FileLintResult | undefined)[] = jobs.map((job, i) =>
    job.role === "lint" ? previous?.results[keys[i] as string] : undefined,
  );
  let resumeAt = 0;
  let catalog = new Catalog();
  if (previous) {
    const allCached = jobs.every((job, i) => job.role === "replay" || results[i] !== undefined);
    const snapshotAt = keys.indexOf(previous.catalogKey);
    if (allCached && jobs.length > 0 && keys[keys.length - 1] === previous.catalogKey) {
      resumeAt = jobs.length;
      catalog = new Catalog(previous.catalog);
    } else if (
      snapshotAt >= 0 &&
      jobs.slice(0, snapshotAt + 1).every((j, i) => j.role === "replay" || results[i])
    ) {
      resumeAt = snapshotAt + 1;
      catalog = new Catalog(previous.catalog);
    }
  }
  const cachedCount = jobs.slice(0, resumeAt).filter((j) => j.role === "lint").length;
  const total = jobs.filter((j) => j.role === "lint").length;
  let done = cachedCount;
  options.onProgress?.(done, total);

  const pending = jobs.slice(resumeAt);
  const script = options.parallel === "off" ? undefined : workerScript();
  const chunkCount = script
    ? Math.min(availableParallelism(), Math.floor(pending.length / minFilesPerChunk))
    : 1;
  const fresh: FileLintResult[] = [];
  let workersUsed = 0;
  if (pending.length > 0) {
    await loadParser();
    if (chunkCount <= 1 || !script) {
      fresh.push(...lintChunk(pending, settings, catalog, () => options.onProgress?.(++done, total)));
    } else {
      const chunks = splitChunks(pending, chunkCount);
      const [first = [], ...rest] = chunks;
      const workers = rest.map((chunk) => new ChunkWorker(script, chunk, settings));
      workersUsed = workers.length;
      try {
        const lintCount = (chunk: LintJob[]) => chunk.filter((j) => j.role === "lint").length;
        fresh.push(...lintChunk(first, settings, catalog, () => options.onProgress?.(++done, total)));
        let data = catalog.data;
        for (const [i, worker] of workers.entries()) {
          const out = await worker.lintFrom(data);
          fresh.push(...out.results);
          data = out.catalog;
          done += lintCount(rest[i] ?? []);
          options.onProgress?.(done, total);
        }
        catalog = new Catalog(data);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
  }

  const files: FileLintResult[] = [];
  let f = 0;
  for (const [i, job] of jobs.entries()) {
    if (job.role !== "lint") continue;
    const r = i < resumeAt ? results[i] : fresh[f++];
    if (r) files.push(r);
  }
  if (cache && jobs.length > 0) {
    const byKey: Record<string, FileLintResult> = {};
    let k = 0;
    for (const [i, job] of jobs.entries())
      if (job.role === "lint") byKey[keys[i] as string] = files[k++] as FileLintResult;
    cache.save({ results: byKey, catalogKey: keys[keys.length - 1] as string, catalog: catalog.data });
  }
  return { files, cached: cachedCount, workers: workersUsed };
}
