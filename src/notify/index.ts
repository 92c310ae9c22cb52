/**
 * Deploy notifications: a Slack incoming webhook and signed, retried generic webhooks. The deploy
 * service builds a DeployEvent and calls createNotifier(...).notify(event); receivers verify the
 * webhook signature with verifyWebhookSignature.
 */

export type { NotificationChannelConfig, NotificationsConfig } from "../config/notify-schema.js";
export { createNotifier, type Notifier, type NotifierOptions, slackRetries } from "./create-notifier.js";
export { type FetchPort, maxRetryAfterMs } from "./deliver.js";
export {
  type ChangelogEntry,
  type DeployEvent,
  type DeployEventType,
  deployEventTypes,
  maxChangelogEntries,
  type NotificationOutcome,
} from "./deploy-event.js";
export { buildSlackMessage, type SlackBlock, type SlackMessage, slackLimits } from "./slack-message.js";
export { buildWebhookPayload, type WebhookPayload } from "./webhook-request.js";
export {
  signatureHeader,
  signWebhook,
  timestampHeader,
  type VerifyOptions,
  verifyWebhookSignature,
  type WebhookHeaders,
} from "./webhook-signature.js";
