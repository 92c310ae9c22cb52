/**
 * A small wrapper over the `git` CLI (execFile, never a shell): the repository root, the files
 * changed since a ref, and a file's contents at a ref. Every failure is a ShipgateError GIT_FAILED
 * with a hint naming what to do next.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { ShipgateError } from "./errors.js";

const maxBuffer = 256 * 1024 * 1024;

interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function gitEnv(): NodeJS.ProcessEnv {
  // English messages (we match on a few of them) and never an interactive prompt.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" };
  delete env.LANGUAGE;
  return env;
}

function stderrTail(stderr: string, lines = 20): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-lines);
}

/** Runs git and resolves with its exit code; rejects only when git could not run at all. */
function execGit(args: readonly string[], cwd: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd, encoding: "buffer", maxBuffer, env: gitEnv(), windowsHide: true },
      (error, stdout, stderr) => {
        const stderrText = stderr.toString("utf8");
        if (error === null) {
          resolve({ code: 0, stdout, stderr: stderrText });
          return;
        }
        const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
        if (typeof code === "number") {
          resolve({ code, stdout, stderr: stderrText });
          return;
        }
        if (code === "ENOENT" && !existsSync(cwd)) {
          reject(
            new ShipgateError("GIT_FAILED", `cannot run git: directory ${cwd} does not exist`, {
              hint: "run shipgate from inside your repository",
              cause: error,
            }),
          );
          return;
        }
        if (code === "ENOENT") {
          reject(
            new ShipgateError("GIT_FAILED", "git is not installed or not on PATH", {
              hint: "install git (https://git-scm.com/downloads), or drop --since to lint every file",
              cause: error,
            }),
          );
          return;
        }
        reject(
          new ShipgateError("GIT_FAILED", `git ${args.join(" ")} failed: ${error.message}`, {
            details: stderrTail(stderrText),
            hint: "check that git works here: git status",
            cause: error,
          }),
        );
      },
    );
  });
}

function failure(args: readonly string[], cwd: string, result: GitResult): ShipgateError {
  const details = stderrTail(result.stderr);
  if (/not a git repository/i.test(result.stderr)) {
    return new ShipgateError("GIT_FAILED", `${cwd} is not inside a git repository`, {
      details,
      hint: "run shipgate from inside the repository, or drop --since to lint every file",
    });
  }
  if (/dubious ownership/i.test(result.stderr)) {
    return new ShipgateError(
      "GIT_FAILED",
      `git refuses to use the repository at ${cwd} (dubious ownership)`,
      {
        details,
        hint: `mark it safe: git config --global --add safe.directory ${cwd}`,
      },
    );
  }
  return new ShipgateError("GIT_FAILED", `git ${args.join(" ")} failed with exit code ${result.code}`, {
    details,
    hint: "check that git works here: git status",
  });
}

async function runGit(args: readonly string[], cwd: string): Promise<Buffer> {
  const result = await execGit(args, cwd);
  if (result.code !== 0) throw failure(args, cwd, result);
  return result.stdout;
}

function splitNul(output: Buffer): string[] {
  return output
    .toString("utf8")
    .split("\0")
    .filter((s) => s !== "");
}

/** The absolute (symlink-resolved) path of the work tree containing `cwd`. */
export async function gitRepoRoot(cwd: string): Promise<string> {
  const out = (await runGit(["rev-parse", "--show-toplevel"], cwd)).toString("utf8").trim();
  if (out === "") {
    throw new ShipgateError("GIT_FAILED", `${cwd} is not inside a git work tree`, {
      hint: "run shipgate from inside a checkout (not a bare repository or .git directory)",
    });
  }
  try {
    return await realpath(out);
  } catch {
    return out;
  }
}

function refHint(ref: string): string {
  const remote = /^(?:refs\/remotes\/)?([^/]+)\/(.+)$/.exec(ref);
  if (remote && remote[1] === "origin") {
    return `fetch it first: git fetch origin ${remote[2]} (CI checkouts are often shallow), or check the ref name`;
  }
  return `check the ref name (git branch -a lists branches), or fetch it: git fetch origin ${ref}`;
}

