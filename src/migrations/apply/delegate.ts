/**
 * `migrations apply --command "<runner>"`: the framework's own runner applies the migrations while
 * shipgate still holds the migration lock, gates on the lint, takes the backup and records the files
 * afterwards. The runner's output streams to our stderr (stdout stays for shipgate's report).
 *
 * lock_timeout and statement_timeout reach the runner through PGOPTIONS, which libpq-based clients
 * and node-postgres honour; runners with their own drivers may ignore it (documented in
 * docs/migrations-apply.md).
 */
import { spawn } from "node:child_process";
import { ShipgateError } from "../../core/errors.js";
import { maskDatabaseUrl } from "./database.js";

export interface DelegateOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** Where the runner's output goes (both of its streams). */
  output: NodeJS.WritableStream;
}

/** PGOPTIONS with shipgate's timeouts appended to whatever the environment already sets. */
export function pgOptionsWithTimeouts(
  existing: string | undefined,
  lockMs: number,
  statementMs: number,
): string {
  const ours = `-c lock_timeout=${lockMs}ms -c statement_timeout=${statementMs}ms`;
  return existing && existing.trim() !== "" ? `${existing} ${ours}` : ours;
}

/** Runs the runner; resolves with its duration, throws COMMAND_FAILED when it fails. */
export function runDelegate(options: DelegateOptions): Promise<number> {
  const started = Date.now();
  // The command may hold a database URL with a password: never repeat it unmasked.
  const shown = maskDatabaseUrl(options.command);
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, {
      cwd: options.cwd,
      shell: process.platform === "win32" ? true : "/bin/sh",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...options.env,
        PGOPTIONS: pgOptionsWithTimeouts(
          options.env.PGOPTIONS,
          options.lockTimeoutMs,
          options.statementTimeoutMs,
        ),
      },
      windowsHide: true,
    });
    child.stdout.on("data", (chunk: Buffer) => options.output.write(chunk));
    child.stderr.on("data", (chunk: Buffer) => options.output.write(chunk));
    child.on("error", (error) => {
      reject(
        new ShipgateError("COMMAND_FAILED", `could not run \`${shown}\`: ${error.message}`, {
          cause: error,
          hint: `Check the command and the directory it runs in (${options.cwd}).`,
        }),
      );
    });
    child.on("close", (code, signal) => {
      if (code === 0) {
        resolve(Date.now() - started);
        return;
      }
      const how = code === null ? `was killed by ${signal ?? "a signal"}` : `exited with code ${code}`;
      reject(new ShipgateError("COMMAND_FAILED", `the migration runner \`${shown}\` ${how}`));
    });
  });
}
