/**
 * The release use cases behind `shipgate deploy | rollback | promote | abort | status | history | lock`.
 * Each opens a context (config, ledger, target, secret key), first recovers a deploy whose process
 * died (traffic back on the previous release), takes the environment's lock, and returns data.
 * The reads (status, history, live figures) take a ReadContext, which an environment without a
 * target (a flags-only setup) also has: its target is null, and only the ledger is read.
 */
import { hostname } from "node:os";
import path from "node:path";
import { formatValue } from "../analysis/judge.js";
import type { StatusResult as WireStatusResult } from "../api/wire-types.js";
import { loadConfig } from "../config/load.js";
import type { EnvironmentConfig, ShipgateConfig } from "../config/schema.js";
import { ShipgateError } from "../core/errors.js";
import { gitCommitsInRange, gitResolveCommit } from "../core/git.js";
import { plural } from "../core/plural.js";
import { defaultActor, pidAlive } from "../core/process-identity.js";
import { openLedger } from "../ledger/index.js";
import type { Approval, Deploy, DeployLock, LedgerStore, Release } from "../ledger/types.js";
import type { Framework } from "../migrations/discover.js";
import {
  type ExecutorEvent,
  type ExecutorPorts,
  errorMessage,
  type RunResult,
  restorePrevious,
  runPlan,
} from "./executor.js";
import { createDeployTag, deployTagName } from "./git-tag.js";
import { runHook } from "./hooks.js";
import { notifyDeploy, outcomeEvent } from "./notify-deploy.js";
import {
  type CurrentState,
  describeNote,
  explainDeploy,
  type PlanNote,
  type PlanStep,
  planDeploy,
  planRollback,
  type StrategySpec,
} from "./plan.js";
import { environmentConfig, prepareRelease } from "./release.js";
import type { DownStep } from "./schema-rollback.js";
import { loadSecretKey, unsealEnv } from "./secrets.js";
import { runSmokeTests } from "./smoke.js";
import { createCommandTarget } from "./targets/command/command-target.js";
import { createLocalTarget, stopLocalAgent } from "./targets/local/index.js";
import type { DeployTarget, InstanceInfo, InstanceSpec } from "./targets/types.js";

export interface ContextOptions {
  cwd: string;
  configPath?: string;
  environment: string;
  env: NodeJS.ProcessEnv;
  /** Who acts (default: $SHIPGATE_ACTOR, else user@host). */
  actor?: string;
  onEvent?: (event: DeployEvent) => void;
  /** Tests: a fixed clock or faster sleeps. */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Tests: the CLI entry the local target starts its agent with. */
  cliEntry?: string;
  /** From where, as the audit log records it (default cli@<hostname>; the server passes the client address). */
  source?: string;
  /** An open ledger to use (the server's); it stays open on close(). Default: the config's ledger. */
  ledger?: LedgerStore;
}

export type DeployEvent =
  | ExecutorEvent
  | { type: "recovered"; deployId: string; reason: string }
  | { type: "lock-wait"; holder: string };

/** What the reads (status, history, live figures) need: the target may be absent. */
export interface ReadContext {
  config: ShipgateConfig;
  configDir: string;
  environment: string;
  envConfig: EnvironmentConfig;
  ledger: LedgerStore;
  /** null: the environment declares no target (a flags-only setup): nothing runs, nothing deploys. */
  target: DeployTarget | null;
  key: Buffer;
  actor: string;
  /** From where the actor acts (the audit log's source). */
  source: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  options: ContextOptions;
  /** Versions of the releases seen so far, by id (for step lines). */
  versions: Map<string, string>;
  close(): Promise<void>;
}

/** What deploy, rollback, promote, abort and approve need: an environment with a target. */
export interface DeployContext extends ReadContext {
  target: DeployTarget;
}

/**
 * A context to change the environment: refuses one without a target (CONFIG_INVALID, with the hint).
 * `agent: "connect"` (a --dry-run, which only plans) never starts the local target's agent: a target
 * that is not running then has no instances.
 */
export async function openContext(
  options: ContextOptions,
  agent: "start" | "connect" = "start",
): Promise<DeployContext> {
  const project = loadProject(options);
  const declared = project.envConfig.target;
  if (!declared) {
    throw new ShipgateError("CONFIG_INVALID", `environment "${options.environment}" has no target`, {
      hint: `Add environments.${options.environment}.target to shipgate.yaml: { type: local, port: 8080 } or { type: command, deploy: …, switch: …, rollback: … } (docs/deploy.md).`,
    });
  }
  return assemble(options, project, createTarget(options, project, declared, agent));
}

/**
 * A context to read the environment (status, history, live figures, lock status): never starts the
 * local target's agent, and opens for an environment without a target too (target null).
 */
export async function openReadContext(options: ContextOptions): Promise<ReadContext> {
  const project = loadProject(options);
  const declared = project.envConfig.target;
  return assemble(options, project, declared ? createTarget(options, project, declared, "connect") : null);
}

/** Whether the environment has a target: narrows a read context to one the write paths accept. */
function hasTarget(ctx: ReadContext): ctx is DeployContext {
  return ctx.target !== null;
}

interface Project {
  config: ShipgateConfig;
  dir: string;
  path: string;
  envConfig: EnvironmentConfig;
}

function loadProject(options: ContextOptions): Project {
  const loaded = loadConfig({
    cwd: options.cwd,
    ...(options.configPath ? { configPath: options.configPath } : {}),
  });
  if (loaded.path === undefined) {
    throw new ShipgateError(
      "CONFIG_NOT_FOUND",
      `no shipgate.yaml in ${options.cwd} or any directory above it: environments are declared there`,
      { hint: "Run `shipgate init` to write one, or pass --config <file>." },
    );
  }
  const envConfig = environmentConfig(loaded.config, options.environment);
  return { config: loaded.config, dir: loaded.dir, path: loaded.path, envConfig };
}

/** The environment's target; "connect": the local target talks to its agent if it runs, never starts it. */
function createTarget(
  options: ContextOptions,
  project: Project,
  declared: NonNullable<EnvironmentConfig["target"]>,
  agent: "start" | "connect",
): DeployTarget {
  return declared.type === "local"
    ? createLocalTarget({
        configDir: project.dir,
        environment: options.environment,
        target: declared,
        configPath: project.path,
        ...(options.cliEntry ? { cliEntry: options.cliEntry } : {}),
        ...(agent === "connect" ? { connectOnly: true } : {}),
      })
    : createCommandTarget({
        configDir: project.dir,
        environment: options.environment,
        target: declared,
        url: project.envConfig.url,
        readinessPath: project.envConfig.readiness.path,
      });
}

/** The context around a target (or none): the ledger, the secret key, the actor and the clock. */
async function assemble<T extends DeployTarget | null>(
  options: ContextOptions,
  project: Project,
  target: T,
): Promise<ReadContext & { target: T }> {
  const ledgerUrl = options.env.SHIPGATE_LEDGER_URL || project.config.ledger.url; // CI sets an unset secret to ""
  const ledger = options.ledger ?? (await openLedger(ledgerUrl, project.dir));
  const key = await loadSecretKey({ configDir: project.dir, env: options.env });
  return {
    config: project.config,
    configDir: project.dir,
    environment: options.environment,
    envConfig: project.envConfig,
    ledger,
    target,
    key,
    actor: options.actor ?? defaultActor(options.env),
    source: options.source ?? `cli@${hostname()}`,
    now: options.now ?? (() => new Date()),
    sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    options,
    versions: new Map(),
    close: () => (options.ledger ? Promise.resolve() : ledger.close()),
  };
}

// ---------------------------------------------------------------------------------------------
// Locking and recovery

/** Whether the process holding the lock is gone (same host: its pid; elsewhere: a stale heartbeat). */
function holderGone(ctx: DeployContext, lock: DeployLock | null): boolean {
  if (!lock) return true;
  if (lock.pid === null) return false;
  if (lock.hostname === hostname()) return !pidAlive(lock.pid);
  return ctx.now().getTime() - Date.parse(lock.heartbeatAt) > ctx.config.ledger.staleLockAfter;
}