/** Resolves a ref (branch, tag, sha, HEAD~2, origin/main…) to a commit id. */
export async function gitResolveCommit(cwd: string, ref: string): Promise<string> {
  if (ref.trim() === "" || ref.startsWith("-")) {
    throw new ShipgateError("GIT_FAILED", `"${ref}" is not a valid git ref`, {
      hint: "pass a branch, tag or commit, e.g. --since origin/main",
    });
  }
  const args = ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`];
  const result = await execGit(args, cwd);
  if (result.code === 0) return result.stdout.toString("utf8").trim();
  // --quiet: an unknown ref exits 1 without a message; anything else (not a repository…) says why.
  if (result.code === 1 && result.stderr.trim() === "") {
    throw new ShipgateError("GIT_FAILED", `unknown git ref "${ref}"`, { hint: refHint(ref) });
  }
  throw failure(args, cwd, result);
}

/**
 * Files added or changed since `ref`: `git diff --name-only <ref>` against the working tree (so
 * committed, staged and unstaged edits all count) plus untracked files that are not ignored.
 * Deleted files are left out. Returns absolute paths under the (symlink-resolved) repository root,
 * sorted.
 */
export async function gitChangedFiles(cwd: string, ref: string): Promise<string[]> {
  const root = await gitRepoRoot(cwd);
  const commit = await gitResolveCommit(root, ref);
  const [diff, untracked] = await Promise.all([
    runGit(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT", commit, "--"], root),
    runGit(["ls-files", "--others", "--exclude-standard", "-z"], root),
  ]);
  const files = new Set([...splitNul(diff), ...splitNul(untracked)].map((p) => join(root, p)));
  return [...files].sort();
}

/**
 * Files that existed at `ref` and are gone from the working tree (deleted, or the old side of a
 * rename): absolute paths under the (symlink-resolved) repository root, sorted.
 */
export async function gitDeletedFiles(cwd: string, ref: string): Promise<string[]> {
  const root = await gitRepoRoot(cwd);
  const commit = await gitResolveCommit(root, ref);
  const diff = await runGit(
    ["diff", "--name-only", "-z", "--no-renames", "--diff-filter=D", commit, "--"],
    root,
  );
  return [...new Set(splitNul(diff).map((p) => join(root, p)))].sort();
}

/**
 * A file's bytes at `ref`, or undefined when the file does not exist there. `file` is absolute or
 * relative to `cwd`.
 */
export async function gitFileAtRef(cwd: string, ref: string, file: string): Promise<Uint8Array | undefined> {
  const commit = await gitResolveCommit(cwd, ref);
  const rel = (isAbsolute(file) ? relative(cwd, file) : file).split(sep).join("/");
  // "<commit>:./path" is resolved relative to git's working directory.
  const spec = `${commit}:./${rel}`;
  const exists = await execGit(["cat-file", "-e", spec], cwd);
  if (exists.code !== 0) return undefined;
  return new Uint8Array(await runGit(["cat-file", "blob", spec], cwd));
}

/** True when `cwd` is inside a git work tree; false when it is not, or git cannot run. */
export async function gitInsideWorkTree(cwd: string): Promise<boolean> {
  try {
    const result = await execGit(["rev-parse", "--is-inside-work-tree"], cwd);
    return result.code === 0 && result.stdout.toString("utf8").trim() === "true";
  } catch {
    return false;
  }
}

/**
 * Files git knows under `cwd`, relative to `cwd` with forward slashes, sorted: tracked files (also
 * ones deleted from the work tree but not from the index), plus untracked files that are not ignored
 * when `untracked` is set.
 */
export async function gitListFiles(cwd: string, options: { untracked?: boolean } = {}): Promise<string[]> {
  const args = ["ls-files", "-z", "--cached"];
  if (options.untracked) args.push("--others", "--exclude-standard");
  return [...new Set(splitNul(await runGit(args, cwd)))].sort();
}
