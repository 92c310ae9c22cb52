#!/usr/bin/env node
/** The process entry: the only place that sets the process exit code. */
import { replayLint } from "./lint-replay.js";

// A reader that goes away (`shipgate … | head`) is not an error: the rest of the output goes
// nowhere, and the command still finishes and exits with its own code.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

const argv = process.argv.slice(2);
const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
// An unchanged re-run of `migrations lint` is answered before the CLI itself is loaded.
process.exitCode = replayLint(argv, io) ?? (await (await import("./program.js")).runCli(argv, io));