function describeLock(lock: DeployLock): string {
  const since = lock.acquiredAt.replace("T", " ").slice(0, 19);
  return `${lock.holder}${lock.pid !== null ? ` (pid ${lock.pid} on ${lock.hostname})` : ""} since ${since} UTC`;
}

export interface LockHandle {
  holder: string;
  heartbeat(): Promise<boolean>;
  /** Keeps the lock for a paused deploy (pid cleared), or releases it. */
  release(keepForDeploy?: boolean): Promise<void>;
}

async function takeLock(
  ctx: DeployContext,
  deployId: string | null,
  lockWaitMs: number,
  holder?: string,
): Promise<LockHandle> {
  const who = holder ?? `${ctx.actor} (${deployId ?? "maintenance"})`;
  const deadline = ctx.now().getTime() + lockWaitMs;
  let announced = false;
  for (;;) {
    const existing = await ctx.ledger.getLock(ctx.environment);
    const forced =
      existing !== null && existing.holder !== who && existing.pid !== null && holderGone(ctx, existing);
    const result = await ctx.ledger.acquireLock(
      { environment: ctx.environment, holder: who, deployId, hostname: hostname(), pid: process.pid },
      { now: ctx.now().toISOString(), staleAfterMs: forced ? 0 : ctx.config.ledger.staleLockAfter },
    );
    if (result.acquired || (existing && existing.holder === who)) break;
    if (ctx.now().getTime() >= deadline) {
      throw new ShipgateError(
        "LOCKED",
        `the deploy lock of ${ctx.environment} is held by ${describeLock(result.heldBy)}`,
        {
          hint: `Wait for it with --lock-wait 5m, see it with \`shipgate lock status ${ctx.environment}\`, or, if that process is gone for good, run \`shipgate lock release ${ctx.environment} --force\`.`,
        },
      );
    }
    if (!announced) {
      ctx.options.onEvent?.({ type: "lock-wait", holder: describeLock(result.heldBy) });
      announced = true;
    }
    await ctx.sleep(500);
  }
  let last = 0;
  return {
    holder: who,
    async heartbeat() {
      const t = ctx.now().getTime();
      if (t - last < 5000) return true;
      last = t;
      return ctx.ledger.heartbeatLock(ctx.environment, who, ctx.now().toISOString(), process.pid);
    },
    async release(keepForDeploy = false) {
      if (keepForDeploy) await ctx.ledger.heartbeatLock(ctx.environment, who, ctx.now().toISOString(), null);
      else await ctx.ledger.releaseLock(ctx.environment, who);
    },
  };
}

function strategySpec(ctx: DeployContext, name: StrategySpec["name"]): StrategySpec {
  const e = ctx.envConfig;
  return {
    name,
    rolling: e.rolling,
    canary: { steps: e.canary.steps },
    startDeadlineMs: e.startDeadline,
    smoke: e.smoke.length > 0 || e.smokeCommand !== undefined,
    migrate: e.databaseUrlEnv !== undefined,
    tag: e.tag.enabled ?? ctx.environment === "production",
    // Built-in metrics come from shipgate's proxy: a command target is judged by PromQL metrics only.
    analysis:
      e.analysis.enabled &&
      (e.target?.type === "local" || e.analysis.metrics.every((m) => "prometheus" in m)),
    watchMs: e.target?.type === "local" ? e.watch.duration : 0,
  };
}

function instanceCount(ctx: DeployContext): number {
  const t = ctx.envConfig.target;
  return t?.type === "local" ? t.instances : 1;
}

/** The executor's ports for one deploy. */
function ports(
  ctx: DeployContext,
  lock: LockHandle,
  releases: Map<string, Release>,
  extra: { skipSmoke?: boolean } = {},
): ExecutorPorts {
  const e = ctx.envConfig;
  const versionOf = (id: string) => releases.get(id)?.version ?? id;
  return {
    ledger: ctx.ledger,
    target: ctx.target,
    now: ctx.now,
    sleep: ctx.sleep,
    versionOf,
    async specFor(releaseId) {
      const release = releases.get(releaseId) ?? (await ctx.ledger.getRelease(releaseId));
      if (!release) throw new ShipgateError("INTERNAL", `release ${releaseId} is not in the ledger`);
      releases.set(release.id, release);
      return instanceSpec(ctx, release);
    },
    runSmoke: async (baseUrl) =>
      runSmokeTests({
        baseUrl,
        tests: e.smoke,
        ...(e.smokeCommand ? { command: e.smokeCommand } : {}),
        cwd: ctx.configDir,
        // A failing app's error page could echo a secret: mask every env value of the releases involved.
        redact: [...releases.values()].flatMap((r) =>
          r.envSealed ? Object.values(unsealEnv(r.envSealed, ctx.key)).filter((v) => v.length >= 4) : [],
        ),
      }),
    async runHook(hook, deploy) {
      const release = releases.get(deploy.releaseId);
      const previous = deploy.previousReleaseId ? releases.get(deploy.previousReleaseId) : undefined;
      return runHook({
        name: hook,
        hooksDir: path.join(ctx.configDir, ".shipgate", "hooks"),
        cwd: ctx.configDir,
        // The hook's output is deploy progress (docs/deploy-hooks.md), line by line as it runs.
        onLine: (line) => ctx.options.onEvent?.({ type: "info", message: `      ${hook} | ${line}` }),
        context: {
          environment: ctx.environment,
          version: release?.version ?? "",
          releaseId: deploy.releaseId,
          previousVersion: previous?.version ?? "",
          deployId: deploy.id,
          strategy: deploy.strategy,
          actor: deploy.actor,
          url: ctx.target.publicUrl,
          gitSha: release?.gitSha ?? "",
          reason: deploy.reason ?? "",
        },
      });
    },
    async migrate(deploy) {
      const release = releases.get(deploy.releaseId);
      if (!release) throw new ShipgateError("INTERNAL", `release ${deploy.releaseId} is not loaded`);
      // The migration modules (and the Postgres parser) load only when a deploy migrates.
      const { runMigrationsForDeploy } = await import("./migrate.js");
      return runMigrationsForDeploy(ctx, release, deploy);
    },
    async tag(deploy) {
      const release = releases.get(deploy.releaseId);
      const sha = release?.gitSha;
      if (!sha) return { skipped: "the release has no git commit" };
      const name = deployTagName(ctx.environment, ctx.now());
      const result = await createDeployTag({
        cwd: ctx.configDir,
        name,
        sha,
        message: `shipgate deploy ${deploy.id}: ${release.version} to ${ctx.environment} by ${deploy.actor}`,
        ...(e.tag.push ? { push: { remote: e.tag.remote } } : {}),
      });
      await ctx.ledger.recordTag({
        name: result.name,
        environment: ctx.environment,
        deployId: deploy.id,
        gitSha: sha,
        pushed: result.pushed,
        createdAt: ctx.now().toISOString(),
      });
      return {
        tag: name,
        pushed: result.pushed,
        ...(result.pushError ? { pushError: result.pushError } : {}),
      };
    },
    async migrateDown(_deploy, migrations) {
      const { appliedMigrations, runSchemaRollback } = await import("./schema-rollback.js");
      const applied = await appliedMigrations(ctx.ledger, ctx.environment);
      const downs = await planDowns(
        ctx,
        applied,
        migrations.map((m) => path.posix.basename(m)),
      );
      const sources = await loadReleases(ctx, [...new Set(downs.map((d) => d.releaseId))]);
      const undone = await runSchemaRollback(downs, (d) =>
        databaseUrlOf(ctx, sources.get(d.releaseId) as Release),
      );
      return { undone };
    },
    heartbeat: () => lock.heartbeat(),
    drain: { timeoutMs: e.drain.timeout, graceMs: e.drain.grace },
    sticky: { header: e.canary.stickyHeader, cookie: e.canary.stickyCookie },
    instances: instanceCount(ctx),
    startDeadlineMs: e.startDeadline,
    ...(extra.skipSmoke ? { skipSmoke: true } : {}),
    analysis: {
      config: e.analysis,
      watch: e.watch,
      env: ctx.options.env,
      async prometheus(options) {
        const { queryPrometheus } = await import("../analysis/prometheus-query.js");
        return queryPrometheus(options);
      },
    },
    ...(ctx.options.onEvent ? { onEvent: ctx.options.onEvent } : {}),
  };
}

