/**
 * Tests of flag evaluation: documented bucketing vectors (checked against unleash-client's own
 * normalizedStrategyValue), the distribution of buckets and variants over 10,000 ids, the order of
 * evaluation (kill switch, disabled, rules, rollout), the rule operators, and a seeded property test
 * that the fast path agrees with the full evaluation.
 */
import { normalizedStrategyValue, normalizedVariantValue } from "unleash-client/lib/strategy/util.js";
import { describe, expect, it } from "vitest";
import { flagConfig } from "../../test/support/flags.js";
import { mulberry32 } from "../../test/support/random.js";
import { bucketOf, evaluateFlag, isFlagEnabled, pickVariant, ruleMatches } from "./evaluate.js";
import {
  type EvaluationContext,
  type FlagConfig,
  type RuleOperator,
  ruleOperators,
  type TargetingRule,
} from "./types.js";

function flag(overrides: Partial<FlagConfig> = {}): FlagConfig {
  return flagConfig("new-checkout", overrides);
}

/**
 * Bucketing vectors (documented): bucketOf(flag key, stickiness value), MurmurHash3 x86_32 with seed 0
 * over the UTF-8 bytes of "<flag key>:<value>", modulo 100, plus 1. The ASCII rows equal
 * unleash-client's normalizedStrategyValue(value, flag key).
 *
 *   flag key       value                bucket
 *   new-checkout   user-1               32
 *   new-checkout   user-2               90
 *   new-checkout   user-42              75
 *   new-checkout   alice@example.com    19
 *   dark-mode      user-1               76
 *   dark-mode      123456               60
 *   search.v2      session-abc          9
 *   a              b                    32
 *   new-checkout   Zoë                  91   (UTF-8 bytes; unleash-client's JS-string hash gives 51)
 *   new-checkout   用户                  62   (UTF-8 bytes; unleash-client gives 1)
 */
const asciiVectors: [string, string, number][] = [
  ["new-checkout", "user-1", 32],
  ["new-checkout", "user-2", 90],
  ["new-checkout", "user-42", 75],
  ["new-checkout", "alice@example.com", 19],
  ["dark-mode", "user-1", 76],
  ["dark-mode", "123456", 60],
  ["search.v2", "session-abc", 9],
  ["a", "b", 32],
];
const unicodeVectors: [string, string, number][] = [
  ["new-checkout", "Zoë", 91],
  ["new-checkout", "用户", 62],
];

describe("bucketOf", () => {
  it.each(asciiVectors)("puts %s:%s in bucket %i, as Unleash does", (group, id, bucket) => {
    expect(bucketOf(group, id)).toBe(bucket);
    expect(normalizedStrategyValue(id, group)).toBe(bucket);
  });

  it.each(unicodeVectors)("hashes the UTF-8 bytes of %s:%s (bucket %i)", (group, id, bucket) => {
    expect(bucketOf(group, id)).toBe(bucket);
    // unleash-client hashes the low byte of each UTF-16 unit; fed the UTF-8 bytes as a binary
    // string, it hashes exactly those bytes and must agree with us.
    const bytesAsString = Buffer.from(id, "utf8").toString("latin1");
    expect(normalizedStrategyValue(bytesAsString, group)).toBe(bucket);
  });

  it("matches Unleash for 1,000 ASCII ids", () => {
    for (let i = 0; i < 1000; i++) {
      expect(bucketOf("checkout", `user-${i}`)).toBe(normalizedStrategyValue(`user-${i}`, "checkout"));
    }
  });

  it("matches Unleash for every tail length (ids of 0 to 24 characters) and the variant seed", () => {
    for (let n = 0; n <= 24; n++) {
      const id = "abcdefghijklmnopqrstuvwxyz".slice(0, n);
      expect(bucketOf("g", id)).toBe(normalizedStrategyValue(id, "g"));
      expect(bucketOf("flag-key", id)).toBe(normalizedStrategyValue(id, "flag-key"));
    }
  });

  it("spreads 10,000 ids evenly: each bucket holds 100 ± 40 (4 σ)", () => {
    const counts = new Array<number>(101).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const b = bucketOf("new-checkout", `user-${i}`);
      expect(b).toBeGreaterThanOrEqual(1);
      expect(b).toBeLessThanOrEqual(100);
      counts[b] = (counts[b] as number) + 1;
    }
    for (let b = 1; b <= 100; b++) expect(Math.abs((counts[b] as number) - 100)).toBeLessThanOrEqual(40);
  });
});

