/**
 * Plans are data: `planDeploy(current, release, strategy)` returns the typed steps of a deploy. It is
 * pure; `shipgate deploy --dry-run` prints the plan, the executor runs it step by step and journals
 * each one in the ledger, and a deploy resumed by another process continues from its stored plan.
 */

import type { CanaryStep, StrategyName } from "../config/deploy-schema.js";
import { plural } from "../core/plural.js";
import type { TrafficSplit } from "../ledger/types.js";

export type HookName = "pre-deploy" | "pre-traffic" | "post-deploy" | "post-rollback";

export type PlanStep =
  | { type: "hook"; hook: HookName }
  /** Lint, back up and apply the release's migrations (expand-only while old code serves). */
  | { type: "migrate" }
  | { type: "start-instances"; releaseId: string; count: number }
  /**
   * Every instance of the release started by this deploy must be ready before the deadline; with
   * `warm`, every running instance of it (those kept warm by an earlier blue-green deploy, too).
   */
  | { type: "wait-ready"; releaseId: string; deadlineMs: number; warm?: true }
  | { type: "set-preview"; releaseId: string | null }
  | { type: "smoke"; releaseId: string; via: "preview" | "public" }
  | { type: "set-traffic"; traffic: TrafficSplit[] }
  /** Hold; the new release's instances are watched, a crash fails the deploy. null: until `shipgate promote`. */
  | { type: "pause"; durationMs: number | null; watch: string }
  /** A judged pause: the canary's golden signals against the baseline's, interval by interval (canary analysis). */
  | { type: "analyze"; durationMs: number; canary: string; baseline: string }
  /** After promotion: watch the new release and roll back when a trigger holds (error rate, p99). */
  | { type: "watch"; releaseId: string; baseline: string | null; durationMs: number }
  /** Drain and stop `count` instances of the release (all of them when count is null). */
  | { type: "stop-instances"; releaseId: string; count: number | null }
  /** The release becomes the environment's current one. */
  | { type: "mark-current"; releaseId: string }
  | { type: "tag" }
  /** Rollback --schema: run the down migrations of these (history names), newest first. */
  | { type: "migrate-down"; migrations: string[] };

export type PlanStepType = PlanStep["type"];

export interface CurrentState {
  /** The release serving now; null before the first deploy. */
  releaseId: string | null;
  /** Its running instances. */
  instances: number;
  /** Other releases with running instances (e.g. blue kept warm by the last blue-green deploy); stopped first. */
  others?: string[];
  /** Healthy instances of each of `others`: a blue-green deploy of a release kept warm reuses them. */
  warm?: Record<string, number>;
  /**
   * The environment was stopped with `shipgate down` (the ledger's traffic is empty): why the current
   * release has no running instance.
   */
  downed?: boolean;
}

export interface PlannedRelease {
  id: string;
  /** Desired instance count. */
  instances: number;
}

export interface StrategySpec {
  name: StrategyName;
  rolling: { maxSurge: number; maxUnavailable: number };
  canary: { steps: CanaryStep[] };
  startDeadlineMs: number;
  /** Smoke tests are configured (HTTP tests or a command). */
  smoke: boolean;
  /** Migrations run before the new release starts. */
  migrate: boolean;
  /** Tag the commit after success. */
  tag: boolean;
  /** Judge timed canary pauses (canary analysis). */
  analysis: boolean;
  /** The post-deploy watch after promotion; 0: none. */
  watchMs: number;
}

function split(newId: string, oldId: string | null, newPercent: number): TrafficSplit[] {
  const pct = Math.max(0, Math.min(100, Math.round(newPercent)));
  if (oldId === null || pct === 100) return [{ releaseId: newId, weight: 100 }];
  if (pct === 0) return [{ releaseId: oldId, weight: 100 }];
  return [
    { releaseId: oldId, weight: 100 - pct },
    { releaseId: newId, weight: pct },
  ];
}

/** Start, check through the preview port, then take traffic: shared by every strategy's first batch. */
function startAndCheck(
  release: Pick<PlannedRelease, "id">,
  count: number,
  strategy: Pick<StrategySpec, "smoke" | "startDeadlineMs">,
): PlanStep[] {
  return [
    { type: "start-instances", releaseId: release.id, count },
    { type: "wait-ready", releaseId: release.id, deadlineMs: strategy.startDeadlineMs },
    ...previewSmoke(release, strategy),
  ];
}

/**
 * A release kept warm: start only what it lacks of the desired count, then check all its running
 * instances (readiness, smoke tests through the preview port) as if they had just started.
 */