/** One row of the hash-chained audit log about a deploy, by the context's actor and source. */
async function auditDeploy(
  ctx: ReadContext,
  action: string,
  deploy: Deploy,
  before: unknown,
  after: unknown,
): Promise<void> {
  await ctx.ledger.appendAudit({
    actor: ctx.actor,
    action,
    target: `deploy:${deploy.id}`,
    environment: deploy.environment,
    source: ctx.source,
    before,
    after,
    at: ctx.now().toISOString(),
  });
}

/** What the audit log keeps of a deploy's state. */
function deployFacts(deploy: Deploy) {
  return {
    kind: deploy.kind,
    status: deploy.status,
    releaseId: deploy.releaseId,
    previousReleaseId: deploy.previousReleaseId,
    strategy: deploy.strategy,
    step: deploy.nextStep,
    steps: deploy.plan.length,
    error: deploy.error,
  };
}

/**
 * Records a deploy's start or outcome in the audit log (a paused canary is an outcome too) and
 * sends its notifications; a notifier failure never throws.
 */
async function announce(
  ctx: DeployContext,
  deploy: Deploy,
  releases: ReadonlyMap<string, Release>,
  type: "deploy-started" | "approval-requested" | "outcome",
  before: Deploy | null = null,
): Promise<void> {
  const action =
    type === "outcome"
      ? `${deploy.kind}.${deploy.status}`
      : type === "deploy-started"
        ? `${deploy.kind}.start`
        : `${deploy.kind}.approval-requested`;
  await auditDeploy(ctx, action, deploy, before ? deployFacts(before) : null, deployFacts(deploy));
  const event = type === "outcome" ? outcomeEvent(deploy) : type;
  if (event === null) return;
  await notifyDeploy(ctx, deploy, event, releases).catch((error: unknown) => {
    ctx.options.onEvent?.({
      type: "info",
      message: `notifications failed (the deploy goes on): ${errorMessage(error)}`,
    });
  });
}

function schemaFramework(ctx: DeployContext): Framework {
  const f = ctx.config.migrations.framework;
  return f === "auto" ? "sql" : f;
}

function databaseUrlOf(ctx: DeployContext, release: Release): string {
  const variable = ctx.envConfig.databaseUrlEnv;
  const env = release.envSealed ? unsealEnv(release.envSealed, ctx.key) : {};
  const url = variable ? env[variable] : undefined;
  if (!variable || !url) {
    throw new ShipgateError(
      "CONFIG_INVALID",
      `release ${release.version} has no database URL in its env snapshot`,
      {
        hint: `Set environments.${ctx.environment}.databaseUrlEnv in shipgate.yaml and define that variable in the environment's env source.`,
      },
    );
  }
  return url;
}

function instanceSpec(ctx: DeployContext, release: Release): InstanceSpec {
  const snapshot = release.config as Partial<EnvironmentConfig>;
  const env = release.envSealed ? unsealEnv(release.envSealed, ctx.key) : {};
  return {
    releaseId: release.id,
    cwd: release.artifact.path,
    command: release.start,
    env: { ...env, SHIPGATE_RELEASE_ID: release.id, SHIPGATE_VERSION: release.version },
    readiness: snapshot.readiness ?? ctx.envConfig.readiness,
    liveness: snapshot.liveness ?? ctx.envConfig.liveness,
  };
}

/** Says why the plan is not what the strategy alone would do (the deploy's notes), as info events. */
function tellNotes(ctx: DeployContext, notes: readonly unknown[]): void {
  for (const note of notes as PlanNote[]) {
    ctx.options.onEvent?.({ type: "info", message: describeNote(note, (id) => ctx.versions.get(id) ?? id) });
  }
}

async function loadReleases(
  ctx: ReadContext,
  ids: (string | null | undefined)[],
): Promise<Map<string, Release>> {
  const map = new Map<string, Release>();
  for (const id of ids) {
    if (!id || map.has(id)) continue;
    const r = await ctx.ledger.getRelease(id);
    if (r) {
      map.set(id, r);
      ctx.versions.set(id, r.version);
    }
  }
  return map;
}

/**
 * A running deploy whose process is gone (SIGKILL, a lost runner) is rolled back: traffic returns
 * to the previous release, the deploy's instances are stopped, the ledger says what happened.
 */
export async function recoverInterrupted(ctx: DeployContext, by: string): Promise<Deploy | null> {
  const active = await ctx.ledger.activeDeploy(ctx.environment);
  if (active?.status !== "running") return null;
  const lock = await ctx.ledger.getLock(ctx.environment);
  if (lock && !holderGone(ctx, lock)) return null;
  const handle = await takeLock(ctx, active.id, 0, `${ctx.actor} (recovering ${active.id})`);
  try {
    const steps = await ctx.ledger.listSteps(active.id);
    const last = steps.at(-1);
    const where = last ? `at step ${last.index + 1} (${last.type})` : "before its first step";
    const reason = `interrupted ${where}: the shipgate process${lock?.pid ? ` (pid ${lock.pid})` : ""} stopped; rolled back by \`shipgate ${by}\``;
    const releases = await loadReleases(ctx, [active.releaseId, active.previousReleaseId]);
    await ctx.target.ensureRunning();
    const result = await restorePrevious(ports(ctx, handle, releases), active, reason, "rolled_back");
    ctx.options.onEvent?.({ type: "recovered", deployId: active.id, reason });
    await announce(ctx, result.deploy, releases, "outcome", active);
    return result.deploy;
  } finally {
    await handle.release();
  }
}

/**
 * Stops the blue release a blue-green deploy kept warm once blueGreen.keepWarm has passed (checked
 * by the next shipgate command for the environment; the next deploy stops it in any case). Only
 * when no deploy is active, and never the current release.
 */
export async function reapWarm(ctx: DeployContext): Promise<string | null> {
  if (await ctx.ledger.activeDeploy(ctx.environment)) return null;
  const last = await ctx.ledger.lastSucceededDeploy(ctx.environment);
  if (last?.strategy !== "blue-green" || !last.previousReleaseId || !last.finishedAt) return null;
  if (ctx.now().getTime() - Date.parse(last.finishedAt) < ctx.envConfig.blueGreen.keepWarm) return null;
  const state = await ctx.ledger.getEnvironmentState(ctx.environment);
  const blue = last.previousReleaseId;
  if (state?.currentReleaseId === blue || state?.traffic.some((t) => t.releaseId === blue && t.weight > 0))
    return null;
  const instances = await ctx.target.instances().catch(() => []);
  const warm = instances.filter(
    (i) => i.releaseId === blue && i.state !== "stopped" && i.state !== "draining",
  );
  if (warm.length === 0) return null;
  await ctx.target.stopInstances(
    warm.map((i) => i.id),
    { timeoutMs: ctx.envConfig.drain.timeout, graceMs: ctx.envConfig.drain.grace },
  );
  ctx.options.onEvent?.({
    type: "info",
    message: `stopped ${ctx.versions.get(blue) ?? blue}, kept warm since ${last.finishedAt} (blueGreen.keepWarm passed)`,
  });
  return blue;
}

// ---------------------------------------------------------------------------------------------
// deploy

/**
 * Recovers an interrupted deploy, then waits (up to lockWaitMs) while another deploy of the
 * environment runs. A paused deploy is never waited for: it needs promote or abort.
 */
