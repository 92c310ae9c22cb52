import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "./webhook-signature.js";

const key = "k3y-for-tests";
const body = '{"event":"deploy-started"}';
const at = new Date("2025-06-01T12:00:00Z");
const ts = at.getTime() / 1000;
const now = () => at;

describe("signWebhook", () => {
  it("is sha256= and the hex HMAC-SHA256 of timestamp, a dot and the body", () => {
    const hex = createHmac("sha256", key).update(`${ts}.${body}`).digest("hex");
    expect(signWebhook(key, ts, body)).toBe(`sha256=${hex}`);
    expect(signWebhook(key, String(ts), Buffer.from(body))).toBe(`sha256=${hex}`);
  });
});

describe("verifyWebhookSignature", () => {
  const headers = { "x-shipgate-timestamp": String(ts), "x-shipgate-signature": signWebhook(key, ts, body) };

  it("accepts a valid signature from node:http headers or a Headers object", () => {
    expect(verifyWebhookSignature(key, headers, body, { now })).toBe(true);
    expect(verifyWebhookSignature(key, new Headers(headers), Buffer.from(body), { now })).toBe(true);
  });

  it("rejects a wrong key, a changed body, a bad or missing header", () => {
    expect(verifyWebhookSignature("other", headers, body, { now })).toBe(false);
    expect(verifyWebhookSignature(key, headers, `${body} `, { now })).toBe(false);
    expect(
      verifyWebhookSignature(key, { ...headers, "x-shipgate-signature": "sha256=00" }, body, { now }),
    ).toBe(false);
    expect(verifyWebhookSignature(key, { "x-shipgate-timestamp": String(ts) }, body, { now })).toBe(false);
    expect(verifyWebhookSignature(key, { ...headers, "x-shipgate-timestamp": "soon" }, body, { now })).toBe(
      false,
    );
  });

  it("rejects a timestamp outside the tolerance (replays)", () => {
    const later = () => new Date(at.getTime() + 301_000);
    expect(verifyWebhookSignature(key, headers, body, { now: later })).toBe(false);
    expect(verifyWebhookSignature(key, headers, body, { now: later, toleranceSeconds: 600 })).toBe(true);
  });
});
