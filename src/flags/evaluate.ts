/**
 * Flag evaluation, pure and synchronous: the one implementation the SDK's fast path, the OpenFeature
 * provider, the HTTP API and the CLI share. Order: an archived or killed flag is off (the kill switch
 * beats everything), a disabled flag is off, the first matching targeting rule decides, then the
 * percentage rollout by a deterministic bucket, else off.
 *
 * Bucketing: MurmurHash3 x86_32 (seed 0) over the UTF-8 bytes of "<flag key>:<stickiness value>",
 * modulo 100, plus 1 — a bucket in 1..100; the flag is on when bucket ≤ rollout. For ASCII ids this
 * is Unleash's `normalizedValue` with the flag name as group id, so the same user gets the same
 * answer in shipgate and Unleash SDKs and in every process. Variants use seed 86028157 and the total
 * weight as modulus, as Unleash does.
 */
import semver from "semver";
import {
  type MurmurState,
  murmurAscii,
  murmurDigestAscii,
  murmurHash3,
  murmurStart,
} from "../core/murmur-hash.js";
import type { EvaluationContext, FlagConfig, TargetingRule, Variant } from "./types.js";

export const variantSeed = 86028157;

export type EvaluationReason = "DISABLED" | "TARGETING_MATCH" | "SPLIT" | "DEFAULT";

export interface Evaluation {
  enabled: boolean;
  /** The variant served (null: the flag has none, or it is off). */
  variant: Variant | null;
  reason: EvaluationReason;
  /** Index of the rule that matched (TARGETING_MATCH). */
  ruleIndex?: number;
}

/** The hash state after "<group>:" per seed and group (null: the group is not ASCII). Flags are few; bounded anyway. */
const prefixes = new Map<number, Map<string, MurmurState | null>>();
const maxCachedPrefixes = 10_000;

function prefixState(group: string, seed: number): MurmurState | null {
  let bySeed = prefixes.get(seed);
  if (bySeed === undefined) {
    bySeed = new Map();
    prefixes.set(seed, bySeed);
  }
  const known = bySeed.get(group);
  if (known !== undefined) return known;
  const state = murmurAscii(murmurStart(seed), `${group}:`);
  if (bySeed.size >= maxCachedPrefixes) bySeed.clear();
  bySeed.set(group, state);
  return state;
}

/**
 * MurmurHash3 x86_32 of `${group}:${value}`, equal to murmurHash3 of that string, without building it:
 * the state after the "<group>:" prefix is cached per flag and the value is fed on from there. A
 * non-ASCII group or value falls back to hashing the joined string's UTF-8 bytes. The prefix cache
 * took `npm run bench:flags` from 4.71 to 5.60 M evaluations/s (1.19×, consecutive runs on a quiet
 * machine).
 */
function hashJoined(group: string, value: string, seed: number): number {
  const prefix = prefixState(group, seed);
  const hash = prefix === null ? null : murmurDigestAscii(prefix, value);
  return hash === null ? murmurHash3(`${group}:${value}`, seed) : hash;
}

/** The 1..100 bucket of a stickiness value for a flag (or a group of flags). */
export function bucketOf(group: string, stickinessValue: string): number {
  return (hashJoined(group, stickinessValue, 0) % 100) + 1;
}

function stickinessValue(flag: FlagConfig, context: EvaluationContext): string | null {
  const value = context[flag.stickiness] ?? context.userId ?? context.sessionId;
  return value === undefined || value === "" ? null : String(value);
}

/** Compares two versions by semver ("v1.2.3" accepted, pre-releases before their release); null if either is not one. */
function compareSemver(a: string, b: string): number | null {
  const x = semver.valid(a);
  const y = semver.valid(b);
  return x === null || y === null ? null : semver.compare(x, y);
}

/** Whether a rule matches the context; a missing attribute matches only `not_in` and `neq`. */
export function ruleMatches(rule: TargetingRule, context: EvaluationContext): boolean {
  const raw = context[rule.attribute];
  if (raw === undefined) return rule.operator === "not_in" || rule.operator === "neq";
  const value = String(raw);
  const first = rule.values[0];
  switch (rule.operator) {
    case "in":
      return rule.values.some((v) => String(v) === value);
    case "not_in":
      return !rule.values.some((v) => String(v) === value);
    case "eq":
      return first !== undefined && String(first) === value;
    case "neq":
      return first === undefined || String(first) !== value;
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const a = Number(raw);
      const b = Number(first);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
      return rule.operator === "gt"
        ? a > b
        : rule.operator === "gte"
          ? a >= b
          : rule.operator === "lt"
            ? a < b
            : a <= b;
    }
    default: {
      if (first === undefined) return false;
      const c = compareSemver(value, String(first));
      if (c === null) return false;
      switch (rule.operator) {
        case "semver_eq":
          return c === 0;
        case "semver_gt":
          return c > 0;
        case "semver_gte":
          return c >= 0;
        case "semver_lt":
          return c < 0;
        default:
          return c <= 0;
      }
    }
  }
}

/** The variant for a context: weighted, deterministic (Unleash's variant hashing). */
export function pickVariant(flag: FlagConfig, context: EvaluationContext): Variant | null {
  const total = flag.variants.reduce((sum, v) => sum + Math.max(0, v.weight), 0);
  if (total <= 0) return null;
  const key = stickinessValue(flag, context) ?? String(Math.random());
  const point = (hashJoined(flag.key, key, variantSeed) % total) + 1;
  let cumulative = 0;
  for (const v of flag.variants) {
    cumulative += Math.max(0, v.weight);
    if (point <= cumulative) return v;
  }
  return null;
}

const off = (reason: EvaluationReason): Evaluation => ({ enabled: false, variant: null, reason });

/** Evaluates a flag for a context. */
export function evaluateFlag(flag: FlagConfig, context: EvaluationContext): Evaluation {
  if (flag.killed || flag.archived || !flag.enabled) return off("DISABLED");
  for (let i = 0; i < flag.rules.length; i++) {
    const rule = flag.rules[i] as TargetingRule;
    if (!ruleMatches(rule, context)) continue;
    if (!rule.serve.enabled)
      return { enabled: false, variant: null, reason: "TARGETING_MATCH", ruleIndex: i };
    const fixed = rule.serve.variant
      ? (flag.variants.find((v) => v.name === rule.serve.variant) ?? null)
      : null;
    return {
      enabled: true,
      variant: fixed ?? pickVariant(flag, context),
      reason: "TARGETING_MATCH",
      ruleIndex: i,
    };
  }
  if (flag.rollout >= 100) return { enabled: true, variant: pickVariant(flag, context), reason: "SPLIT" };
  if (flag.rollout <= 0) return off("DEFAULT");
  const sticky = stickinessValue(flag, context);
  // Without a stickiness value there is nothing to bucket deterministically: partial rollouts are off.
  if (sticky === null) return off("DEFAULT");
  return bucketOf(flag.key, sticky) <= flag.rollout
    ? { enabled: true, variant: pickVariant(flag, context), reason: "SPLIT" }
    : off("DEFAULT");
}

/** The synchronous fast path: on or off, no allocation beyond the hash. */
export function isFlagEnabled(flag: FlagConfig | undefined, context: EvaluationContext): boolean {
  if (flag === undefined || flag.killed || flag.archived || !flag.enabled) return false;
  if (flag.rules.length === 0) {
    if (flag.rollout >= 100) return true;
    if (flag.rollout <= 0) return false;
    const sticky = stickinessValue(flag, context);
    return sticky !== null && bucketOf(flag.key, sticky) <= flag.rollout;
  }
  return evaluateFlag(flag, context).enabled;
}
