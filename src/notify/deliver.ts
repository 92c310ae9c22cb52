/**
 * One HTTP POST delivered with retries: network errors, timeouts, 5xx and 429 are retried with
 * exponential backoff (500 ms × 2^n, jittered) or the receiver's Retry-After (seconds or an HTTP
 * date, capped at 30 s); any other status is final. Each attempt has its own timeout. The result is
 * data — it never throws — and its error text is built without the URL (callers scrub it too).
 */

/** The part of fetch (undici's or the global one) deliveries use; tests pass a fake. */
export type FetchPort = (
  url: string,
  init: {
    method: "POST";
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    redirect: "manual";
  },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface DeliveryPorts {
  fetch: FetchPort;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  /** A number in [0, 1) for the backoff jitter. */
  random: () => number;
}

export interface DeliveryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs: number;
}

export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  status: number | null;
  error: string | null;
}

export const backoffBaseMs = 500;
export const maxRetryAfterMs = 30_000;
const maxBodyInError = 200;

/** The wait before retry n (0-based): 500 ms × 2^n, the upper half jittered. */
export function backoffDelay(retry: number, random: () => number): number {
  const full = backoffBaseMs * 2 ** retry;
  return Math.round(full / 2 + (random() * full) / 2);
}

/** Retry-After as milliseconds (seconds or an HTTP date), capped at 30 s; undefined when absent or bad. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const text = header.trim();
  let wait: number;
  if (/^\d+$/.test(text)) wait = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    wait = Math.max(0, at - now.getTime());
  }
  return Math.min(wait, maxRetryAfterMs);
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

class AttemptTimeout extends Error {}

function describeNetworkError(error: unknown): string {
  if (error instanceof AttemptTimeout) return error.message;
  const cause = error instanceof Error ? error.cause : undefined;
  const code =
    cause !== null && typeof cause === "object" && "code" in cause && typeof cause.code === "string"
      ? cause.code
      : undefined;
  if (code) return `network error (${code})`;
  const message =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `network error (${message})`;
}

function attemptsText(n: number): string {
  return `${n} attempt${n === 1 ? "" : "s"}`;
}

/**
 * Sends the request built for each attempt (1-based; a signed request gets a fresh timestamp) until
 * it succeeds, fails finally or runs out of retries.
 */
export async function deliver(
  policy: DeliveryPolicy,
  ports: DeliveryPorts,
  build: (attempt: number) => DeliveryRequest,
): Promise<DeliveryResult> {
  const maxAttempts = 1 + Math.max(0, policy.retries);
  let status: number | null = null;
  let error = "";
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const request = build(attempt);
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AttemptTimeout(`timed out after ${policy.timeoutMs} ms`)),
      policy.timeoutMs,
    );
    let wait: number | undefined;
    try {
      const response = await ports.fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
        redirect: "manual",
      });
      status = response.status;
      const body = await response.text().catch(() => "");
      if (status >= 200 && status < 300) return { ok: true, attempts: attempt, status, error: null };
      const snippet = body.trim().slice(0, maxBodyInError);
      error = `HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
      if (status >= 300 && status < 400) error = `HTTP ${status} (redirects are not followed)`;
      if (!isRetryableStatus(status)) {
        return { ok: false, attempts: attempt, status, error: `${error} (not retried)` };
      }
      wait = retryAfterMs(response.headers.get("retry-after"), ports.now());
    } catch (thrown) {
      status = null;
      error = describeNetworkError(controller.signal.aborted ? controller.signal.reason : thrown);
    } finally {
      clearTimeout(timer);
    }
    if (attempt < maxAttempts) await ports.sleep(wait ?? backoffDelay(attempt - 1, ports.random));
    else return { ok: false, attempts: attempt, status, error: `${error} after ${attemptsText(attempt)}` };
  }
  /* v8 ignore next -- the loop always returns */
  return { ok: false, attempts: maxAttempts, status, error };
}
