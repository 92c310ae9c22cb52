/**
 * The release part of the team API (a fastify plugin mounted at /api): environments, status,
 * history with diffs, live figures, deploy details, and the operations deploy / promote / abort /
 * rollback / approve / reject. Each request opens a deploy context on the server's ledger with the
 * caller as the actor and the client address as the audit source, and calls the same use cases as
 * the CLI (src/deploy/service.ts). Long operations run in the background (operations.ts): the
 * answer is 202 with the deploy id once the ledger holds the deploy.
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type {
  DeployDetail,
  EnvironmentSummary,
  HistoryEntryWithDiff,
  LiveSeries,
  Me,
  StatusResult,
} from "../api/wire-types.js";
import { loadConfig } from "../config/load.js";
import type { ShipgateConfig } from "../config/schema.js";
import { ShipgateError } from "../core/errors.js";
import { gitCommitsInRange } from "../core/git.js";
import { describeNote, type PlanNote, type PlanStep } from "../deploy/plan.js";
import type { ContextOptions, DeployContext, HistoryEntry, ReadContext } from "../deploy/service.js";
import type { Deploy, LedgerStore, Release } from "../ledger/types.js";
import { RouteError } from "./api-error.js";
import { principalOf, requirePermission } from "./auth/index.js";
import type { Operations } from "./operations.js";

export interface ProjectOptions {
  /** The directory shipgate.yaml is found from. */
  cwd: string;
  configPath?: string;
  /** The environment the server was started with (secrets key, env sources, notifications). */
  env: NodeJS.ProcessEnv;
}

export interface TeamRoutesOptions {
  ledger: LedgerStore;
  project: ProjectOptions;
  operations: Operations;
  now: () => Date;
  /** Tests: the CLI entry the local target's agent is started with. */
  cliEntry?: string;
  /** Polling interval while waiting for an operation to record its deploy (default 100 ms). */
  pollMs?: number;
}

const envParams = z.object({ env: z.string().min(1).max(100) });
const idParams = z.object({ id: z.string().min(1).max(200) });
const deployBody = z
  .object({
    version: z.string().min(1).max(200),
    strategy: z.enum(["rolling", "blue-green", "canary"]).optional(),
    reason: z.string().max(1000).optional(),
  })
  .strict();
const rollbackBody = z
  .object({
    to: z.string().min(1).max(200).optional(),
    reason: z.string().max(1000).optional(),
    force: z.boolean().optional(),
  })
  .strict();
