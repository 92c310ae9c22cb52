/**
 * Following a deploy that runs in the team server: after a 202, polls `GET /api/deploys/:id` and
 * prints, on stderr in the wording of src/deploy/render.ts, why the plan differs from its strategy
 * (the deploy's notes), then one line per step as it starts and one as it finishes (a hook, whose
 * line says whether it ran, only as it finishes, as the local deploy does), until the deploy leaves
 * `running`. Then renders the same summary and exit code as the local command, and how to approve a
 * deploy that waits for approval (local or remote).
 */
import { ExitCode, isShipgateError, ShipgateError } from "../core/errors.js";
import type { ExecutorEvent } from "../deploy/executor.js";
import { describeStep, type PlanStep } from "../deploy/plan.js";
import { renderDeployResult, renderEvent } from "../deploy/render.js";
import type { DeployResult } from "../deploy/service.js";
import { type DeployDetail, errorCodeFromWire, type RemoteClient } from "./remote-client.js";

/**
 * An aborted deploy that was a request awaiting approval: nothing ran and no traffic moved. The
 * service records it as "cancelled by <who> before approval[: reason]".
 */
export function cancelledBeforeApproval(error: string | null | undefined): boolean {
  return error?.startsWith("cancelled by ") === true && error.includes(" before approval");
}

export interface FollowOptions {
  client: Pick<RemoteClient, "deployDetail">;
  deployId: string;
  /** Receives one line at a time (without the newline); the CLI writes them to stderr. */
  write: (line: string) => void;
  /** Tests: no real waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** Between polls; default 500 ms. */
  intervalMs?: number;
  /**
   * Whether an answer still shows the state from before the request (e.g. the paused canary that
   * promote was asked to continue, before the server picked it up): keep polling, at most
   * `maxStalePolls` times (default 20), then take it as the answer.
   */
  stale?: (detail: DeployDetail) => boolean;
  maxStalePolls?: number;
  /** Polls answered 404 (the server has not recorded the deploy yet) before giving up; default 10. */
  maxMissingPolls?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tracks what was printed already, so that each poll prints only what is new. */
class StepPrinter {
  private readonly started = new Set<number>();
  private readonly finished = new Set<number>();
  private readonly analyses = new Set<string>();
  private pausedAt: number | null = null;
  private restoring = false;
  private toldNotes = false;

  constructor(private readonly write: (line: string) => void) {}

