/**
 * Declares the release commands: deploy, rollback, promote, abort, status, history and lock.
 * Each loads on demand, prints one line per step on stderr while it runs, and its summary (or
 * `--format json`) on stdout. A failed deploy exits 3 (traffic was restored), as documented.
 * With `--server URL` (or $SHIPGATE_SERVER) deploy, rollback, promote, abort, status and history
 * run on the team server instead (src/cli/remote-client.ts) and the CLI follows the deploy there.
 */
import { type Command, Option } from "commander";
import { ExitCode, ShipgateError } from "../core/errors.js";
import type { ContextOptions, DeployContext, ReadContext } from "../deploy/service.js";
import { prettyOrJsonOption } from "./output.js";
import type { CliIo } from "./program.js";
import type { RemoteClient } from "./remote-client.js";

type Opts = Record<string, string | boolean | undefined>;

const str = (v: Opts[string]): string | undefined => (typeof v === "string" ? v : undefined);

/** A deploy or rollback that waits for approval (DeployResult.outcome "awaiting_approval"): nothing ran yet. */
const isAwaiting = (outcome: string): boolean => outcome === "awaiting_approval";

/** A --flag duration with the config's syntax ("30s", "5m"); 0 when absent. */
async function parseDuration(value: string | undefined, flag: string): Promise<number> {
  if (value === undefined) return 0;
  // Loaded here, not at start-up: --help and other commands do not need the config schema.
  const { duration } = await import("../config/deploy-schema.js");
  const parsed = duration.safeParse(value);
  if (!parsed.success) {
    throw new ShipgateError("USAGE", `${flag} expects a duration such as 30s or 5m, got "${value}"`, {
      hint: `Example: ${flag} 5m`,
    });
  }
  return parsed.data;
}

/** The team server client when --server / $SHIPGATE_SERVER is set, else null (the local ledger). */
export async function remoteFor(program: Command, io: CliIo): Promise<RemoteClient | null> {
  const server = program.opts<{ server?: string }>().server;
  if (!server && !io.env.SHIPGATE_SERVER?.trim()) return null;
  const { remoteClientFromCli } = await import("./remote-client.js");
  return remoteClientFromCli({ server, env: io.env });
}

/** Options a team server does not take: a usage error naming the way out. */
function refuseRemote(command: string, given: [flag: string, present: boolean][]): void {
  const flags = given.filter(([, present]) => present).map(([flag]) => flag);
  if (flags.length === 0) return;
  throw new ShipgateError(
    "USAGE",
    `${flags.join(", ")} ${flags.length === 1 ? "is" : "are"} not supported with --server (${command} runs on the team server)`,
    {
      hint: `Drop ${flags.join(", ")}, or run \`shipgate ${command}\` without --server (and with SHIPGATE_SERVER unset) against the ledger directly.`,
    },
  );
}

/** The deploy in progress before a request, so that following it ignores the state it is about to leave. */
async function activeBefore(
  client: RemoteClient,
  environment: string,
): Promise<{ id: string; status: string; step: number } | null> {
  const p = (await client.status(environment)).inProgress;
  return p ? { id: p.id, status: p.status, step: p.step } : null;
}

/** Context options on this machine's ledger and target, printing each step as it runs on stderr. */
async function localContextOptions(
  io: CliIo,
  configPath: string | undefined,
  environment: string,
  versionOf: (id: string) => string | undefined,
): Promise<ContextOptions> {
  const { renderEvent } = await import("../deploy/render.js");
  return {
    cwd: io.cwd,
    environment,
    env: io.env,
    ...(configPath ? { configPath } : {}),
    onEvent: (event) => {
      const line = renderEvent(event, (id) => versionOf(id) ?? id);
      if (line) io.stderr.write(`${line}\n`);
    },
  };
}

/**
 * Opens the environment's deploy context on this machine's ledger and target, printing each step as
 * it runs on stderr. An environment without a target is refused (CONFIG_INVALID, with the hint).
 * `agent: "connect"` (--dry-run) never starts the local target's agent.
 */
export async function openLocalContext(
  io: CliIo,
  configPath: string | undefined,
  environment: string,
  agent: "start" | "connect" = "start",
): Promise<DeployContext> {
  const { openContext } = await import("../deploy/service.js");
  let ctx: DeployContext | undefined;
  ctx = await openContext(
    await localContextOptions(io, configPath, environment, (id) => ctx?.versions.get(id)),
    agent,
  );
  return ctx;
}

