/** Worker thread: parses its chunk at once, then lints it when the catalog before it arrives. */
import { parentPort } from "node:worker_threads";
import { Catalog } from "./catalog.js";
import { MigrationLinter } from "./lint.js";
import { loadParser, type ParsedFile, parseFile } from "./parse.js";
import { allRules } from "./rules/index.js";
import type { LintJob, LintSettings, WorkerRequest, WorkerResponse } from "./run.js";

const port = parentPort;
if (!port) throw new Error("lint-worker must run in a worker thread");

let jobs: LintJob[] = [];
let settings: LintSettings | undefined;
let parsed: ParsedFile[] | undefined;
let waitingCatalog: CatalogDataHolder | undefined;

interface CatalogDataHolder {
  data: Extract<WorkerRequest, { type: "catalog" }>["data"];
}

function send(message: WorkerResponse): void {
  port?.postMessage(message);
}

function lintNow(holder: CatalogDataHolder): void {
  if (!settings || !parsed) return;
  const linter = new MigrationLinter({ ...settings, rules: allRules }, new Catalog(holder.data));
  const results = [];
  for (const [i, job] of jobs.entries()) {
    const file = parsed[i] as ParsedFile;
    if (job.role === "replay") linter.replay(file);
    else results.push(linter.lint(job.source, file));
  }
  send({ type: "done", results, catalog: linter.catalog.data });
}

port.on("message", (m: WorkerRequest) => {
  try {
    if (m.type === "start") {
      jobs = m.jobs;
      settings = m.settings;
      loadParser()
        .then(() => {
          parsed = jobs.map((j) => parseFile(j.source));
          if (waitingCatalog) lintNow(waitingCatalog);
        })
        .catch((error: unknown) => send({ type: "error", message: String(error) }));
    } else if (parsed) {
      lintNow({ data: m.data });
    } else {
      waitingCatalog = { data: m.data };
    }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: "error", message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
  }
});
