/**
 * Release artifacts: a directory hashed by its content (paths, executable bits, bytes, symlink
 * targets) and stored once under `<storeDir>/<sha256>/`, read-only, so a recorded release always
 * starts the same code. Also the build step (`release.build`) and the small process runner that
 * builds, hooks and the smoke command share: a shell command in its own process group, its output
 * as lines, the last lines kept for the error, values redacted.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, type Dirent } from "node:fs";
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
} from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { ShipgateError } from "../core/errors.js";
import { isSecretEnvFile } from "../core/secret-env-file.js";

export interface DirectoryHash {
  /** sha256 (hex) over every entry's path, type, executable bit and content. */
  hash: string;
  /** Regular files and symlinks. */
  files: number;
  /** Total size of the regular files. */
  bytes: number;
}

export interface StoredArtifact extends DirectoryHash {
  /** Absolute path of the stored, read-only copy: `<storeDir>/<hash>`. */
  path: string;
}

type Entry =
  | { kind: "dir"; rel: string }
  | { kind: "file"; rel: string; executable: boolean; size: number }
  | { kind: "link"; rel: string; target: string };

function toPosix(rel: string): string {
  return sep === "/" ? rel : rel.split(sep).join("/");
}

/** Code-unit order: the same on every machine and locale. */
function byPath(a: Entry, b: Entry): number {
  return a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0;
}

function missingSource(dir: string, cause?: unknown): ShipgateError {
  return new ShipgateError("FILE_NOT_FOUND", `the release artifact directory ${dir} does not exist`, {
    hint: 'check `release.artifact` in shipgate.yaml (relative to the config file; "{version}" is replaced by the version deployed), or run the build first (`release.build`)',
    cause,
  });
}

/** Left out of every artifact besides `exclude`: shipgate's own state (the ledger, the secret key). */
const alwaysExcluded = [".shipgate/**"];

/**
 * Whether a path is left out: it matches a glob of `exclude` or `alwaysExcluded`, or is an env file
 * holding values (`.env`, `.env.*`, `*.env`, not templates: the release seals the env instead), and
 * no `!glob` of `exclude` keeps it. Symlinks named like env files are kept: they hold a path only.
 */
function exclusion(exclude: readonly string[]): (rel: string, file: boolean) => boolean {
  const glob = (patterns: string[]) =>
    patterns.length === 0 ? () => false : picomatch(patterns, { dot: true });
  const dropped = glob([...alwaysExcluded, ...exclude.filter((p) => !p.startsWith("!"))]);
  const kept = glob(exclude.filter((p) => p.startsWith("!")).map((p) => p.slice(1)));
  return (rel, file) => !kept(rel) && (dropped(rel) || (file && isSecretEnvFile(rel)));
}

/**
 * Lists the tree under `root` (sorted, posix paths), leaving out what `exclusion(exclude)` does. A
 * directory left out (e.g. `node_modules/**` matches `node_modules`) is not entered, so `!glob`
 * cannot keep what is inside it. Symlinks are entries of their own and never followed; sockets,
 * FIFOs and devices are skipped.
 */