async function waitForActive(ctx: DeployContext, by: string, lockWaitMs: number): Promise<Deploy | null> {
  const deadline = ctx.now().getTime() + lockWaitMs;
  let recovered: Deploy | null = null;
  let announced = false;
  for (;;) {
    recovered = (await recoverInterrupted(ctx, by)) ?? recovered;
    await expireApprovalRequest(ctx);
    const active = await ctx.ledger.activeDeploy(ctx.environment);
    if (!active) return recovered;
    if (active.status !== "running" || ctx.now().getTime() >= deadline) {
      const release = await ctx.ledger.getRelease(active.releaseId);
      throw new ShipgateError(
        "LOCKED",
        `a ${active.strategy} deploy of ${release?.version ?? active.releaseId} to ${ctx.environment} is ${active.status} (${active.id}, started by ${active.actor})`,
        {
          hint:
            active.status === "paused"
              ? `Finish it with \`shipgate promote ${ctx.environment}\` or stop it with \`shipgate abort ${ctx.environment}\`.`
              : active.status === "awaiting_approval"
                ? `Approve it with \`shipgate approve ${ctx.environment}\` (someone other than ${active.actor}) or cancel it with \`shipgate abort ${ctx.environment}\`.`
                : `Wait for it with --lock-wait 5m, or see it with \`shipgate status ${ctx.environment}\`.`,
        },
      );
    }
    if (!announced) {
      ctx.options.onEvent?.({ type: "lock-wait", holder: `${active.actor} (deploy ${active.id})` });
      announced = true;
    }
    await ctx.sleep(500);
  }
}

export interface DeployOptions {
  version: string;
  strategy?: StrategySpec["name"];
  dryRun?: boolean;
  reason?: string;
  lockWaitMs?: number;
  /** The commit the release is built from (default: HEAD of the config's repository, when it is one). */
  gitSha?: string | null;
  /** The new deploy's id (default: a fresh one); the server picks it to answer before the deploy ends. */
  deployId?: string;
}

export interface DeployResult {
  environment: string;
  release: { id: string; version: string };
  previous: { id: string; version: string } | null;
  strategy: string;
  plan: { index: number; step: PlanStep }[];
  /** Why the plan is not what the strategy alone would do (e.g. the current release is not running). */
  notes?: PlanNote[];
  dryRun: boolean;
  /** unchanged: the release already serves; planned: dry run; awaiting_approval: nothing ran yet. */
  outcome: RunResult["outcome"] | "unchanged" | "planned" | "awaiting_approval";
  deployId: string | null;
  error: string | null;
  recovered: string | null;
}

/** HEAD of the config's repository, or null outside git. */
async function gitHead(cwd: string): Promise<string | null> {
  return gitResolveCommit(cwd, "HEAD").catch(() => null);
}

