/**
 * The Node SDK's flags client: local evaluation of the environment's flag set, kept current over
 * server-sent events (GET /api/flags/stream, parsed with eventsource-parser over fetch's streaming
 * body), with a conditional poll of GET /api/flags while the stream is down, reconnects with backoff,
 * a bootstrap flag set and a last-known-good cache file so an application starts and keeps answering
 * while the server is unreachable, and evaluation counts aggregated in memory and posted periodically.
 *
 * States: "not-ready" (no flag set yet) → "ready" (flags loaded, server reachable or not yet asked)
 * ⇄ "stale" (flags loaded, server unreachable: the last known flags keep answering).
 */
import { EventEmitter } from "node:events";
import { createParser } from "eventsource-parser";
import { ShipgateError } from "../../core/errors.js";
import { type Evaluation, evaluateFlag, isFlagEnabled } from "../evaluate.js";
import type { EvaluationContext, FlagConfig, FlagSet } from "../types.js";
import { createEvaluationCounts, type FlagCounter } from "./evaluation-counts.js";
import { readFlagSetFile, readFlagSetFileSync, writeFlagSetFile } from "./flag-set-file.js";
import { parseFlagSet } from "./flag-set-schema.js";

export type FlagsClientStatus = "not-ready" | "ready" | "stale";

export interface FlagsClientOptions {
  /** The shipgate server, e.g. "https://shipgate.internal:4100". */
  url: string;
  /** An SDK token (read-only, one environment). Sent only in the Authorization header. */
  token: string;
  /** A flag set, or a JSON file holding one, evaluated until the server answers. */
  bootstrap?: string | FlagSet;
  /** Last-known-good cache: written after every update, read at start when the server is unreachable. */
  cacheFile?: string;
  /** How often evaluation counts are posted (default 60 000 ms; 0 = never). */
  metricsIntervalMs?: number;
  /** How often GET /api/flags is polled while the stream is down (default 5 000 ms). */
  pollIntervalMs?: number;
  /** First delay before reconnecting the stream; doubles up to 30 s (default 1 000 ms). */
  reconnectDelayMs?: number;
  /** Reconnect when the stream has been silent this long (default 45 000 ms: three keep-alives). */
  streamIdleTimeoutMs?: number;
  /** Never contact the server: evaluate the bootstrap only (tests, benchmarks, local development). */
  offline?: boolean;
  fetch?: typeof fetch;
  /** Errors (connection lost, rejected token, bad payload). Default: a one-line warning on stderr. */
  onError?: (error: Error) => void;
}

export interface FlagVariantResult {
  /** The variant served, or "disabled" when none is (flag off, or no variants). */
  name: string;
  payload?: unknown;
  /** Whether the flag is on for the context. */
  enabled: boolean;
}

export interface FlagsClientEvents {
  /** A new flag set was applied; `changedKeys` lists flags added, removed or changed. */
  change: (flags: FlagSet, changedKeys: string[]) => void;
  /** Flags are loaded and fresh (first load, and every recovery from stale). */
  ready: () => void;
  /** The server became unreachable; the last known flags keep answering. */
  stale: () => void;
  error: (error: Error) => void;
}

export interface FlagsClient {
  /** Synchronous: on or off for the context. An unknown flag is off. */
  isEnabled(key: string, context?: EvaluationContext): boolean;
  /** The variant served to the context ({ name: "disabled" } when none is). */
  getVariant(key: string, context?: EvaluationContext): FlagVariantResult;
  /** The full evaluation (reason, rule, variant); undefined for an unknown flag. */
  evaluate(key: string, context?: EvaluationContext): Evaluation | undefined;
  /** The flag set in use, or null before one is loaded. */
  flags(): FlagSet | null;
  /** Resolves once a flag set is loaded (server, bootstrap or cache); rejects when the token is refused and none is. */
  ready(): Promise<void>;
  readonly status: FlagsClientStatus;
  on<E extends keyof FlagsClientEvents>(event: E, listener: FlagsClientEvents[E]): this;
  off<E extends keyof FlagsClientEvents>(event: E, listener: FlagsClientEvents[E]): this;
  /** Stops the connection and timers, posts the remaining counts, finishes the cache write. */
  close(): Promise<void>;
}

interface Entry {
  flag: FlagConfig;
  counter: FlagCounter;
}

const emptyContext: EvaluationContext = Object.freeze({});
const maxReconnectDelayMs = 30_000;

