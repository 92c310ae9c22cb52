/**
 * The migration linter on the change, run once per `shipgate check`: the migrations item reports
 * its findings, the rollback-readiness item reads the class of each migration from the same run.
 */
import type { MigrationsLintResult } from "../cli/commands/migrations-lint.js";
import type { CheckContext } from "./types.js";

export interface ChangeMigrationsOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string | undefined;
  /** Only migrations added or changed since this commit are linted; earlier ones are the baseline. */
  base?: string | undefined;
}

/**
 * `migrations lint` on the migrations added or changed since the base (all of them without a base).
 * Undefined when the repository has no migrations directory.
 */
export async function lintChangeMigrations(
  options: ChangeMigrationsOptions,
): Promise<MigrationsLintResult | undefined> {
  const [{ runMigrationsLint }, { ShipgateError }] = await Promise.all([
    import("../cli/commands/migrations-lint.js"),
    import("../core/errors.js"),
  ]);
  try {
    return await runMigrationsLint({
      cwd: options.cwd,
      env: options.env,
      paths: [],
      ...(options.configPath ? { configPath: options.configPath } : {}),
      ...(options.base ? { since: options.base } : {}),
    });
  } catch (error) {
    if (error instanceof ShipgateError && error.message === "no migrations directory found") return undefined;
    throw error;
  }
}

const runs = new WeakMap<CheckContext, Promise<MigrationsLintResult | undefined>>();

/** lintChangeMigrations for a check run, shared by the checks of that run. */
export function lintChangeMigrationsOnce(ctx: CheckContext): Promise<MigrationsLintResult | undefined> {
  let run = runs.get(ctx);
  if (!run) {
    run = lintChangeMigrations({ cwd: ctx.cwd, env: ctx.env, configPath: ctx.configPath, base: ctx.base });
    runs.set(ctx, run);
  }
  return run;
}
