/**
 * `shipgate check`: resolves the base of the change (by default the version last deployed to the
 * environment, per the release ledger), runs every check in turn (with progress on a
 * terminal), times each one, and returns the checklist. A check that throws a ShipgateError becomes
 * a failed item that says why, so one broken input never hides the rest of the report.
 */
import path from "node:path";
import { loadConfig } from "../config/load.js";
import type { ShipgateConfig } from "../config/schema.js";
import { isShipgateError, ShipgateError } from "../core/errors.js";
import { failingFindings } from "../core/finding.js";
import { gitChangedFiles, gitInsideWorkTree, gitResolveCommit } from "../core/git.js";
import type { GateRecordOutcome } from "./record-report.js";
import type { Check, CheckContext, CheckItem } from "./types.js";

export interface CheckRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  /** The base ref; default: the version last deployed to `environment` per the ledger, else origin/main. */
  base?: string;
  environment?: string;
  now?: Date;
  checks: readonly Check[];
  onProgress?: (done: number, total: number, current: string) => void;
  /**
   * Store the report in the ledger, keyed by HEAD (see record-report.ts; `shipgate check` does,
   * unless --no-record). Default false: tests and the rollback plan record nothing.
   */
  record?: boolean;
}

export interface CheckRun {
  base: string | undefined;
  baseLabel: string | undefined;
  environment: string | undefined;
  items: CheckItem[];
  /** True when an item failed with an unapproved error finding. */
  failed: boolean;
  durationMs: number;
  /** Whether the report was stored in the ledger, or why not; absent when recording was not asked for. */
  recorded?: GateRecordOutcome;
}

export interface ResolvedBase {
  base?: string;
  /** How it was chosen: the ref given, "last deploy to <env> (<version>)", or "origin/main". */
  label?: string;
  /** Without a base: why, for the items and the plan that need one. */
  why?: string;
}

export interface ResolveBaseOptions {
  cwd: string;
  /** --base; when given it is used as is. */
  ref: string | undefined;
  /** The target environment: the default base is the version last deployed there per the ledger. */
  environment?: string | undefined;
  config: ShipgateConfig;
  configDir: string;
  env: NodeJS.ProcessEnv;
}

/** The git SHA of the environment's current release per the ledger, read without writing to it. */
async function lastDeployed(
  options: ResolveBaseOptions,
  environment: string,
): Promise<{ sha: string; version: string } | undefined> {
  // Loaded on demand: the SQLite driver costs nothing to a check without an environment.
  const { currentRelease, openLedgerForReading } = await import("./ledger-read.js");
  const access = await openLedgerForReading(options.config, options.configDir, options.env);
  if (access.ledger === null) return undefined;
  try {
    const release = await currentRelease(access.ledger, environment);
    return release?.gitSha ? { sha: release.gitSha, version: release.version } : undefined;
  } finally {
    await access.ledger.close();
  }
}

/**
 * The base of the change: --base when given; else, with an environment, the commit of the release
 * serving it per the ledger; else origin/main (origin/master, main, master). A deployed commit
 * missing from this clone (a shallow CI checkout) falls back to origin/main, and the label says so.
 */
export async function resolveBase(options: ResolveBaseOptions): Promise<ResolvedBase> {
  const { cwd, ref } = options;
  if (!(await gitInsideWorkTree(cwd))) {
    if (ref !== undefined) {
      throw new ShipgateError("GIT_FAILED", `--base ${ref} needs a git repository`, {
        hint: "Run shipgate check inside the repository's checkout.",
      });
    }
    return { why: "not a git repository: there is no change to diff (run inside the repository's checkout)" };
  }
  if (ref !== undefined) return { base: await gitResolveCommit(cwd, ref), label: ref };
  let note = "";
  if (options.environment !== undefined) {
    const deployed = await lastDeployed(options, options.environment);
    if (deployed) {
      try {
        const base = await gitResolveCommit(cwd, deployed.sha);
        return { base, label: `last deploy to ${options.environment} (${deployed.version})` };
      } catch (error) {
        if (!isShipgateError(error)) throw error;
        note = ` (the ${options.environment} release ${deployed.version}, ${deployed.sha.slice(0, 12)}, is not in this clone: fetch it or pass --base)`;
      }
    }
  }
  for (const candidate of ["origin/main", "origin/master", "main", "master"]) {
    try {
      return { base: await gitResolveCommit(cwd, candidate), label: `${candidate}${note}` };
    } catch (error) {
      if (!isShipgateError(error)) throw error;
    }
  }
  return { why: "no base: none of origin/main, origin/master, main, master exists here (pass --base <ref>)" };
}

