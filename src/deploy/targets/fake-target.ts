/**
 * An in-memory DeployTarget for unit tests of the executor and the release use cases: instances are
 * records, not processes. Faults are switched on per release: a boot that fails, a readiness that
 * never comes (deadline), a crash while watched. Every call is logged for assertions.
 */
import type { TrafficSplit } from "../../ledger/types.js";
import type { DeployTarget, DrainOptions, InstanceInfo, InstanceSpec } from "./types.js";

export interface FakeTargetFaults {
  /** Instances of these releases exit at start. */
  bootFail: Set<string>;
  /** Instances of these releases never become ready. */
  neverReady: Set<string>;
  /** Instances of these releases crash (restart count +1, unhealthy) the next time instances() is read. */
  crash: Set<string>;
}

export interface FakeTarget extends DeployTarget {
  faults: FakeTargetFaults;
  log: string[];
  /** Live instance counts per release (not stopped). */
  counts(): Record<string, number>;
  currentTraffic: TrafficSplit[];
}

export function createFakeTarget(publicUrl = "http://127.0.0.1:1"): FakeTarget {
  const instances: InstanceInfo[] = [];
  let next = 1;
  const faults: FakeTargetFaults = { bootFail: new Set(), neverReady: new Set(), crash: new Set() };
  const log: string[] = [];
  const target: FakeTarget = {
    kind: "local",
    publicUrl,
    faults,
    log,
    currentTraffic: [],
    counts() {
      const out: Record<string, number> = {};
      for (const i of instances) if (i.state !== "stopped") out[i.releaseId] = (out[i.releaseId] ?? 0) + 1;
      return out;
    },
    async ensureRunning() {},
    async startInstances(spec: InstanceSpec, count: number) {
      log.push(`start ${spec.releaseId} x${count}`);
      const ids: string[] = [];
      for (let n = 0; n < count; n++) {
        const id = `i${next++}`;
        const failed = faults.bootFail.has(spec.releaseId);
        instances.push({
          id,
          releaseId: spec.releaseId,
          port: 10_000 + next,
          pid: failed ? null : 50_000 + next,
          state: failed ? "stopped" : "starting",
          restarts: 0,
          startedAt: new Date(0).toISOString(),
          lastExit: failed ? { code: 1, signal: null, at: new Date(0).toISOString() } : null,
          inFlight: 0,
        });
        ids.push(id);
      }
      return ids;
    },
    async waitReady(ids: string[], deadlineMs: number) {
      log.push(`wait ${ids.join(",")}`);
      for (const id of ids) {
        const i = instances.find((x) => x.id === id);
        if (!i) throw new Error(`no instance ${id}`);
        if (faults.bootFail.has(i.releaseId))
          throw new Error(`instance ${id} exited with code 1 before it was ready`);
        if (faults.neverReady.has(i.releaseId)) {
          throw new Error(`instance ${id} was not ready within ${deadlineMs} ms`);
        }
        i.state = "healthy";
      }
      if (ids.length === 0) throw new Error("no instance to wait for (all exited)");
    },
    async instances() {
      for (const i of instances) {
        if (faults.crash.has(i.releaseId) && i.state === "healthy") {
          i.restarts += 1;
          i.state = "unhealthy";
          i.lastExit = { code: 1, signal: null, at: new Date(0).toISOString() };
        }
      }
      return instances.map((i) => ({ ...i }));
    },
    async setTraffic(traffic: TrafficSplit[]) {
      log.push(`traffic ${traffic.map((t) => `${t.releaseId}=${t.weight}`).join(",")}`);
      target.currentTraffic = traffic;
    },
    async setPreview(releaseId: string | null) {
      log.push(`preview ${releaseId ?? "none"}`);
      return `${publicUrl}/preview`;
    },
    async stopInstances(ids: string[], _drain: DrainOptions) {
      if (ids.length > 0) log.push(`stop ${ids.join(",")}`);
      for (const id of ids) {
        const i = instances.find((x) => x.id === id);
        if (i) i.state = "stopped";
      }
    },
    async traffic() {
      return target.currentTraffic;
    },
  };
  return target;
}
