/**
 * createNotifier wires the configured channels (Slack incoming webhooks, generic webhooks) to a
 * transport (fetch), a clock and a sleep, and returns a Notifier whose notify(event) sends the event
 * to every subscribed channel at once. It never throws or rejects: a failing notifier never fails a
 * deploy; each channel's outcome is returned and handed to onOutcome for the ledger. Secrets — URLs
 * read from env variables, HMAC keys and the caller's `redact` values — are scrubbed from every
 * payload string and every error as "***".
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import { fetch as undiciFetch } from "undici";
import type { NotificationChannelConfig, NotificationsConfig } from "../config/notify-schema.js";
import { type DeliveryPorts, type DeliveryResult, deliver, type FetchPort } from "./deliver.js";
import type { DeployEvent, NotificationOutcome } from "./deploy-event.js";
import { createScrubber, type Scrub, scrubDeep, secretPartsOfUrl } from "./redact.js";
import { buildSlackMessage, renderLink } from "./slack-message.js";
import { buildWebhookPayload, webhookHeaders } from "./webhook-request.js";

export interface NotifierOptions {
  /** Where urlEnv/secretEnv are read, normally process.env. */
  env: Record<string, string | undefined>;
  /** Default: undici's fetch. */
  fetch?: FetchPort;
  /** Waits between retries; default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** The backoff jitter source, a number in [0, 1); default Math.random. */
  random?: () => number;
  /** Secret values that must never be sent (e.g. the release's env values); values under 4 characters are ignored. */
  redact?: readonly string[];
  /** Called with each channel's outcome (e.g. to record it in the ledger); its failures are ignored. */
  onOutcome?: (event: DeployEvent, outcome: NotificationOutcome) => void | Promise<void>;
}

export interface Notifier {
  /** The channel names outcomes use, in config order. */
  readonly channels: readonly string[];
  /** Sends the event to every channel subscribed to its type; never rejects. */
  notify(event: DeployEvent): Promise<NotificationOutcome[]>;
}

/** Slack gets one retry (network errors, timeouts, 5xx, 429). */
export const slackRetries = 1;

interface Channel {
  name: string;
  config: NotificationChannelConfig;
}

type Target = { url: string; key: string | undefined } | { error: string };

function envValue(env: NotifierOptions["env"], name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

function hostOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return new URL(value).host || undefined;
  } catch {
    return undefined;
  }
}

function baseName(config: NotificationChannelConfig, env: NotifierOptions["env"]): string {
  if (config.type === "slack") return "slack";
  const host = hostOf(config.url) ?? hostOf(config.urlEnv ? envValue(env, config.urlEnv) : undefined);
  return `webhook:${config.name ?? host ?? config.urlEnv ?? "unnamed"}`;
}

function channelNames(configs: NotificationsConfig, env: NotifierOptions["env"]): Channel[] {
  const seen = new Map<string, number>();
  return configs.map((config) => {
    const base = baseName(config, env);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return { name: count === 1 ? base : `${base}#${count}`, config };
  });
}

function missingVariable(variable: string, what: string): string {
  return `$${variable} is not set: set it to ${what} in the environment shipgate runs in (e.g. a CI secret), or remove this channel from notifications in shipgate.yaml`;
}

/** The URL and HMAC key of a channel, read from the env, or why they cannot be. */
function resolveTarget(config: NotificationChannelConfig, env: NotifierOptions["env"]): Target {
  const what = config.type === "slack" ? "the Slack incoming-webhook URL" : "the webhook URL";
  let url: string | undefined;
  if (config.type === "webhook" && config.url !== undefined) url = config.url;
  else {
    const variable = config.urlEnv;
    if (variable === undefined) return { error: "no url or urlEnv configured; set one in shipgate.yaml" };
    url = envValue(env, variable);
    if (url === undefined) return { error: missingVariable(variable, what) };
    if (!isHttpUrl(url)) {
      return { error: `$${variable} does not hold an http:// or https:// URL: set it to ${what}` };
    }
  }
  let key: string | undefined;
  if (config.type === "webhook" && config.secretEnv !== undefined) {
    key = envValue(env, config.secretEnv);
    if (key === undefined)
      return { error: missingVariable(config.secretEnv, "the webhook's HMAC signing key") };
  }
  return { url, key };
}

