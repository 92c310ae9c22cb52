/**
 * Declares `shipgate approve <env>` and `shipgate reject <env>`: a decision on the deploy (or
 * rollback) waiting for approval there. Locally they record it in the ledger and, when the
 * approval completes the count, run the deploy in this process with its step lines on stderr (like
 * `promote`). With `--server` they call the team server and follow the deploy it starts.
 */
import type { Command } from "commander";
import { ExitCode, isShipgateError, ShipgateError } from "../core/errors.js";
import type { ApprovalResult } from "../deploy/service.js";
import { prettyOrJsonOption } from "./output.js";
import type { CliIo } from "./program.js";
import { openLocalContext, remoteFor } from "./register-deploy.js";
import type { RemoteClient } from "./remote-client.js";

interface ApproveCliOptions {
  deploy?: string;
  comment?: string;
  format?: string;
}

type Decision = "approved" | "rejected";

/** The local summary of a decision, and its exit code. */
export function renderApproval(
  result: ApprovalResult,
  decision: Decision,
): { text: string; exitCode: number } {
  const { environment: env, deployId: id, approvals } = result;
  if (decision === "rejected") {
    return { text: `Rejected deploy ${id} in ${env}; it will not run.\n`, exitCode: ExitCode.ok };
  }
  if (result.outcome === null) {
    const more = Math.max(0, approvals.required - approvals.valid);
    return {
      text:
        result.status === "awaiting_approval"
          ? `Approved deploy ${id} in ${env} (${approvals.valid} of ${approvals.required}); it needs ${more} more approval${more === 1 ? "" : "s"} from other people.\n`
          : `Approved deploy ${id} in ${env}; it is ${result.status}.\n`,
      exitCode: ExitCode.ok,
    };
  }
  const text: Record<NonNullable<ApprovalResult["outcome"]>, string> = {
    succeeded: `Approved: deploy ${id} ran and completed.`,
    paused: `Approved: deploy ${id} paused. Continue with \`shipgate promote ${env}\` or stop with \`shipgate abort ${env}\`.`,
    aborted: `Approved, but deploy ${id} was aborted; traffic is back on the previous release.`,
    rolled_back: `Approved, but deploy ${id} failed and was rolled back: ${result.error}\nSee \`shipgate history ${env}\`.`,
    failed: `Approved, but deploy ${id} failed and the previous release could not be restored: ${result.error}\nSee \`shipgate status ${env}\`.`,
  };
  return {
    text: `${text[result.outcome]}\n`,
    exitCode:
      result.outcome === "succeeded" || result.outcome === "paused" ? ExitCode.ok : ExitCode.deployRolledBack,
  };
}

/** A --deploy id that names no deploy of the environment (the local command's error). */
function noDeployIn(deployId: string, environment: string): ShipgateError {
  return new ShipgateError("NOT_FOUND", `there is no deploy ${deployId} in ${environment}`, {
    hint: `See the environment's deploys with \`shipgate history ${environment}\`.`,
  });
}

/** The deploy a remote decision is about: --deploy, else the environment's deploy awaiting approval. */
async function awaitingDeploy(client: RemoteClient, environment: string, given?: string): Promise<string> {
  if (given) {
    // The server decides on a deploy by id alone: check it is in the environment named, as the local command does.
    const detail = await client.deployDetail(given).catch((error: unknown) => {
      throw isShipgateError(error) && error.code === "NOT_FOUND" ? noDeployIn(given, environment) : error;
    });
    if (detail.deploy.environment !== environment) throw noDeployIn(given, environment);
    return given;
  }
  const inProgress = (await client.status(environment)).inProgress;
  if (inProgress?.status !== "awaiting_approval") {
    throw new ShipgateError(
      "CONFLICT",
      inProgress
        ? `deploy ${inProgress.id} in ${environment} is ${inProgress.status}, not awaiting approval`
        : `no deploy awaits approval in ${environment}`,
      {
        hint: `See what runs with \`shipgate status ${environment}\`; an expired request must be started again with \`shipgate deploy\`.`,
      },
    );
  }
  return inProgress.id;
}

