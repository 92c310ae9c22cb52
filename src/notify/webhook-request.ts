/**
 * The generic webhook's request: the deploy event as JSON ({ "event": type, ...fields }, changelog
 * capped at 20) and the x-shipgate-* headers, signed when a key is given. Pure: the delivery id and
 * timestamp come from the caller so a retry keeps its id and gets a fresh signature.
 */
import { toolVersion } from "../core/version.js";
import { type DeployEvent, type DeployEventType, maxChangelogEntries } from "./deploy-event.js";
import { signatureHeader, signWebhook, timestampHeader } from "./webhook-signature.js";

/** The JSON body a webhook receiver gets: the event's fields, its type as `event`. */
export type WebhookPayload = Omit<DeployEvent, "type"> & { event: DeployEventType };

/** The payload of an event; only the documented fields, so nothing else on the object leaks. */
export function buildWebhookPayload(event: DeployEvent): WebhookPayload {
  return {
    event: event.type,
    environment: event.environment,
    deployId: event.deployId,
    kind: event.kind,
    version: event.version,
    previousVersion: event.previousVersion,
    gitSha: event.gitSha,
    actor: event.actor,
    reason: event.reason,
    strategy: event.strategy,
    changelog: event.changelog
      .slice(0, maxChangelogEntries)
      .map((c) => ({ sha: c.sha, subject: c.subject, author: c.author })),
    url: event.url,
    at: event.at,
  };
}

export const eventHeader = "x-shipgate-event";
export const deliveryHeader = "x-shipgate-delivery";

/** The headers of one attempt. */
export function webhookHeaders(options: {
  type: DeployEventType;
  deliveryId: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
  /** The HMAC key; without it the request is unsigned. */
  key: string | undefined;
}): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": `shipgate/${toolVersion}`,
    [eventHeader]: options.type,
    [deliveryHeader]: options.deliveryId,
    [timestampHeader]: String(options.timestamp),
  };
  if (options.key !== undefined)
    headers[signatureHeader] = signWebhook(options.key, options.timestamp, options.body);
  return headers;
}
