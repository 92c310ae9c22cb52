import { describe, expect, it } from "vitest";
import { murmurHash3 } from "../core/murmur-hash.js";
import type { TrafficSplit } from "../ledger/types.js";
import { assignRelease, readCookie, stickyPoint } from "./assign-release.js";

const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}-${(i * 7919) % 104729}`);

function shares(traffic: TrafficSplit[], isRoutable?: (id: string) => boolean): Map<string | null, number> {
  const counts = new Map<string | null, number>();
  for (const key of keys) {
    const release = assignRelease(traffic, stickyPoint(key), isRoutable);
    counts.set(release, (counts.get(release) ?? 0) + 1);
  }
  return new Map([...counts].map(([id, n]) => [id, (n / keys.length) * 100]));
}

describe("murmurHash3", () => {
  it("matches the reference MurmurHash3_x86_32 vectors", () => {
    expect(murmurHash3("")).toBe(0);
    expect(murmurHash3("hello")).toBe(613153351);
    expect(murmurHash3("The quick brown fox jumps over the lazy dog")).toBe(776992547);
    expect(murmurHash3("héllo wörld")).toBe(2549609076);
    expect(murmurHash3("abc", 42)).toBe(1313807976);
    expect(murmurHash3("user-1234")).toBe(1542347467);
  });
});

describe("assignRelease", () => {
  it.each([[[5, 95]], [[25, 75]], [[50, 50]], [[1, 99]], [[10, 30, 60]]])(
    "respects the weights %j within 1 point over 20,000 keys",
    (weights) => {
      const traffic = weights.map((weight, i) => ({ releaseId: `r-${i}`, weight }));
      const got = shares(traffic);
      for (const { releaseId, weight } of traffic) {
        expect(Math.abs((got.get(releaseId) ?? 0) - weight)).toBeLessThan(1);
      }
    },
  );

  it("sends the same key to the same release every time, whatever the order of the splits", () => {
    const a = [
      { releaseId: "r-stable", weight: 70 },
      { releaseId: "r-canary", weight: 30 },
    ];
    const b = [...a].reverse();
    for (const key of keys.slice(0, 2000)) {
      const first = assignRelease(a, stickyPoint(key));
      expect(assignRelease(a, stickyPoint(key))).toBe(first);
      expect(assignRelease(b, stickyPoint(key))).toBe(first);
    }
  });

  it.each([
    ["r-canary", "r-stable"],
    ["r-a-canary", "r-z-stable"],
    ["r-z-canary", "r-a-stable"],
  ])("keeps the keys on the canary (%s beside %s) when its weight grows 5 → 25 → 50", (canary, stable) => {
    const split = (w: number) => [
      { releaseId: stable, weight: 100 - w },
      { releaseId: canary, weight: w },
    ];
    const onCanary = (w: number) =>
      new Set(keys.filter((k) => assignRelease(split(w), stickyPoint(k)) === canary));
    const at5 = onCanary(5);
    const at25 = onCanary(25);
    const at50 = onCanary(50);
    expect(at5.size).toBeGreaterThan(keys.length * 0.04);
    for (const k of at5) expect(at25.has(k)).toBe(true);
    for (const k of at25) expect(at50.has(k)).toBe(true);
  });

  it("spreads the share of a release without a routable instance over the others, never to it", () => {
    const traffic = [
      { releaseId: "r-a", weight: 50 },
      { releaseId: "r-b", weight: 25 },
      { releaseId: "r-c", weight: 25 },
    ];
    const got = shares(traffic, (id) => id !== "r-b");
    expect(got.has("r-b")).toBe(false);
    expect(Math.abs((got.get("r-a") ?? 0) - 66.67)).toBeLessThan(1.5);
    expect(Math.abs((got.get("r-c") ?? 0) - 33.33)).toBeLessThan(1.5);
  });

  it("returns null when nothing with weight is routable, and never picks a release at weight 0", () => {
    expect(assignRelease([], 42)).toBeNull();
    expect(assignRelease([{ releaseId: "r-a", weight: 100 }], 42, () => false)).toBeNull();
    const traffic = [
      { releaseId: "r-a", weight: 100 },
      { releaseId: "r-b", weight: 0 },
    ];
    expect(shares(traffic).get("r-b")).toBeUndefined();
    expect(assignRelease(traffic, 50, (id) => id === "r-b")).toBeNull();
  });

  it("covers the whole range: points 0 and 99.99 land on a release", () => {
    const traffic = [
      { releaseId: "r-a", weight: 60 },
      { releaseId: "r-b", weight: 40 },
    ];
    expect(assignRelease(traffic, 0)).toBe("r-a");
    expect(assignRelease(traffic, 99.99)).toBe("r-b");
    expect(assignRelease(traffic, 99.99, (id) => id === "r-a")).toBe("r-a");
  });
});

describe("readCookie", () => {
  it("finds a cookie among others, unquoted, and ignores empty or missing ones", () => {
    expect(readCookie("a=1; shipgate_canary=abc123; b=2", "shipgate_canary")).toBe("abc123");
    expect(readCookie('shipgate_canary="q"', "shipgate_canary")).toBe("q");
    expect(readCookie("xshipgate_canary=1", "shipgate_canary")).toBeUndefined();
    expect(readCookie("shipgate_canary=", "shipgate_canary")).toBeUndefined();
    expect(readCookie(undefined, "shipgate_canary")).toBeUndefined();
  });
});
