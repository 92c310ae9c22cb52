/**
 * The executor: runs a deploy's stored plan step by step through ports (target, ledger, hooks, smoke
 * tests, migrations, clock), journals every step, and on any failure puts traffic back on the
 * previous release before cleaning up. A deploy paused "until promote" returns; `promote` calls
 * runPlan again from the stored next step, from any process.
 */
import { type AnalysisPorts, runCanaryAnalysis, runWatch } from "../analysis/canary-analysis.js";
import type { IntervalMeasurement } from "../analysis/judge.js";
import type { PromQueryOptions, PromQueryResult } from "../analysis/prometheus-query.js";
import type { AnalysisConfig, WatchConfig } from "../config/analysis-schema.js";
import { isShipgateError, ShipgateError } from "../core/errors.js";
import type { AnalysisRun, Deploy, DeployStep, LedgerStore, TrafficSplit } from "../ledger/types.js";
import type { HookName, PlanStep } from "./plan.js";
import type {
  DeployTarget,
  DrainOptions,
  InstanceInfo,
  InstanceSpec,
  StickyConfig,
} from "./targets/types.js";

export interface SmokeOutcome {
  name: string;
  ok: boolean;
  problem?: string;
}

/** What the executor needs besides the target and the ledger; the CLI wires the real ones. */
export interface ExecutorPorts {
  ledger: LedgerStore;
  target: DeployTarget;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** The instance spec of a release: its stored artifact, start command, probes and unsealed env. */
  specFor(releaseId: string): Promise<InstanceSpec>;
  /** Human name of a release (its version). */
  versionOf(releaseId: string): string;
  runSmoke(baseUrl: string): Promise<SmokeOutcome[]>;
  runHook(hook: HookName, deploy: Deploy): Promise<{ ran: boolean }>;
  migrate(deploy: Deploy): Promise<Record<string, unknown>>;
  tag(deploy: Deploy): Promise<Record<string, unknown>>;
  /** Runs down migrations (rollback --schema). */
  migrateDown(deploy: Deploy, migrations: string[]): Promise<Record<string, unknown>>;
  /** Keeps the environment's lock alive; false when the lock was lost. */
  heartbeat(): Promise<boolean>;
  drain: DrainOptions;
  sticky: StickyConfig;
  /** Instances to run per release (the environment's target.instances). */
  instances: number;
  startDeadlineMs: number;
  /** Skip smoke tests (rollback --force). */
  skipSmoke?: boolean;
  /** Canary analysis and the post-deploy watch (the plan has analyze/watch steps only when configured). */
  analysis?: {
    config: AnalysisConfig;
    watch: WatchConfig;
    /** Where PromQL metrics' headersEnv values are read. */
    env: Record<string, string | undefined>;
    prometheus(options: PromQueryOptions): Promise<PromQueryResult>;
  };
  onEvent?(event: ExecutorEvent): void;
}

export type ExecutorEvent =
  | { type: "step-start"; index: number; total: number; step: PlanStep }
  | {
      type: "step-done";
      index: number;
      total: number;
      step: PlanStep;
      ms: number;
      detail: Record<string, unknown>;
    }
  | ({ type: "step-failed"; index: number; total: number; step: PlanStep } & StepFailureDetail)
  | { type: "paused"; index: number }
  | { type: "analysis"; index: number; interval: IntervalMeasurement; run: AnalysisRun }
  | { type: "restore-start"; reason: string }
  | { type: "restore-done"; traffic: TrafficSplit[] }
  | { type: "info"; message: string };

export interface RunResult {
  deploy: Deploy;
  /** succeeded, paused (waiting for promote), rolled_back (failed, traffic restored) or failed. */
  outcome: "succeeded" | "paused" | "rolled_back" | "failed" | "aborted";
}

class StepFailure extends Error {}

/**
 * What a failed step journals and reports: the message, and a ShipgateError's details (e.g. the
 * instance's last output lines, already masked) and hint (e.g. where its full log is).
 */
export interface StepFailureDetail {
  error: string;
  details?: string[];
  hint?: string;
}

function stepFailureDetail(error: unknown): StepFailureDetail {
  const failure: StepFailureDetail = { error: errorMessage(error) };
  if (isShipgateError(error)) {
    if (error.details.length > 0) failure.details = error.details;
    if (error.hint) failure.hint = error.hint;
  }
  return failure;
}

const iso = (ports: ExecutorPorts) => ports.now().toISOString();

function routable(instances: InstanceInfo[], releaseId: string): InstanceInfo[] {
  return instances.filter((i) => i.releaseId === releaseId && i.state === "healthy");
}

