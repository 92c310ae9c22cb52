/**
 * Assembling a release: build (optional), store the artifact by content hash, snapshot the
 * environment's config and env (sealed), and derive the release id from the version and all of
 * those. Rollback restores code and config together because both live in the release.
 */
import { createHash, createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { extract } from "tar";
import type { EnvironmentConfig, ShipgateConfig } from "../config/schema.js";
import { didYouMean } from "../core/closest-name.js";
import { ShipgateError } from "../core/errors.js";
import { ensureStateDir, stateDirName } from "../core/state-dir.js";
import { type EnvSourceOverride, readEnvironment } from "../env/source.js";
import type { Release } from "../ledger/types.js";
import { hashDirectory, runBuild, storeArtifact } from "./artifact.js";
import { sealEnv } from "./secrets.js";

export interface PrepareReleaseOptions {
  config: ShipgateConfig;
  configDir: string;
  environment: string;
  version: string;
  gitSha: string | null;
  actor: string;
  env: NodeJS.ProcessEnv;
  key: Buffer;
  now: Date;
  /** Dry run: build and hash the artifact without storing or recording it. */
  dryRun?: boolean;
  onLine?: (line: string) => void;
}

/** JSON with sorted keys, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function artifactDirFor(config: ShipgateConfig, configDir: string, version: string): string {
  return path.resolve(configDir, config.release.artifact.replaceAll("{version}", version));
}

export function artifactStoreDir(configDir: string): string {
  return path.join(configDir, stateDirName, "artifacts");
}

export function environmentConfig(config: ShipgateConfig, name: string): EnvironmentConfig {
  const env = config.environments[name];
  if (!env) {
    const known = Object.keys(config.environments);
    throw new ShipgateError("USAGE", `environment "${name}" is not in shipgate.yaml`, {
      hint:
        known.length > 0
          ? `${didYouMean(name, known)}Known environments: ${known.join(", ")}.`
          : "Declare it under environments: in shipgate.yaml (see docs/deploy.md).",
    });
  }
  return env;
}

/** The variables the release runs with, from the environment's declared source. */
async function envSnapshot(
  options: PrepareReleaseOptions,
  envConfig: EnvironmentConfig,
): Promise<Record<string, string>> {
  const declared = envConfig.env;
  if (!declared) return {};
  const { dotenv, command } = declared;
  const source: EnvSourceOverride =
    dotenv !== undefined ? { dotenv } : command !== undefined ? { command } : { process: true };
  const values = await readEnvironment(source, options.configDir, options.env, 60_000);
  if (!("process" in source)) return values;
  // The process environment holds far more than the app's variables (the runner's own secrets):
  // keep only the names the project declares in its env example file.
  const example = path.resolve(options.configDir, options.config.env.example ?? ".env.example");
  if (!existsSync(example)) return {};
  const names = Object.keys(parseDotenv(readFileSync(example)));
  return Object.fromEntries(
    names.filter((n) => values[n] !== undefined).map((n) => [n, values[n] as string]),
  );
}

export async function prepareRelease(options: PrepareReleaseOptions): Promise<Release> {
  const { config, configDir, version } = options;
  const envConfig = environmentConfig(config, options.environment);
  const sourceDir = artifactDirFor(config, configDir, version);
  const exclude = config.release.exclude;
  // A dry run builds too (the release id needs the artifact's hash); it stores and records nothing.
  if (config.release.build) {
    await runBuild({
      command: config.release.build,
      cwd: configDir,
      env: { SHIPGATE_VERSION: version, SHIPGATE_ENVIRONMENT: options.environment },
      ...(options.onLine ? { onLine: options.onLine } : {}),
    });
  }
  if (!existsSync(sourceDir)) {
    throw new ShipgateError(
      "FILE_NOT_FOUND",
      `the artifact ${path.relative(process.cwd(), sourceDir) || "."} for version ${version} does not exist`,
      {
        hint: 'Check release.artifact in shipgate.yaml ("{version}" is replaced by --version) and release.build.',
      },
    );
  }
  // A tarball is unpacked (node-tar: no absolute paths, no `..`) and stored like a directory.
  const unpacked = isTarball(sourceDir) ? await unpackTarball(sourceDir) : null;
  const contentDir = unpacked ?? sourceDir;
  try {
    if (!options.dryRun) ensureStateDir(configDir);
    const artifact = options.dryRun
      ? { ...(await hashDirectory(contentDir, exclude)), path: sourceDir }
      : await storeArtifact({ sourceDir: contentDir, storeDir: artifactStoreDir(configDir), exclude });
    const migrationsDir = path.join(contentDir, config.release.migrations);
    const migrationFiles = existsSync(migrationsDir)
      ? readdirSync(migrationsDir)
          .filter((f) => !f.startsWith(".") && !/\.(down|undo)\.sql$/i.test(f))
          .sort()
      : [];
    return await assemble(options, envConfig, artifact, migrationFiles);
  } finally {
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  }
}

const tarballPattern = /\.(tar|tar\.gz|tgz)$/i;

function isTarball(file: string): boolean {
  return tarballPattern.test(file) && statSync(file).isFile();
}

async function unpackTarball(file: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "shipgate-artifact-"));
  try {
    await extract({ file, cwd: dir, strict: true });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new ShipgateError(
      "FILE_NOT_FOUND",
      `the artifact ${file} is not a readable tarball: ${(error as Error).message}`,
      {
        hint: "release.artifact may name a directory, or a .tar / .tar.gz / .tgz file built by release.build.",
        cause: error,
      },
    );
  }
  return dir;
}

async function assemble(
  options: PrepareReleaseOptions,
  envConfig: EnvironmentConfig,
  artifact: { hash: string; path: string; bytes: number; files: number },
  migrationFiles: string[],
): Promise<Release> {
  const { config, version } = options;
  const env = await envSnapshot(options, envConfig);
  const configSnapshot: Record<string, unknown> = {
    environment: options.environment,
    ...envConfig,
    release: config.release,
    migrationFiles,
  };
  const envDigest = createHmac("sha256", options.key).update(stableJson(env)).digest("hex");
  // The version is part of the identity: the same content deployed as v2 and as v3 is two releases
  // (sharing one stored artifact), so history, status and the plan show the version deployed.
  const id = `r-${createHash("sha256")
    .update(stableJson([version, artifact.hash, config.release.start, configSnapshot, envDigest]))
    .digest("hex")
    .slice(0, 16)}`;
  const keys = Object.keys(env).sort();
  return {
    id,
    version,
    gitSha: options.gitSha,
    artifact: { hash: artifact.hash, path: artifact.path, bytes: artifact.bytes, files: artifact.files },
    start: config.release.start,
    config: configSnapshot,
    envKeys: keys,
    envSealed: keys.length > 0 ? sealEnv(env, options.key) : null,
    createdAt: options.now.toISOString(),
    createdBy: options.actor,
  };
}
