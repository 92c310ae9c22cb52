/**
 * The content-hash cache of lint results. One JSON file per project: the results of the last run
 * keyed by chain key (a hash of the settings, the tool version and every file up to that one), and
 * the catalog after the last file, so a run that only appends migrations lints just the new ones.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { CatalogData } from "./catalog.js";
import type { FileLintResult } from "./lint.js";

export interface CachedRun {
  results: Record<string, FileLintResult>;
  catalogKey: string;
  catalog: CatalogData;
}

export interface CacheStore {
  load(): CachedRun | undefined;
  save(run: CachedRun): void;
}

/** The project's cache directory: $XDG_CACHE_HOME/shipgate/<hash of the project path> (default ~/.cache). */
export function defaultCacheDir(cwd: string, env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const project = createHash("sha256").update(resolve(cwd)).digest("hex").slice(0, 16);
  return join(base, "shipgate", project);
}

// v2: a file with a statement that does not parse is classed destructive (v1 cached "additive").
const fileName = "migrations-lint.v2.json";

export function openCache(dir: string): CacheStore {
  const path = join(dir, fileName);
  return {
    load() {
      try {
        const run = JSON.parse(readFileSync(path, "utf8")) as CachedRun;
        return typeof run.catalogKey === "string" && run.results && run.catalog ? run : undefined;
      } catch {
        return undefined; // missing or corrupt: a cold run rewrites it
      }
    },
    save(run) {
      try {
        mkdirSync(dir, { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(run));
        renameSync(tmp, path);
      } catch {
        // A read-only or full disk must not fail the lint; the next run is simply cold.
      }
    },
  };
}
