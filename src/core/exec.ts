/**
 * Runs a user-supplied shell command (e.g. `--sql-from "alembic upgrade head --sql"`) and captures
 * its stdout as bytes. Failures are ShipgateError COMMAND_FAILED with the tail of stderr.
 */
import { spawn } from "node:child_process";
import { ShipgateError } from "./errors.js";

/** Default cap on captured stdout. */
export const defaultMaxOutputBytes = 64 * 1024 * 1024;
const stderrKeepBytes = 16 * 1024;
const stderrTailLines = 20;

export interface ShellCommandOptions {
  /** Working directory of the command. */
  cwd: string;
  /** Stop and fail when stdout exceeds this many bytes (default 64 MiB). */
  maxOutputBytes?: number;
  /** Stop and fail after this many milliseconds (default: no limit). */
  timeoutMs?: number;
}

function tail(stderr: Buffer): string[] {
  return stderr
    .toString("utf8")
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(-stderrTailLines);
}

/** A byte count as whole KiB or MiB, for messages. */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MiB` : `${Math.round(n / 1024)} KiB`;
}

/**
 * Runs `command` through the shell (`/bin/sh -c`; cmd.exe on Windows) in `cwd`, with stdin closed,
 * and resolves with its stdout when it exits 0.
 */
export function runShellCommand(command: string, options: ShellCommandOptions): Promise<Uint8Array> {
  const maxBytes = options.maxOutputBytes ?? defaultMaxOutputBytes;
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      cwd: options.cwd,
      shell: process.platform === "win32" ? true : "/bin/sh",
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = Buffer.alloc(0);
    let stopped: "overflow" | "timeout" | undefined;
    let settled = false;

    const fail = (message: string, hint: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      reject(new ShipgateError("COMMAND_FAILED", message, { details: tail(stderr), hint, cause }));
    };

    /**
     * Stops the command and fails at once. Closing our end of the pipes also stops what the shell
     * started (a writer gets SIGPIPE); waiting for "close" could hang on a grandchild holding them.
     */
    const stop = (reason: "overflow" | "timeout") => {
      if (stopped || settled) return;
      stopped = reason;
      child.stdout.destroy();
      child.stderr.destroy();
      child.kill("SIGTERM");
      if (reason === "overflow") {
        fail(
          `\`${command}\` printed more than ${formatBytes(maxBytes)} on stdout`,
          "narrow what the command prints, e.g. only pending revisions: alembic upgrade <current>:head --sql",
        );
      } else {
        fail(
          `\`${command}\` did not finish within ${options.timeoutMs} ms`,
          "make sure the command needs no input and no database connection to print its SQL",
        );
      }
    };

    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), options.timeoutMs);

    child.stdout.on("data", (chunk: Buffer) => {
      if (stopped) return;
      size += chunk.length;
      if (size > maxBytes) stop("overflow");
      else chunks.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > stderrKeepBytes) stderr = stderr.subarray(stderr.length - stderrKeepBytes);
    });

    child.on("error", (error) => {
      fail(
        `could not run \`${command}\`: ${error.message}`,
        `check the command and the directory it runs in (${options.cwd})`,
        error,
      );
    });

    child.on("close", (code, signal) => {
      if (settled) return;
      if (code !== 0) {
        const how = code === null ? `was killed by ${signal ?? "a signal"}` : `exited with code ${code}`;
        const hint =
          code === 127
            ? "the command was not found: is it installed and on PATH? Try running it yourself first"
            : "run the command yourself to see the full error; it must print SQL on stdout and exit 0 (e.g. alembic upgrade head --sql)";
        fail(`\`${command}\` ${how}`, hint);
        return;
      }
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(new Uint8Array(Buffer.concat(chunks, size)));
    });
  });
}
