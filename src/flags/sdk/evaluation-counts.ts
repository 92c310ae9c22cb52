/**
 * In-memory evaluation counts, aggregated per flag, variant and outcome between two metrics posts.
 * Counting is one property increment on a per-flag object the client holds next to the flag, so it
 * costs the fast path next to nothing; `drain` turns the counters into the wire format and resets them.
 */
import type { FlagEvaluationCount } from "../../ledger/types.js";

/** The counters of one flag. `on`/`off`: evaluations without a variant; `variants`: on, by variant. */
export interface FlagCounter {
  on: number;
  off: number;
  variants: Map<string, number>;
}

export interface EvaluationCounts {
  /** The counter of a flag (created once, kept across flag set updates). */
  counter(flagKey: string): FlagCounter;
  /** The counts since the last drain (non-zero only), resetting them. */
  drain(): FlagEvaluationCount[];
  /** Adds counts back (a post that failed), so they go with the next one. */
  restore(counts: readonly FlagEvaluationCount[]): void;
}

export function createEvaluationCounts(): EvaluationCounts {
  const counters = new Map<string, FlagCounter>();
  const counter = (flagKey: string): FlagCounter => {
    let c = counters.get(flagKey);
    if (c === undefined) {
      c = { on: 0, off: 0, variants: new Map() };
      counters.set(flagKey, c);
    }
    return c;
  };
  return {
    counter,
    drain() {
      const out: FlagEvaluationCount[] = [];
      for (const [flagKey, c] of counters) {
        if (c.on > 0) out.push({ flagKey, variant: null, enabled: true, count: c.on });
        if (c.off > 0) out.push({ flagKey, variant: null, enabled: false, count: c.off });
        for (const [variant, count] of c.variants) {
          if (count > 0) out.push({ flagKey, variant, enabled: true, count });
        }
        c.on = 0;
        c.off = 0;
        c.variants.clear();
      }
      return out;
    },
    restore(counts) {
      for (const { flagKey, variant, enabled, count } of counts) {
        const c = counter(flagKey);
        if (variant !== null && enabled) c.variants.set(variant, (c.variants.get(variant) ?? 0) + count);
        else if (enabled) c.on += count;
        else c.off += count;
      }
    },
  };
}
