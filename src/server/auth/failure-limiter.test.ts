/** The failure limiter: a fixed window per address, refusing once the limit is used, with bounded memory. */
import { describe, expect, it } from "vitest";
import { createFailureLimiter } from "./failure-limiter.js";

describe("createFailureLimiter", () => {
  it("allows `limit` failures, then blocks the address until its window passes", () => {
    const limiter = createFailureLimiter({ limit: 3, windowMs: 60_000 });
    const t0 = 1_000_000;
    for (let i = 0; i < 2; i++) limiter.recordFailure("10.0.0.1", t0 + i);
    expect(limiter.check("10.0.0.1", t0 + 2)).toEqual({ blocked: false });
    limiter.recordFailure("10.0.0.1", t0 + 2);
    expect(limiter.check("10.0.0.1", t0 + 3)).toEqual({ blocked: true, retryAfterSeconds: 60 });
    expect(limiter.check("10.0.0.1", t0 + 30_500)).toEqual({ blocked: true, retryAfterSeconds: 30 });
    expect(limiter.check("10.0.0.2", t0 + 3)).toEqual({ blocked: false }); // other addresses are not affected
    expect(limiter.check("10.0.0.1", t0 + 60_000)).toEqual({ blocked: false });
  });

  it("starts a new window after the old one passes", () => {
    const limiter = createFailureLimiter({ limit: 2, windowMs: 1000 });
    limiter.recordFailure("a", 0);
    limiter.recordFailure("a", 500);
    expect(limiter.check("a", 999).blocked).toBe(true);
    limiter.recordFailure("a", 1000); // the first failure of a new window
    expect(limiter.check("a", 1001).blocked).toBe(false);
  });

  it("keeps memory bounded: sweeps expired windows and evicts the oldest past maxAddresses", () => {
    const limiter = createFailureLimiter({ limit: 1, windowMs: 1000, maxAddresses: 3 });
    for (const address of ["a", "b", "c", "d"]) limiter.recordFailure(address, 0);
    expect(limiter.size()).toBe(3);
    expect(limiter.check("a", 1).blocked).toBe(false); // evicted
    expect(limiter.check("d", 1).blocked).toBe(true);
    limiter.recordFailure("e", 5000); // the others' windows are over
    expect(limiter.size()).toBe(1);
  });
});