export function newDeployId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `d-${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

async function currentState(ctx: DeployContext, instances: InstanceInfo[]): Promise<CurrentState> {
  const state = await ctx.ledger.getEnvironmentState(ctx.environment);
  const current = state?.currentReleaseId ?? null;
  const liveOf = (id: string) =>
    instances.filter((i) => i.releaseId === id && i.state !== "stopped" && i.state !== "draining");
  const others = [...new Set(instances.filter((i) => i.state !== "stopped").map((i) => i.releaseId))].filter(
    (id) => id !== current,
  );
  const warm = Object.fromEntries(
    others.map((id) => [id, instances.filter((i) => i.releaseId === id && i.state === "healthy").length]),
  );
  return {
    releaseId: current,
    instances: current ? liveOf(current).length : 0,
    others,
    warm,
    // `shipgate down` empties the recorded traffic and keeps the current release.
    downed: current !== null && (state?.traffic.length ?? 0) === 0,
  };
}

/** A deploy or rollback as the ledger records it when it starts: by this actor, now, at step 0. */
function newDeployRecord(
  ctx: DeployContext,
  fields: Pick<
    Deploy,
    | "id"
    | "kind"
    | "releaseId"
    | "previousReleaseId"
    | "previousTraffic"
    | "strategy"
    | "status"
    | "reason"
    | "plan"
  > &
    Partial<Pick<Deploy, "notes">>,
): Deploy {
  return {
    notes: [],
    ...fields,
    environment: ctx.environment,
    actor: ctx.actor,
    nextStep: 0,
    error: null,
    startedAt: ctx.now().toISOString(),
    finishedAt: null,
  };
}
export async function deploy(ctx: DeployContext, options: DeployOptions): Promise<DeployResult> {
  const recovered = options.dryRun ? null : await waitForActive(ctx, "deploy", options.lockWaitMs ?? 0);
  const gitSha = options.gitSha === undefined ? await gitHead(ctx.configDir) : options.gitSha;
  const release = await prepareRelease({
    config: ctx.config,
    configDir: ctx.configDir,
    environment: ctx.environment,
    version: options.version,
    gitSha,
    actor: ctx.actor,
    env: ctx.options.env,
    key: ctx.key,
    now: ctx.now(),
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  const strategy = options.strategy ?? ctx.envConfig.strategy;
  if (!options.dryRun) await ctx.target.ensureRunning();
  const instances = options.dryRun
    ? await ctx.target.instances().catch(() => [])
    : await ctx.target.instances();
  const current = await currentState(ctx, instances);
  const releases = await loadReleases(ctx, [current.releaseId, ...(current.others ?? [])]);
  releases.set(release.id, release);
  ctx.versions.set(release.id, release.version);
  const previous = current.releaseId ? (releases.get(current.releaseId) ?? null) : null;
  const base = {
    environment: ctx.environment,
    release: { id: release.id, version: release.version },
    previous: previous ? { id: previous.id, version: previous.version } : null,
    strategy,
    dryRun: options.dryRun === true,
    error: null,
    recovered: recovered?.id ?? null,
  };
  if (current.releaseId === release.id && current.instances > 0) {
    return { ...base, plan: [], outcome: "unchanged", deployId: null };
  }
  const planned = { id: release.id, instances: instanceCount(ctx) };
  const spec = strategySpec(ctx, strategy);
  const plan = planDeploy(current, planned, spec);
  const notes = explainDeploy(current, planned, spec);
  const numbered = plan.map((step, index) => ({ index, step }));
  if (options.dryRun) return { ...base, plan: numbered, notes, outcome: "planned", deployId: null };
  tellNotes(ctx, notes);

  await ctx.ledger.saveRelease(release);
  const id = options.deployId ?? newDeployId(ctx.now());
  const record = (status: Deploy["status"], previousTraffic: Deploy["previousTraffic"]): Deploy =>
    newDeployRecord(ctx, {
      id,
      kind: "deploy",
      releaseId: release.id,
      previousReleaseId: current.releaseId,
      previousTraffic,
      strategy,
      status,
      reason: options.reason ?? null,
      plan,
      notes,
    });
  if (ctx.envConfig.approval.required > 0) {
    // Nothing runs until enough approvals: the deploy waits in the ledger (active, so no other
    // deploy of the environment starts meanwhile) and whoever gives the last approval runs it.
    const state = await ctx.ledger.getEnvironmentState(ctx.environment);
    const waiting = record("awaiting_approval", state?.traffic ?? []);
    await ctx.ledger.createDeploy(waiting);
    await announce(ctx, waiting, releases, "approval-requested");
    return { ...base, plan: numbered, notes, outcome: "awaiting_approval", deployId: id };
  }
  const lock = await takeLock(ctx, id, options.lockWaitMs ?? 0);
  let paused = false;
  try {
    const state = await ctx.ledger.getEnvironmentState(ctx.environment);
    await ctx.ledger.createDeploy(record("running", state?.traffic ?? []));
    await announce(ctx, await requireDeploy(ctx, id), releases, "deploy-started");
    const result = await runPlan(ports(ctx, lock, releases), id);
    paused = result.outcome === "paused";
    await announce(ctx, result.deploy, releases, "outcome");
    return {
      ...base,
      plan: numbered,
      notes,
      outcome: result.outcome,
      deployId: id,
      error: result.deploy.error,
    };
  } finally {
    await lock.release(paused);
  }
}

// ---------------------------------------------------------------------------------------------
// approvals

export interface ApprovalCount {
  required: number;
  /** Approvals that count now: approved, not expired, each by a different person than the author. */
  valid: number;
  /** Who gave them. */
  approvers: string[];
  /** When the request expires unless approved (null: not awaiting approval). */
  expiresAt: string | null;
}

/** The approvals of a deploy that count at `now` under the environment's approval settings. */
export function countApprovals(
  deploy: Deploy,
  approvals: readonly Approval[],
  settings: EnvironmentConfig["approval"],
  now: Date,
): ApprovalCount {
  const approvers = new Set<string>();
  for (const a of approvals) {
    if (a.decision !== "approved" || a.approver === deploy.actor) continue;
    if (a.expiresAt !== null && Date.parse(a.expiresAt) <= now.getTime()) continue;
    approvers.add(a.approver);
  }
  return {
    required: settings.required,
    valid: approvers.size,
    approvers: [...approvers].sort(),
    expiresAt:
      deploy.status === "awaiting_approval"
        ? new Date(Date.parse(deploy.startedAt) + settings.expiresAfter).toISOString()
        : null,
  };
}

/**
 * Ends the environment's approval request when it has waited longer than approval.expiresAfter
 * (nothing ran: traffic is untouched). Returns the expired deploy, if one was.
 */
async function expireApprovalRequest(ctx: ReadContext): Promise<Deploy | null> {
  const active = await ctx.ledger.activeDeploy(ctx.environment);
  if (active?.status !== "awaiting_approval") return null;
  const expiresAt = Date.parse(active.startedAt) + ctx.envConfig.approval.expiresAfter;
  if (ctx.now().getTime() < expiresAt) return null;
  const expired = await ctx.ledger.updateDeploy(active.id, {
    status: "aborted",
    error: `the approval request expired at ${new Date(expiresAt).toISOString()} without enough approvals`,
    finishedAt: ctx.now().toISOString(),
  });
  await auditDeploy(
    ctx,
    `${active.kind}.approval-expired`,
    expired,
    deployFacts(active),
    deployFacts(expired),
  );
  return expired;
}

export interface ApproveOptions {
  /** The deploy approved (default: the environment's deploy awaiting approval). */
  deployId?: string;
  comment?: string;
  decision: "approved" | "rejected";
}

export interface ApprovalResult {
  environment: string;
  deployId: string;
  /** The deploy's status after the decision (awaiting_approval when more approvals are needed). */
  status: Deploy["status"];
  approvals: { required: number; valid: number };
  /** When this approval completed the count and the deploy ran in this process: its outcome. */
  outcome: RunResult["outcome"] | null;
  error: string | null;
}

/**
 * `shipgate approve | reject`: records the actor's decision on the deploy awaiting approval. The
 * author cannot approve their own deploy; each person counts once; approvals expire. A rejection
 * ends the request. The approval that completes the count runs the deploy here and now.
 */
export async function approve(ctx: DeployContext, options: ApproveOptions): Promise<ApprovalResult> {
  const decided = await decideApproval(ctx, options);
  if (!decided.complete) return decided.result;
  const [deploy, run] = await runApproved(ctx, decided.deploy);
  return {
    ...decided.result,
    status: deploy.status,
    outcome: run.outcome,
    error: deploy.error,
  };
}

export interface ApprovalDecision {
  /** The deploy as it stands after the decision. */
  deploy: Deploy;
  result: ApprovalResult;
  /** Enough approvals: the deploy may run (runApproved). */
  complete: boolean;
}

/**
 * Records an approval or rejection without running anything (the server records it in the
 * request and runs the deploy in the background): validation errors come back at once.
 */
export async function decideApproval(ctx: DeployContext, options: ApproveOptions): Promise<ApprovalDecision> {
  await expireApprovalRequest(ctx);
  const active = await ctx.ledger.activeDeploy(ctx.environment);
  const wanted = options.deployId ? await ctx.ledger.getDeploy(options.deployId) : active;
  if (options.deployId && (!wanted || wanted.environment !== ctx.environment)) {
    throw new ShipgateError("NOT_FOUND", `there is no deploy ${options.deployId} in ${ctx.environment}`, {
      hint: `See the environment's deploys with \`shipgate history ${ctx.environment}\`.`,
    });
  }
  const verb = options.decision === "approved" ? "approve" : "reject";
  if (wanted?.status !== "awaiting_approval" || wanted.id !== active?.id) {
    throw new ShipgateError(
      "CONFLICT",
      wanted
        ? `deploy ${wanted.id} is ${wanted.status}, not awaiting approval${wanted.status === "aborted" && wanted.error ? ` (${wanted.error})` : ""}`
        : `no deploy awaits approval in ${ctx.environment}`,
      {
        hint: `See what is waiting with \`shipgate status ${ctx.environment}\`; an expired request must be started again with \`shipgate deploy\`.`,
      },
    );
  }
  const deploy = wanted;
  if (deploy.actor === ctx.actor) {
    throw new ShipgateError("FORBIDDEN", `${ctx.actor} started deploy ${deploy.id} and cannot ${verb} it`, {
      hint: "Approval needs someone else: ask an approver to run `shipgate approve` or use the dashboard.",
    });
  }
  const settings = ctx.envConfig.approval;
  const before = countApprovals(deploy, await ctx.ledger.listApprovals(deploy.id), settings, ctx.now());
  if (options.decision === "approved" && before.approvers.includes(ctx.actor)) {
    throw new ShipgateError("CONFLICT", `${ctx.actor} has already approved deploy ${deploy.id}`, {
      hint: `It needs ${plural(settings.required - before.valid, "more approval")} from other people.`,
    });
  }
  const at = ctx.now();
  await ctx.ledger.recordApproval({
    id: `ap-${at.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    deployId: deploy.id,
    approver: ctx.actor,
    decision: options.decision,
    comment: options.comment ?? null,
    createdAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + settings.expiresAfter).toISOString(),
  });
  const after = countApprovals(deploy, await ctx.ledger.listApprovals(deploy.id), settings, ctx.now());
  await auditDeploy(
    ctx,
    `${deploy.kind}.${verb}`,
    deploy,
    { approvals: before.valid, required: before.required },
    { approvals: after.valid, required: after.required, comment: options.comment ?? null },
  );
  const result = (d: Deploy): ApprovalResult => ({
    environment: ctx.environment,
    deployId: d.id,
    status: d.status,
    approvals: { required: after.required, valid: after.valid },
    outcome: null,
    error: d.error,
  });
  if (options.decision === "rejected") {
    const rejected = await ctx.ledger.updateDeploy(deploy.id, {
      status: "aborted",
      error: `rejected by ${ctx.actor}${options.comment ? `: ${options.comment}` : ""}`,
      finishedAt: ctx.now().toISOString(),
    });
    return { deploy: rejected, result: result(rejected), complete: false };
  }
  return { deploy, result: result(deploy), complete: after.valid >= after.required };
}

/** Runs a deploy whose approvals are complete, in this process, under the environment's lock. */
export async function runApproved(ctx: DeployContext, waiting: Deploy): Promise<[Deploy, RunResult]> {
  const lock = await takeLock(ctx, waiting.id, 0);
  let paused = false;
  try {
    const releases = await loadReleases(ctx, [waiting.releaseId, waiting.previousReleaseId]);
    tellNotes(ctx, waiting.notes);
    // Nothing else ran meanwhile (the waiting deploy is the environment's active one), so the
    // traffic it recorded as the one to restore is still what serves.
    const running = await ctx.ledger.updateDeploy(waiting.id, { status: "running" });
    await announce(ctx, running, releases, "deploy-started", waiting);
    await ctx.target.ensureRunning();
    const run = await runPlan(ports(ctx, lock, releases), waiting.id);
    paused = run.outcome === "paused";
    await announce(ctx, run.deploy, releases, "outcome", running);
    return [run.deploy, run];
  } finally {
    await lock.release(paused);
  }
}

// ---------------------------------------------------------------------------------------------
// promote / abort

export interface ControlResult {
  environment: string;
  deployId: string;
  outcome: RunResult["outcome"];
  error: string | null;
  recovered: string | null;
}

async function requireDeploy(ctx: DeployContext, id: string): Promise<Deploy> {
  const found = await ctx.ledger.getDeploy(id);
  if (!found) throw new ShipgateError("INTERNAL", `deploy ${id} is not in the ledger`);
  return found;
}

async function requireActive(ctx: DeployContext, verb: string): Promise<Deploy> {
  const active = await ctx.ledger.activeDeploy(ctx.environment);
  if (!active) {
    // CONFLICT (exit 1) as the team server answers it: the state, not the command, is wrong.
    throw new ShipgateError("CONFLICT", `no deploy to ${verb} in ${ctx.environment}`, {
      hint: `See what runs with \`shipgate status ${ctx.environment}\`.`,
    });
  }
  return active;
}

