/**
 * Reading an environment's variables from its declared source (shipgate.yaml environments.<name>.env):
 * a dotenv file, a command printing KEY=VALUE lines (e.g. a secret manager's CLI), or the process
 * environment. Used by `env verify` and by `deploy` (the release's env snapshot). Values are returned,
 * never printed; a failing command's output is not echoed because it can hold secrets.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { ShipgateError } from "../core/errors.js";
import { runShellCommand } from "../core/exec.js";

export type EnvSourceOverride = { dotenv: string } | { command: string } | { process: true };

/**
 * The source as findings and summaries name it. A command shows only its program: its arguments
 * (or leading VAR=value assignments) can carry a token, and these lines reach CI logs.
 */
export function describeSource(source: EnvSourceOverride): string {
  if ("dotenv" in source) return `dotenv file ${source.dotenv}`;
  if ("command" in source) {
    const words = source.command.trim().split(/\s+/);
    const at = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
    if (at < 0) return "command `…`";
    return `command \`${words[at] as string}${words.length > at + 1 ? " …" : ""}\``;
  }
  return "the process environment";
}

export async function readEnvironment(
  source: EnvSourceOverride,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Record<string, string>> {
  if ("process" in source) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
    return out;
  }
  if ("dotenv" in source) {
    const file = path.resolve(baseDir, source.dotenv);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        throw new ShipgateError(
          "FILE_NOT_FOUND",
          `the environment's dotenv file ${source.dotenv} does not exist`,
          {
            hint: "Create it, fix environments.<name>.env.dotenv in shipgate.yaml, or pass --dotenv <file>.",
          },
        );
      }
      throw new ShipgateError(
        "CONFIG_INVALID",
        code === "EISDIR"
          ? `the environment's dotenv file ${source.dotenv} is a directory`
          : `the environment's dotenv file ${source.dotenv} cannot be read (${code ?? "unknown error"})`,
        {
          hint: "Name the dotenv file itself (e.g. --dotenv deploy/staging.env, or environments.<name>.env.dotenv in shipgate.yaml), and check that it is readable.",
        },
      );
    }
    return parseDotenv(text);
  }
  let bytes: Uint8Array;
  try {
    bytes = await runShellCommand(source.command, { cwd: baseDir, timeoutMs });
  } catch (error) {
    // Its stderr is not shown: a secret manager's CLI may print values there.
    const why = error instanceof ShipgateError ? error.message : String(error);
    throw new ShipgateError("COMMAND_FAILED", `the environment's source command failed: ${why}`, {
      hint: "Run the command yourself to see its error (its output is not shown here because it can hold secrets); it must print KEY=VALUE lines and exit 0.",
    });
  }
  return parseDotenv(Buffer.from(bytes));
}
