/**
 * `shipgate serve` as a real process for end-to-end tests: started on a free port in a project
 * directory, its output kept (for failure messages and secret greps), stopped with SIGTERM (SIGKILL
 * after 10 s). Also creates role tokens with the built CLI.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { expect } from "vitest";
import { runShipgate, shipgateBin } from "./cli.js";

export interface RunningServe {
  /** http://127.0.0.1:<port> */
  url: string;
  process: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `shipgate serve --port 0` in `dir` and resolves once it listens. */
export function startServe(dir: string, env: NodeJS.ProcessEnv = {}): Promise<RunningServe> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [shipgateBin, "serve", "--port", "0"], {
      cwd: dir,
      env: {
        ...process.env,
        NO_COLOR: "1",
        GITHUB_ACTIONS: "",
        SHIPGATE_SERVER: "",
        SHIPGATE_TOKEN: "",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const stop = (): Promise<void> =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          done();
        });
        child.kill("SIGTERM");
      });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^shipgate serve: listening on (http:\/\/\S+) /m.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], process: child, output: () => output, stop });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
}

/** A role token made with `shipgate tokens create --role … --name …` in `dir` (its one display). */
export async function createRoleToken(dir: string, role: string, name: string): Promise<string> {
  const created = await runShipgate(
    ["tokens", "create", "--role", role, "--name", name, "--format", "json"],
    dir,
  );
  expect(created.code, created.stderr).toBe(0);
  return (JSON.parse(created.stdout) as { token: string }).token;
}
