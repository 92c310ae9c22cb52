/**
 * The webhook signature scheme, for shipgate and for receivers: x-shipgate-signature is
 * "sha256=" + hex HMAC-SHA256(key, `${timestamp}.${rawBody}`), where timestamp is the
 * x-shipgate-timestamp header (unix seconds). Receivers verify with verifyWebhookSignature: a
 * timing-safe compare, and a timestamp within the tolerance so a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const signatureHeader = "x-shipgate-signature";
export const timestampHeader = "x-shipgate-timestamp";
export const signaturePrefix = "sha256=";

/** The x-shipgate-signature value for a body sent at `timestamp` (unix seconds). */
export function signWebhook(key: string, timestamp: number | string, body: string | Uint8Array): string {
  const hmac = createHmac("sha256", key);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `${signaturePrefix}${hmac.digest("hex")}`;
}

/** Request headers as node:http gives them (lower-case keys) or a fetch Headers object. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, in seconds (default 300). */
  toleranceSeconds?: number;
  now?: () => Date;
}

/**
 * True when the request carries a valid signature of `rawBody` (the bytes received, before any JSON
 * parsing) under `key`, with a timestamp within the tolerance.
 */
export function verifyWebhookSignature(
  key: string,
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  options: VerifyOptions = {},
): boolean {
  const { toleranceSeconds = 300, now = () => new Date() } = options;
  const timestamp = header(headers, timestampHeader);
  const signature = header(headers, signatureHeader);
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  const nowSeconds = Math.floor(now().getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(key, timestamp, rawBody), "utf8");
  const received = Buffer.from(signature.trim(), "utf8");
  return received.length === expected.length && timingSafeEqual(received, expected);
}
