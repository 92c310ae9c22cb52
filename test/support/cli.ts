/**
 * Runs the built CLI (dist/cli/main.js; `npm test` builds it first) as a real process, the way a user
 * or CI does: colour off, no inherited GitHub Actions, SHIPGATE_FORMAT or SHIPGATE_DATABASE_URL. A
 * non-zero exit is a result, not an exception.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

export const repoRoot = join(import.meta.dirname, "../..");
export const shipgateBin = join(repoRoot, "dist/cli/main.js");
const run = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runShipgate(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "" };
  delete base.SHIPGATE_FORMAT;
  delete base.SHIPGATE_DATABASE_URL;
  delete base.SHIPGATE_SERVER; // a developer's team server must not receive local e2e runs
  delete base.SHIPGATE_TOKEN;
  try {
    const { stdout, stderr } = await run(process.execPath, [shipgateBin, ...args], {
      cwd,
      env: { ...base, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Writes `text` to `dir/file`, creating directories. */
export function writeFile(dir: string, file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

/** A stdout/stderr for runCli in process: not a TTY, records what is written in `text`. */
export function outputSink(): NodeJS.WriteStream & { text: string } {
  const s = {
    text: "",
    isTTY: false,
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

/** Runs the CLI in this process (runCli) in `cwd`, with `env` as its whole environment (colour off). */
export async function runCliIn(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = { NO_COLOR: "1" },
): Promise<CliRun> {
  // Loaded here, not at the top: the e2e tests that use this module only for runShipgate need no CLI in process.
  const { runCli } = await import("../../src/cli/program.js");
  const stdout = outputSink();
  const stderr = outputSink();
  const code = await runCli(args, { stdout, stderr, env, cwd });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