function reuseAndCheck(release: PlannedRelease, warm: number, strategy: StrategySpec): PlanStep[] {
  const missing = release.instances - warm;
  return [
    ...(missing > 0 ? [{ type: "start-instances", releaseId: release.id, count: missing } as const] : []),
    { type: "wait-ready", releaseId: release.id, deadlineMs: strategy.startDeadlineMs, warm: true },
    ...previewSmoke(release, strategy),
  ];
}

/** Smoke tests through the preview port, before the release gets any user request. */
function previewSmoke(
  release: Pick<PlannedRelease, "id">,
  strategy: Pick<StrategySpec, "smoke">,
): PlanStep[] {
  const steps: PlanStep[] = [];
  if (strategy.smoke) {
    steps.push(
      { type: "set-preview", releaseId: release.id },
      { type: "smoke", releaseId: release.id, via: "preview" },
      { type: "set-preview", releaseId: null },
    );
  }
  return steps;
}

function rollingSteps(current: CurrentState, release: PlannedRelease, strategy: StrategySpec): PlanStep[] {
  const oldId = current.releaseId as string;
  const desired = release.instances;
  const { maxSurge, maxUnavailable } = strategy.rolling;
  const steps: PlanStep[] = [];
  let newUp = 0;
  let oldUp = current.instances;
  // Traffic always moves before instances leave, so no request is sent to a draining instance.
  const stopOld = (count: number): void => {
    oldUp -= count;
    steps.push(
      { type: "set-traffic", traffic: split(release.id, oldId, (100 * newUp) / (newUp + oldUp)) },
      { type: "stop-instances", releaseId: oldId, count: oldUp === 0 ? null : count },
    );
  };
  while (newUp < desired) {
    const excess = newUp + oldUp - (desired - maxUnavailable);
    if (oldUp > 0 && excess > 0 && newUp > 0) stopOld(Math.min(oldUp, excess));
    else if (oldUp > 0 && maxSurge === 0) stopOld(Math.min(oldUp, Math.max(1, excess)));
    const batch = Math.max(1, Math.min(desired - newUp, desired + maxSurge - (newUp + oldUp)));
    steps.push(
      ...(newUp === 0
        ? // The first batch is checked (readiness, smoke tests through the preview port), then the
          // pre-traffic hook runs, before any user request reaches the new release.
          [...startAndCheck(release, batch, strategy), { type: "hook", hook: "pre-traffic" } as const]
        : [
            { type: "start-instances", releaseId: release.id, count: batch } as const,
            { type: "wait-ready", releaseId: release.id, deadlineMs: strategy.startDeadlineMs } as const,
          ]),
    );
    newUp += batch;
    steps.push({ type: "set-traffic", traffic: split(release.id, oldId, (100 * newUp) / (newUp + oldUp)) });
  }
  if (oldUp > 0) stopOld(oldUp);
  return steps;
}

function blueGreenSteps(current: CurrentState, release: PlannedRelease, strategy: StrategySpec): PlanStep[] {
  // Blue (the current release) keeps running after the switch, warm for an instant rollback; the
  // next deploy or `shipgate status` stops it once blueGreen.keepWarm has passed.
  void current;
  return [
    ...startAndCheck(release, release.instances, strategy),
    { type: "hook", hook: "pre-traffic" },
    { type: "set-traffic", traffic: split(release.id, null, 100) },
  ];
}

function canarySteps(current: CurrentState, release: PlannedRelease, strategy: StrategySpec): PlanStep[] {
  const oldId = current.releaseId as string;
  const steps: PlanStep[] = [
    ...startAndCheck(release, release.instances, strategy),
    { type: "hook", hook: "pre-traffic" },
  ];
  for (const step of strategy.canary.steps) {
    if ("setWeight" in step) {
      steps.push({ type: "set-traffic", traffic: split(release.id, oldId, step.setWeight) });
    } else if (step.pause !== "until-promote" && strategy.analysis) {
      steps.push({ type: "analyze", durationMs: step.pause, canary: release.id, baseline: oldId });
    } else {
      steps.push({
        type: "pause",
        durationMs: step.pause === "until-promote" ? null : step.pause,
        watch: release.id,
      });
    }
  }
  steps.push(
    { type: "set-traffic", traffic: split(release.id, null, 100) },
    { type: "stop-instances", releaseId: oldId, count: null },
  );
  return steps;
}

/** The current release is recorded but none of its instances runs (e.g. after `shipgate down`). */
function currentNotRunning(current: CurrentState): current is CurrentState & { releaseId: string } {
  return current.releaseId !== null && current.instances === 0;
}

/**
 * Healthy instances of `release` kept warm (the blue of an earlier blue-green deploy) that a
 * blue-green deploy of that same release reuses; 0 when there are none or another strategy runs.
 */