function live(instances: InstanceInfo[], releaseId: string): InstanceInfo[] {
  return instances.filter(
    (i) => i.releaseId === releaseId && i.state !== "stopped" && i.state !== "draining",
  );
}

async function setEnvironmentTraffic(
  ports: ExecutorPorts,
  deploy: Deploy,
  traffic: TrafficSplit[],
  current?: string,
) {
  await ports.target.setTraffic(traffic, ports.sticky);
  const state = await ports.ledger.getEnvironmentState(deploy.environment);
  await ports.ledger.setEnvironmentState({
    environment: deploy.environment,
    currentReleaseId: current ?? state?.currentReleaseId ?? null,
    traffic,
    updatedAt: iso(ports),
  });
}

/** Instances of the release started by this deploy's journal (so wait-ready waits for exactly those). */
async function startedIds(ports: ExecutorPorts, deploy: Deploy, releaseId: string): Promise<string[]> {
  const steps = await ports.ledger.listSteps(deploy.id);
  return steps.flatMap((s) =>
    s.type === "start-instances" && s.status === "succeeded" && s.detail.releaseId === releaseId
      ? ((s.detail.instanceIds as string[] | undefined) ?? [])
      : [],
  );
}

async function runStep(
  ports: ExecutorPorts,
  deploy: Deploy,
  step: PlanStep,
  index: number,
): Promise<Record<string, unknown>> {
  const { target } = ports;
  switch (step.type) {
    case "hook": {
      const { ran } = await ports.runHook(step.hook, deploy);
      return { hook: step.hook, ran };
    }
    case "migrate":
      return ports.migrate(deploy);
    case "start-instances": {
      const spec = await ports.specFor(step.releaseId);
      const ids = await target.startInstances(spec, step.count);
      return { releaseId: step.releaseId, instanceIds: ids };
    }
    case "wait-ready": {
      // warm: the instances kept warm count too (a blue-green deploy back to them checks them again).
      const ids = step.warm
        ? live(await target.instances(), step.releaseId).map((i) => i.id)
        : await startedIds(ports, deploy, step.releaseId);
      if (step.warm && ids.length === 0) {
        throw new StepFailure(`no instance of ${ports.versionOf(step.releaseId)} is running any more`);
      }
      await target.waitReady(ids, step.deadlineMs);
      return { ready: ids };
    }
    case "set-preview": {
      const url = await target.setPreview(step.releaseId);
      return { url };
    }
    case "smoke": {
      if (ports.skipSmoke) return { skipped: "--force" };
      const base = step.via === "preview" ? await target.setPreview(step.releaseId) : target.publicUrl;
      const results = await ports.runSmoke(base);
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) {
        throw new StepFailure(
          `smoke tests failed on ${ports.versionOf(step.releaseId)} (${step.via}): ${failed
            .map((f) => `${f.name}: ${f.problem ?? "failed"}`)
            .join("; ")}`,
        );
      }
      return { passed: results.map((r) => r.name) };
    }
    case "set-traffic": {
      await setEnvironmentTraffic(ports, deploy, step.traffic);
      return { traffic: step.traffic };
    }
    case "pause": {
      if (step.durationMs === null) return { until: "promote" };
      const guard = await instanceGuard(ports, step.watch);
      const end = ports.now().getTime() + step.durationMs;
      for (;;) {
        await guard();
        const left = end - ports.now().getTime();
        if (left <= 0) break;
        await ports.sleep(Math.min(250, left));
      }
      return { heldMs: step.durationMs };
    }
    case "analyze": {
      const run = await runCanaryAnalysis(await analysisPorts(ports, step.canary, index), {
        runId: `${deploy.id}-a${index}`,
        deployId: deploy.id,
        environment: deploy.environment,
        stepIndex: index,
        durationMs: step.durationMs,
        canary: { id: step.canary, version: ports.versionOf(step.canary) },
        baseline: { id: step.baseline, version: ports.versionOf(step.baseline) },
        config: requireAnalysis(ports).config,
      });
      if (run.verdict === "failed") {
        throw new StepFailure(`canary analysis of ${ports.versionOf(step.canary)} failed: ${run.summary}`);
      }
      return {
        verdict: run.verdict,
        summary: run.summary,
        analysis: run.id,
        ...(run.verdict === "inconclusive" ? { pause: true } : {}),
      };
    }
    case "watch": {
      const analysis = requireAnalysis(ports);
      const run = await runWatch(await analysisPorts(ports, step.releaseId, index), {
        runId: `${deploy.id}-w${index}`,
        deployId: deploy.id,
        environment: deploy.environment,
        stepIndex: index,
        release: { id: step.releaseId, version: ports.versionOf(step.releaseId) },
        baseline: step.baseline ? { id: step.baseline, version: ports.versionOf(step.baseline) } : null,
        config: { ...analysis.watch, duration: step.durationMs },
        minRequests: analysis.config.minRequests,
      });
      if (run.verdict === "failed") {
        throw new StepFailure(`post-deploy watch of ${ports.versionOf(step.releaseId)}: ${run.summary}`);
      }
      return { verdict: run.verdict, summary: run.summary, analysis: run.id };
    }
    case "stop-instances": {
      const running = live(await target.instances(), step.releaseId);
      // Stop the newest first: they have served the least.
      const chosen = (step.count === null ? running : running.slice(-step.count)).map((i) => i.id);
      await target.stopInstances(chosen, ports.drain);
      return { releaseId: step.releaseId, stopped: chosen };
    }
    case "mark-current": {
      const traffic = await target.traffic();
      await ports.ledger.setEnvironmentState({
        environment: deploy.environment,
        currentReleaseId: step.releaseId,
        traffic,
        updatedAt: iso(ports),
      });
      return { current: step.releaseId };
    }
    case "tag":
      return ports.tag(deploy);
    case "migrate-down":
      return ports.migrateDown(deploy, step.migrations);
  }
}