async function listTree(root: string, exclude: readonly string[]): Promise<Entry[]> {
  let rootStat: Awaited<ReturnType<typeof stat>>;
  try {
    rootStat = await stat(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw missingSource(root, error);
    throw error;
  }
  if (!rootStat.isDirectory()) {
    throw new ShipgateError("FILE_NOT_FOUND", `the release artifact ${root} is not a directory`, {
      hint: "point `release.artifact` in shipgate.yaml at the directory holding what runs (a build output directory, or .)",
    });
  }
  const excluded = exclusion(exclude);
  const out: Entry[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (prefix === "" && (error as NodeJS.ErrnoException).code === "ENOENT")
        throw missingSource(root, error);
      throw error;
    }
    for (const d of dirents) {
      const rel = prefix === "" ? d.name : `${prefix}/${d.name}`;
      if (excluded(rel, d.isFile())) continue;
      const abs = join(dir, d.name);
      if (d.isSymbolicLink()) {
        out.push({ kind: "link", rel, target: toPosix(await readlink(abs)) });
      } else if (d.isDirectory()) {
        // Empty directories (also ones emptied by exclude) are left out, as git does.
        const at = out.length;
        out.push({ kind: "dir", rel });
        await walk(abs, rel);
        if (out.length === at + 1) out.pop();
      } else if (d.isFile()) {
        const s = await lstat(abs);
        out.push({ kind: "file", rel, executable: (s.mode & 0o111) !== 0, size: s.size });
      }
    }
  };
  await walk(root, "");
  return out.sort(byPath);
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("error", reject)
      .on("data", (chunk) => h.update(chunk))
      .on("end", () => resolvePromise(h.digest("hex")));
  });
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function hashEntries(root: string, entries: readonly Entry[]): Promise<DirectoryHash> {
  const contentHashes = await mapLimit(entries, 16, (e) =>
    e.kind === "file" ? hashFile(join(root, e.rel)) : Promise.resolve(""),
  );
  const h = createHash("sha256");
  h.update("shipgate-artifact-v1\n");
  let files = 0;
  let bytes = 0;
  entries.forEach((e, i) => {
    // NUL never occurs in a path or a symlink target: the records cannot be confused. Directories
    // are implied by the paths of what they hold.
    if (e.kind === "dir") return;
    if (e.kind === "link") {
      files++;
      h.update(`l\0${e.rel}\0${e.target}\n`);
    } else {
      files++;
      bytes += e.size;
      h.update(`f\0${e.rel}\0${e.executable ? "x" : "-"}\0${contentHashes[i]}\n`);
    }
  });
  return { hash: h.digest("hex"), files, bytes };
}

/**
 * The content hash of a directory: sha256 over the sorted relative paths (posix separators), each
 * file's executable bit and content, and each symlink's target string (links are never followed).
 * `exclude` holds picomatch globs relative to `dir` (dotfiles included; `!glob` keeps what it
 * matches); env files and `.shipgate/` are left out too (see `exclusion`). Empty directories are not
 * part of an artifact.
 */
export async function hashDirectory(
  dir: string,
  exclude: string[],
): Promise<{ hash: string; files: number; bytes: number }> {
  const root = resolve(dir);
  return hashEntries(root, await listTree(root, exclude));
}

/** Makes a stored tree writable again so it can be deleted (needed when not running as root). */
async function makeWritable(path: string): Promise<void> {
  let s: Awaited<ReturnType<typeof lstat>>;
  try {
    s = await lstat(path);
  } catch {
    return;
  }
  if (!s.isDirectory()) return;
  await chmod(path, 0o755).catch(() => {});
  const dirents = await readdir(path, { withFileTypes: true }).catch(() => [] as Dirent[]);
  for (const d of dirents) if (d.isDirectory()) await makeWritable(join(path, d.name));
}

/**
 * Deletes a stored artifact (or a half-copied temp directory) despite its read-only modes, e.g. for
 * a garbage collection of releases no longer in the ledger. A missing path is fine.
 */