/** Every secret value the channels read from the env, and the caller's. */
function secretValues(channels: readonly Channel[], options: NotifierOptions): string[] {
  const secrets = [...(options.redact ?? [])];
  for (const { config } of channels) {
    if (config.type === "webhook" && config.url !== undefined) {
      // Not a secret, but errors never name the URL or its query string either.
      const url = new URL(config.url);
      secrets.push(config.url, url.href);
      if (url.search.length > 1) secrets.push(url.search);
    }
    if (config.urlEnv !== undefined) {
      const url = envValue(options.env, config.urlEnv);
      const raw = options.env[config.urlEnv];
      if (url !== undefined) secrets.push(...secretPartsOfUrl(url));
      if (raw !== undefined) secrets.push(raw);
    }
    if (config.type === "webhook" && config.secretEnv !== undefined) {
      const key = options.env[config.secretEnv];
      if (key !== undefined) secrets.push(key, key.trim());
    }
  }
  return secrets;
}

function subscribed(config: NotificationChannelConfig, event: DeployEvent): boolean {
  return config.events === undefined || config.events.includes(event.type);
}

async function send(
  channel: Channel,
  event: DeployEvent,
  env: NotifierOptions["env"],
  ports: DeliveryPorts,
  scrub: Scrub,
): Promise<DeliveryResult> {
  const target = resolveTarget(channel.config, env);
  if ("error" in target) return { ok: false, attempts: 0, status: null, error: target.error };
  const clean = scrubDeep(event, scrub);
  const { config } = channel;

  if (config.type === "slack") {
    const message = scrubDeep(buildSlackMessage(clean, renderLink(config.link, clean)), scrub);
    const body = JSON.stringify(message);
    return deliver({ retries: slackRetries, timeoutMs: config.timeout }, ports, () => ({
      url: target.url,
      headers: { "content-type": "application/json" },
      body,
    }));
  }

  const body = JSON.stringify(scrubDeep(buildWebhookPayload(clean), scrub));
  const deliveryId = randomUUID();
  return deliver({ retries: config.retries, timeoutMs: config.timeout }, ports, () => ({
    url: target.url,
    headers: webhookHeaders({
      type: event.type,
      deliveryId,
      timestamp: Math.floor(ports.now().getTime() / 1000),
      body,
      key: target.key,
    }),
    body,
  }));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createNotifier(configs: NotificationsConfig, options: NotifierOptions): Notifier {
  const channels = channelNames(configs, options.env);
  const ports: DeliveryPorts = {
    fetch: options.fetch ?? undiciFetch,
    sleep: options.sleep ?? ((ms) => sleepFor(ms)),
    now: options.now ?? (() => new Date()),
    random: options.random ?? Math.random,
  };

  async function sendOne(channel: Channel, event: DeployEvent, scrub: Scrub): Promise<NotificationOutcome> {
    let result: DeliveryResult;
    try {
      result = await send(channel, event, options.env, ports, scrub);
    } catch (error) {
      result = { ok: false, attempts: 0, status: null, error: `notification failed: ${errorText(error)}` };
    }
    const outcome: NotificationOutcome = {
      channel: channel.name,
      ok: result.ok,
      attempts: result.attempts,
      status: result.status,
      error: result.error === null ? null : scrub(result.error),
    };
    try {
      await options.onOutcome?.(event, outcome);
    } catch {
      // Recording is the caller's concern; a failing recorder must not fail the deploy either.
    }
    return outcome;
  }

  return {
    channels: channels.map((c) => c.name),
    async notify(event) {
      try {
        const scrub = createScrubber(secretValues(channels, options));
        const targets = channels.filter((c) => subscribed(c.config, event));
        return await Promise.all(targets.map((c) => sendOne(c, event, scrub)));
      } catch {
        // Only a malformed event gets here (e.g. no type); there is nothing to send or record.
        return [];
      }
    },
  };
}