/**
 * A check, run at least every 250 ms while a pause or an analysis holds, that the release's instances
 * (those serving when it started) neither crashed nor became unhealthy, and that the lock is ours.
 */
async function instanceGuard(ports: ExecutorPorts, releaseId: string): Promise<() => Promise<void>> {
  const before = new Map(
    (await ports.target.instances())
      .filter((i) => i.releaseId === releaseId && i.state !== "stopped" && i.state !== "draining")
      .map((i) => [i.id, i.restarts]),
  );
  return async () => {
    const instances = (await ports.target.instances()).filter((i) => before.has(i.id));
    for (const i of instances) {
      const restarted = i.restarts > (before.get(i.id) ?? 0);
      if (restarted || i.state === "unhealthy" || i.state === "stopped") {
        const exit = i.lastExit
          ? ` (exit code ${i.lastExit.code ?? "none"}, signal ${i.lastExit.signal ?? "none"})`
          : "";
        throw new StepFailure(
          `instance ${i.id} of ${ports.versionOf(releaseId)} ${restarted ? "crashed" : `became ${i.state}`}${exit} during the pause`,
        );
      }
    }
    if (!(await ports.heartbeat()))
      throw new StepFailure("the deploy lock was lost (another process took it over)");
  };
}

function requireAnalysis(ports: ExecutorPorts): NonNullable<ExecutorPorts["analysis"]> {
  if (!ports.analysis)
    throw new ShipgateError("INTERNAL", "the plan has an analysis step but no analysis is configured");
  return ports.analysis;
}

async function analysisPorts(ports: ExecutorPorts, releaseId: string, index: number): Promise<AnalysisPorts> {
  const analysis = requireAnalysis(ports);
  const read = ports.target.metrics?.bind(ports.target);
  return {
    now: ports.now,
    sleep: ports.sleep,
    tick: await instanceGuard(ports, releaseId),
    metrics: read ? () => read() : null,
    prometheus: (options) => analysis.prometheus(options),
    env: analysis.env,
    save: (run) => ports.ledger.saveAnalysis(run),
    onInterval: (interval, run) => ports.onEvent?.({ type: "analysis", index, interval, run }),
  };
}

async function journal(ports: ExecutorPorts, entry: DeployStep): Promise<void> {
  await ports.ledger.recordStep(entry);
}

/**
 * Runs the deploy's plan from deploy.nextStep. Returns when it succeeded, paused (until promote), or
 * failed — in which case traffic is already back on the previous release.
 */
