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
function execGit(args: readonly string[], cwd: string, input?: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
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
              hint: "install git (https://git-scm.com/downloads), or drop --since to check every file",
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
    if (input !== undefined) child.stdin?.end(input);
  });
}

function failure(args: readonly string[], cwd: string, result: GitResult): ShipgateError {
  const details = stderrTail(result.stderr);
  if (/not a git repository/i.test(result.stderr)) {
    return new ShipgateError("GIT_FAILED", `${cwd} is not inside a git repository`, {
      details,
      hint: "run shipgate from inside the repository, or drop --since to check every file",
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

export interface AddedLine {
  /** 1-based line number in the working-tree file. */
  line: number;
  text: string;
}

/**
 * The lines added since `ref` per file (absolute paths under the repository root): the `+` lines of
 * `git diff -U0 <ref>` against the working tree, plus every line of untracked, not-ignored files.
 * Binary files and deletions contribute nothing.
 */
export async function gitAddedLines(cwd: string, ref: string): Promise<Map<string, AddedLine[]>> {
  const root = await gitRepoRoot(cwd);
  const commit = await gitResolveCommit(root, ref);
  const [diff, untracked] = await Promise.all([
    runGit(["diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", commit, "--"], root),
    runGit(["ls-files", "--others", "--exclude-standard", "-z"], root),
  ]);
  const out = new Map<string, AddedLine[]>();
  let current: AddedLine[] | undefined;
  let next = 0;
  for (const raw of diff.toString("utf8").split("\n")) {
    if (raw.startsWith("+++ ")) {
      const target = raw.slice(4);
      current = undefined;
      if (target !== "/dev/null") {
        const file = join(root, unquoteGitPath(target).replace(/^b\//, ""));
        current = out.get(file) ?? [];
        out.set(file, current);
      }
    } else if (raw.startsWith("@@")) {
      const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
      next = m ? Number(m[1]) : 0;
    } else if (raw.startsWith("+") && current) {
      current.push({ line: next, text: raw.slice(1) });
      next++;
    }
  }
  const { readFile } = await import("node:fs/promises");
  for (const rel of splitNul(untracked)) {
    const file = join(root, rel);
    let text: string;
    try {
      const bytes = await readFile(file);
      if (bytes.includes(0)) continue;
      text = bytes.toString("utf8");
    } catch {
      continue;
    }
    out.set(
      file,
      text.split("\n").map((t, i) => ({ line: i + 1, text: t })),
    );
  }
  return out;
}

/** A path as git prints it in diff headers: C-quoted when it holds special characters. */
function unquoteGitPath(p: string): string {
  if (!p.startsWith('"')) return p;
  const inner = p.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i] as string;
    if (c !== "\\") {
      bytes.push(...Buffer.from(c, "utf8"));
      continue;
    }
    const n = inner[++i] as string;
    if (/[0-7]/.test(n)) {
      bytes.push(Number.parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(({ n: 10, t: 9, '"': 34, "\\": 92 } as Record<string, number>)[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString("utf8");
}

export interface GitCommit {
  sha: string;
  subject: string;
  body: string;
  author: string;
  /** git's %G? signature status: G good, U good but untrusted key, N none, B bad, X/Y expired, R revoked, E cannot check. */
  signature: string;
}

/** The commits in `base..head`, newest first. */
export async function gitCommitsInRange(cwd: string, base: string, head = "HEAD"): Promise<GitCommit[]> {
  const out = await runGit(
    ["log", "-z", "--format=%H%x1f%s%x1f%b%x1f%an <%ae>%x1f%G?", `${base}..${head}`],
    cwd,
  );
  return splitNul(out).map((record) => {
    const [sha = "", subject = "", body = "", author = "", signature = "N"] = record.split("\x1f");
    return { sha: sha.trim(), subject, body: body.trim(), author, signature: signature.trim() || "N" };
  });
}

/** Whether `ancestor` is an ancestor of (or equal to) `descendant`. */
export async function gitIsAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  const result = await execGit(["merge-base", "--is-ancestor", ancestor, descendant], cwd);
  if (result.code === 0) return true;
  if (result.code === 1) return false;
  throw failure(["merge-base", "--is-ancestor", ancestor, descendant], cwd, result);
}

/**
 * Many files' bytes at one commit in a single `git cat-file --batch`: `paths` are relative to the
 * repository root (forward slashes). A path that does not exist there maps to undefined.
 */
export async function gitReadFilesAtCommit(
  cwd: string,
  commit: string,
  paths: readonly string[],
): Promise<Map<string, Uint8Array | undefined>> {
  const out = new Map<string, Uint8Array | undefined>();
  if (paths.length === 0) return out;
  const result = await execGit(["cat-file", "--batch"], cwd, paths.map((p) => `${commit}:${p}\n`).join(""));
  if (result.code !== 0) throw failure(["cat-file", "--batch"], cwd, result);
  const buf = result.stdout;
  let at = 0;
  for (const p of paths) {
    const eol = buf.indexOf(10, at);
    if (eol === -1) break;
    const header = buf.subarray(at, eol).toString("utf8");
    at = eol + 1;
    if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
      out.set(p, undefined);
      continue;
    }
    const size = Number(header.split(" ")[2]);
    const type = header.split(" ")[1];
    const bytes = new Uint8Array(buf.subarray(at, at + size));
    at += size + 1;
    out.set(p, type === "blob" ? bytes : undefined);
  }
  return out;
}

/**
 * Tracked files (relative to cwd, forward slashes) whose working-tree text contains any of
 * `words` as a whole word, case-insensitively: `git grep -l -I -i -w -F`. Binary files are skipped.
 */
export async function gitGrepFiles(cwd: string, words: readonly string[]): Promise<string[]> {
  if (words.length === 0) return [];
  const args = ["grep", "-l", "-z", "-I", "-i", "-w", "-F", ...words.flatMap((w) => ["-e", w]), "--", "."];
  const result = await execGit(args, cwd);
  if (result.code === 1) return [];
  if (result.code !== 0) throw failure(args, cwd, result);
  return splitNul(result.stdout).sort();
}
