/**
 * The deploy event every notifier receives. The deploy service builds one at each moment a team
 * cares about (start, success, failure, rollback, approval requested); notifiers only read it.
 */
import type { DeployEventType } from "../config/notify-schema.js";

export { type DeployEventType, deployEventTypes } from "../config/notify-schema.js";

/** One commit of the changelog (git log from the previous release to this one). */
export interface ChangelogEntry {
  sha: string;
  subject: string;
  author: string;
}

export interface DeployEvent {
  type: DeployEventType;
  environment: string;
  deployId: string;
  kind: "deploy" | "rollback";
  version: string;
  previousVersion: string | null;
  gitSha: string | null;
  actor: string;
  /** The deploy's --reason, or for failures the failure/verdict line. */
  reason: string | null;
  strategy: string;
  /** Commits from the previous release to this one (git log), newest first; at most 20 are sent. */
  changelog: ChangelogEntry[];
  /** Where the environment answers (e.g. its public URL); null when unknown. */
  url: string | null;
  /** ISO time. */
  at: string;
}

/** What one channel did with one event; recorded by the caller (onOutcome), never thrown. */
export interface NotificationOutcome {
  /** "slack" or "webhook:<name or host>" (a suffix #2, #3 … tells apart channels of the same name). */
  channel: string;
  ok: boolean;
  /** Requests sent (0 when the channel could not be resolved, e.g. its env variable is missing). */
  attempts: number;
  /** The last HTTP status received, or null (network error, timeout, nothing sent). */
  status: number | null;
  /** Why it failed; never holds the URL, its query string or a secret. */
  error: string | null;
}

/** The most changelog entries a webhook payload carries. */
export const maxChangelogEntries = 20;