async function adoptLock(ctx: DeployContext, active: Deploy): Promise<LockHandle> {
  const lock = await ctx.ledger.getLock(ctx.environment);
  if (
    lock &&
    lock.deployId === active.id &&
    lock.pid !== null &&
    !holderGone(ctx, lock) &&
    lock.pid !== process.pid
  ) {
    throw new ShipgateError(
      "LOCKED",
      `deploy ${active.id} is running in another process: ${describeLock(lock)}`,
      {
        hint: "Wait for its next pause, or stop that process; a dead process is recovered by the next command.",
      },
    );
  }
  return takeLock(ctx, active.id, 0, lock?.deployId === active.id ? lock.holder : undefined);
}

/** `shipgate promote`: continue a paused canary (to its next pause, or to the end). */
export async function promote(ctx: DeployContext): Promise<ControlResult> {
  const recovered = await recoverInterrupted(ctx, "promote");
  await expireApprovalRequest(ctx);
  const active = await requireActive(ctx, "promote");
  if (active.status !== "paused") {
    throw new ShipgateError("USAGE", `deploy ${active.id} is ${active.status}, not paused`, {
      hint:
        active.status === "awaiting_approval"
          ? `It has not started: it needs approval first (\`shipgate approve ${ctx.environment}\`, by someone other than ${active.actor}).`
          : "Only a canary paused until promote can be promoted; see `shipgate status`.",
    });
  }
  const lock = await adoptLock(ctx, active);
  const releases = await loadReleases(ctx, [active.releaseId, active.previousReleaseId]);
  let paused = false;
  try {
    await auditDeploy(ctx, `${active.kind}.promote`, active, deployFacts(active), null);
    await ctx.target.ensureRunning();
    const result = await runPlan(ports(ctx, lock, releases), active.id);
    paused = result.outcome === "paused";
    await announce(ctx, result.deploy, releases, "outcome", active);
    return {
      environment: ctx.environment,
      deployId: active.id,
      outcome: result.outcome,
      error: result.deploy.error,
      recovered: recovered?.id ?? null,
    };
  } finally {
    await lock.release(paused);
  }
}

/** `shipgate abort`: stop the paused (or interrupted) deploy and put traffic back on the previous release. */
export async function abort(ctx: DeployContext, reason?: string): Promise<ControlResult> {
  const recovered = await recoverInterrupted(ctx, "abort");
  if (recovered) {
    return {
      environment: ctx.environment,
      deployId: recovered.id,
      outcome: "rolled_back",
      error: recovered.error,
      recovered: recovered.id,
    };
  }
  await expireApprovalRequest(ctx);
  const active = await requireActive(ctx, "abort");
  if (active.status === "awaiting_approval") {
    // Nothing ran: cancelling the request touches no traffic.
    const cancelled = await ctx.ledger.updateDeploy(active.id, {
      status: "aborted",
      error: `cancelled by ${ctx.actor} before approval${reason ? `: ${reason}` : ""}`,
      finishedAt: ctx.now().toISOString(),
    });
    await auditDeploy(ctx, `${active.kind}.abort`, cancelled, deployFacts(active), deployFacts(cancelled));
    return {
      environment: ctx.environment,
      deployId: active.id,
      outcome: "aborted",
      error: cancelled.error,
      recovered: null,
    };
  }
  const lock = await adoptLock(ctx, active);
  const releases = await loadReleases(ctx, [active.releaseId, active.previousReleaseId]);
  try {
    await auditDeploy(ctx, `${active.kind}.abort`, active, deployFacts(active), { reason: reason ?? null });
    await ctx.target.ensureRunning();
    const result = await restorePrevious(
      ports(ctx, lock, releases),
      active,
      `aborted by ${ctx.actor}${reason ? `: ${reason}` : ""}`,
      "aborted",
    );
    await announce(ctx, result.deploy, releases, "outcome");
    return {
      environment: ctx.environment,
      deployId: active.id,
      outcome: result.outcome,
      error: result.deploy.error,
      recovered: null,
    };
  } finally {
    await lock.release();
  }
}

// ---------------------------------------------------------------------------------------------
// rollback

export interface RollbackOptions {
  /** A version or release id; default: the release before the current one. */
  to?: string;
  /** Also run the down migrations of what the current release applied and the target lacks. */
  schema?: boolean;
  force?: boolean;
  reason?: string;
  lockWaitMs?: number;
  dryRun?: boolean;
  /** The rollback's deploy id (default: a fresh one); the server picks it to answer at once. */
  deployId?: string;
}

export interface RollbackResult extends DeployResult {
  /** Whether the target was still warm (traffic switched without starting anything). */
  warm: boolean;
  /**
   * Migrations this environment's deploys applied (none unless it migrates: databaseUrlEnv) and no
   * rollback --schema undid, that the target release does not ship.
   */
  schema: { needed: boolean; migrations: string[] };
  /** --schema was asked for. */
  schemaRequested: boolean;
  /** The environment runs migrations (databaseUrlEnv): without, no deploy applied any to roll back. */
  migrates: boolean;
  /** The down migrations run (--schema), with their SQL, shown before they run. */
  downs: DownStep[];
  /** Milliseconds from the start of the rollback until traffic was on the target release. */
  switchMs: number | null;
}

/**
 * The release a rollback goes back to: one that served the environment (a deploy or rollback of it
 * succeeded here) — the newest one named by `to`, else the newest other than the current one.
 */
async function rollbackTarget(ctx: DeployContext, currentId: string | null, to?: string): Promise<Release> {
  const served = await ctx.ledger.listDeploys(ctx.environment, { status: "succeeded", limit: 500 });
  for (const id of new Set(served.map((d) => d.releaseId))) {
    if (!to && id === currentId) continue;
    const release = await ctx.ledger.getRelease(id);
    if (release && (!to || release.id === to || release.version === to)) return release;
  }
  const env = ctx.environment;
  if (!to) {
    throw new ShipgateError("USAGE", `${env} has no earlier release to roll back to`, {
      hint: `See past deploys with \`shipgate history ${env}\`, or name one with --to <version>.`,
    });
  }
  const known = (await ctx.ledger.findReleaseByVersion(to)) ?? (await ctx.ledger.getRelease(to));
  if (!known) {
    throw new ShipgateError("USAGE", `no release ${to} in the ledger`, {
      hint: `See past releases with \`shipgate history ${env}\`.`,
    });
  }
  throw new ShipgateError(
    "USAGE",
    `${known.version} (${known.id}) never served ${env}: no deploy of it succeeded here (each failed, was rolled back or aborted)`,
    {
      hint: `A rollback goes back to a release that served; see them with \`shipgate history ${env}\`. To try ${known.version} again, deploy it: \`shipgate deploy ${env} --version ${known.version}\`.`,
    },
  );
}