export async function removeStoredArtifact(path: string): Promise<void> {
  await makeWritable(path);
  await rm(path, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function copyEntries(sourceRoot: string, targetRoot: string, entries: readonly Entry[]): Promise<void> {
  // Entries are sorted, so a directory always comes before what it holds.
  for (const e of entries) {
    const to = join(targetRoot, e.rel);
    if (e.kind === "dir") await mkdir(to);
    else if (e.kind === "link") await symlink(e.target, to);
  }
  await mapLimit(
    entries.filter((e) => e.kind === "file"),
    16,
    async (e) => {
      const to = join(targetRoot, e.rel);
      await copyFile(join(sourceRoot, e.rel), to);
      await chmod(to, e.kind === "file" && e.executable ? 0o555 : 0o444);
    },
  );
  // Directories read-only last, deepest first, so nothing needs writing into a read-only one.
  const dirs = entries.filter((e) => e.kind === "dir").reverse();
  for (const d of dirs) await chmod(join(targetRoot, d.rel), 0o555);
}

/**
 * Stores the tree `sourceDir` (minus `exclude`) as `<storeDir>/<hash>/`: copied into a temp
 * directory inside storeDir, hashed as copied, made read-only (files 0444, executables 0555,
 * directories 0555) and renamed into place. When the target exists already it is reused, so
 * storing the same content again is a no-op returning the same hash. When storeDir lies inside
 * sourceDir it is left out of the artifact.
 */
export async function storeArtifact(options: {
  sourceDir: string;
  storeDir: string;
  exclude: string[];
}): Promise<{ hash: string; path: string; files: number; bytes: number }> {
  const sourceRoot = resolve(options.sourceDir);
  const storeRoot = resolve(options.storeDir);
  const exclude = [...options.exclude];
  const storeRel = relative(sourceRoot, storeRoot);
  if (storeRel === "") {
    throw new ShipgateError("CONFIG_INVALID", "the artifact store cannot be the artifact directory itself", {
      hint: "point `release.artifact` in shipgate.yaml at the directory holding what runs, not at the artifact store",
    });
  }
  if (!storeRel.startsWith("..") && !isAbsolute(storeRel)) {
    const r = toPosix(storeRel);
    exclude.push(r, `${r}/**`);
  }

  const entries = await listTree(sourceRoot, exclude);
  const first = await hashEntries(sourceRoot, entries);
  const target = join(storeRoot, first.hash);
  if (await exists(target)) return { ...first, path: target };

  await mkdir(storeRoot, { recursive: true });
  const temp = await mkdtemp(join(storeRoot, `.tmp-${first.hash.slice(0, 12)}-`));
  try {
    await copyEntries(sourceRoot, temp, entries);
    await chmod(temp, 0o555);
    // Hash what was stored: if the source changed while copying, the name still matches the content.
    const stored = await hashEntries(temp, await listTree(temp, exclude));
    const finalPath = join(storeRoot, stored.hash);
    if (await exists(finalPath)) {
      await removeStoredArtifact(temp);
      return { ...stored, path: finalPath };
    }
    try {
      await rename(temp, finalPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another process stored the same content first: theirs is identical, use it.
      if ((code === "EEXIST" || code === "ENOTEMPTY") && (await exists(finalPath))) {
        await removeStoredArtifact(temp);
        return { ...stored, path: finalPath };
      }
      throw error;
    }
    return { ...stored, path: finalPath };
  } catch (error) {
    await removeStoredArtifact(temp);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Running commands (builds, hooks, the smoke command)

const tailLines = 20;
const killGraceMs = 2000;
const running = new Set<ChildProcess>();
let exitHandlerInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // A negative pid signals the whole process group: the shell and everything it started.
    process.kill(process.platform === "win32" ? child.pid : -child.pid, signal);
  } catch {
    // Already gone.
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // Commands run in their own process group (so a timeout can stop all of them); make sure they
  // do not outlive shipgate when it exits in the middle of one.
  process.once("exit", () => {
    for (const child of running) killGroup(child, "SIGKILL");
  });
}

export interface StreamCommandOptions {
  /** Run through `/bin/sh -c` (cmd.exe on Windows). Either command or file. */
  command?: string;
  /** Run this executable directly with `args`. */
  file?: string;
  args?: string[];
  cwd: string;
  /** The whole environment of the process (nothing is inherited implicitly). */
  env: NodeJS.ProcessEnv;
  /** Each line of stdout and stderr, as it arrives, redacted. */
  onLine?: (line: string) => void;
  /** Stop the command (its whole process group) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Values replaced by `****` in every line reported (e.g. secret env values). */
  redact?: readonly string[];
}

export interface StreamCommandResult {
  /** The exit code; null when killed by a signal or when it could not start. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last 20 lines of output (stdout and stderr interleaved), redacted. */
  tail: string[];
  timedOut: boolean;
  aborted: boolean;
  /** Set when the process could not be started at all (ENOENT, EACCES, ENOEXEC…). */
  spawnError?: NodeJS.ErrnoException;
}

/** Replaces every occurrence of the given values (4 characters or longer) with `****`. */
export function redactText(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (v.length >= 4 && out.includes(v)) out = out.split(v).join("****");
  return out;
}

/**
 * Runs a command in its own process group, streaming its output as lines. Resolves with how it
 * ended (never rejects): the caller decides what a failure means. A timeout or an abort stops the
 * whole group with SIGTERM, then SIGKILL after 2 s.
 */
export function streamCommand(options: StreamCommandOptions): Promise<StreamCommandResult> {
  const redact = [...(options.redact ?? [])].sort((a, b) => b.length - a.length);
  const tail: string[] = [];
  const emit = (raw: string) => {
    const line = redactText(raw.replace(/\r$/, ""), redact);
    tail.push(line);
    if (tail.length > tailLines) tail.shift();
    options.onLine?.(line);
  };
  return new Promise((resolvePromise) => {
    if (options.signal?.aborted) {
      resolvePromise({ code: null, signal: null, tail, timedOut: false, aborted: true });
      return;
    }
    const spawnOptions = {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
      windowsHide: true,
    };
    const child =
      options.command !== undefined
        ? spawn(options.command, { ...spawnOptions, shell: process.platform === "win32" ? true : "/bin/sh" })
        : spawn(options.file as string, options.args ?? [], spawnOptions);
    running.add(child);
    installExitHandler();

    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup(child, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child, "SIGKILL"), killGraceMs);
      killTimer.unref();
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const pending = { stdout: "", stderr: "" };
    const onData = (which: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = pending[which] + chunk.toString("utf8");
      const parts = text.split("\n");
      pending[which] = parts.pop() ?? "";
      for (const p of parts) emit(p);
    };
    child.stdout?.on("data", onData("stdout"));
    child.stderr?.on("data", onData("stderr"));

    const finish = (result: Omit<StreamCommandResult, "tail" | "timedOut" | "aborted">) => {
      if (settled) return;
      settled = true;
      running.delete(child);
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (closeTimer) clearTimeout(closeTimer);
      options.signal?.removeEventListener("abort", onAbort);
      for (const which of ["stdout", "stderr"] as const) {
        if (pending[which] !== "") emit(pending[which]);
        pending[which] = "";
      }
      resolvePromise({ ...result, tail: [...tail], timedOut, aborted });
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      finish({ code: null, signal: null, spawnError: error });
    });
    child.on("exit", (code, signal) => {
      // A background process started by the command may keep the pipes open: do not wait for it.
      closeTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish({ code, signal });
      }, 200);
      closeTimer.unref();
    });
    child.on("close", (code, signal) => finish({ code, signal }));
  });
}

