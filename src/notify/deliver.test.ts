import { describe, expect, it } from "vitest";
import { backoffDelay, retryAfterMs } from "./deliver.js";

describe("backoffDelay", () => {
  it("doubles from 500 ms with the upper half jittered", () => {
    expect([0, 1, 2].map((n) => backoffDelay(n, () => 0))).toEqual([250, 500, 1000]);
    expect([0, 1, 2].map((n) => backoffDelay(n, () => 0.999_999))).toEqual([500, 1000, 2000]);
  });
});

describe("retryAfterMs", () => {
  const now = new Date("2025-06-01T12:00:00Z");
  it("reads seconds and HTTP dates, capped at 30 s", () => {
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("3600", now)).toBe(30_000);
    expect(retryAfterMs("Sun, 01 Jun 2025 12:00:10 GMT", now)).toBe(10_000);
    expect(retryAfterMs("Sun, 01 Jun 2025 11:00:00 GMT", now)).toBe(0);
  });
  it("ignores a missing or unreadable value", () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });
});