export async function runPlan(ports: ExecutorPorts, deployId: string): Promise<RunResult> {
  let deploy = await requireDeploy(ports.ledger, deployId);
  const plan = deploy.plan as PlanStep[];
  if (deploy.status === "paused") deploy = await ports.ledger.updateDeploy(deploy.id, { status: "running" });
  const total = plan.length;
  for (let index = deploy.nextStep; index < total; index++) {
    const step = plan[index] as PlanStep;
    const startedAt = iso(ports);
    const t0 = ports.now().getTime();
    ports.onEvent?.({ type: "step-start", index, total, step });
    await journal(ports, {
      deployId,
      index,
      type: step.type,
      status: "running",
      detail: {},
      startedAt,
      finishedAt: null,
    });
    try {
      if (!(await ports.heartbeat()))
        throw new StepFailure("the deploy lock was lost (another process took it over)");
      const detail = await runStep(ports, deploy, step, index);
      await journal(ports, {
        deployId,
        index,
        type: step.type,
        status: "succeeded",
        detail,
        startedAt,
        finishedAt: iso(ports),
      });
      deploy = await ports.ledger.updateDeploy(deployId, { nextStep: index + 1 });
      ports.onEvent?.({ type: "step-done", index, total, step, ms: ports.now().getTime() - t0, detail });
      if ((step.type === "pause" && step.durationMs === null) || detail.pause === true) {
        deploy = await ports.ledger.updateDeploy(deployId, { status: "paused" });
        ports.onEvent?.({ type: "paused", index });
        return { deploy, outcome: "paused" };
      }
    } catch (error) {
      const failure = stepFailureDetail(error);
      await journal(ports, {
        deployId,
        index,
        type: step.type,
        status: "failed",
        detail: { ...failure },
        startedAt,
        finishedAt: iso(ports),
      });
      ports.onEvent?.({ type: "step-failed", index, total, step, ...failure });
      const failedStep = `step ${index + 1}/${total} (${step.type}) failed: ${failure.error}`;
      return restorePrevious(ports, deploy, failedStep, "rolled_back");
    }
  }
  deploy = await ports.ledger.updateDeploy(deployId, { status: "succeeded", finishedAt: iso(ports) });
  return { deploy, outcome: "succeeded" };
}

/**
 * Puts traffic back on the release that served before the deploy, then removes the deploy's
 * release. Used after a failed step, by `shipgate abort`, and by recovery of a deploy whose process
 * died. The previous release gets traffic first if it still has a healthy instance; otherwise it is
 * started and checked before the switch (traffic stays on the new release until then).
 */
export async function restorePrevious(
  ports: ExecutorPorts,
  deploy: Deploy,
  reason: string,
  outcome: "rolled_back" | "aborted",
): Promise<RunResult> {
  const { target } = ports;
  ports.onEvent?.({ type: "restore-start", reason });
  await closeAnalyses(ports, deploy.id, reason);
  const previous = deploy.previousReleaseId;
  try {
    await target.setPreview(null);
    if (previous !== null && previous !== deploy.releaseId) {
      let healthy = routable(await target.instances(), previous);
      if (healthy.length === 0) {
        const ids = await target.startInstances(await ports.specFor(previous), ports.instances);
        await target.waitReady(ids, ports.startDeadlineMs);
        healthy = routable(await target.instances(), previous);
      }
      const traffic = [{ releaseId: previous, weight: 100 }];
      await setEnvironmentTraffic(ports, deploy, traffic, previous);
      ports.onEvent?.({ type: "restore-done", traffic });
      const missing = ports.instances - live(await target.instances(), previous).length;
      if (missing > 0) {
        const ids = await target.startInstances(await ports.specFor(previous), missing);
        await target.waitReady(ids, ports.startDeadlineMs).catch(() => undefined);
      }
    }
    if (previous !== deploy.releaseId) {
      const stale = live(await target.instances(), deploy.releaseId).map((i) => i.id);
      if (previous === null) {
        await setEnvironmentTraffic(ports, deploy, [], undefined);
        ports.onEvent?.({ type: "restore-done", traffic: [] });
      }
      await target.stopInstances(stale, ports.drain);
    }
    const updated = await ports.ledger.updateDeploy(deploy.id, {
      status: outcome,
      error: reason,
      finishedAt: iso(ports),
    });
    return { deploy: updated, outcome };
  } catch (error) {
    const updated = await ports.ledger.updateDeploy(deploy.id, {
      status: "failed",
      error: `${reason}; restoring the previous release also failed: ${errorMessage(error)}`,
      finishedAt: iso(ports),
    });
    return { deploy: updated, outcome: "failed" };
  }
}

/**
 * Ends the deploy's analyses still running (a watch cut short by a failed step, an abort or the
 * death of the process): none outlives its deploy as "running".
 */
async function closeAnalyses(ports: ExecutorPorts, deployId: string, reason: string): Promise<void> {
  for (const run of await ports.ledger.listAnalyses(deployId)) {
    if (run.verdict !== "running") continue;
    await ports.ledger.saveAnalysis({
      ...run,
      verdict: "inconclusive",
      summary: `ended before a verdict: ${reason}`,
      finishedAt: iso(ports),
    });
  }
}

async function requireDeploy(ledger: LedgerStore, id: string): Promise<Deploy> {
  const deploy = await ledger.getDeploy(id);
  if (!deploy) throw new ShipgateError("INTERNAL", `deploy ${id} is not in the ledger`);
  return deploy;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