/**
 * Opens a context to read the environment (status, history, lock status): it never starts the local
 * agent, and an environment without a target (a flags-only setup) opens too, its target null.
 */
export async function openLocalReadContext(
  io: CliIo,
  configPath: string | undefined,
  environment: string,
): Promise<ReadContext> {
  const { openReadContext } = await import("../deploy/service.js");
  let ctx: ReadContext | undefined;
  ctx = await openReadContext(
    await localContextOptions(io, configPath, environment, (id) => ctx?.versions.get(id)),
  );
  return ctx;
}
export function registerDeploy(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const globalOpts = () => program.opts<{ config?: string }>();

  /** stdout/stderr and the format, for followAndReport. */
  const followIo = (opts: Opts) => ({ stdout: io.stdout, stderr: io.stderr, format: str(opts.format) });

  /** The summary of a local deploy or rollback; one waiting for approval says how to approve it. */
  async function renderLocal<R extends { outcome: string; environment: string; deployId: string | null }>(
    ctx: DeployContext,
    result: R & { release: { version: string } },
    render: (result: R) => string,
    kind: "deploy" | "rollback",
  ): Promise<string> {
    if (!isAwaiting(result.outcome)) return render(result);
    const { renderAwaitingApproval } = await import("./remote-follow.js");
    return renderAwaitingApproval({
      environment: result.environment,
      deployId: result.deployId ?? "",
      version: result.release.version,
      kind,
      actor: ctx.actor,
      approvals: { required: ctx.envConfig.approval.required, valid: 0 },
    });
  }

  /** Refuses --server for the commands that work on the local ledger and target only. */
  function refuseServer(): void {
    if (program.opts<{ server?: string }>().server || io.env.SHIPGATE_SERVER?.trim()) {
      throw new ShipgateError(
        "USAGE",
        "this command works on the local ledger and target only, not with --server",
        {
          hint: "Run it without --server (and with SHIPGATE_SERVER unset) on a machine that has the ledger and the target.",
        },
      );
    }
  }

  /**
   * Opens the environment's context with live step lines on stderr (it needs a target); a dry run
   * (`plan`) only reads the target, never starting the local agent.
   */
  async function open(environment: string, plan = false): Promise<DeployContext> {
    refuseServer();
    return openLocalContext(io, globalOpts().config, environment, plan ? "connect" : "start");
  }

  /**
   * Opens a context to read the environment (status, history, lock status): never starts the local
   * target's agent, and opens for an environment without a target too.
   */
  async function openRead(environment: string): Promise<ReadContext> {
    refuseServer();
    return openLocalReadContext(io, globalOpts().config, environment);
  }

  program
    .command("deploy")
    .description(
      "Deploy a version to an environment: rolling, blue-green or canary, with automatic rollback.",
    )
    .argument("<environment>", "environment name from shipgate.yaml, e.g. production")
    .requiredOption("--version <version>", "the version to deploy: a tag such as v2 or a git SHA")
    .addOption(
      new Option("--strategy <name>", "override the environment's strategy once").choices([
        "rolling",
        "blue-green",
        "canary",
      ]),
    )
    .option("--dry-run", "print the plan without changing anything")
    .option("--reason <text>", "why, recorded in the ledger")
    .option("--lock-wait <duration>", "wait this long for another deploy's lock, e.g. 5m")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate deploy local --version v1
  shipgate deploy production --version v2 --strategy canary --reason "new checkout"
  shipgate deploy staging --version v2 --dry-run
  SHIPGATE_TOKEN=… shipgate --server https://shipgate.example.com deploy production --version v2

With --server (or SHIPGATE_SERVER) the deploy runs in the team server and this command follows it;
--dry-run and --lock-wait work locally only. An environment with approval.required waits for
\`shipgate approve <env>\` (someone else) before anything runs.

Exit codes: 0 deployed (or paused until promote, or waiting for approval), 1 refused (LOCKED,
FORBIDDEN by the server), 2 usage/config error (UNAUTHORIZED), 3 the deploy failed and traffic went
back to the previous release (also when its migrations were refused, with nothing applied).`,
    )
    .action(async (environment: string, opts: Opts) => {
      const client = await remoteFor(program, io);
      if (client) {
        refuseRemote("deploy", [
          ["--dry-run", opts.dryRun === true],
          ["--lock-wait", opts.lockWait !== undefined],
        ]);
        const { followAndReport } = await import("./remote-follow.js");
        const { deployId } = await client.deploy(environment, {
          version: str(opts.version) as string,
          ...(str(opts.strategy) ? { strategy: str(opts.strategy) as string } : {}),
          ...(str(opts.reason) ? { reason: str(opts.reason) as string } : {}),
        });
        if (deployId === null) {
          // The release already serves the environment (the local command's "unchanged").
          io.stdout.write(
            opts.format === "json"
              ? `${JSON.stringify({ environment, outcome: "unchanged", deployId: null }, null, 2)}\n`
              : `${str(opts.version)} already serves ${environment}: nothing to deploy.\n`,
          );
          setExit(ExitCode.ok);
          return;
        }
        setExit(await followAndReport({ ...followIo(opts), client, verb: "deploy", deployId }));
        return;
      }
      const [{ deploy }, { renderDeployResult }] = await Promise.all([
        import("../deploy/service.js"),
        import("../deploy/render.js"),
      ]);
      const ctx = await open(environment, opts.dryRun === true);
      try {
        const result = await deploy(ctx, {
          version: str(opts.version) as string,
          ...(str(opts.strategy) ? { strategy: str(opts.strategy) as "rolling" } : {}),
          dryRun: opts.dryRun === true,
          ...(str(opts.reason) ? { reason: str(opts.reason) as string } : {}),
          lockWaitMs: await parseDuration(str(opts.lockWait), "--lock-wait"),
        });
        io.stdout.write(
          opts.format === "json"
            ? `${JSON.stringify(result, null, 2)}\n`
            : await renderLocal(ctx, result, renderDeployResult, "deploy"),
        );
        setExit(
          result.outcome === "rolled_back" || result.outcome === "failed" || result.outcome === "aborted"
            ? ExitCode.deployRolledBack
            : ExitCode.ok,
        );
      } finally {
        await ctx.close();
      }
    });

  program
    .command("rollback")
    .description(
      "Put traffic back on the previous (or given) release with its config; instant when it is still warm.",
    )
    .argument("<environment>", "environment name")
    .option(
      "--to <version>",
      "the version (or release id) to go back to (default: the one before the current)",
    )
    .option("--force", "skip smoke tests (emergencies)")
    .option(
      "--schema",
      "also run the down migrations of what deploys here applied that the target does not ship (shown first)",
    )
    .option("--dry-run", "print the plan without changing anything")
    .option("--reason <text>", "why, recorded in the ledger")
    .option("--lock-wait <duration>", "wait this long for another deploy's lock")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate rollback production
  shipgate rollback production --to v1 --reason "checkout errors"
  shipgate rollback production --force
  shipgate rollback production --schema --dry-run   # show the down migrations it would run
  shipgate rollback production --to v1 --schema     # v1 already serves: only run the downs
  SHIPGATE_TOKEN=… shipgate --server https://shipgate.example.com rollback production --to v1