/** The environment values worth redacting: long enough to be secrets, not shipgate's own variables. */
function secretValues(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => !k.startsWith("SHIPGATE_") && v.length >= 6)
    .map(([, v]) => v);
}

/**
 * Runs the build command (`release.build`) through the shell in `cwd`, with the environment of
 * shipgate plus `env`. Every output line goes to `onLine` with the values of `env` redacted. A
 * failure is COMMAND_FAILED naming the command and its exit code, with the last 20 lines in details.
 */
export async function runBuild(options: {
  command: string;
  cwd: string;
  env: Record<string, string>;
  onLine?: (line: string) => void;
  /** Stops the build (and everything it started). */
  signal?: AbortSignal;
  /** Values to mask in the output besides those of `env`. */
  redact?: string[];
}): Promise<void> {
  const result = await streamCommand({
    command: options.command,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    redact: [...secretValues(options.env), ...(options.redact ?? [])],
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.code === 0) return;
  const hint =
    "run the build yourself to see the full error, then fix it or `release.build` in shipgate.yaml";
  if (result.spawnError) {
    throw new ShipgateError(
      "COMMAND_FAILED",
      `could not run the build command \`${options.command}\`: ${result.spawnError.message}`,
      { hint: `check that the directory ${options.cwd} exists and /bin/sh works`, cause: result.spawnError },
    );
  }
  const how = result.aborted
    ? "was stopped"
    : result.code === null
      ? `was killed by ${result.signal ?? "a signal"}`
      : `exited with code ${result.code}`;
  throw new ShipgateError("COMMAND_FAILED", `the build command \`${options.command}\` ${how}`, {
    details: result.tail,
    hint:
      result.code === 127
        ? "the command was not found: is it installed and on PATH? Check `release.build` in shipgate.yaml"
        : hint,
  });
}
