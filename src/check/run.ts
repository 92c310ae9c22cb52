/**
 * `shipgate check`: resolves the base of the change, runs every check in turn (with progress on a
 * terminal), times each one, and returns the checklist. A check that throws a ShipgateError becomes
 * a failed item that says why, so one broken input never hides the rest of the report.
 */
import path from "node:path";
import { loadConfig } from "../config/load.js";
import { isShipgateError, ShipgateError } from "../core/errors.js";
import { failingFindings } from "../core/finding.js";
import { gitChangedFiles, gitInsideWorkTree, gitResolveCommit } from "../core/git.js";
import type { Check, CheckContext, CheckItem } from "./types.js";

export interface CheckRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  /** The base ref; default: origin/main, else main (the ledger's last deploy once it exists). */
  base?: string;
  environment?: string;
  now?: Date;
  checks: readonly Check[];
  onProgress?: (done: number, total: number, current: string) => void;
}

export interface CheckRun {
  base: string | undefined;
  baseLabel: string | undefined;
  environment: string | undefined;
  items: CheckItem[];
  /** True when an item failed with an unapproved error finding. */
  failed: boolean;
  durationMs: number;
}

async function resolveBase(cwd: string, ref: string | undefined): Promise<{ base?: string; label?: string }> {
  if (!(await gitInsideWorkTree(cwd))) {
    if (ref !== undefined) {
      throw new ShipgateError("GIT_FAILED", `--base ${ref} needs a git repository`, {
        hint: "Run shipgate check inside the repository's checkout.",
      });
    }
    return {};
  }
  if (ref !== undefined) return { base: await gitResolveCommit(cwd, ref), label: ref };
  for (const candidate of ["origin/main", "origin/master", "main", "master"]) {
    try {
      return { base: await gitResolveCommit(cwd, candidate), label: candidate };
    } catch (error) {
      if (!isShipgateError(error)) throw error;
    }
  }
  return {};
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
  const { base, label } = await resolveBase(options.cwd, options.base);
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
  return {
    base,
    baseLabel: label,
    environment: options.environment,
    items,
    failed,
    durationMs: performance.now() - started,
  };
}