/** The downs undoing `files` (migration file names), each from the release that applied it. */
async function planDowns(
  ctx: DeployContext,
  applied: ReadonlyMap<string, string>,
  files: string[],
): Promise<DownStep[]> {
  if (files.length === 0) return [];
  const { planSchemaRollback } = await import("./schema-rollback.js");
  const sources = await loadReleases(
    ctx,
    files.map((f) => applied.get(f)),
  );
  const migrations = files.map((file) => {
    const release = sources.get(applied.get(file) ?? "");
    if (!release)
      throw new ShipgateError("INTERNAL", `the release that applied ${file} is not in the ledger`);
    return { file, release };
  });
  return planSchemaRollback(migrations, ctx.config.release.migrations, schemaFramework(ctx));
}

export async function rollback(ctx: DeployContext, options: RollbackOptions): Promise<RollbackResult> {
  const t0 = ctx.now().getTime();
  const schemaFacts = {
    schemaRequested: options.schema === true,
    migrates: ctx.envConfig.databaseUrlEnv !== undefined,
  };
  const recovered = options.dryRun ? null : await recoverInterrupted(ctx, "rollback");
  if (!options.dryRun) await reapWarm(ctx);
  let active = await ctx.ledger.activeDeploy(ctx.environment);
  if (active?.status === "awaiting_approval" && !options.dryRun) {
    // A deploy that never started is simply cancelled; the rollback itself needs no approval
    // (going back to a release that served is the way out of an incident, not into one). Only
    // once the rollback can go ahead: a refused rollback leaves the request as it was.
    const state = await ctx.ledger.getEnvironmentState(ctx.environment);
    await rollbackTarget(ctx, state?.currentReleaseId ?? null, options.to);
    await abort(ctx, options.reason ?? "superseded by a rollback");
    active = null;
  }
  if (active && !options.dryRun) {
    // A paused canary: rolling back means aborting it.
    const aborted = await abort(ctx, options.reason ?? "rollback requested");
    const release = await ctx.ledger.getRelease(active.previousReleaseId ?? active.releaseId);
    return {
      environment: ctx.environment,
      release: { id: release?.id ?? "", version: release?.version ?? "" },
      previous: null,
      strategy: active.strategy,
      plan: [],
      dryRun: false,
      outcome: aborted.outcome,
      deployId: aborted.deployId,
      error: aborted.error,
      recovered: recovered?.id ?? null,
      warm: true,
      schema: { needed: false, migrations: [] },
      ...schemaFacts,
      downs: [],
      switchMs: ctx.now().getTime() - t0,
    };
  }
  const state = await ctx.ledger.getEnvironmentState(ctx.environment);
  const currentId = state?.currentReleaseId ?? null;
  const target = await rollbackTarget(ctx, currentId, options.to);
  const releases = await loadReleases(ctx, [currentId]);
  releases.set(target.id, target);
  ctx.versions.set(target.id, target.version);
  const current = currentId ? (releases.get(currentId) ?? null) : null;
  const applied = schemaFacts.migrates
    ? await (await import("./schema-rollback.js")).appliedMigrations(ctx.ledger, ctx.environment)
    : new Map<string, string>();
  const schema = schemaDifference(applied, target);
  const schemaOnly = target.id === currentId;
  if (schemaOnly && !(options.schema && schema.needed)) {
    // Like deploy's "already serves": nothing to do (with --schema, only the downs run).
    return {
      environment: ctx.environment,
      release: { id: target.id, version: target.version },
      previous: { id: target.id, version: target.version },
      strategy: "rollback",
      plan: [],
      dryRun: options.dryRun === true,
      outcome: "unchanged",
      deployId: null,
      error: null,
      recovered: recovered?.id ?? null,
      warm: false,
      schema,
      ...schemaFacts,
      downs: [],
      switchMs: null,
    };
  }
  if (!options.dryRun) await ctx.target.ensureRunning();
  const instances = options.dryRun
    ? await ctx.target.instances().catch(() => [])
    : await ctx.target.instances();
  const warm = instances.some((i) => i.releaseId === target.id && i.state === "healthy");
  const downs = options.schema && schema.needed ? await planDowns(ctx, applied, schema.migrations) : [];
  const plan = planRollback({
    downMigrations: downs.map((d) => d.name),
    currentId,
    targetId: target.id,
    warm,
    instances: instanceCount(ctx),
    startDeadlineMs: ctx.envConfig.startDeadline,
    smoke: !options.force && (ctx.envConfig.smoke.length > 0 || ctx.envConfig.smokeCommand !== undefined),
  });
  const base = {
    environment: ctx.environment,
    release: { id: target.id, version: target.version },
    previous: current ? { id: current.id, version: current.version } : null,
    strategy: "rollback",
    plan: plan.map((step, index) => ({ index, step })),
    dryRun: options.dryRun === true,
    recovered: recovered?.id ?? null,
    warm,
    schema,
    ...schemaFacts,
    downs,
  };
  if (options.dryRun) return { ...base, outcome: "planned", deployId: null, error: null, switchMs: null };
  const id = options.deployId ?? newDeployId(ctx.now());
  const lock = await takeLock(ctx, id, options.lockWaitMs ?? 0);
  try {
    await ctx.ledger.createDeploy(
      newDeployRecord(ctx, {
        id,
        kind: "rollback",
        releaseId: target.id,
        previousReleaseId: currentId,
        previousTraffic: state?.traffic ?? [],
        strategy: "rollback",
        status: "running",
        reason: options.reason ?? null,
        plan,
      }),
    );
    for (const down of downs) {
      ctx.options.onEvent?.({
        type: "info",
        message: `down migration for ${down.name} (${down.downPath}):\n${down.sql.trim()}`,
      });
    }
    let switchMs: number | null = null;
    const p = ports(ctx, lock, releases, options.force ? { skipSmoke: true } : {});
    const onEvent = p.onEvent;
    p.onEvent = (event) => {
      if (event.type === "step-done" && event.step.type === "set-traffic" && switchMs === null) {
        switchMs = ctx.now().getTime() - t0;
      }
      onEvent?.(event);
    };
    await announce(ctx, await requireDeploy(ctx, id), releases, "deploy-started");
    const result = await runPlan(p, id);
    await announce(ctx, result.deploy, releases, "outcome");
    return { ...base, outcome: result.outcome, deployId: id, error: result.deploy.error, switchMs };
  } finally {
    await lock.release();
  }
}

/** The migrations applied here (`applied`, by file name) that the target release does not ship. */
function schemaDifference(
  applied: ReadonlyMap<string, string>,
  target: Release,
): { needed: boolean; migrations: string[] } {
  const ships = new Set(Array.isArray(target.config.migrationFiles) ? target.config.migrationFiles : []);
  const extra = [...applied.keys()].filter((file) => !ships.has(file)).sort();
  return { needed: extra.length > 0, migrations: extra };
}

// ---------------------------------------------------------------------------------------------
// status / history / lock

/**
 * `shipgate status`: the team API's answer (src/api/wire-types.ts, what every client reads) plus
 * what the CLI alone shows: the deploy in progress's actor and approvals, the instances, the lock
 * and a recovery this call made.
 */
export interface StatusResult extends Omit<WireStatusResult, "inProgress"> {
  inProgress:
    | (NonNullable<WireStatusResult["inProgress"]> & {
        actor: string;
        /** Approvals, while the deploy awaits them (null otherwise). */
        approval: ApprovalCount | null;
      })
    | null;
  instances: InstanceInfo[] | null;
  lock: DeployLock | null;
  recovered: string | null;
}

const liveSeconds = 60;