describe("rollout", () => {
  it("enables 25% ± 1.5 points of 10,000 ids at a 25% rollout", () => {
    const f = flag({ rollout: 25 });
    let on = 0;
    for (let i = 0; i < 10_000; i++) if (isFlagEnabled(f, { userId: `user-${i}` })) on++;
    expect(Math.abs(on / 100 - 25)).toBeLessThanOrEqual(1.5);
  });

  it("gives the same user the same answer every time, and grows monotonically with the rollout", () => {
    for (let i = 0; i < 500; i++) {
      const ctx = { userId: `user-${i}` };
      const at10 = evaluateFlag(flag({ rollout: 10 }), ctx).enabled;
      expect(evaluateFlag(flag({ rollout: 10 }), ctx).enabled).toBe(at10);
      if (at10) expect(evaluateFlag(flag({ rollout: 50 }), ctx).enabled).toBe(true);
    }
  });

  it("reports SPLIT when in the rollout and DEFAULT when not", () => {
    const f = flag({ rollout: 50 });
    expect(evaluateFlag(f, { userId: "user-1" })).toEqual({ enabled: true, variant: null, reason: "SPLIT" }); // bucket 32
    expect(evaluateFlag(f, { userId: "user-2" })).toEqual({
      enabled: false,
      variant: null,
      reason: "DEFAULT",
    }); // bucket 90
    expect(evaluateFlag(flag({ rollout: 0 }), { userId: "user-1" }).reason).toBe("DEFAULT");
    expect(evaluateFlag(flag({ rollout: 100 }), {}).reason).toBe("SPLIT");
  });

  it("uses the flag's stickiness attribute, then userId, then sessionId", () => {
    const f = flag({ rollout: 50, stickiness: "accountId" });
    // bucketOf("new-checkout", "user-1") = 32, "user-2" = 90
    expect(isFlagEnabled(f, { accountId: "user-1", userId: "user-2" })).toBe(true);
    expect(isFlagEnabled(f, { userId: "user-1" })).toBe(true);
    expect(isFlagEnabled(f, { sessionId: "user-1" })).toBe(true);
    expect(isFlagEnabled(f, { sessionId: "user-2" })).toBe(false);
  });

  it("is off for a partial rollout without a stickiness value", () => {
    expect(evaluateFlag(flag({ rollout: 99 }), {})).toEqual({
      enabled: false,
      variant: null,
      reason: "DEFAULT",
    });
    expect(isFlagEnabled(flag({ rollout: 99 }), { userId: "" })).toBe(false);
  });
});

describe("order of evaluation", () => {
  const matchAll: TargetingRule = {
    attribute: "plan",
    operator: "in",
    values: ["pro"],
    serve: { enabled: true },
  };

  it("the kill switch beats everything: enabled, rollout 100 and a matching rule", () => {
    const f = flag({ killed: true, enabled: true, rollout: 100, rules: [matchAll] });
    const ctx = { userId: "user-1", plan: "pro" };
    expect(evaluateFlag(f, ctx)).toEqual({ enabled: false, variant: null, reason: "DISABLED" });
    expect(isFlagEnabled(f, ctx)).toBe(false);
  });

  it("a disabled or archived flag is off with reason DISABLED", () => {
    const ctx = { userId: "user-1", plan: "pro" };
    for (const f of [flag({ enabled: false, rules: [matchAll] }), flag({ archived: true })]) {
      expect(evaluateFlag(f, ctx)).toEqual({ enabled: false, variant: null, reason: "DISABLED" });
      expect(isFlagEnabled(f, ctx)).toBe(false);
    }
    expect(isFlagEnabled(undefined, ctx)).toBe(false);
  });

  it("applies rules in order: the first match wins, and it may serve off", () => {
    const f = flag({
      rollout: 100,
      rules: [
        { attribute: "country", operator: "in", values: ["FR"], serve: { enabled: false } },
        { attribute: "plan", operator: "in", values: ["pro"], serve: { enabled: true } },
        { attribute: "plan", operator: "in", values: ["pro", "free"], serve: { enabled: false } },
      ],
    });
    expect(evaluateFlag(f, { plan: "pro", country: "FR" })).toEqual({
      enabled: false,
      variant: null,
      reason: "TARGETING_MATCH",
      ruleIndex: 0,
    });
    expect(evaluateFlag(f, { plan: "pro", country: "DE" })).toMatchObject({ enabled: true, ruleIndex: 1 });
    expect(evaluateFlag(f, { plan: "free" })).toMatchObject({ enabled: false, ruleIndex: 2 });
    // No rule matched: the rollout decides.
    expect(evaluateFlag(f, { plan: "team", userId: "u" })).toEqual({
      enabled: true,
      variant: null,
      reason: "SPLIT",
    });
  });

  it("a rule may serve a fixed variant", () => {
    const f = flag({
      variants: [
        { name: "blue", weight: 1, payload: { color: "#00f" } },
        { name: "red", weight: 0 },
      ],
      rules: [
        { attribute: "plan", operator: "eq", values: ["pro"], serve: { enabled: true, variant: "red" } },
      ],
    });
    expect(evaluateFlag(f, { plan: "pro", userId: "u" }).variant?.name).toBe("red");
    expect(evaluateFlag(f, { plan: "free", userId: "u" }).variant?.name).toBe("blue");
  });
});