function reusableWarm(current: CurrentState, release: PlannedRelease, strategy: StrategySpec): number {
  if (strategy.name !== "blue-green" || current.releaseId === release.id) return 0;
  return current.warm?.[release.id] ?? 0;
}

/**
 * The steps deploying `release` over `current` with `strategy`. A first deploy (nothing current)
 * starts, checks and switches whatever the strategy; so does a deploy over a release with no running
 * instance (e.g. after the agent was stopped). A blue-green deploy of the release kept warm checks
 * its running instances again and switches back to them, like a rollback. `explainDeploy` says why,
 * when the plan is not what the strategy alone would do.
 */
export function planDeploy(
  current: CurrentState,
  release: PlannedRelease,
  strategy: StrategySpec,
): PlanStep[] {
  const steps: PlanStep[] = [{ type: "hook", hook: "pre-deploy" }];
  const warm = reusableWarm(current, release, strategy);
  // Leftovers (a blue kept warm, or instances of this very release from an earlier deploy) stop
  // first: they get no traffic, and wait-ready must only count what this deploy starts. A warm
  // release being deployed again is kept and checked instead.
  for (const other of current.others ?? []) {
    if (warm > 0 && other === release.id) continue;
    steps.push({ type: "stop-instances", releaseId: other, count: null });
  }
  if (strategy.migrate) steps.push({ type: "migrate" });
  const fresh = current.releaseId === null || current.releaseId === release.id || current.instances === 0;
  if (fresh || warm > 0) {
    steps.push(
      ...(warm > 0
        ? reuseAndCheck(release, warm, strategy)
        : startAndCheck(release, release.instances, strategy)),
      { type: "hook", hook: "pre-traffic" },
      { type: "set-traffic", traffic: split(release.id, null, 100) },
    );
    // Blue-green keeps a running blue warm; a release with nothing running has only leftovers.
    if (fresh && current.releaseId !== null && current.releaseId !== release.id) {
      steps.push({ type: "stop-instances", releaseId: current.releaseId, count: null });
    }
  } else if (strategy.name === "rolling") {
    steps.push(...rollingSteps(current, release, strategy));
  } else if (strategy.name === "blue-green") {
    steps.push(...blueGreenSteps(current, release, strategy));
  } else {
    steps.push(...canarySteps(current, release, strategy));
  }
  // A first deploy has nothing to roll back to, so nothing for a watch to act on.
  if (strategy.watchMs > 0 && current.releaseId !== null && current.releaseId !== release.id) {
    insertWatch(steps, release.id, current.releaseId, strategy.watchMs);
  }
  if (strategy.smoke) steps.push({ type: "smoke", releaseId: release.id, via: "public" });
  steps.push({ type: "mark-current", releaseId: release.id });
  if (strategy.tag) steps.push({ type: "tag" });
  steps.push({ type: "hook", hook: "post-deploy" });
  return steps;
}

/** Why a deploy's plan is not what its strategy alone would do: data that renderers print above the steps. */
export type PlanNote =
  /** The release recorded as current has no running instance: the new one gets all traffic at once. */
  | {
      type: "current-not-running";
      current: string;
      releaseId: string;
      strategy: StrategyName;
      /** down: stopped by `shipgate down`; gone: its instances are gone (the agent stopped or restarted). */
      cause: "down" | "gone";
    }
  /** A blue-green deploy of the release kept warm: its running instances are checked and take traffic back. */
  | { type: "reuse-warm"; releaseId: string; instances: number; desired: number };

/** The notes explaining `planDeploy(current, release, strategy)`, decided by the same rules. */
export function explainDeploy(
  current: CurrentState,
  release: PlannedRelease,
  strategy: StrategySpec,
): PlanNote[] {
  const notes: PlanNote[] = [];
  if (currentNotRunning(current)) {
    notes.push({
      type: "current-not-running",
      current: current.releaseId,
      releaseId: release.id,
      strategy: strategy.name,
      cause: current.downed ? "down" : "gone",
    });
  }
  const warm = reusableWarm(current, release, strategy);
  if (warm > 0) {
    notes.push({ type: "reuse-warm", releaseId: release.id, instances: warm, desired: release.instances });
  }
  return notes;
}

/** One sentence per note, for `--dry-run` and the start of a deploy. */
export function describeNote(note: PlanNote, versionOf: (releaseId: string) => string): string {
  switch (note.type) {
    case "current-not-running": {
      const why = note.cause === "down" ? "stopped by `shipgate down`" : "its instances are gone";
      const head = `${versionOf(note.current)} is recorded as current but is not running (${why})`;
      if (note.current === note.releaseId)
        return `${head}: it starts again and gets all traffic once healthy.`;
      const skipped =
        note.strategy === "blue-green"
          ? "there is no blue to keep warm"
          : `the ${note.strategy} steps are skipped`;
      return `${head}: ${versionOf(note.releaseId)} gets all traffic once healthy; ${skipped}.`;
    }
    case "reuse-warm": {
      const n = note.instances;
      const more = note.desired - n;
      return (
        `${versionOf(note.releaseId)} is still warm (${plural(n, "healthy instance")} still running): ` +
        `${n === 1 ? "it is" : "they are"} checked again and take the traffic back` +
        (more > 0 ? `, with ${more} more started.` : "; nothing new is started.")
      );
    }
  }
}

