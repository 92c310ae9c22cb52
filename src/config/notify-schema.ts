/**
 * The notifications part of an environment in shipgate.yaml: a Slack incoming webhook and generic
 * webhooks (signed with HMAC-SHA256, retried). Secret values — the Slack URL, webhook URLs with a
 * token in them, HMAC keys — are never written here: the config names the env variable holding them.
 * The lead's environment schema wires `notificationsSchema` in; src/notify sends the messages.
 */
import { z } from "zod";
import { duration } from "./deploy-schema.js";

/** Every event a notifier can receive, in the order a deploy meets them. */
export const deployEventTypes = [
  "deploy-started",
  "deploy-succeeded",
  "deploy-failed",
  "deploy-rolled-back",
  "approval-requested",
] as const;
export type DeployEventType = (typeof deployEventTypes)[number];

/** The placeholders a Slack `link` template may use. */
export const linkPlaceholders = ["environment", "version", "deployId"] as const;

const envVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name such as SLACK_WEBHOOK_URL");

const eventsField = z
  .array(z.enum(deployEventTypes, { error: `expected one of ${deployEventTypes.join(", ")}` }))
  .min(1)
  .optional()
  .describe(`The events sent to this channel (${deployEventTypes.join(", ")}); default: all.`);

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" });

const slackChannelSchema = z
  .object({
    type: z.literal("slack").describe("A Slack incoming webhook (Block Kit message)."),
    urlEnv: envVarName.describe(
      "The env variable holding the incoming-webhook URL (a secret: it is never written in shipgate.yaml).",
    ),
    events: eventsField,
    link: z
      .string()
      .min(1)
      .refine(
        (t) =>
          [...t.matchAll(/\{(\w+)\}/g)].every((m) =>
            (linkPlaceholders as readonly string[]).includes(m[1] ?? ""),
          ),
        {
          message: `unknown placeholder; use ${linkPlaceholders.map((p) => `{${p}}`).join(", ")}`,
        },
      )
      .refine((t) => /^https?:\/\//.test(t), {
        message: "expected a URL template starting with http:// or https://",
      })
      .optional()
      .describe(
        "The URL of the message's View button, with {environment}, {version} and {deployId} placeholders; default: the environment's URL when known.",
      ),
    timeout: duration.default(5000).describe("A request not answered within this time fails (one retry)."),
  })
  .strict();

const webhookChannelSchema = z
  .object({
    type: z.literal("webhook").describe("A generic webhook: the deploy event as JSON, signed and retried."),
    name: z
      .string()
      .min(1)
      .optional()
      .describe("Names the channel in the deploy output and the ledger; default: the URL's host."),
    url: httpUrl
      .optional()
      .describe("The receiver's URL when it holds no secret; otherwise use urlEnv. Exactly one of the two."),
    urlEnv: envVarName
      .optional()
      .describe(
        "The env variable holding the receiver's URL (for URLs with a token). Exactly one of url/urlEnv.",
      ),
    secretEnv: envVarName
      .optional()
      .describe(
        "The env variable holding the HMAC-SHA256 key signing each request (x-shipgate-signature); without it requests are unsigned.",
      ),
    events: eventsField,
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe("Retries after a network error, timeout, 5xx or 429 (exponential backoff from 500 ms)."),
    timeout: duration.default(5000).describe("Each attempt not answered within this time fails."),
  })
  .strict()
  .refine((w) => (w.url === undefined) !== (w.urlEnv === undefined), {
    message: "set exactly one of url (a URL without secrets) or urlEnv (the env variable holding the URL)",
    path: ["url"],
  });

export const notificationChannelSchema = z.discriminatedUnion("type", [
  slackChannelSchema,
  webhookChannelSchema,
]);

export const notificationsSchema = z
  .array(notificationChannelSchema)
  .default([])
  .describe(
    "Where deploy events are sent: Slack incoming webhooks and signed generic webhooks. A failing notifier never fails a deploy; the failure is recorded.",
  );

export type NotificationChannelConfig = z.output<typeof notificationChannelSchema>;
export type SlackChannelConfig = z.output<typeof slackChannelSchema>;
export type WebhookChannelConfig = z.output<typeof webhookChannelSchema>;
export type NotificationsConfig = z.output<typeof notificationsSchema>;
