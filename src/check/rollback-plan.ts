/**
 * `shipgate plan rollback`: the rollback plan of a change (base..HEAD), filled in from facts — the
 * environment's config (strategy, start deadline, smoke tests), the release ledger (what serves
 * now, the step times of the last deploy, the backups recorded), the migrations the change adds
 * (the linter's class and each one's down migration) and the hooks present.
 *
 * gatherRollbackFacts reads those facts and never writes: a ledger that does not exist is not
 * created, and no process (agent, instance) is started. assembleRollbackPlan turns the facts into
 * the plan; it is pure, and the gate's "a rollback plan exists" item reads its gaps.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../config/load.js";
import { environmentConfigSchema, type ShipgateConfig } from "../config/schema.js";
import { ShipgateError } from "../core/errors.js";
import type { MigrationClass } from "../core/finding.js";
import { gitResolveCommit } from "../core/git.js";
import type { Deploy, LedgerStore, Release } from "../ledger/types.js";
import type { Framework } from "../migrations/discover.js";
import { expectedDownLocation, findDownMigration } from "../migrations/down.js";
import { type ChangeMigrationsOptions, lintChangeMigrations } from "./change-migrations.js";
import type { LedgerAccess } from "./ledger-read.js";
import { noBaseReason } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Decision criteria

/**
 * When to roll back. Rates are fractions of responses; durations are how long the condition must
 * hold (0: at once).
 */
export type RollbackCriterion =
  | { id: "error-rate"; kind: "error-rate"; above: number; forMs: number }
  | { id: "p99-latency"; kind: "p99-latency"; aboveBaselineFactor: number; forMs: number }
  | { id: "critical-5xx"; kind: "critical-5xx"; above: number; forMs: number };

/**
 * The default decision criteria: an error rate above 5% for 2 minutes, p99 latency above 2× the
 * baseline for 5 minutes, any 5xx on critical paths. The one place they are written; the plan
 * prints them and the release analysis reuses them.
 */
export const defaultRollbackCriteria: readonly RollbackCriterion[] = Object.freeze([
  { id: "error-rate", kind: "error-rate", above: 0.05, forMs: 120_000 },
  { id: "p99-latency", kind: "p99-latency", aboveBaselineFactor: 2, forMs: 300_000 },
  { id: "critical-5xx", kind: "critical-5xx", above: 0, forMs: 0 },
] as const);