With --server the rollback runs in the team server (--to, --force and --reason are passed on;
--schema, --dry-run and --lock-wait work locally only).

--to the release that already serves does nothing (exit 0), unless --schema has down migrations to
run: then only those run. A rollback goes back only to a release that served the environment.

Exit codes: 0 rolled back (or nothing to do, or waiting for approval), 1 LOCKED or FORBIDDEN, 2 usage
(e.g. no earlier release, or --to a release that never served), 3 the rollback failed.`,
    )
    .action(async (environment: string, opts: Opts) => {
      const client = await remoteFor(program, io);
      if (client) {
        refuseRemote("rollback", [
          ["--schema", opts.schema === true],
          ["--dry-run", opts.dryRun === true],
          ["--lock-wait", opts.lockWait !== undefined],
        ]);
        const { followAndReport, unchangedSince } = await import("./remote-follow.js");
        const before = await activeBefore(client, environment);
        const { deployId } = await client.rollback(environment, {
          ...(str(opts.to) ? { to: str(opts.to) as string } : {}),
          ...(str(opts.reason) ? { reason: str(opts.reason) as string } : {}),
          ...(opts.force === true ? { force: true } : {}),
        });
        if (deployId === null) {
          io.stdout.write(
            opts.format === "json"
              ? `${JSON.stringify({ environment, outcome: "unchanged", deployId: null }, null, 2)}\n`
              : `${str(opts.to)} already serves ${environment}: nothing to roll back.\n`,
          );
          setExit(ExitCode.ok);
          return;
        }
        const stale = unchangedSince(before);
        setExit(
          await followAndReport({
            ...followIo(opts),
            client,
            verb: "rollback",
            deployId,
            ...(stale ? { stale } : {}),
          }),
        );
        return;
      }
      const [{ rollback }, { renderRollbackResult }] = await Promise.all([
        import("../deploy/service.js"),
        import("../deploy/render.js"),
      ]);
      const ctx = await open(environment, opts.dryRun === true);
      try {
        const result = await rollback(ctx, {
          ...(str(opts.to) ? { to: str(opts.to) as string } : {}),
          force: opts.force === true,
          schema: opts.schema === true,
          dryRun: opts.dryRun === true,
          ...(str(opts.reason) ? { reason: str(opts.reason) as string } : {}),
          lockWaitMs: await parseDuration(str(opts.lockWait), "--lock-wait"),
        });
        io.stdout.write(
          opts.format === "json"
            ? `${JSON.stringify(result, null, 2)}\n`
            : await renderLocal(ctx, result, renderRollbackResult, "rollback"),
        );
        setExit(
          result.outcome === "succeeded" ||
            result.outcome === "planned" ||
            result.outcome === "unchanged" ||
            result.outcome === "aborted" ||
            isAwaiting(result.outcome)
            ? ExitCode.ok
            : ExitCode.deployRolledBack,
        );
      } finally {
        await ctx.close();
      }
    });

  for (const verb of ["promote", "abort"] as const) {
    program
      .command(verb)
      .description(
        verb === "promote"
          ? "Continue a paused canary to its next pause, or to 100%."
          : "Stop the deploy in progress and put traffic back on the previous release.",
      )
      .argument("<environment>", "environment name")
      .option("--reason <text>", "why, recorded in the ledger")
      .addOption(prettyOrJsonOption())
      .addHelpText("after", `\nExample:\n  shipgate ${verb} production\n`)
      .action(async (environment: string, opts: Opts) => {
        const client = await remoteFor(program, io);
        if (client) {
          const { followAndReport, unchangedSince } = await import("./remote-follow.js");
          const before = await activeBefore(client, environment);
          const { deployId } =
            verb === "promote"
              ? await client.promote(environment)
              : await client.abort(
                  environment,
                  str(opts.reason) ? { reason: str(opts.reason) as string } : {},
                );
          const stale = unchangedSince(before);
          setExit(
            await followAndReport({ ...followIo(opts), client, verb, deployId, ...(stale ? { stale } : {}) }),
          );
          return;
        }
        const [service, { cancelledBeforeApproval }] = await Promise.all([
          import("../deploy/service.js"),
          import("./remote-follow.js"),
        ]);
        const ctx = await open(environment);
        try {
          const result =
            verb === "promote" ? await service.promote(ctx) : await service.abort(ctx, str(opts.reason));
          if (opts.format === "json") io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          else {
            const text: Record<string, string> = {
              succeeded: `Promoted: deploy ${result.deployId} completed.`,
              paused: `Promoted to the next pause; run \`shipgate promote ${environment}\` again to continue.`,
              aborted: cancelledBeforeApproval(result.error)
                ? `Cancelled deploy ${result.deployId} to ${environment} before approval; nothing ran, traffic is unchanged.`
                : `Aborted deploy ${result.deployId}; traffic is back on the previous release.`,
              rolled_back: `Deploy ${result.deployId} failed and was rolled back: ${result.error}`,
              failed: `Deploy ${result.deployId} failed and the previous release could not be restored: ${result.error}`,
            };
            io.stdout.write(`${text[result.outcome]}\n`);
          }
          setExit(
            result.outcome === "succeeded" || result.outcome === "paused" || result.outcome === "aborted"
              ? ExitCode.ok
              : ExitCode.deployRolledBack,
          );
        } finally {
          await ctx.close();
        }
      });
  }

  program
    .command("status")
    .description(
      "Which version runs in an environment, its traffic split, instances, and commits not yet deployed.",
    )
    .argument("<environment>", "environment name")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      "\nExamples:\n  shipgate status production\n  shipgate status local --format json\n",
    )
    .action(async (environment: string, opts: Opts) => {
      const [{ status }, { renderStatus }] = await Promise.all([
        import("../deploy/service.js"),
        import("../deploy/render.js"),
      ]);
      const client = await remoteFor(program, io);
      if (client) {
        const result = await client.status(environment);
        io.stdout.write(
          opts.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderStatus(result),
        );
        setExit(ExitCode.ok);
        return;
      }
      const ctx = await openRead(environment);
      try {
        const result = await status(ctx);
        io.stdout.write(
          opts.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderStatus(result),
        );
        setExit(ExitCode.ok);
      } finally {
        await ctx.close();
      }
    });

  program
    .command("history")
    .description("Past deploys and rollbacks of an environment, newest first, with who, why and the outcome.")
    .argument("<environment>", "environment name")
    .option("--limit <n>", "how many", "20")
    .addOption(prettyOrJsonOption())
    .addHelpText("after", "\nExample:\n  shipgate history production --limit 50\n")
    .action(async (environment: string, opts: Opts) => {
      const [{ history }, { renderHistory }] = await Promise.all([
        import("../deploy/service.js"),
        import("../deploy/render.js"),
      ]);
      const limit = Number(str(opts.limit));
      if (!Number.isInteger(limit) || limit < 1) {
        throw new ShipgateError("USAGE", `--limit expects a positive integer, got "${str(opts.limit)}"`);
      }
      const client = await remoteFor(program, io);
      if (client) {
        const entries = await client.history(environment, limit);
        io.stdout.write(
          opts.format === "json"
            ? `${JSON.stringify(entries, null, 2)}\n`
            : renderHistory(environment, entries),
        );
        setExit(ExitCode.ok);
        return;
      }
      const ctx = await openRead(environment);
      try {
        const entries = await history(ctx, limit);
        io.stdout.write(
          opts.format === "json"
            ? `${JSON.stringify(entries, null, 2)}\n`
            : renderHistory(environment, entries),
        );
        setExit(ExitCode.ok);
      } finally {
        await ctx.close();
      }
    });

  program
    .command("down")
    .description("Stop the local target's agent and every instance of an environment (drained first).")
    .argument("<environment>", "environment name (its target must be type: local)")
    .addHelpText("after", "\nExample:\n  shipgate down local\n")
    .action(async (environment: string) => {
      const { down } = await import("../deploy/service.js");
      const ctx = await open(environment);
      try {
        const result = await down(ctx);
        io.stdout.write(
          result.stopped
            ? `${environment}: stopped the agent and its instances\n`
            : `${environment}: was not running\n`,
        );
        setExit(ExitCode.ok);
      } finally {
        await ctx.close();
      }
    });

  const lock = program.command("lock").description("The per-environment deploy lock.");
  lock
    .command("status")
    .description("Who holds an environment's deploy lock, since when.")
    .argument("<environment>", "environment name")
    .addHelpText("after", "\nExample:\n  shipgate lock status production\n")
    .action(async (environment: string) => {
      const ctx = await openRead(environment);
      try {
        const held = await ctx.ledger.getLock(environment);
        io.stdout.write(
          held
            ? `${environment}: held by ${held.holder}${held.pid !== null ? ` (pid ${held.pid} on ${held.hostname})` : ""} since ${held.acquiredAt}, last seen ${held.heartbeatAt}\n`
            : `${environment}: free\n`,
        );
        setExit(ExitCode.ok);
      } finally {
        await ctx.close();
      }
    });
  lock
    .command("release")
    .description(
      "Remove an environment's deploy lock whoever holds it (after the holder died on another machine).",
    )
    .argument("<environment>", "environment name")
    .requiredOption("--force", "required: confirms the holder is gone")
    .addHelpText("after", "\nExample:\n  shipgate lock release production --force\n")
    .action(async (environment: string) => {
      const [ctx, { releaseLockByForce }] = await Promise.all([
        open(environment),
        import("../deploy/service.js"),
      ]);
      try {
        const removed = await releaseLockByForce(ctx);
        io.stdout.write(
          removed
            ? `${environment}: released the lock held by ${removed.holder}\n`
            : `${environment}: was free\n`,
        );
        setExit(ExitCode.ok);
      } finally {
        await ctx.close();
      }
    });
}
