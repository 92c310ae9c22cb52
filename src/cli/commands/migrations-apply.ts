/**
 * `shipgate migrations apply`: returns data (the apply result); the CLI entry renders it and turns
 * result.error into the exit code. See src/migrations/apply/apply.ts for the steps.
 */
import { loadConfig } from "../../config/load.js";
import { type MigrationsFlags, type ResolvedMigrations, resolveMigrations } from "../../config/resolve.js";
import { frameworks, type ShipgateConfig } from "../../config/schema.js";
import { toolVersion } from "../../core/version.js";
import {
  type ApplyEvent,
  type ApplyFlags,
  type ApplyResult,
  type ApplySettings,
  applyMigrations,
  loadMigrationFiles,
  type MigrationFile,
  resolveApplySettings,
  resolveDatabaseUrl,
} from "../../migrations/apply/index.js";
import type { Framework } from "../../migrations/discover.js";
import { knownRuleIds } from "./migrations-lint.js";

export interface ProjectOptions extends ApplyFlags {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  paths?: string[];
  framework?: string;
  transaction?: string;
}

export interface Project {
  config: ShipgateConfig;
  configDir: string;
  migrations: ResolvedMigrations;
  settings: ApplySettings;
}

/** Config, migration settings and apply settings, with the precedence written in config/resolve.ts. */
export function loadProject(options: ProjectOptions): Project {
  const loaded = loadConfig({
    cwd: options.cwd,
    ...(options.configPath ? { configPath: options.configPath } : {}),
    knownRuleIds,
  });
  const flags: MigrationsFlags = {
    ...(options.paths && options.paths.length > 0 ? { paths: options.paths } : {}),
    ...(options.framework ? { framework: options.framework } : {}),
    ...(options.transaction ? { transaction: options.transaction } : {}),
  };
  return {
    config: loaded.config,
    configDir: loaded.dir,
    migrations: resolveMigrations(loaded.config.migrations, loaded.dir, options.cwd, options.env, flags, [
      ...frameworks,
      "auto",
    ]),
    settings: resolveApplySettings(loaded.config.migrations, loaded.dir, options.cwd, options),
  };
}

export async function loadProjectFiles(
  project: Project,
  cwd: string,
): Promise<{ framework: Framework; files: MigrationFile[] }> {
  return loadMigrationFiles({
    cwd,
    configDir: project.configDir,
    paths: project.migrations.paths,
    framework: project.migrations.framework,
    transaction: project.migrations.transaction,
  });
}

export interface MigrationsApplyOptions extends ProjectOptions {
  databaseUrl?: string;
  dryRun?: boolean;
  /** The framework's runner, e.g. "npx prisma migrate deploy". */
  command?: string;
  commandOutput?: NodeJS.WritableStream;
  onEvent?: (event: ApplyEvent) => void;
  /** Tests: poll interval of the advisory lock, and a fake sleep for backoff. */
  lockPollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface MigrationsApplyResult {
  result: ApplyResult;
  /** True when the run was refused or a migration failed (result.error says why). */
  failed: boolean;
}

export async function runMigrationsApply(options: MigrationsApplyOptions): Promise<MigrationsApplyResult> {
  const url = resolveDatabaseUrl(options.databaseUrl, options.env, "shipgate migrations apply");
  const project = loadProject(options);
  const { framework, files } = await loadProjectFiles(project, options.cwd);
  const result = await applyMigrations({
    url,
    files,
    framework,
    transaction: project.migrations.transaction,
    settings: project.settings,
    ruleSettings: project.migrations.rules,
    approvals: project.migrations.approvals,
    toolVersion,
    dryRun: options.dryRun ?? false,
    ...(options.command !== undefined ? { command: options.command } : {}),
    cwd: options.cwd,
    env: options.env,
    ...(options.commandOutput ? { commandOutput: options.commandOutput } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.lockPollMs !== undefined ? { lockPollMs: options.lockPollMs } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  return { result, failed: result.error !== undefined };
}