/**
 * The watch goes right after the step that gives the new release all traffic, before the old
 * release's instances stop: a trigger then switches back to instances still running.
 */
function insertWatch(steps: PlanStep[], releaseId: string, previous: string, durationMs: number): void {
  const at = steps.findLastIndex(
    (s) => s.type === "set-traffic" && s.traffic.length === 1 && s.traffic[0]?.releaseId === releaseId,
  );
  steps.splice(at + 1, 0, { type: "watch", releaseId, baseline: previous, durationMs });
}

export interface RollbackInput {
  /** The release serving now (null: nothing recorded). */
  currentId: string | null;
  /** The release to go back to. */
  targetId: string;
  /** It still has healthy instances (blue kept warm): traffic switches without starting anything. */
  warm: boolean;
  instances: number;
  startDeadlineMs: number;
  /** Run smoke tests (false with --force). */
  smoke: boolean;
  /** Down migrations to run after the switch (rollback --schema), newest first. */
  downMigrations?: string[];
}

/**
 * The steps of `shipgate rollback`: switch at once when the target is warm, else start it, check it
 * and switch; then drain the release rolled back from. No analysis, no pauses.
 */
export function planRollback(input: RollbackInput): PlanStep[] {
  const steps: PlanStep[] = input.warm ? [] : startAndCheck({ id: input.targetId }, input.instances, input);
  steps.push(
    { type: "set-traffic", traffic: split(input.targetId, null, 100) },
    { type: "mark-current", releaseId: input.targetId },
  );
  if (input.currentId !== null && input.currentId !== input.targetId) {
    steps.push({ type: "stop-instances", releaseId: input.currentId, count: null });
  }
  // Only once no instance of the newer code runs: it may depend on what the downs remove.
  if (input.downMigrations && input.downMigrations.length > 0) {
    steps.push({ type: "migrate-down", migrations: input.downMigrations });
  }
  if (input.smoke) steps.push({ type: "smoke", releaseId: input.targetId, via: "public" });
  steps.push({ type: "hook", hook: "post-rollback" });
  return steps;
}

/** One line per step, for `--dry-run` and the deploy output. */
export function describeStep(step: PlanStep, versionOf: (releaseId: string) => string): string {
  switch (step.type) {
    case "hook":
      return `run hook ${step.hook} (if present)`;
    case "migrate":
      return "lint, verify, back up and apply migrations";
    case "start-instances":
      return `start ${step.count} instance${step.count === 1 ? "" : "s"} of ${versionOf(step.releaseId)}`;
    case "wait-ready":
      return step.warm
        ? `check that every running instance of ${versionOf(step.releaseId)} is ready (deadline ${Math.round(step.deadlineMs / 1000)} s)`
        : `wait until ${versionOf(step.releaseId)} is ready (deadline ${Math.round(step.deadlineMs / 1000)} s)`;
    case "set-preview":
      return step.releaseId === null
        ? "close the preview port"
        : `route the preview port to ${versionOf(step.releaseId)}`;
    case "smoke":
      return `smoke tests on ${versionOf(step.releaseId)} via the ${step.via} port`;
    case "set-traffic":
      return `traffic: ${step.traffic.map((t) => `${versionOf(t.releaseId)} ${t.weight}%`).join(", ")}`;
    case "analyze":
      return `analyse ${versionOf(step.canary)} against ${versionOf(step.baseline)} for ${formatSeconds(step.durationMs)}`;
    case "watch":
      return `watch ${versionOf(step.releaseId)} for ${formatSeconds(step.durationMs)}, rolling back on a trigger`;
    case "pause":
      return step.durationMs === null
        ? "pause until `shipgate promote`"
        : `pause ${formatSeconds(step.durationMs)}, watching ${versionOf(step.watch)}`;
    case "stop-instances":
      return `drain and stop ${step.count === null ? "all" : step.count} instance${step.count === 1 ? "" : "s"} of ${versionOf(step.releaseId)}`;
    case "mark-current":
      return `record ${versionOf(step.releaseId)} as current`;
    case "tag":
      return "tag the commit deploy-<env>-<timestamp>";
    case "migrate-down":
      return `run the down migrations of ${step.migrations.join(", ")}`;
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