async function liveFigures(ctx: ReadContext, releases: Map<string, Release>): Promise<StatusResult["live"]> {
  const series = ctx.target?.series ? await ctx.target.series(liveSeconds).catch(() => null) : null;
  if (series === null) return null;
  const thresholds = { errorRate: ctx.envConfig.alerts.errorRate, p99Ms: ctx.envConfig.alerts.p99 };
  await loadReleases(ctx, Object.keys(series)).then((more) => {
    for (const [id, r] of more) releases.set(id, r);
  });
  return {
    seconds: liveSeconds,
    thresholds,
    releases: Object.entries(series)
      .filter(([, s]) => s.span !== null && s.span.requests > 0)
      .map(([releaseId, s]) => {
        const span = s.span as NonNullable<typeof s.span>;
        const alerts: string[] = [];
        if (span.errorRate !== null && span.errorRate > thresholds.errorRate) {
          alerts.push(
            `error rate ${formatValue("error-rate", span.errorRate)} > ${formatValue("error-rate", thresholds.errorRate)}`,
          );
        }
        if (span.p99Ms !== null && span.p99Ms > thresholds.p99Ms) {
          alerts.push(`p99 ${formatValue("p99", span.p99Ms)} > ${formatValue("p99", thresholds.p99Ms)}`);
        }
        return {
          releaseId,
          version: releases.get(releaseId)?.version ?? releaseId,
          rps: span.rps,
          errorRate: span.errorRate,
          p99Ms: span.p99Ms,
          alerts,
        };
      }),
  };
}

export async function status(ctx: ReadContext): Promise<StatusResult> {
  // A read-only context never starts the target: while it is not running (shipgate down), or when
  // the environment has none, an interrupted deploy waits for the next deploy or rollback.
  const running =
    hasTarget(ctx) &&
    (await ctx.target.instances().then(
      () => true,
      () => false,
    ))
      ? ctx
      : null;
  const recovered = running ? await recoverInterrupted(running, "status") : null;
  await expireApprovalRequest(ctx);
  if (running) await reapWarm(running);
  const state = await ctx.ledger.getEnvironmentState(ctx.environment);
  const active = await ctx.ledger.activeDeploy(ctx.environment);
  const last = await ctx.ledger.lastSucceededDeploy(ctx.environment);
  const releases = await loadReleases(ctx, [
    state?.currentReleaseId,
    active?.releaseId,
    ...(state?.traffic ?? []).map((t) => t.releaseId),
  ]);
  const currentRelease = state?.currentReleaseId ? releases.get(state.currentReleaseId) : undefined;
  const instances = ctx.target ? await ctx.target.instances().catch(() => null) : null;
  const undeployed: StatusResult["undeployed"] = currentRelease?.gitSha
    ? await gitCommitsInRange(ctx.configDir, currentRelease.gitSha)
        .then((commits) => commits.map((c) => ({ sha: c.sha, subject: c.subject })))
        .catch(() => null)
    : null;
  return {
    environment: ctx.environment,
    url: ctx.envConfig.url ?? ctx.target?.publicUrl ?? null,
    target: ctx.envConfig.target ? { type: ctx.envConfig.target.type } : null,
    current: currentRelease
      ? {
          id: currentRelease.id,
          version: currentRelease.version,
          gitSha: currentRelease.gitSha,
          deployedAt: last?.finishedAt ?? null,
          deployedBy: last?.actor ?? null,
        }
      : null,
    traffic: (state?.traffic ?? []).map((t) => ({
      releaseId: t.releaseId,
      version: releases.get(t.releaseId)?.version ?? t.releaseId,
      weight: t.weight,
    })),
    inProgress: active
      ? {
          id: active.id,
          version: releases.get(active.releaseId)?.version ?? active.releaseId,
          strategy: active.strategy,
          status: active.status,
          step: active.nextStep,
          steps: active.plan.length,
          actor: active.actor,
          approval:
            active.status === "awaiting_approval"
              ? countApprovals(
                  active,
                  await ctx.ledger.listApprovals(active.id),
                  ctx.envConfig.approval,
                  ctx.now(),
                )
              : null,
        }
      : null,
    instances,
    undeployed,
    lock: await ctx.ledger.getLock(ctx.environment),
    recovered: recovered?.id ?? null,
    live: await liveFigures(ctx, releases),
    analysis: await latestAnalysis(
      ctx,
      active ?? (await ctx.ledger.listDeploys(ctx.environment, { limit: 1 }))[0],
    ),
  };
}

async function latestAnalysis(
  ctx: ReadContext,
  deploy: Deploy | undefined,
): Promise<StatusResult["analysis"]> {
  if (!deploy) return null;
  const run = (await ctx.ledger.listAnalyses(deploy.id)).at(-1);
  if (!run) return null;
  // A run left "running" by a deploy that ended (a ledger written before recovery closed them).
  const orphan = run.verdict === "running" && deploy.status !== "running" && deploy.status !== "paused";
  return {
    deployId: deploy.id,
    phase: run.phase,
    verdict: orphan ? "ended" : run.verdict,
    summary: orphan ? `ended with the deploy (${deploy.status}) before a verdict` : run.summary,
  };
}

export interface HistoryEntry {
  id: string;
  kind: string;
  version: string;
  previousVersion: string | null;
  strategy: string;
  status: string;
  actor: string;
  reason: string | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export async function history(ctx: ReadContext, limit = 20): Promise<HistoryEntry[]> {
  const deploys = await ctx.ledger.listDeploys(ctx.environment, { limit });
  const releases = await loadReleases(
    ctx,
    deploys.flatMap((d) => [d.releaseId, d.previousReleaseId]),
  );
  return deploys.map((d) => ({
    id: d.id,
    kind: d.kind,
    version: releases.get(d.releaseId)?.version ?? d.releaseId,
    previousVersion: d.previousReleaseId
      ? (releases.get(d.previousReleaseId)?.version ?? d.previousReleaseId)
      : null,
    strategy: d.strategy,
    status: d.status,
    actor: d.actor,
    reason: d.reason,
    error: d.error,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
  }));
}

/** `shipgate lock release --force`: removes the environment's lock whoever holds it, audited. */
export async function releaseLockByForce(ctx: DeployContext): Promise<DeployLock | null> {
  const removed = await ctx.ledger.forceReleaseLock(ctx.environment);
  if (removed) {
    await ctx.ledger.appendAudit({
      actor: ctx.actor,
      action: "lock.force-release",
      target: `lock:${ctx.environment}`,
      environment: ctx.environment,
      source: ctx.source,
      before: removed,
      after: null,
      at: ctx.now().toISOString(),
    });
  }
  return removed;
}

export { errorMessage };

/** `shipgate down`: stops the local target's agent and every instance (drained). The ledger keeps its history. */
export async function down(ctx: DeployContext): Promise<{ environment: string; stopped: boolean }> {
  const target = ctx.envConfig.target;
  if (target?.type !== "local") {
    throw new ShipgateError("USAGE", `environment "${ctx.environment}" does not use the local target`, {
      hint: "`shipgate down` stops the local agent; a command target is stopped with your own tooling.",
    });
  }
  const active = await ctx.ledger.activeDeploy(ctx.environment);
  if (active && active.status === "paused") {
    // The agent forgets its instances on shutdown: the paused deploy would go on (promote) with
    // neither release running, its traffic split pointing at nothing.
    throw new ShipgateError(
      "CONFLICT",
      `deploy ${active.id} is paused in ${ctx.environment}: stopping the agent would leave it nothing to continue with`,
      {
        hint: `Finish it first with \`shipgate promote ${ctx.environment}\` or \`shipgate abort ${ctx.environment}\`, then run \`shipgate down ${ctx.environment}\`.`,
      },
    );
  }
  if (active && active.status === "running") {
    const lock = await ctx.ledger.getLock(ctx.environment);
    if (lock && !holderGone(ctx, lock)) {
      throw new ShipgateError("LOCKED", `deploy ${active.id} is running in ${ctx.environment}`, {
        hint: `Wait for it, or stop it with \`shipgate abort ${ctx.environment}\` first.`,
      });
    }
  }
  const stopped = await stopLocalAgent({
    configDir: ctx.configDir,
    environment: ctx.environment,
    target,
    drain: { timeoutMs: ctx.envConfig.drain.timeout, graceMs: ctx.envConfig.drain.grace },
  });
  const state = await ctx.ledger.getEnvironmentState(ctx.environment);
  if (state)
    await ctx.ledger.setEnvironmentState({ ...state, traffic: [], updatedAt: ctx.now().toISOString() });
  return { environment: ctx.environment, stopped };
}