export function registerApprove(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const globalOpts = () => program.opts<{ config?: string }>();

  async function runLocal(environment: string, decision: Decision, opts: ApproveCliOptions): Promise<void> {
    const { approve } = await import("../deploy/service.js");
    const ctx = await openLocalContext(io, globalOpts().config, environment);
    try {
      const result = await approve(ctx, {
        decision,
        ...(opts.deploy ? { deployId: opts.deploy } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
      });
      const rendered = renderApproval(result, decision);
      io.stdout.write(opts.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : rendered.text);
      setExit(rendered.exitCode);
    } finally {
      await ctx.close();
    }
  }

  async function runRemote(
    client: RemoteClient,
    environment: string,
    decision: Decision,
    opts: ApproveCliOptions,
  ): Promise<void> {
    const deployId = await awaitingDeploy(client, environment, opts.deploy);
    const body = opts.comment ? { comment: opts.comment } : {};
    const answer =
      decision === "approved" ? await client.approve(deployId, body) : await client.reject(deployId, body);
    const approvals = answer.approvals ?? { required: 0, valid: 0 };
    const complete = decision === "approved" && approvals.valid >= approvals.required;
    if (!complete) {
      const result: ApprovalResult = {
        environment,
        deployId: answer.deployId,
        status: answer.status as ApprovalResult["status"],
        approvals,
        outcome: null,
        error: null,
      };
      const rendered = renderApproval(result, decision);
      io.stdout.write(opts.format === "json" ? `${JSON.stringify(answer, null, 2)}\n` : rendered.text);
      setExit(rendered.exitCode);
      return;
    }
    // The approval completed the count: the server runs the deploy; follow it like `deploy` does.
    const { followAndReport } = await import("./remote-follow.js");
    io.stderr.write(
      `approved deploy ${answer.deployId} (${approvals.valid} of ${approvals.required}); it runs on ${client.baseUrl}\n`,
    );
    setExit(
      await followAndReport({
        client,
        verb: "approve",
        deployId: answer.deployId,
        format: opts.format,
        stdout: io.stdout,
        stderr: io.stderr,
        // The server may answer before it has moved the deploy out of awaiting_approval.
        stale: (d) => d.deploy.status === "awaiting_approval",
      }),
    );
  }

  for (const decision of ["approved", "rejected"] as const) {
    const verb = decision === "approved" ? "approve" : "reject";
    program
      .command(verb)
      .description(
        decision === "approved"
          ? "Approve the deploy (or rollback) waiting for approval in an environment; the last approval needed starts it."
          : "Reject the deploy (or rollback) waiting for approval in an environment: it ends without running.",
      )
      .argument("<environment>", "environment name, e.g. production")
      .option("--deploy <id>", "the deploy id (default: the environment's deploy awaiting approval)")
      .option("--comment <text>", "why, recorded with the decision and in the audit log")
      .addOption(prettyOrJsonOption())
      .addHelpText(
        "after",
        decision === "approved"
          ? `
Examples:
  shipgate approve production
  shipgate approve production --deploy d-20260501100000-abc123 --comment "checked the migration"
  SHIPGATE_TOKEN=… shipgate --server https://shipgate.example.com approve production

Someone other than the deploy's author must approve (environments.<env>.approval.required of them).
The approval that completes the count starts the deploy: locally in this process (its steps are
printed as they run), with --server in the server (followed until it finishes or pauses).

Exit codes: 0 approved (and the deploy, if it ran, succeeded or paused), 1 FORBIDDEN (your own
deploy, or your role may not approve here) or CONFLICT (nothing awaits approval, already approved,
expired), 2 usage error (e.g. no SHIPGATE_TOKEN with --server), 3 the deploy it started failed and
traffic went back to the previous release.`
          : `
Examples:
  shipgate reject production --comment "not during the sale"
  shipgate reject production --deploy d-20260501100000-abc123
  SHIPGATE_TOKEN=… shipgate --server https://shipgate.example.com reject production

Nothing ran, so nothing is rolled back: the deploy ends as aborted and the author may start it again.

Exit codes: 0 rejected, 1 FORBIDDEN (your own deploy, or your role may not approve here) or
CONFLICT (nothing awaits approval, or it expired), 2 usage error.`,
      )
      .action(async (environment: string, opts: ApproveCliOptions) => {
        const client = await remoteFor(program, io);
        if (client) await runRemote(client, environment, decision, opts);
        else await runLocal(environment, decision, opts);
      });
  }
}