describe("ruleMatches", () => {
  const rule = (operator: RuleOperator, values: (string | number)[], attribute = "v"): TargetingRule => ({
    attribute,
    operator,
    values,
    serve: { enabled: true },
  });
  const cases: [RuleOperator, (string | number)[], string | number, boolean][] = [
    ["in", ["a", "b"], "b", true],
    ["in", ["a", "b"], "c", false],
    ["in", [1, 2], "2", true],
    ["not_in", ["a", "b"], "c", true],
    ["not_in", ["a", "b"], "a", false],
    ["eq", ["a"], "a", true],
    ["eq", [3], 3, true],
    ["neq", ["a"], "b", true],
    ["neq", ["a"], "a", false],
    ["gt", [10], 11, true],
    ["gt", [10], 10, false],
    ["gte", [10], 10, true],
    ["lt", [10], "9.5", true],
    ["lt", [10], 10, false],
    ["lte", ["10"], 10, true],
    ["gt", [10], "not-a-number", false],
    ["semver_eq", ["1.2.3"], "v1.2.3", true],
    ["semver_gt", ["1.2.3"], "1.10.0", true],
    ["semver_gt", ["1.2.3"], "1.2.3", false],
    ["semver_gte", ["1.2.3"], "1.2.3", true],
    ["semver_lt", ["2.0.0"], "2.0.0-rc.1", true],
    ["semver_lt", ["2.0.0"], "2.0.0", false],
    ["semver_lte", ["2.0.0"], "2.0.0", true],
    ["semver_gt", ["1.0.0"], "not-a-version", false],
    ["semver_gt", ["garbage"], "1.0.0", false],
  ];
  it.each(cases)("%s %j against %j → %s", (operator, values, value, expected) => {
    expect(ruleMatches(rule(operator, values), { v: value })).toBe(expected);
  });

  it("a missing attribute matches only not_in and neq", () => {
    for (const operator of ruleOperators) {
      expect(ruleMatches(rule(operator, ["1.0.0"]), { other: "x" })).toBe(
        operator === "not_in" || operator === "neq",
      );
    }
  });
});

describe("variants", () => {
  const weighted = flag({
    variants: [
      { name: "a", weight: 50, payload: "A" },
      { name: "b", weight: 30 },
      { name: "c", weight: 20 },
    ],
  });

  it("gives the same user the same variant, as Unleash's variant hash does", () => {
    for (let i = 0; i < 200; i++) {
      const ctx = { userId: `user-${i}` };
      const first = pickVariant(weighted, ctx);
      expect(pickVariant(weighted, ctx)).toBe(first);
      // Unleash: normalizedVariantValue(id, flag, total weight) against cumulative weights.
      const point = normalizedVariantValue(`user-${i}`, "new-checkout", 100);
      expect(first?.name).toBe(point <= 50 ? "a" : point <= 80 ? "b" : "c");
    }
  });

  it("distributes 10,000 users by weight, within 2 points", () => {
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) {
      const name = evaluateFlag(weighted, { userId: `user-${i}` }).variant?.name as string;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(Math.abs((counts.a as number) / 100 - 50)).toBeLessThanOrEqual(2);
    expect(Math.abs((counts.b as number) / 100 - 30)).toBeLessThanOrEqual(2);
    expect(Math.abs((counts.c as number) / 100 - 20)).toBeLessThanOrEqual(2);
  });

  it("serves no variant when the flag is off or has none", () => {
    expect(evaluateFlag({ ...weighted, enabled: false }, { userId: "u" }).variant).toBeNull();
    expect(evaluateFlag(flag(), { userId: "u" }).variant).toBeNull();
    expect(pickVariant(flag({ variants: [{ name: "z", weight: 0 }] }), { userId: "u" })).toBeNull();
  });
});

describe("isFlagEnabled", () => {
  it("agrees with evaluateFlag on 5,000 random flags and contexts (seeded)", () => {
    const random = mulberry32(9);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const attributes = ["plan", "country", "appVersion", "age"];
    const values = ["pro", "free", "FR", "DE", "1.2.3", "2.0.0", 17, 30, "x"];
    for (let n = 0; n < 5000; n++) {
      const rules: TargetingRule[] = [];
      const ruleCount = Math.floor(random() * 3);
      for (let r = 0; r < ruleCount; r++) {
        rules.push({
          attribute: pick(attributes),
          operator: pick(ruleOperators),
          values: [pick(values), pick(values)],
          serve: { enabled: random() < 0.5 },
        });
      }
      const f = flag({
        enabled: random() < 0.8,
        killed: random() < 0.1,
        archived: random() < 0.05,
        rollout: pick([0, 1, 25, 50, 99, 100, Math.floor(random() * 101)]),
        stickiness: pick(["userId", "sessionId", "accountId"]),
        rules,
        variants: random() < 0.3 ? [{ name: "v", weight: 1 }] : [],
      });
      const context: EvaluationContext = {};
      for (const a of attributes) if (random() < 0.6) context[a] = pick(values);
      if (random() < 0.8) context.userId = `user-${Math.floor(random() * 1e6)}`;
      if (random() < 0.3) context.sessionId = `s-${Math.floor(random() * 1e6)}`;
      expect(isFlagEnabled(f, context), JSON.stringify({ f, context })).toBe(
        evaluateFlag(f, context).enabled,
      );
    }
  });
});
