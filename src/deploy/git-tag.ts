/**
 * Git tags for successful deploys: `deploy-<env>-YYYYMMDD-HHMMSS` (UTC), annotated, on the
 * release's commit, optionally pushed. The deploy has already succeeded when tagging runs, so a
 * failing push is reported in the result, never thrown.
 */
import { execFile } from "node:child_process";
import { ShipgateError } from "../core/errors.js";
import { gitResolveCommit } from "../core/git.js";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `deploy-<environment>-YYYYMMDD-HHMMSS`, in UTC. */
export function deployTagName(environment: string, at: Date): string {
  const date = `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}`;
  const time = `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
  return `deploy-${environment}-${date}-${time}`;
}

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

function git(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<GitRun> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      "git",
      args,
      { cwd, env, timeout: timeoutMs, windowsHide: true, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolvePromise({ code: 0, stdout, stderr });
          return;
        }
        const e = error as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
        if (typeof e.code === "number") resolvePromise({ code: e.code, stdout, stderr });
        else if (e.killed)
          resolvePromise({ code: -1, stdout, stderr: `${stderr}\ngit timed out after ${timeoutMs} ms` });
        else
          reject(
            new ShipgateError("GIT_FAILED", `cannot run git: ${e.message}`, {
              hint: "install git (https://git-scm.com/downloads) or turn tagging off: environments.<env>.tag.enabled: false",
              cause: error,
            }),
          );
      },
    );
  });
}

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" };
  delete env.LANGUAGE;
  return env;
}

/** Lines of git's stderr worth showing, credentials in URLs masked. */
function stderrLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd().replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1****@"))
    .filter((l) => l !== "")
    .slice(-10);
}

const maxSuffix = 100;

/**
 * Creates the annotated tag `name` (or `name-2`, `name-3`… when taken) on `sha` and pushes it to
 * `push.remote` when asked. Returns the name used and whether the push worked; a push failure is
 * returned with git's message. Creating the tag itself failing (not a repository, unknown commit)
 * is GIT_FAILED.
 */
export async function createDeployTag(options: {
  cwd: string;
  name: string;
  sha: string;
  message: string;
  push?: { remote: string };
  /** Time limit of the push (default 60 s). */
  pushTimeoutMs?: number;
}): Promise<{ name: string; pushed: boolean; pushError?: string }> {
  const env = baseEnv();
  const commit = await gitResolveCommit(options.cwd, options.sha);

  // An annotated tag needs a tagger; CI runners often have no identity configured.
  const ident = await git(["var", "GIT_COMMITTER_IDENT"], options.cwd, env, 10_000);
  if (ident.code !== 0) {
    env.GIT_COMMITTER_NAME = env.GIT_COMMITTER_NAME || "shipgate";
    env.GIT_COMMITTER_EMAIL = env.GIT_COMMITTER_EMAIL || "shipgate@localhost";
  }

  let name = "";
  for (let n = 1; n <= maxSuffix; n++) {
    const candidate = n === 1 ? options.name : `${options.name}-${n}`;
    const result = await git(
      ["tag", "--annotate", "--no-sign", "--message", options.message, "--", candidate, commit],
      options.cwd,
      env,
      30_000,
    );
    if (result.code === 0) {
      name = candidate;
      break;
    }
    if (/already exists/i.test(result.stderr)) continue;
    throw new ShipgateError(
      "GIT_FAILED",
      `git could not create the tag ${candidate} (exit code ${result.code})`,
      {
        details: stderrLines(result.stderr),
        hint: "check that git works here (git status) and that the commit exists, or turn tagging off: environments.<env>.tag.enabled: false",
      },
    );
  }
  if (name === "") {
    throw new ShipgateError(
      "GIT_FAILED",
      `the tags ${options.name} to ${options.name}-${maxSuffix} all exist`,
      {
        hint: "delete old deploy tags (git tag -l 'deploy-*'), or turn tagging off: environments.<env>.tag.enabled: false",
      },
    );
  }

  if (!options.push) return { name, pushed: false };
  const push = await git(
    ["push", "--quiet", "--", options.push.remote, `refs/tags/${name}:refs/tags/${name}`],
    options.cwd,
    env,
    options.pushTimeoutMs ?? 60_000,
  );
  if (push.code === 0) return { name, pushed: true };
  const lines = stderrLines(push.stderr);
  return {
    name,
    pushed: false,
    pushError: `git push ${options.push.remote} ${name} failed (exit code ${push.code})${lines.length > 0 ? `: ${lines.join(" ")}` : ""}`,
  };
}