export async function runCheck(options: CheckRunOptions): Promise<CheckRun> {
  const started = performance.now();
  const loaded = loadConfig({
    cwd: options.cwd,
    ...(options.configPath ? { configPath: options.configPath } : {}),
  });
  if (options.environment !== undefined && !(options.environment in loaded.config.environments)) {
    const names = Object.keys(loaded.config.environments);
    throw new ShipgateError(
      "CONFIG_INVALID",
      `environment "${options.environment}" is not declared in shipgate.yaml`,
      {
        hint:
          names.length > 0
            ? `Declared environments: ${names.join(", ")}.`
            : `Declare it under environments: in shipgate.yaml, e.g.\n  environments:\n    ${options.environment}: {}`,
      },
    );
  }
  const { base, label, why } = await resolveBase({
    cwd: options.cwd,
    ref: options.base,
    environment: options.environment,
    config: loaded.config,
    configDir: loaded.dir,
    env: options.env,
  });
  const changed = base
    ? (await gitChangedFiles(options.cwd, base)).map((abs) =>
        path.relative(options.cwd, abs).split(path.sep).join("/"),
      )
    : [];
  const context: CheckContext = {
    cwd: options.cwd,
    configDir: loaded.dir,
    configPath: loaded.path,
    config: loaded.config,
    env: options.env,
    base,
    baseLabel: label,
    whyNoBase: why,
    changedFiles: changed,
    environment: options.environment,
    now: options.now ?? new Date(),
  };
  const items: CheckItem[] = [];
  let done = 0;
  for (const check of options.checks) {
    options.onProgress?.(done, options.checks.length, check.id);
    const t0 = performance.now();
    try {
      const produced = await check.run(context);
      const elapsed = performance.now() - t0;
      for (const item of produced) {
        items.push({ ...item, durationMs: item.durationMs ?? (item.status === "skipped" ? 0 : elapsed) });
      }
    } catch (error) {
      if (!isShipgateError(error) || error.code === "USAGE") throw error;
      items.push({
        id: `${check.id}.error`,
        group: "application",
        title: `The ${check.id} check ran`,
        status: "fail",
        detail: error.message,
        findings: [
          {
            ruleId: "check-could-not-run",
            severity: "error",
            message: `the ${check.id} check could not run: ${error.message}`,
            ...(error.hint ? { help: error.hint } : {}),
          },
        ],
        durationMs: performance.now() - t0,
      });
    }
    done++;
  }
  options.onProgress?.(done, options.checks.length, "done");
  const failed = items.some((i) => i.status === "fail" && failingFindings(i.findings).length > 0);
  const run: CheckRun = {
    base,
    baseLabel: label,
    environment: options.environment,
    items,
    failed,
    durationMs: performance.now() - started,
  };
  if (options.record === true) {
    // Loaded on demand: the ledger driver costs nothing to a run that records nothing.
    const { recordCheckReport } = await import("./record-report.js");
    run.recorded = await recordCheckReport({
      cwd: options.cwd,
      config: loaded.config,
      configDir: loaded.dir,
      env: options.env,
      run,
      ...(options.now ? { now: options.now } : {}),
    });
  }
  return run;
}
