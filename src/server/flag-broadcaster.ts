/**
 * Pushes flag sets to server-sent-event subscribers. One poller for all clients (not one per
 * client) reads the ledger's flag revision every pollMs — the CLI and other processes write the
 * same ledger, so polling is how the server notices their changes — and, when it moved, rebuilds
 * the set of each environment that has subscribers and sends it to each subscriber whose last
 * received flags differ. A `: keep-alive` comment goes to every stream every keepAliveMs. Polling
 * runs only while someone listens. Streams are plain PassThrough streams a route hands to
 * `reply.send()`; fastify pipes them and destroys them when the client goes away.
 */
import { PassThrough } from "node:stream";
import type { FlagSet } from "../flags/types.js";
import type { LedgerStore } from "../ledger/types.js";
import { buildFlagSet } from "./flag-set.js";

export interface FlagBroadcasterOptions {
  ledger: LedgerStore;
  /** How often the revision is read (default 200 ms). */
  pollMs?: number;
  /** How often a keep-alive comment is sent (default 15 s). */
  keepAliveMs?: number;
  /** Buffered bytes above which a subscriber that does not read is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** A poll that failed (e.g. the ledger is unreachable); polling goes on. */
  onError?: (error: unknown) => void;
}

export interface FlagBroadcaster {
  /** A new stream for `environment` that starts with `initial`; it leaves when it closes. */
  subscribe(environment: string, initial: FlagSet): PassThrough;
  /** Open streams (all environments). */
  readonly subscribers: number;
  /** Runs one poll now (tests; the timer does the same). */
  poll(): Promise<void>;
  /** Stops polling and ends every stream. */
  close(): void;
}

interface Subscriber {
  stream: PassThrough;
  /** JSON of the flags it last received: sets whose flags did not change are not sent again. */
  lastFlags: string;
}

/** One `flags` event: `event`, `id` (the revision) and `data` (the set as one line of JSON). */
export function flagSetEvent(set: FlagSet): string {
  return `event: flags\nid: ${set.revision}\ndata: ${JSON.stringify(set)}\n\n`;
}

export const keepAliveComment = ": keep-alive\n\n";

export function createFlagBroadcaster(options: FlagBroadcasterOptions): FlagBroadcaster {
  const { ledger } = options;
  const pollMs = options.pollMs ?? 200;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const byEnvironment = new Map<string, Set<Subscriber>>();
  let pollTimer: NodeJS.Timeout | null = null;
  let keepAliveTimer: NodeJS.Timeout | null = null;
  let lastRevision: number | null = null;
  let polling: Promise<void> | null = null;
  let closed = false;

  const count = () => {
    let n = 0;
    for (const set of byEnvironment.values()) n += set.size;
    return n;
  };

  function write(subscriber: Subscriber, text: string): void {
    const { stream } = subscriber;
    if (stream.destroyed || stream.writableEnded) return;
    stream.write(text);
    // A client that stopped reading would make the server buffer every change forever.
    if (stream.writableLength + stream.readableLength > maxBuffered) stream.destroy();
  }

  function stopTimersWhenIdle(): void {
    if (count() > 0) return;
    if (pollTimer) clearInterval(pollTimer);
    if (keepAliveTimer) clearInterval(keepAliveTimer);
    pollTimer = null;
    keepAliveTimer = null;
    lastRevision = null;
  }

  async function pollOnce(): Promise<void> {
    const revision = await ledger.flagRevision();
    if (revision === lastRevision) return;
    lastRevision = revision;
    for (const [environment, subscribers] of byEnvironment) {
      if (subscribers.size === 0) continue;
      const set = await buildFlagSet(ledger, environment, revision);
      const flags = JSON.stringify(set.flags);
      const event = flagSetEvent(set);
      for (const subscriber of subscribers) {
        if (subscriber.lastFlags === flags) continue;
        subscriber.lastFlags = flags;
        write(subscriber, event);
      }
    }
  }

  function poll(): Promise<void> {
    // One poll at a time: a slow ledger must not pile up overlapping polls.
    polling ??= pollOnce()
      .catch((error: unknown) => {
        lastRevision = null; // try again on the next tick
        options.onError?.(error);
      })
      .finally(() => {
        polling = null;
      });
    return polling;
  }

  function startTimers(): void {
    if (pollTimer === null) {
      pollTimer = setInterval(() => void poll(), pollMs);
      pollTimer.unref();
    }
    if (keepAliveTimer === null) {
      keepAliveTimer = setInterval(() => {
        for (const subscribers of byEnvironment.values()) {
          for (const subscriber of subscribers) write(subscriber, keepAliveComment);
        }
      }, keepAliveMs);
      keepAliveTimer.unref();
    }
  }

  return {
    subscribe(environment, initial) {
      const stream = new PassThrough();
      if (closed) {
        stream.end();
        return stream;
      }
      const subscriber: Subscriber = { stream, lastFlags: JSON.stringify(initial.flags) };
      let subscribers = byEnvironment.get(environment);
      if (subscribers === undefined) {
        subscribers = new Set();
        byEnvironment.set(environment, subscribers);
      }
      subscribers.add(subscriber);
      stream.once("close", () => {
        byEnvironment.get(environment)?.delete(subscriber);
        if (byEnvironment.get(environment)?.size === 0) byEnvironment.delete(environment);
        stopTimersWhenIdle();
      });
      write(subscriber, flagSetEvent(initial));
      startTimers();
      return stream;
    },
    get subscribers() {
      return count();
    },
    poll,
    close() {
      closed = true;
      for (const subscribers of byEnvironment.values()) {
        for (const { stream } of subscribers) stream.end();
      }
      byEnvironment.clear();
      stopTimersWhenIdle();
    },
  };
}
