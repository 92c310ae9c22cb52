/**
 * Replaying the answer to an unchanged re-run of `shipgate migrations lint`, before the CLI
 * framework, the config schema or the linter are even loaded.
 *
 * After a lint, the CLI saves what it printed and its exit code, keyed by everything else the
 * answer depends on (shipgate's version, the arguments, the working directory, the environment,
 * whether stdout is a terminal) together with the recording of every file-system observation the
 * run made: the config lookup, the migration discovery and every file's bytes (src/core/disk.ts).
 * A later run with the same key makes those observations again; when they all see the same thing,
 * the answer cannot differ, and it is printed as saved. Anything else (a file changed, added or
 * removed, a config file moved) runs the lint, which still resumes from the per-file cache
 * (src/migrations/cache.ts).
 *
 * Only runs whose inputs are all files are saved: not --since (git) or --sql-from (a command).
 */
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { type DiskRecording, replayDisk } from "../core/disk.js";
import { toolVersion } from "../core/version.js";
import { defaultCacheDir } from "../migrations/cache.js";

/** The first line of a saved answer; the bytes printed follow it, as they were. */
interface AnswerHeader {
  key: string;
  disk: DiskRecording;
  exitCode: number;
}

export interface ReplayIo {
  stdout: { isTTY?: boolean; write(text: string | Uint8Array): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Answers kept per cache directory (one per recent command line); the oldest are removed. */
const keep = 4;
const prefix = "lint-replay.";
const suffix = ".v1.json";

// Shell bookkeeping that changes between two identical commands and never reaches the lint.
const volatileEnv = new Set(["_", "OLDPWD"]);

/** Everything besides the files that the printed answer depends on. */
function answerKey(argv: readonly string[], io: ReplayIo): string {
  const env = Object.entries(io.env)
    .filter(([name]) => !volatileEnv.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256")
    .update(
      JSON.stringify({
        toolVersion,
        node: process.version,
        argv,
        cwd: resolve(io.cwd),
        tty: Boolean(io.stdout.isTTY),
        env,
      }),
    )
    .digest("hex");
}

/** The cache directory the command line names (as the lint command resolves it), or none. */
function cacheDirOf(argv: readonly string[], io: ReplayIo): string | undefined {
  if (argv[0] !== "migrations" || argv[1] !== "lint" || argv.includes("--no-cache")) return undefined;
  const at = argv.indexOf("--cache-dir");
  if (at >= 0) return argv[at + 1] === undefined ? undefined : resolve(io.cwd, argv[at + 1] as string);
  const inline = argv.find((a) => a.startsWith("--cache-dir="));
  if (inline !== undefined) return resolve(io.cwd, inline.slice("--cache-dir=".length));
  return defaultCacheDir(io.cwd, io.env);
}

function answerPath(dir: string, key: string): string {
  return join(dir, `${prefix}${key.slice(0, 32)}${suffix}`);
}

/**
 * Prints the saved answer to this command line when nothing it read has changed, and returns its
 * exit code; undefined when there is none (the caller runs the command).
 */
export function replayLint(argv: readonly string[], io: ReplayIo): number | undefined {
  const dir = cacheDirOf(argv, io);
  if (dir === undefined) return undefined;
  const key = answerKey(argv, io);
  let saved: Buffer;
  let header: AnswerHeader;
  try {
    saved = readFileSync(answerPath(dir, key));
    header = JSON.parse(saved.toString("utf8", 0, saved.indexOf(10))) as AnswerHeader;
  } catch {
    return undefined; // none yet, or unreadable: the lint runs and saves a new one
  }
  if (header.key !== key || typeof header.exitCode !== "number") return undefined;
  if (!header.disk || !Array.isArray(header.disk.paths) || !replayDisk(header.disk)) return undefined;
  io.stdout.write(saved.subarray(saved.indexOf(10) + 1));
  return header.exitCode;
}

/**
 * Saves the answer of a lint run for replayLint. Never fails the lint: a cache directory that
 * cannot be written only means the next run lints again.
 */
export function saveLintAnswer(
  argv: readonly string[],
  io: ReplayIo,
  answer: { disk: DiskRecording; exitCode: number; stdout: string },
): void {
  const dir = cacheDirOf(argv, io);
  if (dir === undefined) return;
  const key = answerKey(argv, io);
  const path = answerPath(dir, key);
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    const header: AnswerHeader = { key, disk: answer.disk, exitCode: answer.exitCode };
    writeFileSync(tmp, `${JSON.stringify(header)}\n${answer.stdout}`);
    renameSync(tmp, path);
    const older = readdirSync(dir)
      .filter((name) => name.startsWith(prefix) && name.endsWith(suffix))
      .map((name) => ({ path: join(dir, name), mtime: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime)
      .slice(keep);
    for (const old of older) unlinkSync(old.path);
  } catch {
    // read-only or full disk: nothing to replay next time
  }
}
