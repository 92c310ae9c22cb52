/**
 * The command target: the user's own commands (a cloud CLI, a script) deploy, switch and roll back,
 * while shipgate runs probes, smoke tests, the ledger, hooks and notifications around them. Each
 * release is one "instance" here; its health is the readiness path under previewUrl (before it has
 * traffic) or the environment's url. State (which releases were deployed, the traffic) is kept in
 * <stateDir>/<env>/command-target.json so another shipgate process can continue or recover.
 */

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CommandTargetConfig } from "../../../config/deploy-schema.js";
import { ShipgateError } from "../../../core/errors.js";
import { ensureStateDirOf } from "../../../core/state-dir.js";
import type { TrafficSplit } from "../../../ledger/types.js";
import type { DeployTarget, DrainOptions, InstanceInfo, InstanceSpec } from "../types.js";

export interface CommandTargetOptions {
  configDir: string;
  environment: string;
  target: CommandTargetConfig;
  /** The environment's public URL (environments.<name>.url). */
  url: string | undefined;
  readinessPath: string;
  /** Where command output goes (default: stderr). */
  output?: NodeJS.WritableStream;
  fetchTimeoutMs?: number;
}

interface ReleaseRecord {
  releaseId: string;
  version: string;
  state: InstanceInfo["state"];
  /** It has had all traffic at least once: stopping it later is a cleanup, not a rollback. */
  served: boolean;
  startedAt: string;
}

interface StateFile {
  releases: ReleaseRecord[];
  traffic: TrafficSplit[];
}

export function createCommandTarget(options: CommandTargetOptions): DeployTarget {
  const { target } = options;
  const file = path.join(options.configDir, ".shipgate", "run", options.environment, "command-target.json");
  const publicUrl = options.url ?? target.previewUrl ?? "";

  const read = (): StateFile => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as StateFile;
    } catch {
      return { releases: [], traffic: [] };
    }
  };
  const write = (state: StateFile) => {
    ensureStateDirOf(path.dirname(file));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
    renameSync(`${file}.tmp`, file);
  };

  const run = (label: string, command: string, env: Record<string, string>): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(command, {
        shell: true,
        cwd: options.configDir,
        env: { ...process.env, ...env, SHIPGATE_ENVIRONMENT: options.environment },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const out = options.output ?? process.stderr;
      child.stdout.on("data", (d: Buffer) => out.write(d));
      child.stderr.on("data", (d: Buffer) => out.write(d));
      child.on("error", (error) =>
        reject(new ShipgateError("COMMAND_FAILED", `the ${label} command could not start: ${error.message}`)),
      );
      child.on("close", (code, signal) => {
        if (code === 0) resolve();
        else
          reject(
            new ShipgateError(
              "COMMAND_FAILED",
              `the ${label} command \`${command}\` exited with ${code === null ? `signal ${signal}` : `code ${code}`}`,
              {
                hint: `Fix environments.${options.environment}.target.${label} in shipgate.yaml; its output is above.`,
              },
            ),
          );
      });
    });

  const probe = async (base: string): Promise<boolean> => {
    try {
      const response = await fetch(new URL(options.readinessPath, base), {
        signal: AbortSignal.timeout(options.fetchTimeoutMs ?? 2000),
      });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  };

  const trafficEnv = (traffic: TrafficSplit[]) => traffic.map((t) => `${t.releaseId}=${t.weight}`).join(",");

  return {
    kind: "command",
    publicUrl,
    async ensureRunning() {},
    async startInstances(spec: InstanceSpec, _count: number) {
      const version = spec.env.SHIPGATE_VERSION ?? spec.releaseId;
      const state = read();
      const previous = state.releases.find(
        (r) => r.served && r.state !== "stopped" && r.releaseId !== spec.releaseId,
      );
      // Recorded before the command runs: if it fails half way, stopping this release runs `rollback`.
      write({
        ...state,
        releases: [
          ...state.releases.filter((r) => r.releaseId !== spec.releaseId),
          {
            releaseId: spec.releaseId,
            version,
            state: "starting",
            served: false,
            startedAt: new Date().toISOString(),
          },
        ],
      });
      await run("deploy", target.deploy, {
        SHIPGATE_RELEASE_ID: spec.releaseId,
        SHIPGATE_VERSION: version,
        SHIPGATE_RELEASE_DIR: spec.cwd,
        SHIPGATE_START_COMMAND: spec.command,
        SHIPGATE_PREVIOUS_VERSION: previous?.version ?? "",
      });
      return [spec.releaseId];
    },
    async waitReady(ids: string[], deadlineMs: number) {
      const base = target.previewUrl ?? publicUrl;
      const deadline = Date.now() + deadlineMs;
      for (const id of ids) {
        for (;;) {
          if (await probe(base)) break;
          if (Date.now() > deadline) {
            throw new ShipgateError(
              "TARGET_FAILED",
              `release ${id} did not answer ${options.readinessPath} at ${base} within ${Math.round(deadlineMs / 1000)} s`,
            );
          }
          await new Promise((r) => setTimeout(r, 500));
        }
        const state = read();
        write({
          ...state,
          releases: state.releases.map((r) => (r.releaseId === id ? { ...r, state: "healthy" } : r)),
        });
      }
    },
    async instances() {
      return read()
        .releases.filter((r) => r.state !== "stopped")
        .map((r) => ({
          id: r.releaseId,
          releaseId: r.releaseId,
          port: 0,
          pid: null,
          state: r.state,
          restarts: 0,
          startedAt: r.startedAt,
          lastExit: null,
          inFlight: 0,
        }));
    },
    async setTraffic(traffic: TrafficSplit[]) {
      await run("switch", target.switch, { SHIPGATE_TRAFFIC: trafficEnv(traffic) });
      const state = read();
      const full = traffic.find((t) => t.weight === 100)?.releaseId;
      write({
        traffic,
        releases: state.releases.map((r) => (r.releaseId === full ? { ...r, served: true } : r)),
      });
    },
    async setPreview() {
      return target.previewUrl ?? publicUrl;
    },
    async stopInstances(ids: string[], _drain: DrainOptions) {
      for (const id of ids) {
        const state = read();
        const record = state.releases.find((r) => r.releaseId === id);
        if (!record || record.state === "stopped") continue;
        const current = state.releases.find((r) => r.served && r.releaseId !== id && r.state !== "stopped");
        if (record.served) {
          if (target.cleanup) {
            await run("cleanup", target.cleanup, {
              SHIPGATE_RELEASE_ID: id,
              SHIPGATE_VERSION: record.version,
            });
          }
        } else {
          await run("rollback", target.rollback, {
            SHIPGATE_RELEASE_ID: id,
            SHIPGATE_VERSION: record.version,
            SHIPGATE_PREVIOUS_VERSION: current?.version ?? "",
            SHIPGATE_TRAFFIC: trafficEnv(state.traffic),
          });
        }
        const after = read();
        write({
          ...after,
          releases: after.releases.map((r) => (r.releaseId === id ? { ...r, state: "stopped" } : r)),
        });
      }
    },
    async traffic() {
      return read().traffic;
    },
  };
}