  print(detail: DeployDetail): void {
    const versions = new Map<string, string>([[detail.release.id, detail.release.version]]);
    if (detail.previous) versions.set(detail.previous.id, detail.previous.version);
    const versionOf = (id: string) => versions.get(id) ?? id;
    const plan = detail.deploy.plan as PlanStep[];
    const total = plan.length;
    const line = (event: ExecutorEvent) => {
      const text = renderEvent(event, versionOf);
      if (text) this.write(text);
    };
    if (!this.toldNotes) {
      this.toldNotes = true;
      for (const message of detail.notes) line({ type: "info", message });
    }
    for (const s of [...detail.steps].sort((a, b) => a.index - b.index)) {
      const step = plan[s.index];
      if (!step || this.finished.has(s.index)) continue;
      if (s.status === "running") {
        // A hook's line says whether it ran ("hook pre-deploy: none", renderEvent), which is known
        // only when it ends: like the local deploy, it gets that one line, not the plan's wording first.
        if (!this.started.has(s.index) && step.type !== "hook") {
          this.started.add(s.index);
          this.write(`[${s.index + 1}/${total}] ${describeStep(step, versionOf)} …`);
        }
        continue;
      }
      this.finished.add(s.index);
      if (s.status === "skipped") {
        this.write(`[${s.index + 1}/${total}] ${describeStep(step, versionOf)} … skipped`);
      } else if (s.status === "failed") {
        const error = typeof s.detail.error === "string" ? s.detail.error : (detail.deploy.error ?? "failed");
        // The step's recorded failure detail (e.g. an instance's last output lines and its log file).
        const details = Array.isArray(s.detail.details)
          ? s.detail.details.filter((d): d is string => typeof d === "string")
          : undefined;
        const hint = typeof s.detail.hint === "string" ? s.detail.hint : undefined;
        line({
          type: "step-failed",
          index: s.index,
          total,
          step,
          error,
          ...(details ? { details } : {}),
          ...(hint ? { hint } : {}),
        });
      } else {
        const ms = s.finishedAt ? Math.max(0, Date.parse(s.finishedAt) - Date.parse(s.startedAt)) : 0;
        line({ type: "step-done", index: s.index, total, step, ms, detail: s.detail });
      }
    }
    for (const run of detail.analyses) {
      if (run.verdict === "running" || this.analyses.has(run.id)) continue;
      this.analyses.add(run.id);
      this.write(`      ${run.phase === "watch" ? "watch" : "analysis"}: ${run.verdict} — ${run.summary}`);
    }
    const status = detail.deploy.status;
    if (status === "paused" && this.pausedAt !== detail.deploy.nextStep) {
      this.pausedAt = detail.deploy.nextStep;
      line({ type: "paused", index: detail.deploy.nextStep });
    }
    if ((status === "rolled_back" || status === "failed") && !this.restoring) {
      this.restoring = true;
      line({ type: "restore-start", reason: detail.deploy.error ?? status });
    }
  }
}

/**
 * Polls the deploy until it leaves `running` (and is not stale), printing its steps; returns the
 * last answer. A deploy the server has not recorded yet (404 right after the 202) is polled again.
 */
export async function followDeploy(options: FollowOptions): Promise<DeployDetail> {
  const sleep = options.sleep ?? defaultSleep;
  const interval = options.intervalMs ?? 500;
  const maxStale = options.maxStalePolls ?? 20;
  const printer = new StepPrinter(options.write);
  let stalePolls = 0;
  let missing = 0;
  for (;;) {
    let detail: DeployDetail;
    try {
      detail = await options.client.deployDetail(options.deployId);
    } catch (error) {
      if (isShipgateError(error) && error.code === "NOT_FOUND" && missing < (options.maxMissingPolls ?? 10)) {
        missing += 1;
        await sleep(interval);
        continue;
      }
      throw error;
    }
    const stale = options.stale?.(detail) === true && stalePolls < maxStale;
    const failed = detail.operation?.state === "failed" ? detail.operation.error : null;
    if (failed && (stale || detail.deploy.status === "running")) {
      // The server's background operation ended with an error the ledger does not show: say it.
      printer.print(detail);
      throw new ShipgateError(errorCodeFromWire(failed.code), failed.message, {
        ...(failed.hint ? { hint: failed.hint } : {}),
      });
    }
    if (!stale) printer.print(detail);
    if (detail.deploy.status !== "running" && !stale) return detail;
    if (stale) stalePolls += 1;
    await sleep(interval);
  }
}

/** The commands whose summary a followed deploy ends with. */
export type FollowVerb = "deploy" | "rollback" | "promote" | "abort" | "approve" | "reject";

export interface RemoteOutcome {
  /** The summary for stdout (ends with a newline). */
  text: string;
  /** What `--format json` prints: the local command's result shape. */
  json: unknown;
  exitCode: number;
}

/** How to approve a deploy waiting for approval: the command, and the dashboard when there is a server. */
export function renderAwaitingApproval(input: {
  environment: string;
  deployId: string;
  version: string;
  kind: string;
  actor?: string;
  approvals?: { required: number; valid: number };
  serverUrl?: string;
}): string {
  const count = input.approvals ? `: ${input.approvals.valid} of ${input.approvals.required}` : "";
  const who = input.actor ? `someone other than ${input.actor}` : "someone other than its author";
  const what = input.kind === "rollback" ? "Rollback" : "Deploy";
  const lines = [
    `${what} of ${input.version} to ${input.environment} awaits approval${count} (deploy ${input.deployId}). Nothing has changed yet.`,
    `Approve it (${who}): \`shipgate approve ${input.environment}\`${input.serverUrl ? ` or in the dashboard: ${input.serverUrl}/#/env/${encodeURIComponent(input.environment)}` : ""}`,
    `Reject it: \`shipgate reject ${input.environment}\``,
  ];
  return `${lines.join("\n")}\n`;
}

const failedOutcomes = new Set(["rolled_back", "failed", "aborted"]);

/** The local command's DeployResult, rebuilt from the server's view of the deploy. */
export function deployResultOf(detail: DeployDetail): DeployResult {
  return {
    environment: detail.deploy.environment,
    release: detail.release,
    previous: detail.previous,
    strategy: detail.deploy.strategy,
    plan: (detail.deploy.plan as PlanStep[]).map((step, index) => ({ index, step })),
    dryRun: false,
    outcome: detail.deploy.status as DeployResult["outcome"],
    deployId: detail.deploy.id,
    error: detail.deploy.error,
    recovered: null,
  };
}

function rollbackText(detail: DeployDetail): string {
  const d = detail.deploy;
  const env = d.environment;
  if (d.kind !== "rollback") {
    // Rolling back while a canary was paused aborts it.
    return d.status === "aborted"
      ? `Aborted the deploy in progress; traffic is back on ${detail.previous?.version ?? "the previous release"}.\n`
      : `Deploy ${d.id} ended ${d.status}: ${d.error ?? ""}\n`;
  }
  if (d.status === "succeeded") {
    return `Rolled back ${env} to ${detail.release.version}${detail.previous ? ` from ${detail.previous.version}` : ""}.\n`;
  }
  return `Rollback of ${env} to ${detail.release.version} FAILED: ${d.error}\nSee \`shipgate history ${env}\`.\n`;
}

/** The summary and exit code of the local command, for a deploy followed on the server. */
export function remoteOutcome(verb: FollowVerb, detail: DeployDetail, serverUrl?: string): RemoteOutcome {
  const d = detail.deploy;
  const status = d.status;
  const env = d.environment;
  if (status === "awaiting_approval") {
    return {
      text: renderAwaitingApproval({
        environment: env,
        deployId: d.id,
        version: detail.release.version,
        kind: d.kind,
        actor: d.actor,
        approvals: { required: detail.approvals.required, valid: detail.approvals.valid },
        ...(serverUrl ? { serverUrl } : {}),
      }),
      json: { ...deployResultOf(detail), approvals: detail.approvals },
      exitCode: ExitCode.ok,
    };
  }
  if (verb === "reject") {
    return {
      text: `Rejected deploy ${d.id} of ${detail.release.version} to ${env}; it will not run.\n`,
      json: { environment: env, deployId: d.id, status, decision: "rejected" },
      exitCode: ExitCode.ok,
    };
  }
  if (
    verb === "abort" &&
    status === "aborted" &&
    detail.steps.length === 0 &&
    cancelledBeforeApproval(d.error)
  ) {
    // A request cancelled before approval (the service records "cancelled by <who> before approval"):
    // nothing ran, so no traffic moved.
    return {
      text: `Cancelled deploy ${d.id} of ${detail.release.version} to ${env} before approval; nothing ran, traffic is unchanged.\n`,
      json: { environment: env, deployId: d.id, outcome: status, error: d.error, recovered: null },
      exitCode: ExitCode.ok,
    };
  }
  if (verb === "promote" || verb === "abort") {
    const text: Record<string, string> = {
      succeeded: `Promoted: deploy ${d.id} completed.`,
      paused: `Promoted to the next pause; run \`shipgate promote ${env}\` again to continue.`,
      aborted: `Aborted deploy ${d.id}; traffic is back on the previous release.`,
      rolled_back: `Deploy ${d.id} failed and was rolled back: ${d.error}`,
      failed: `Deploy ${d.id} failed and the previous release could not be restored: ${d.error}`,
    };
    return {
      text: `${text[status] ?? `Deploy ${d.id} is ${status}.`}\n`,
      json: { environment: env, deployId: d.id, outcome: status, error: d.error, recovered: null },
      exitCode: status === "rolled_back" || status === "failed" ? ExitCode.deployRolledBack : ExitCode.ok,
    };
  }
  if (verb === "rollback" || (verb === "approve" && d.kind === "rollback")) {
    return {
      text: rollbackText(detail),
      json: deployResultOf(detail),
      exitCode: status === "succeeded" || status === "aborted" ? ExitCode.ok : ExitCode.deployRolledBack,
    };
  }
  const result = deployResultOf(detail);
  const known = ["succeeded", "paused", "aborted", "rolled_back", "failed"].includes(status);
  return {
    text: known ? renderDeployResult(result) : `Deploy ${d.id} is ${status}.\n`,
    json: result,
    exitCode: failedOutcomes.has(status) ? ExitCode.deployRolledBack : ExitCode.ok,
  };
}

/** A writable stream, as far as this module needs one. */
interface Out {
  write(text: string): unknown;
}

/**
 * Follows a deploy the server runs, then prints the command's summary (or its JSON) on stdout;
 * returns the exit code the local command would set.
 */
export async function followAndReport(input: {
  client: Pick<RemoteClient, "deployDetail" | "baseUrl">;
  verb: FollowVerb;
  deployId: string;
  format: string | undefined;
  stdout: Out;
  stderr: Out;
  stale?: (detail: DeployDetail) => boolean;
  sleep?: (ms: number) => Promise<void>;
}): Promise<number> {
  const detail = await followDeploy({
    client: input.client,
    deployId: input.deployId,
    write: (line) => input.stderr.write(`${line}\n`),
    ...(input.stale ? { stale: input.stale } : {}),
    ...(input.sleep ? { sleep: input.sleep } : {}),
  });
  const outcome = remoteOutcome(input.verb, detail, input.client.baseUrl);
  input.stdout.write(input.format === "json" ? `${JSON.stringify(outcome.json, null, 2)}\n` : outcome.text);
  return outcome.exitCode;
}

/**
 * A predicate for followDeploy's `stale`: the answer still shows the deploy as it was before the
 * request (same id, same non-running status, same next step).
 */
export function unchangedSince(
  before: { id: string; status: string; step: number } | null,
): ((detail: DeployDetail) => boolean) | undefined {
  if (!before || before.status === "running") return undefined;
  return (d) =>
    d.deploy.id === before.id && d.deploy.status === before.status && d.deploy.nextStep === before.step;
}