const reasonBody = z.object({ reason: z.string().max(1000).optional() }).strict();
const commentBody = z.object({ comment: z.string().max(1000).optional() }).strict();
const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });
const liveQuery = z.object({ seconds: z.coerce.number().int().min(10).max(1800).default(300) });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  throw new ShipgateError("USAGE", `invalid ${what}`, {
    details: parsed.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`),
    hint: "See docs/team-server.md for the request formats.",
  });
}

export const teamRoutes: FastifyPluginAsync<TeamRoutesOptions> = async (app, options) => {
  const { ledger, operations, now } = options;
  const pollMs = options.pollMs ?? 100;

  /** The config as it is now on disk (it may change while the server runs). */
  function config(): ShipgateConfig {
    return loadConfig({
      cwd: options.project.cwd,
      ...(options.project.configPath ? { configPath: options.project.configPath } : {}),
    }).config;
  }

  function knownEnvironment(environment: string): void {
    if (!(environment in config().environments)) {
      throw new RouteError("NOT_FOUND", `environment "${environment}" is not declared in shipgate.yaml`, {
        hint: "GET /api/environments lists the environments.",
        cliHint: `Known environments: ${Object.keys(config().environments).join(", ") || "none"}.`,
      });
    }
  }

  /** Context options for the caller on the server's ledger. */
  function contextOptions(request: FastifyRequest, environment: string): ContextOptions {
    knownEnvironment(environment);
    return {
      cwd: options.project.cwd,
      environment,
      env: options.project.env,
      actor: principalOf(request).name,
      source: request.ip,
      ledger,
      now,
      ...(options.project.configPath ? { configPath: options.project.configPath } : {}),
      ...(options.cliEntry ? { cliEntry: options.cliEntry } : {}),
    };
  }

  /** A deploy context for the caller (the environment needs a target); the caller closes it. */
  async function open(request: FastifyRequest, environment: string): Promise<DeployContext> {
    const { openContext } = await import("../deploy/service.js");
    return openContext(contextOptions(request, environment));
  }

  async function withContext<T>(
    request: FastifyRequest,
    environment: string,
    use: (ctx: DeployContext) => Promise<T>,
  ): Promise<T> {
    const ctx = await open(request, environment);
    try {
      return await use(ctx);
    } finally {
      await ctx.close();
    }
  }

  /**
   * Runs a read with a read context: it never starts the local target's agent (a viewer's GET must
   * not start processes), and an environment without a target (flags only) has one too.
   */
  async function withReadContext<T>(
    request: FastifyRequest,
    environment: string,
    use: (ctx: ReadContext) => Promise<T>,
  ): Promise<T> {
    const { openReadContext } = await import("../deploy/service.js");
    const ctx = await openReadContext(contextOptions(request, environment));
    try {
      return await use(ctx);
    } finally {
      await ctx.close();
    }
  }

  function refuseBusy(environment: string): void {
    const running = operations.running(environment);
    if (running) {
      throw new RouteError(
        "LOCKED",
        `${running.kind} of deploy ${running.deployId} by ${running.actor} is still running in ${environment}`,
        {
          hint: `Follow it with GET /api/deploys/${running.deployId}; try again when it has settled.`,
          cliHint: `See how it goes with \`shipgate status ${environment}\`; try again when it has settled.`,
        },
      );
    }
  }

  /**
   * Runs `work` in the background with its own context; resolves once the ledger holds the deploy
   * `deployId` (then the operation goes on) or the operation has ended; rethrows an error it ended
   * with before recording anything (a refused deploy answers 4xx, not 202).
   */
  async function startOperation(
    request: FastifyRequest,
    environment: string,
    kind: string,
    deployId: string,
    work: (ctx: DeployContext) => Promise<unknown>,
    until: "recorded" | "started" = "recorded",
  ): Promise<void> {
    refuseBusy(environment);
    const ctx = await open(request, environment);
    const { operation, finished } = operations.start(
      { deployId, environment, kind, actor: ctx.actor },
      async () => {
        try {
          await work(ctx);
        } finally {
          await ctx.close();
        }
      },
    );
    if (until === "recorded") {
      let done = false;
      void finished.then(() => {
        done = true;
      });
      while (!done && (await ledger.getDeploy(deployId)) === null) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    }
    if (operation.state === "failed" && (await ledger.getDeploy(deployId)) === null) {
      throw operations.thrownBy(operation); // the error handler answers with its status and code
    }
  }

  async function releaseVersions(ids: (string | null)[]): Promise<Map<string, Release>> {
    const out = new Map<string, Release>();
    for (const id of new Set(ids.filter((x): x is string => x !== null))) {
      const release = await ledger.getRelease(id);
      if (release) out.set(id, release);
    }
    return out;
  }

  app.get("/me", { config: { permission: "read" } }, async (request): Promise<Me> => {
    const { name, role, environment } = principalOf(request);
    return { name, role, environment };
  });

  app.get("/environments", { config: { permission: "read" } }, async () => {
    const cfg = config();
    const environments: EnvironmentSummary[] = [];
    for (const [name, envConfig] of Object.entries(cfg.environments)) {
      const state = await ledger.getEnvironmentState(name);
      const active = await ledger.activeDeploy(name);
      const last = await ledger.lastSucceededDeploy(name);
      const releases = await releaseVersions([state?.currentReleaseId ?? null, active?.releaseId ?? null]);
      const current = state?.currentReleaseId ? releases.get(state.currentReleaseId) : undefined;
      environments.push({
        name,
        url:
          envConfig.url ??
          (envConfig.target?.type === "local" ? `http://127.0.0.1:${envConfig.target.port}` : null),
        current: current
          ? {
              releaseId: current.id,
              version: current.version,
              deployedAt: last?.finishedAt ?? null,
              deployedBy: last?.actor ?? null,
            }
          : null,
        active: active
          ? {
              id: active.id,
              kind: active.kind,
              status: active.status,
              strategy: active.strategy,
              version: releases.get(active.releaseId)?.version ?? active.releaseId,
              actor: active.actor,
              startedAt: active.startedAt,
            }
          : null,
        approval: { required: envConfig.approval.required },
      });
    }
    return { environments };
  });

  app.get("/environments/:env", { config: { permission: "read" } }, async (request) => {
    const { env } = parse(envParams, request.params, "path");
    const { status } = await import("../deploy/service.js");
    return withReadContext<StatusResult>(request, env, (ctx) => status(ctx));
  });

  app.get("/environments/:env/history", { config: { permission: "read" } }, async (request) => {
    const { env } = parse(envParams, request.params, "path");
    const { limit } = parse(historyQuery, request.query, "query");
    const { history } = await import("../deploy/service.js");
    return withReadContext(request, env, async (ctx) => {
      const entries = await history(ctx, limit);
      const deploys = await ledger.listDeploys(env, { limit: limit + 1 });
      return { entries: await withDiffs(ctx, entries, deploys) };
    });
  });

  /** Commits, migrations and flag changes between each deploy and the one before it. */
  async function withDiffs(
    ctx: ReadContext,
    entries: HistoryEntry[],
    deploys: Deploy[],
  ): Promise<HistoryEntryWithDiff[]> {
    const byId = new Map(deploys.map((d) => [d.id, d]));
    const releases = await releaseVersions(deploys.flatMap((d) => [d.releaseId, d.previousReleaseId]));
    const flags = await ledger.listFlags({ includeArchived: true });
    const flagAudit = (await Promise.all(flags.map((f) => ledger.listFlagAudit(f.key, 200)))).flat();
    return Promise.all(
      entries.map(async (entry, i) => {
        const deploy = byId.get(entry.id);
        const release = deploy ? releases.get(deploy.releaseId) : undefined;
        const previous = deploy?.previousReleaseId ? releases.get(deploy.previousReleaseId) : undefined;
        const commits =
          release?.gitSha && previous?.gitSha && release.gitSha !== previous.gitSha
            ? await gitCommitsInRange(ctx.configDir, previous.gitSha, release.gitSha)
                .then((list) => list.map((c) => ({ sha: c.sha, subject: c.subject })))
                .catch(() => null)
            : release?.gitSha && previous?.gitSha
              ? []
              : null;
        const files = (r: Release | undefined) =>
          r && Array.isArray(r.config.migrationFiles) ? (r.config.migrationFiles as string[]) : [];
        const before = new Set(files(previous));
        const since = deploys[i + 1]?.startedAt ?? "";
        const changed = flagAudit
          .filter(
            (a) =>
              a.at > since &&
              a.at <= entry.startedAt &&
              (a.environment === null || a.environment === ctx.environment),
          )
          .sort((a, b) => (a.at < b.at ? -1 : 1))
          .map((a) => ({
            key: a.flagKey,
            environment: a.environment,
            action: a.action,
            actor: a.actor,
            at: a.at,
          }));
        return {
          ...entry,
          diff: { commits, migrations: files(release).filter((m) => !before.has(m)), flags: changed },
        };
      }),
    );
  }

  app.get("/environments/:env/live", { config: { permission: "read" } }, async (request) => {
    const { env } = parse(envParams, request.params, "path");
    const { seconds } = parse(liveQuery, request.query, "query");
    return withReadContext<LiveSeries>(request, env, async (ctx) => {
      const thresholds = { errorRate: ctx.envConfig.alerts.errorRate, p99Ms: ctx.envConfig.alerts.p99 };
      // No target (flags only): no series, an empty answer.
      const series = ctx.target?.series ? await ctx.target.series(seconds).catch(() => null) : null;
      if (series === null) return { seconds, thresholds, releases: [] };
      const releases = await releaseVersions(Object.keys(series));
      return {
        seconds,
        thresholds,
        releases: Object.entries(series).map(([releaseId, s]) => ({
          releaseId,
          version: releases.get(releaseId)?.version ?? releaseId,
          points: s.points.map((p) => ({ t: p.t, rps: p.rps, errorRate: p.errorRate, p99Ms: p.p99Ms })),
        })),
      };
    });
  });

  app.get("/deploys/:id", { config: { permission: "read" } }, async (request): Promise<DeployDetail> => {
    const { id } = parse(idParams, request.params, "path");
    const deploy = await ledger.getDeploy(id);
    const operation = operations.get(id) ?? null;
    if (deploy === null) {
      const failed = operation?.error?.message;
      throw new RouteError("NOT_FOUND", `there is no deploy ${id}`, {
        hint:
          failed !== undefined
            ? `Its operation failed before it was recorded: ${failed}`
            : "GET /api/environments/:env/history lists the deploys.",
        cliHint:
          failed !== undefined
            ? `Its operation failed before it was recorded: ${failed}`
            : "See an environment's deploys with `shipgate history <environment>`.",
      });
    }
    requirePermission(request, "read", deploy.environment);
    const { countApprovals } = await import("../deploy/service.js");
    const envConfig = config().environments[deploy.environment];
    const settings = envConfig?.approval ?? { required: 0, expiresAfter: 3_600_000 };
    const approvals = await ledger.listApprovals(id);
    const releases = await releaseVersions([deploy.releaseId, deploy.previousReleaseId]);
    const version = (rid: string) => ({ id: rid, version: releases.get(rid)?.version ?? rid });
    const count = countApprovals(deploy, approvals, settings, now());
    return {
      deploy: deploy as Deploy & { plan: PlanStep[] }, // the ledger keeps planDeploy's plan as JSON
      release: version(deploy.releaseId),
      previous: deploy.previousReleaseId ? version(deploy.previousReleaseId) : null,
      notes: (deploy.notes as PlanNote[]).map((note) => describeNote(note, (rid) => version(rid).version)),
      steps: await ledger.listSteps(id),
      approvals: {
        required: deploy.kind === "deploy" ? settings.required : 0,
        valid: count.valid,
        approvers: count.approvers,
        expiresAt: count.expiresAt,
        expiresAfterMs: settings.expiresAfter,
        entries: approvals,
      },
      analyses: await ledger.listAnalyses(id),
      operation: operation && operation.state !== "done" ? operation : null,
    };
  });

  app.post("/environments/:env/deploys", { config: { permission: "deploy" } }, async (request, reply) => {
    const { env } = parse(envParams, request.params, "path");
    const body = parse(deployBody, request.body, "body");
    const { deploy, newDeployId } = await import("../deploy/service.js");
    const deployId = newDeployId(now());
    let unchanged = false;
    await startOperation(request, env, "deploy", deployId, async (ctx) => {
      const result = await deploy(ctx, {
        version: body.version,
        deployId,
        ...(body.strategy ? { strategy: body.strategy } : {}),
        ...(body.reason ? { reason: body.reason } : {}),
      });
      unchanged = result.outcome === "unchanged";
    });
    if (unchanged) {
      return reply.code(200).send({ deployId: null, outcome: "unchanged" });
    }
    return reply.code(202).send({ deployId });
  });

  app.post("/environments/:env/rollback", { config: { permission: "deploy" } }, async (request, reply) => {
    const { env } = parse(envParams, request.params, "path");
    const body = parse(rollbackBody, request.body, "body");
    const { rollback, newDeployId } = await import("../deploy/service.js");
    const active = await ledger.activeDeploy(env);
    // Rolling back during a canary aborts it: follow that deploy then.
    const deployId = active && active.status !== "awaiting_approval" ? active.id : newDeployId(now());
    let unchanged = false;
    await startOperation(request, env, "rollback", deployId, async (ctx) => {
      const result = await rollback(ctx, {
        deployId,
        ...(body.to ? { to: body.to } : {}),
        ...(body.reason ? { reason: body.reason } : {}),
        ...(body.force ? { force: true } : {}),
      });
      unchanged = result.outcome === "unchanged";
    });
    // --to the release that already serves: nothing ran, nothing was recorded.
    if (unchanged) return reply.code(200).send({ deployId: null, outcome: "unchanged" });
    return reply.code(202).send({ deployId });
  });

  /** The environment's active deploy in one of `statuses`, else CONFLICT naming what there is. */
  async function activeIn(env: string, verb: string, statuses: Deploy["status"][]): Promise<Deploy> {
    knownEnvironment(env);
    const active = await ledger.activeDeploy(env);
    if (!active || !statuses.includes(active.status)) {
      throw new RouteError(
        "CONFLICT",
        active
          ? `deploy ${active.id} is ${active.status}: nothing to ${verb}`
          : `no deploy to ${verb} in ${env}`,
        {
          hint: `GET /api/environments/${env} shows what runs.`,
          cliHint: `See what runs with \`shipgate status ${env}\`.`,
        },
      );
    }
    return active;
  }

  app.post("/environments/:env/promote", { config: { permission: "deploy" } }, async (request, reply) => {
    const { env } = parse(envParams, request.params, "path");
    parse(reasonBody, request.body, "body");
    const active = await activeIn(env, "promote", ["paused"]);
    const { promote } = await import("../deploy/service.js");
    await startOperation(request, env, "promote", active.id, (ctx) => promote(ctx), "started");
    return reply.code(202).send({ deployId: active.id });
  });

  app.post("/environments/:env/abort", { config: { permission: "deploy" } }, async (request, reply) => {
    const { env } = parse(envParams, request.params, "path");
    const { reason } = parse(reasonBody, request.body, "body");
    const active = await activeIn(env, "abort", ["paused", "awaiting_approval", "running"]);
    const { abort } = await import("../deploy/service.js");
    await startOperation(request, env, "abort", active.id, (ctx) => abort(ctx, reason), "started");
    return reply.code(202).send({ deployId: active.id });
  });

  async function decide(request: FastifyRequest, decision: "approved" | "rejected") {
    const { id } = parse(idParams, request.params, "path");
    const { comment } = parse(commentBody, request.body, "body");
    const deploy = await ledger.getDeploy(id);
    if (deploy === null) {
      throw new RouteError("NOT_FOUND", `there is no deploy ${id}`, {
        hint: "GET /api/environments/:env shows the deploy awaiting approval.",
        cliHint: "See what is waiting with `shipgate status <environment>`.",
      });
    }
    requirePermission(request, "approve", deploy.environment);
    refuseBusy(deploy.environment);
    const { decideApproval, runApproved } = await import("../deploy/service.js");
    const decided = await withContext(request, deploy.environment, (ctx) =>
      decideApproval(ctx, { deployId: id, decision, ...(comment ? { comment } : {}) }),
    );
    if (!decided.complete) return { code: 200, body: decided.result };
    await startOperation(
      request,
      deploy.environment,
      "approve",
      id,
      (ctx) => runApproved(ctx, decided.deploy),
      "started",
    );
    return { code: 202, body: { ...decided.result, status: "running" } };
  }

  app.post("/deploys/:id/approve", { config: { permission: "approve" } }, async (request, reply) => {
    const { code, body } = await decide(request, "approved");
    return reply.code(code).send(body);
  });

  app.post("/deploys/:id/reject", { config: { permission: "approve" } }, async (request, reply) => {
    const { code, body } = await decide(request, "rejected");
    return reply.code(code).send(body);
  });
};