/** "90 s", "2 minutes", "2 min 30 s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  const rest = s % 60;
  if (rest === 0) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `${minutes} min ${rest} s`;
}

function held(forMs: number): string {
  return forMs > 0 ? ` for ${formatDuration(forMs)}` : "";
}

/** One line per criterion, e.g. "error rate above 5% for 2 minutes". */
export function describeCriterion(criterion: RollbackCriterion, criticalPaths: readonly string[]): string {
  switch (criterion.kind) {
    case "error-rate":
      return `error rate above ${Math.round(criterion.above * 1000) / 10}%${held(criterion.forMs)}`;
    case "p99-latency":
      return `p99 latency above ${criterion.aboveBaselineFactor}× the baseline${held(criterion.forMs)}`;
    case "critical-5xx": {
      const count = criterion.above === 0 ? "any 5xx" : `more than ${criterion.above} 5xx responses`;
      const where =
        criticalPaths.length > 0
          ? ` (check.criticalPaths: ${criticalPaths.join(", ")})`
          : " (none marked yet: check.criticalPaths)";
      return `${count} on critical paths${where}${held(criterion.forMs)}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Facts

export interface ReleaseFact {
  id: string;
  version: string;
  gitSha: string | null;
}

export interface MigrationFact {
  /** Relative to the working directory. */
  path: string;
  /** The linter's class of the file (its most severe statement). */
  class: MigrationClass;
  /** Where its down migration is (a section of the up file: that file), null when it has none. */
  down: string | null;
  /** Where the framework's convention expects the down, for a missing one. */
  expectedDown: string;
  /** Relations its transformative or destructive statements change, from the linter's findings. */
  relations: string[];
}

export interface BackupFact {
  id: string;
  createdAt: string;
  tables: string[];
  location: string;
}

/** Step times of the last successful deploy that started instances, from the ledger's journal. */
export interface TimingFact {
  deployId: string;
  version: string;
  /** The longest of each kind of step (a rollback starts every instance at once). */
  startMs: number;
  readyMs: number;
  smokeMs: number | null;
  switchMs: number;
}

export interface RollbackFacts {
  /** null: no environment named (the plan then says what it cannot know). */
  environment: string | null;
  base: string | null;
  baseLabel: string | null;
  head: string | null;
  strategy: "rolling" | "blue-green" | "canary";
  keepWarmMs: number;
  startDeadlineMs: number;
  target: { type: "local"; instances: number } | { type: "command" } | null;
  /** Smoke tests are configured (HTTP tests or a command). */
  smoke: boolean;
  ledger: { read: true; where: string } | { read: false; why: string };
  /** Deploys and rollbacks of the environment in the ledger (up to recentDeploys, 50). */
  deploysRecorded: number;
  /** The release serving the environment now. */
  current: (ReleaseFact & { deployedAt: string | null }) | null;
  traffic: { version: string; weight: number }[];
  inProgress: { id: string; version: string; status: string } | null;
  /** What `shipgate rollback <env>` switches to today (the release before the current one). */
  previous: ReleaseFact | null;
  timing: TimingFact | null;
  migrations: { assessed: true; files: MigrationFact[] } | { assessed: false; why: string };
  backups: { enabled: boolean; dir: string; recent: BackupFact[] };
  /** The post-rollback hook that runs (relative to the working directory), and a disabled sample. */
  hooks: { postRollback: string | null; sample: string | null };
  criticalPaths: string[];
  criteria: readonly RollbackCriterion[];
}

// ---------------------------------------------------------------------------------------------
// The plan

export interface RollbackGap {
  id: "down-missing" | "no-backup";
  severity: "error" | "warning";
  file?: string;
  message: string;
  help: string;
}

export interface RollbackPlan {
  environment: string | null;
  change: { base: string | null; baseLabel: string | null; head: string | null };
  /** Nothing serves the environment per the ledger: there is no earlier release to go back to. */
  firstDeploy: boolean;
  /** Where the deploy history comes from, or why there is none. */
  history: string;
  estimate: {
    /** The release rolled back to is still running: only traffic moves. */
    warm: boolean;
    /** The expected time to traffic on the older release; null when there is nothing to measure from. */
    seconds: number | null;
    /** The bound: the start deadline (plus smoke tests), or the switch alone when warm. */
    atMostSeconds: number | null;
    text: string;
  };
  commands: {
    rollback: string | null;
    rollbackTo: string | null;
    schema: string | null;
    abort: string | null;
  };
  traffic: {
    servingNow: { version: string; weight: number }[];
    rollsBackTo: ReleaseFact | null;
    inProgress: { id: string; version: string; status: string } | null;
    text: string;
  };
  schema: {
    assessed: boolean;
    required: boolean;
    text: string;
    migrations: { path: string; class: MigrationClass; down: string | null; expectedDown: string }[];
  };
  data: {
    assessed: boolean;
    required: boolean;
    text: string;
    migrations: { path: string; class: MigrationClass }[];
    tables: string[];
    backup: {
      enabled: boolean;
      dir: string;
      restoreCommand: string;
      recent: BackupFact[];
      text: string;
    };
  };
  notify: { hooks: string[]; channels: string[]; text: string };
  criteria: { id: string; text: string; criterion: RollbackCriterion }[];
  /** What a safe rollback of this change lacks: `shipgate check` fails on the errors. */
  gaps: RollbackGap[];
}

/** How many of an environment's newest deploys the plan reads. */
const recentDeploys = 50;

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
const oneDecimal = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function estimateOf(facts: RollbackFacts, target: ReleaseFact | null): RollbackPlan["estimate"] {
  if (!target) {
    return {
      warm: false,
      seconds: null,
      atMostSeconds: null,
      text: "nothing to time: there is no earlier release to roll back to",
    };
  }
  const smokeBound = facts.smoke ? (facts.timing?.smokeMs ?? 0) : 0;
  const bound = seconds(facts.startDeadlineMs + smokeBound);
  const instances =
    facts.target?.type === "local"
      ? ` (${facts.target.instances} instance${facts.target.instances === 1 ? "" : "s"})`
      : "";
  let cold: { seconds: number | null; text: string };
  if (facts.timing) {
    const t = facts.timing;
    const smoke = facts.smoke ? (t.smokeMs ?? 0) : 0;
    const parts = [
      `start ${oneDecimal(t.startMs)}`,
      `ready ${oneDecimal(t.readyMs)}`,
      ...(facts.smoke && t.smokeMs !== null ? [`smoke tests ${oneDecimal(t.smokeMs)}`] : []),
      `switch ${oneDecimal(t.switchMs)}`,
    ];
    const total = seconds(t.startMs + t.readyMs + smoke + t.switchMs);
    cold = {
      seconds: total,
      text: `about ${total} s to start ${target.version}${instances}, check it and switch traffic (as deploy ${t.deployId} of ${t.version} took: ${parts.join(", ")}); at most ${bound} s (start deadline ${formatDuration(facts.startDeadlineMs)})`,
    };
  } else {
    cold = {
      seconds: null,
      text: `up to ${bound} s to start ${target.version}${instances}, check it and switch traffic (the start deadline, ${formatDuration(facts.startDeadlineMs)}${facts.smoke ? ", plus smoke tests" : ""}); no successful deploy in the ledger to measure from`,
    };
  }
  if (facts.strategy === "blue-green") {
    return {
      warm: true,
      seconds: 1,
      atMostSeconds: 1,
      text: `under a second: blue-green keeps ${target.version} running for ${formatDuration(facts.keepWarmMs)} after the switch, so rollback only moves traffic; later, ${cold.text}`,
    };
  }
  return { warm: false, seconds: cold.seconds, atMostSeconds: bound, text: cold.text };
}

function listFiles(files: readonly { path: string; class: MigrationClass }[]): string {
  return files.map((f) => `${f.path} (${f.class})`).join(", ");
}

/** The rollback plan from the facts. Pure. */
export function assembleRollbackPlan(facts: RollbackFacts): RollbackPlan {
  const env = facts.environment ?? "<environment>";
  const target: ReleaseFact | null = facts.current
    ? { id: facts.current.id, version: facts.current.version, gitSha: facts.current.gitSha }
    : null;
  const firstDeploy = target === null;
  const history = facts.ledger.read
    ? `${facts.deploysRecorded}${facts.deploysRecorded >= recentDeploys ? " or more" : ""} deploy${facts.deploysRecorded === 1 ? "" : "s"} of ${env} in the ledger (${facts.ledger.where})`
    : `no deploy history: ${facts.ledger.why}`;

  // Schema
  const files = facts.migrations.assessed ? facts.migrations.files : [];
  const contracting = files.filter((f) => f.class !== "additive");
  const withoutDown = files.filter((f) => f.down === null);
  const schemaRequired = contracting.length > 0;
  let schemaText: string;
  if (!facts.migrations.assessed) schemaText = `not assessed: ${facts.migrations.why}`;
  else if (files.length === 0) schemaText = "not required: the change adds no migrations";
  else if (!schemaRequired) {
    schemaText = `not required: the change's ${files.length} migration${files.length === 1 ? " is" : "s are"} additive, so ${target ? target.version : "the older release"} runs on the expanded schema; \`shipgate rollback ${env} --schema\` would still undo ${files.length === 1 ? "it" : "them"} with the down migrations below`;
  } else {
    schemaText = `required: older code may not run after ${listFiles(contracting)}; \`shipgate rollback ${env} --schema\` runs the down migrations after the traffic switch (add --dry-run to see them first)`;
  }
  const missingContracting = contracting.filter((f) => f.down === null);
  if (missingContracting.length > 0) {
    schemaText += `. No down migration for ${missingContracting.map((f) => f.path).join(", ")}`;
  } else if (withoutDown.length > 0 && facts.migrations.assessed) {
    schemaText += `. No down migration for ${withoutDown.map((f) => f.path).join(", ")} (additive: not needed to roll back)`;
  }

  // Data
  const dataFiles = files.filter((f) => f.class === "destructive" || f.class === "transformative");
  const destructive = files.filter((f) => f.class === "destructive");
  const tables = [...new Set(dataFiles.flatMap((f) => f.relations))].sort();
  const restoreCommand = "shipgate migrations restore <backup-id>";
  const recent = facts.backups.recent;
  const backupText = facts.backups.enabled
    ? `\`migrations apply\` (also the deploy's migrate step) backs up the tables a migration alters, drops, updates, deletes from or truncates before running it, into ${facts.backups.dir}; restore one with \`${restoreCommand}\`${
        recent.length > 0
          ? `. Latest recorded for ${env}: ${recent.map((b) => `${b.id} (${b.tables.join(", ") || "no tables"})`).join("; ")}`
          : facts.ledger.read
            ? `. No backup recorded for ${env} yet`
            : ". `shipgate migrations backups` lists the backups taken"
      }`
    : "none: migrations.backups.enabled is false, so nothing is backed up before migrations run";
  let dataText: string;
  if (!facts.migrations.assessed) dataText = `not assessed: ${facts.migrations.why}`;
  else if (dataFiles.length === 0)
    dataText = "not required: no migration in the change deletes or rewrites data";
  else {
    dataText = `required if the data must come back: ${listFiles(dataFiles)} ${destructive.length > 0 ? "deletes" : "rewrites"} data${tables.length > 0 ? ` in ${tables.join(", ")}` : ""}; a down migration restores the shape, not the rows — restore the backup taken before ${dataFiles.length === 1 ? "it" : "them"}`;
  }

  // Traffic
  let trafficText: string;
  if (facts.environment === null) trafficText = "unknown: no environment named (--environment)";
  else if (!facts.ledger.read)
    trafficText = `unknown: ${facts.ledger.why}; treated as the first deploy of ${env}, with no earlier release to switch back to`;
  else if (!target)
    trafficText = `nothing serves ${env} per the ledger: this is its first deploy, with no earlier release to switch back to`;
  else {
    const serving =
      facts.traffic.length > 0
        ? facts.traffic.map((t) => `${t.version} ${t.weight}%`).join(", ")
        : `${target.version} (no traffic recorded: its instances are stopped)`;
    trafficText = `serving now: ${serving}. After this change is deployed, \`shipgate rollback ${env}\` moves all traffic back to ${target.version} (${target.id}${target.gitSha ? `, commit ${target.gitSha.slice(0, 12)}` : ""}) with its own config and env, then drains the new release`;
  }
  if (facts.inProgress) {
    trafficText += `. Deploy ${facts.inProgress.id} of ${facts.inProgress.version} is ${facts.inProgress.status}: \`shipgate rollback ${env}\` now aborts it`;
  }

  // Notify
  const hooks = facts.hooks.postRollback ? [facts.hooks.postRollback] : [];
  const hookText = facts.hooks.postRollback
    ? `the post-rollback hook ${facts.hooks.postRollback} runs after the switch`
    : facts.hooks.sample
      ? `no post-rollback hook (${facts.hooks.sample} is a sample: rename it without .sample to enable it)`
      : "no post-rollback hook (.shipgate/hooks/post-rollback)";
  const notifyText = `${hookText}; notification targets: none configured — tell the team and on-call yourself`;

  // Gaps
  const gaps: RollbackGap[] = [];
  for (const f of missingContracting) {
    gaps.push({
      id: "down-missing",
      severity: "error",
      file: f.path,
      message: `${f.path} is ${f.class} and has no down migration: a schema rollback cannot undo it`,
      help: `Add ${f.expectedDown}, or ship only the additive (expand) part with this release and the rest once no running code needs the old shape. \`shipgate plan rollback${facts.environment ? ` --environment ${facts.environment}` : ""}\` shows the whole plan.`,
    });
  }
  if (!facts.backups.enabled) {
    for (const f of destructive) {
      gaps.push({
        id: "no-backup",
        severity: "error",
        file: f.path,
        message: `${f.path} deletes data and migrations.backups.enabled is false: nothing it deletes can be restored`,
        help: "Turn backups on (migrations.backups.enabled: true in shipgate.yaml) so `migrations apply` backs up the tables first, or take your own backup and approve the statement with the reason.",
      });
    }
  }

  return {
    environment: facts.environment,
    change: { base: facts.base, baseLabel: facts.baseLabel, head: facts.head },
    firstDeploy,
    history,
    estimate: estimateOf(facts, target),
    commands: {
      rollback: target ? `shipgate rollback ${env}` : null,
      rollbackTo: target ? `shipgate rollback ${env} --to ${target.version}` : null,
      schema: target && schemaRequired ? `shipgate rollback ${env} --schema` : null,
      abort: facts.strategy === "canary" ? `shipgate abort ${env}` : null,
    },
    traffic: {
      servingNow: facts.traffic,
      rollsBackTo: target,
      inProgress: facts.inProgress,
      text: trafficText,
    },
    schema: {
      assessed: facts.migrations.assessed,
      required: schemaRequired,
      text: schemaText,
      migrations: files.map((f) => ({
        path: f.path,
        class: f.class,
        down: f.down,
        expectedDown: f.expectedDown,
      })),
    },
    data: {
      assessed: facts.migrations.assessed,
      required: dataFiles.length > 0,
      text: dataText,
      migrations: dataFiles.map((f) => ({ path: f.path, class: f.class })),
      tables,
      backup: {
        enabled: facts.backups.enabled,
        dir: facts.backups.dir,
        restoreCommand,
        recent,
        text: backupText,
      },
    },
    notify: { hooks, channels: [], text: notifyText },
    criteria: facts.criteria.map((c) => ({
      id: c.id,
      text: describeCriterion(c, facts.criticalPaths),
      criterion: c,
    })),
    gaps,
  };
}

// ---------------------------------------------------------------------------------------------
// Gathering

const durationMs = (s: { startedAt: string; finishedAt: string | null }): number =>
  s.finishedAt ? Math.max(0, Date.parse(s.finishedAt) - Date.parse(s.startedAt)) : 0;

async function timingOf(ledger: LedgerStore, deploy: Deploy, version: string): Promise<TimingFact | null> {
  const steps = (await ledger.listSteps(deploy.id)).filter(
    (s) => s.status === "succeeded" && s.finishedAt !== null,
  );
  const longest = (type: string): number | null => {
    const ds = steps.filter((s) => s.type === type).map(durationMs);
    return ds.length > 0 ? Math.max(...ds) : null;
  };
  const readyMs = longest("wait-ready");
  if (readyMs === null) return null;
  return {
    deployId: deploy.id,
    version,
    startMs: longest("start-instances") ?? 0,
    readyMs,
    smokeMs: longest("smoke"),
    switchMs: longest("set-traffic") ?? 0,
  };
}

type LedgerFacts = Pick<
  RollbackFacts,
  "deploysRecorded" | "current" | "traffic" | "inProgress" | "previous" | "timing"
> & { backups: BackupFact[] };

async function readLedger(ledger: LedgerStore, environment: string): Promise<LedgerFacts> {
  const releases = new Map<string, Release | null>();
  const release = async (id: string | null | undefined): Promise<Release | null> => {
    if (!id) return null;
    if (!releases.has(id)) releases.set(id, await ledger.getRelease(id));
    return releases.get(id) ?? null;
  };
  const fact = (r: Release): ReleaseFact => ({ id: r.id, version: r.version, gitSha: r.gitSha });

  const state = await ledger.getEnvironmentState(environment);
  const deploys = await ledger.listDeploys(environment, { limit: recentDeploys });
  const last = await ledger.lastSucceededDeploy(environment);
  const active = await ledger.activeDeploy(environment);
  const current = await release(state?.currentReleaseId);
  const succeeded = deploys.filter((d) => d.status === "succeeded");

  // As `shipgate rollback` chooses: the newest successful deploy of another release.
  let previous: ReleaseFact | null = null;
  for (const d of succeeded) {
    if (d.releaseId === current?.id) continue;
    const r = await release(d.releaseId);
    if (r) {
      previous = fact(r);
      break;
    }
  }

  // The last successful deploy, else the newest one that started instances (a warm rollback did not).
  let timing: TimingFact | null = null;
  const candidates = [...(last ? [last] : []), ...succeeded.filter((d) => d.id !== last?.id)].slice(0, 10);
  for (const d of candidates) {
    timing = await timingOf(ledger, d, (await release(d.releaseId))?.version ?? d.releaseId);
    if (timing) break;
  }

  const traffic: RollbackFacts["traffic"] = [];
  for (const t of state?.traffic ?? []) {
    traffic.push({ version: (await release(t.releaseId))?.version ?? t.releaseId, weight: t.weight });
  }
  return {
    deploysRecorded: deploys.length,
    current: current ? { ...fact(current), deployedAt: last?.finishedAt ?? null } : null,
    traffic,
    inProgress: active
      ? {
          id: active.id,
          version: (await release(active.releaseId))?.version ?? active.releaseId,
          status: active.status,
        }
      : null,
    previous,
    timing,
    backups: (await ledger.listBackups(environment, 5)).map((b) => ({
      id: b.id,
      createdAt: b.createdAt,
      tables: b.tables,
      location: b.location,
    })),
  };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The post-rollback hook `shipgate rollback` runs (the names runHook tries, in order). */
function hookFacts(configDir: string, cwd: string): RollbackFacts["hooks"] {
  const dir = path.join(configDir, ".shipgate", "hooks");
  const shown = (file: string) => path.relative(cwd, file).split(path.sep).join("/") || file;
  const found = ["post-rollback", "post-rollback.sh", "post-rollback.js", "post-rollback.mjs"]
    .map((name) => path.join(dir, name))
    .find(isFile);
  const sample = path.join(dir, "post-rollback.sample");
  return {
    postRollback: found ? shown(found) : null,
    sample: !found && isFile(sample) ? shown(sample) : null,
  };
}

export interface GatherRollbackOptions {
  cwd: string;
  /** Directory of shipgate.yaml. */
  configDir: string;
  configPath?: string | undefined;
  config: ShipgateConfig;
  env: NodeJS.ProcessEnv;
  environment: string | null;
  /** The base commit of the change; without one the migrations are not assessed. */
  base: string | undefined;
  baseLabel: string | undefined;
  /** Without a base: why (default: noBaseReason). */
  whyNoBase?: string | undefined;
  /** The linter on the change (the gate shares its run); default: lintChangeMigrations. */
  lint?: (options: ChangeMigrationsOptions) => ReturnType<typeof lintChangeMigrations>;
  /** The ledger to read; default: the configured one, opened for reading (and closed here). */
  ledger?: LedgerAccess;
}

async function migrationFacts(options: GatherRollbackOptions): Promise<RollbackFacts["migrations"]> {
  if (options.base === undefined) {
    return { assessed: false, why: options.whyNoBase ?? noBaseReason };
  }
  const lint = options.lint ?? lintChangeMigrations;
  const result = await lint({
    cwd: options.cwd,
    env: options.env,
    configPath: options.configPath,
    base: options.base,
  });
  if (!result) return { assessed: true, files: [] };
  const framework = result.framework as Framework;
  const files = result.report.files.map((file): MigrationFact => {
    const up = { path: file.path, text: "" };
    const down = findDownMigration(up, framework, options.cwd);
    const relations = result.report.findings
      .filter((f) => f.file === file.path && f.class !== undefined && f.class !== "additive" && f.relation)
      .map((f) => f.relation as string);
    return {
      path: file.path,
      class: file.class ?? "additive",
      down: down ? down.source.path : null,
      expectedDown: expectedDownLocation(up, framework),
      relations: [...new Set(relations)].sort(),
    };
  });
  return { assessed: true, files };
}

/** Reads every fact the plan needs. Read-only: nothing is created, started or written. */
export async function gatherRollbackFacts(options: GatherRollbackOptions): Promise<RollbackFacts> {
  const { config, environment } = options;
  const envConfig =
    (environment !== null ? config.environments[environment] : undefined) ??
    environmentConfigSchema.parse({});
  let head: string | null = null;
  if (options.base !== undefined) {
    try {
      head = await gitResolveCommit(options.cwd, "HEAD");
    } catch {
      head = null; // a repository without commits: the change is the working tree
    }
  }
  const migrations = await migrationFacts(options);

  let ledgerPart: LedgerFacts = {
    deploysRecorded: 0,
    current: null,
    traffic: [],
    inProgress: null,
    previous: null,
    timing: null,
    backups: [],
  };
  let ledger: RollbackFacts["ledger"] = { read: false, why: "no environment named (--environment)" };
  if (environment !== null) {
    let access = options.ledger;
    if (!access) {
      const { openLedgerForReading } = await import("./ledger-read.js");
      access = await openLedgerForReading(config, options.configDir, options.env);
    }
    if (access.ledger === null) ledger = { read: false, why: access.why };
    else {
      try {
        ledgerPart = await readLedger(access.ledger, environment);
        ledger = { read: true, where: access.where };
      } finally {
        if (!options.ledger) await access.ledger.close();
      }
    }
  }

  const target = envConfig.target;
  return {
    environment,
    base: options.base ?? null,
    baseLabel: options.baseLabel ?? null,
    head,
    strategy: envConfig.strategy,
    keepWarmMs: envConfig.blueGreen.keepWarm,
    startDeadlineMs: envConfig.startDeadline,
    target: target
      ? target.type === "local"
        ? { type: "local", instances: target.instances }
        : { type: "command" }
      : null,
    smoke: envConfig.smoke.length > 0 || envConfig.smokeCommand !== undefined,
    ledger,
    deploysRecorded: ledgerPart.deploysRecorded,
    current: ledgerPart.current,
    traffic: ledgerPart.traffic,
    inProgress: ledgerPart.inProgress,
    previous: ledgerPart.previous,
    timing: ledgerPart.timing,
    migrations,
    backups: {
      enabled: config.migrations.backups.enabled,
      dir: config.migrations.backups.dir,
      recent: ledgerPart.backups,
    },
    hooks: hookFacts(options.configDir, options.cwd),
    criticalPaths: config.check.criticalPaths,
    criteria: defaultRollbackCriteria,
  };
}

// ---------------------------------------------------------------------------------------------
// The command

/** --environment, else `production` when declared, else the only environment declared. */
export function chooseEnvironment(config: ShipgateConfig, given: string | undefined): string {
  const names = Object.keys(config.environments);
  if (given !== undefined) {
    if (names.includes(given)) return given;
    throw new ShipgateError("USAGE", `environment "${given}" is not declared in shipgate.yaml`, {
      hint:
        names.length > 0
          ? `Declared environments: ${names.join(", ")}.`
          : `Declare it under environments: in shipgate.yaml, e.g.\n  environments:\n    ${given}: {}`,
    });
  }
  if (names.includes("production")) return "production";
  if (names.length === 1) return names[0] as string;
  throw new ShipgateError(
    "USAGE",
    names.length === 0
      ? "no environment is declared in shipgate.yaml"
      : `which environment? shipgate.yaml declares ${names.join(", ")}`,
    {
      hint:
        names.length === 0
          ? "Declare one under environments: (e.g. production: {}), then run `shipgate plan rollback --environment production`."
          : `Name one: shipgate plan rollback --environment ${names[0]}`,
    },
  );
}

export interface PlanRollbackOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  environment?: string;
  /** Default: the version last deployed to the environment per the ledger, else origin/main. */
  base?: string;
}

/** `shipgate plan rollback`: the plan for the change between the base and HEAD. */
export async function runPlanRollback(options: PlanRollbackOptions): Promise<RollbackPlan> {
  const loaded = loadConfig({
    cwd: options.cwd,
    ...(options.configPath ? { configPath: options.configPath } : {}),
  });
  const environment = chooseEnvironment(loaded.config, options.environment);
  const { resolveBase } = await import("./run.js");
  const { base, label, why } = await resolveBase({
    cwd: options.cwd,
    ref: options.base,
    environment,
    config: loaded.config,
    configDir: loaded.dir,
    env: options.env,
  });
  const facts = await gatherRollbackFacts({
    cwd: options.cwd,
    configDir: loaded.dir,
    configPath: loaded.path,
    config: loaded.config,
    env: options.env,
    environment,
    base,
    baseLabel: label,
    whyNoBase: why,
  });
  return assembleRollbackPlan(facts);
}
