/**
 * Sends a deploy's notifications (the environment's `notifications`: Slack, signed webhooks) and
 * records each channel's outcome in the ledger. A failing notifier never fails the deploy: its
 * failure is recorded and shown as an info line. The notify module loads only when an environment
 * has channels.
 */
import { randomUUID } from "node:crypto";
import type { DeployEventType } from "../config/notify-schema.js";
import { gitCommitsInRange } from "../core/git.js";
import type { Deploy, Release } from "../ledger/types.js";
import { unsealEnv } from "./secrets.js";
import type { DeployContext } from "./service.js";

/** The event type a finished deploy announces (null: nothing to announce, e.g. paused). */
export function outcomeEvent(deploy: Deploy): DeployEventType | null {
  switch (deploy.status) {
    case "succeeded":
      return deploy.kind === "rollback" ? "deploy-rolled-back" : "deploy-succeeded";
    case "rolled_back":
    case "aborted":
      return "deploy-rolled-back";
    case "failed":
      return "deploy-failed";
    default:
      return null;
  }
}

async function changelog(ctx: DeployContext, from: Release | undefined, to: Release | undefined) {
  if (!from?.gitSha || !to?.gitSha || from.gitSha === to.gitSha) return [];
  const commits = await gitCommitsInRange(ctx.configDir, from.gitSha, to.gitSha).catch(() => []);
  return commits.map((c) => ({
    sha: c.sha,
    subject: c.subject,
    author: c.author.replace(/\s*<[^>]*>$/, ""),
  }));
}

export async function notifyDeploy(
  ctx: DeployContext,
  deploy: Deploy,
  type: DeployEventType,
  releases: ReadonlyMap<string, Release>,
): Promise<void> {
  const channels = ctx.envConfig.notifications;
  if (channels.length === 0) return;
  const { createNotifier } = await import("../notify/index.js");
  const release = releases.get(deploy.releaseId);
  const previous = deploy.previousReleaseId ? releases.get(deploy.previousReleaseId) : undefined;
  const redact = [release, previous].flatMap((r) =>
    r?.envSealed ? Object.values(unsealEnv(r.envSealed, ctx.key)).filter((v) => v.length >= 4) : [],
  );
  const notifier = createNotifier(channels, {
    env: ctx.options.env,
    redact,
    now: ctx.now,
    onOutcome: async (_event, outcome) => {
      await ctx.ledger.recordNotification({
        id: randomUUID(),
        deployId: deploy.id,
        environment: ctx.environment,
        event: type,
        channel: outcome.channel,
        ok: outcome.ok,
        attempts: outcome.attempts,
        status: outcome.status,
        error: outcome.error,
        createdAt: ctx.now().toISOString(),
      });
      if (!outcome.ok) {
        ctx.options.onEvent?.({
          type: "info",
          message: `notification ${type} to ${outcome.channel} failed (the deploy goes on): ${outcome.error}`,
        });
      }
    },
  });
  await notifier.notify({
    type,
    environment: ctx.environment,
    deployId: deploy.id,
    kind: deploy.kind,
    version: release?.version ?? deploy.releaseId,
    previousVersion: previous?.version ?? null,
    gitSha: release?.gitSha ?? null,
    actor: deploy.actor,
    reason:
      type === "deploy-started" || type === "deploy-succeeded"
        ? deploy.reason
        : (deploy.error ?? deploy.reason),
    strategy: deploy.strategy,
    changelog: await changelog(ctx, previous, release),
    url: ctx.envConfig.url ?? ctx.target.publicUrl,
    at: ctx.now().toISOString(),
  });
}