/** Why a connection attempt ended. */
type StreamEnd = "closed" | "unauthorized" | "failed";

/**
 * A failed fetch's message with its cause: undici says only "fetch failed" and keeps why
 * (ECONNREFUSED, ENOTFOUND, a TLS error) in `cause`.
 */
export function fetchFailureDetail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? error.cause : undefined;
  if (!(cause instanceof Error) || cause.message === "" || message.includes(cause.message)) return message;
  return `${message} (${cause.message})`;
}

function defaultOnError(error: Error): void {
  process.stderr.write(`[shipgate flags] ${error.message}\n`);
}

class ShipgateFlagsClient extends EventEmitter implements FlagsClient {
  status: FlagsClientStatus = "not-ready";

  private readonly baseUrl: string;
  private readonly doFetch: typeof fetch;
  private readonly reportError: (error: Error) => void;
  private readonly counts = createEvaluationCounts();
  private entries = new Map<string, Entry>();
  private current: FlagSet | null = null;
  /** The ETag of the last server response ("r<revision>"). */
  private etag: string | null = null;
  private closed = false;
  private streamConnected = false;
  private streamAbort: AbortController | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private metricsTimer: NodeJS.Timeout | null = null;
  private wakeReconnect: (() => void) | null = null;
  private cacheWrite: Promise<void> = Promise.resolve();
  /** The revision last written to the cache file (null: none this run). */
  private cachedRevision: number | null = null;
  private metricsStart = new Date();
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: Error) => void;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: FlagsClientOptions) {
    super();
    if (!options.offline && options.token.trim() === "") {
      throw new ShipgateError("USAGE", "no SDK token: the flags client was given an empty `token`", {
        hint: "Pass the environment's SDK token (e.g. from $SHIPGATE_SDK_TOKEN; `shipgate tokens create --environment <env> --name <app>` makes one), or set offline: true with a bootstrap.",
      });
    }
    this.baseUrl = options.url.replace(/\/+$/, "");
    this.doFetch = options.fetch ?? fetch;
    this.reportError = options.onError ?? defaultOnError;
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A rejection nobody awaited must not crash the application.
    this.readyPromise.catch(() => undefined);

    const { bootstrap } = options;
    if (bootstrap !== undefined) {
      this.apply(
        typeof bootstrap === "string"
          ? readFlagSetFileSync(bootstrap, "bootstrap file")
          : parseFlagSet(bootstrap, "The bootstrap flag set"),
        "bootstrap",
      );
    }
    if (options.offline) return;
    const interval = options.metricsIntervalMs ?? 60_000;
    if (interval > 0) {
      this.metricsTimer = setInterval(() => void this.postMetrics(), interval);
      this.metricsTimer.unref();
    }
    this.loop = this.run();
  }

  // --- evaluation (synchronous) ---

  isEnabled(key: string, context?: EvaluationContext): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    const on = isFlagEnabled(entry.flag, context ?? emptyContext);
    if (on) entry.counter.on++;
    else entry.counter.off++;
    return on;
  }

  getVariant(key: string, context?: EvaluationContext): FlagVariantResult {
    const result = this.evaluate(key, context);
    if (result === undefined) return { name: "disabled", enabled: false };
    if (result.variant === null) return { name: "disabled", enabled: result.enabled };
    return result.variant.payload === undefined
      ? { name: result.variant.name, enabled: true }
      : { name: result.variant.name, payload: result.variant.payload, enabled: true };
  }

  evaluate(key: string, context?: EvaluationContext): Evaluation | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const result = evaluateFlag(entry.flag, context ?? emptyContext);
    const { counter } = entry;
    if (result.variant !== null && result.enabled) {
      const name = result.variant.name;
      counter.variants.set(name, (counter.variants.get(name) ?? 0) + 1);
    } else if (result.enabled) counter.on++;
    else counter.off++;
    return result;
  }

  flags(): FlagSet | null {
    return this.current;
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  override on<E extends keyof FlagsClientEvents>(event: E, listener: FlagsClientEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof FlagsClientEvents>(event: E, listener: FlagsClientEvents[E]): this {
    return super.off(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.streamAbort?.abort();
    this.stopPolling();
    if (this.metricsTimer !== null) clearInterval(this.metricsTimer);
    this.wakeReconnect?.();
    await this.loop;
    if (!this.options.offline && (this.options.metricsIntervalMs ?? 60_000) > 0) await this.postMetrics();
    await this.cacheWrite;
  }

  // --- state ---

  private apply(flags: FlagSet, source: "server" | "bootstrap" | "cache"): void {
    const previous = this.current;
    const changed = changedKeys(previous, flags);
    if (previous !== null && changed.length === 0 && previous.revision === flags.revision) {
      if (source === "server") {
        // The server confirmed what a bootstrap or cache held: it is the last known good now.
        if (this.cachedRevision !== flags.revision && this.options.cacheFile !== undefined) {
          this.writeCache(flags);
        }
        this.markFresh();
      }
      return;
    }
    const entries = new Map<string, Entry>();
    for (const flag of flags.flags) entries.set(flag.key, { flag, counter: this.counts.counter(flag.key) });
    this.entries = entries;
    this.current = flags;
    if (source === "server" && this.options.cacheFile !== undefined) this.writeCache(flags);
    if (previous === null) {
      // The cache is only read when the server is unreachable: its flags are stale from the start.
      this.status = source === "cache" ? "stale" : "ready";
      this.resolveReady();
      this.emit("ready");
      if (source === "cache") this.emit("stale");
    } else if (changed.length > 0) {
      this.emit("change", flags, changed);
    }
    if (source === "server") this.markFresh();
  }

  private markFresh(): void {
    if (this.status === "ready" || this.current === null) return;
    this.status = "ready";
    this.emit("ready");
  }

  private markStale(): void {
    if (this.current === null || this.status === "stale") return;
    this.status = "stale";
    this.emit("stale");
  }

  private fail(error: Error): void {
    if (this.closed) return;
    try {
      this.reportError(error);
    } catch {
      // A throwing onError must not stop the client.
    }
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  /** Reports the first failure of an outage; repeated reconnect failures while stale stay quiet. */
  private connectionFailed(error: Error): void {
    if (this.status !== "stale" || this.streamConnected) this.fail(error);
  }

  private writeCache(flags: FlagSet): void {
    const path = this.options.cacheFile as string;
    this.cachedRevision = flags.revision;
    this.cacheWrite = this.cacheWrite
      .then(() => writeFlagSetFile(path, flags))
      .catch((error: unknown) => this.fail(error as Error));
  }

  private async loadCache(): Promise<void> {
    const path = this.options.cacheFile;
    if (path === undefined) return;
    try {
      const cached = await readFlagSetFile(path, "flag cache");
      if (cached !== null && (this.current === null || cached.revision > this.current.revision)) {
        this.apply(cached, "cache");
      }
    } catch (error) {
      this.fail(error as Error);
    }
  }

  // --- connection ---

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.options.token}`, ...extra };
  }

  private unauthorized(status: number): ShipgateError {
    return new ShipgateError(
      "CONFIG_INVALID",
      `The flags server at ${this.baseUrl} refused the SDK token (HTTP ${status}): it is unknown, revoked or not an SDK token.`,
      {
        hint: "Create an SDK token for the environment with `shipgate tokens create --environment <env> --name <app>` and pass it as `token`.",
      },
    );
  }

  private unreachable(what: string, detail: string, cause?: unknown): ShipgateError {
    return new ShipgateError("TARGET_FAILED", `The flags server at ${this.baseUrl} ${what}: ${detail}`, {
      hint: "The last known flags keep answering; the client reconnects by itself. Check that `shipgate serve` runs and is reachable.",
      cause,
    });
  }

  private onUnauthorized(status: number): void {
    const error = this.unauthorized(status);
    this.fail(error);
    this.stopPolling();
    if (this.current === null) this.rejectReady(error);
    else this.markStale();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let firstFailure = true;
    while (!this.closed) {
      const end = await this.streamOnce();
      if (this.closed || end === "unauthorized") return;
      if (this.streamConnected) {
        this.streamConnected = false;
        attempt = 0;
      }
      this.markStale();
      if (firstFailure) {
        firstFailure = false;
        await this.loadCache();
        this.markStale();
      }
      this.startPolling();
      const delay = Math.min(maxReconnectDelayMs, (this.options.reconnectDelayMs ?? 1000) * 2 ** attempt);
      attempt++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeReconnect = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeReconnect = null;
    }
  }

  /** One stream connection, until it ends. */
  private async streamOnce(): Promise<StreamEnd> {
    const abort = new AbortController();
    this.streamAbort = abort;
    const idleMs = this.options.streamIdleTimeoutMs ?? 45_000;
    let idleTimer: NodeJS.Timeout | null = null;
    const resetIdle = () => {
      if (idleTimer !== null) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => abort.abort(), idleMs);
      idleTimer.unref();
    };
    try {
      const response = await this.doFetch(`${this.baseUrl}/api/flags/stream`, {
        headers: this.headers({ accept: "text/event-stream" }),
        signal: abort.signal,
      });
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        this.onUnauthorized(response.status);
        return "unauthorized";
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        this.connectionFailed(this.unreachable("refused the stream", `HTTP ${response.status}`));
        return "failed";
      }
      this.streamConnected = true;
      this.stopPolling();
      let applyError: Error | null = null;
      const parser = createParser({
        onEvent: (event) => {
          if (event.event !== "flags") return;
          try {
            this.apply(parseFlagSet(event.data, "A flags event from the server"), "server");
            if (event.id !== undefined) this.etag = `"r${event.id}"`;
          } catch (error) {
            applyError = error as Error;
          }
        },
      });
      const decoder = new TextDecoder();
      resetIdle();
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        resetIdle();
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (applyError !== null) {
          this.fail(applyError);
          applyError = null;
        }
      }
      if (!this.closed) this.connectionFailed(this.unreachable("closed the stream", "connection ended"));
      return this.closed ? "closed" : "failed";
    } catch (error) {
      if (this.closed) return "closed";
      this.connectionFailed(this.unreachable("is unreachable", fetchFailureDetail(error), error));
      return "failed";
    } finally {
      if (idleTimer !== null) clearTimeout(idleTimer);
      this.streamAbort = null;
    }
  }

  private startPolling(): void {
    if (this.pollTimer !== null || this.closed) return;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollIntervalMs ?? 5000);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** GET /api/flags with If-None-Match (while the stream is down). */
  private async poll(): Promise<void> {
    try {
      const response = await this.doFetch(`${this.baseUrl}/api/flags`, {
        headers: this.headers(this.etag === null ? {} : { "if-none-match": this.etag }),
      });
      if (this.closed || this.streamConnected) {
        await response.body?.cancel();
        return;
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        this.wakeReconnect = null;
        this.onUnauthorized(response.status);
        return;
      }
      if (response.status === 304) {
        this.markFresh();
        return;
      }
      if (!response.ok) {
        await response.body?.cancel();
        this.markStale();
        return;
      }
      const flags = parseFlagSet(await response.text(), "The flag set from the server");
      this.etag = response.headers.get("etag");
      this.apply(flags, "server");
    } catch (error) {
      if (error instanceof ShipgateError) this.fail(error);
      this.markStale();
    }
  }

  /** Posts the aggregated counts (one request per interval, none when nothing was evaluated). */
  private async postMetrics(): Promise<void> {
    const counts = this.counts.drain();
    const start = this.metricsStart;
    const end = new Date();
    this.metricsStart = end;
    if (counts.length === 0) return;
    try {
      const response = await this.doFetch(`${this.baseUrl}/api/flags/metrics`, {
        method: "POST",
        headers: this.headers({ "content-type": "application/json" }),
        body: JSON.stringify({ start: start.toISOString(), end: end.toISOString(), counts }),
      });
      await response.body?.cancel();
      if (response.status === 401 || response.status === 403) throw this.unauthorized(response.status);
      if (!response.ok) throw this.unreachable("refused the evaluation counts", `HTTP ${response.status}`);
    } catch (error) {
      // Keep the counts for the next post (they are small: one number per flag/variant/outcome).
      this.counts.restore(counts);
      this.metricsStart = start;
      this.fail(
        error instanceof ShipgateError
          ? error
          : this.unreachable("is unreachable", fetchFailureDetail(error), error),
      );
    }
  }
}

/** Keys of flags added, removed or changed between two flag sets. */
function changedKeys(before: FlagSet | null, after: FlagSet): string[] {
  const old = new Map((before?.flags ?? []).map((f) => [f.key, JSON.stringify(f)]));
  const changed: string[] = [];
  for (const flag of after.flags) {
    if (old.get(flag.key) !== JSON.stringify(flag)) changed.push(flag.key);
    old.delete(flag.key);
  }
  return [...changed, ...old.keys()];
}

/** Creates a flags client; it starts connecting at once (unless offline) and answers from the bootstrap meanwhile. */
export function createFlagsClient(options: FlagsClientOptions): FlagsClient {
  return new ShipgateFlagsClient(options);
}
