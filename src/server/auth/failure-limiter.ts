/**
 * Counts failed authentications per client address in a fixed window and says when an address
 * must wait. Written here rather than taken from @fastify/rate-limit: that plugin counts every
 * request a route receives, and a successful request cannot be taken back from its count, so it
 * cannot limit only failures (a dashboard polling with a valid session must never be limited,
 * while an address guessing tokens must be). Memory is bounded: expired windows are swept, and
 * past `maxAddresses` the oldest window is evicted.
 */

export interface FailureLimiterOptions {
  /** Failures an address may have per window; the next attempt is refused. */
  limit: number;
  /** The window's length in milliseconds (from an address's first failure). */
  windowMs: number;
  /** Most addresses tracked at once (default 10 000); past it the oldest window is evicted. */
  maxAddresses?: number;
}

export type LimiterVerdict = { blocked: false } | { blocked: true; retryAfterSeconds: number };

export interface FailureLimiter {
  /** Records one failed authentication from `address` at `now` (ms since the epoch). */
  recordFailure(address: string, now: number): void;
  /** Whether `address` has used up its failures in the current window, and for how long. */
  check(address: string, now: number): LimiterVerdict;
  /** Addresses tracked now (tests). */
  size(): number;
}

interface Window {
  start: number;
  failures: number;
}

export function createFailureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const { limit, windowMs } = options;
  const maxAddresses = options.maxAddresses ?? 10_000;
  // Insertion order is the order windows started: a window restarts by delete + set.
  const windows = new Map<string, Window>();
  let lastSweep = 0;

  function sweep(now: number): void {
    if (now - lastSweep < windowMs && windows.size < maxAddresses) return;
    lastSweep = now;
    for (const [address, window] of windows) {
      if (now - window.start < windowMs) break; // later windows started later still
      windows.delete(address);
    }
  }

  function current(address: string, now: number): Window | undefined {
    const window = windows.get(address);
    if (window === undefined) return undefined;
    if (now - window.start >= windowMs) {
      windows.delete(address);
      return undefined;
    }
    return window;
  }

  return {
    recordFailure(address, now) {
      sweep(now);
      const window = current(address, now);
      if (window !== undefined) {
        window.failures += 1;
        return;
      }
      while (windows.size >= maxAddresses) {
        const oldest = windows.keys().next();
        if (oldest.done) break;
        windows.delete(oldest.value);
      }
      windows.set(address, { start: now, failures: 1 });
    },
    check(address, now) {
      const window = current(address, now);
      if (window === undefined || window.failures < limit) return { blocked: false };
      return {
        blocked: true,
        retryAfterSeconds: Math.max(1, Math.ceil((window.start + windowMs - now) / 1000)),
      };
    },
    size: () => windows.size,
  };
}
