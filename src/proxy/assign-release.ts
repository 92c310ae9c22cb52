/**
 * Weighted, sticky release assignment: pure functions of the traffic split and a point in [0, 100).
 *
 * A request's point comes from its sticky key (header, else cookie) through MurmurHash3, so the same
 * key always gets the same point. Releases are ordered by id and each owns a slice of [0, 100) as wide
 * as its weight; with two releases one slice grows from one end, so raising a canary from 5% to 25%
 * keeps every key that was on the canary on it. A release with weight but no routable instance owns no
 * slice: its share is spread over the others in proportion to their weights, never sent to a dead
 * upstream.
 */

import { murmurHash3 } from "../core/murmur-hash.js";
import type { TrafficSplit } from "../ledger/types.js";

/** Points have a resolution of 0.01 (10,000 buckets), so a 1% canary is as exact as a 50% one. */
const buckets = 10_000;

/** The fixed point in [0, 100) of a sticky key. */
export function stickyPoint(key: string): number {
  return (murmurHash3(key) % buckets) / 100;
}

/** A uniformly random point in [0, 100), for requests without a sticky key. */
export function randomPoint(): number {
  return Math.floor(Math.random() * buckets) / 100;
}

/** A fresh sticky key for the cookie of a client that has none (not a secret: it only picks a slice). */
export function randomStickyKey(): string {
  return Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, "0")
    .concat(
      Math.floor(Math.random() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, "0"),
    );
}

/** The splits that receive traffic (weight > 0), in the canonical order slices are laid out in. */
export function orderSplits(traffic: readonly TrafficSplit[]): TrafficSplit[] {
  return traffic
    .filter((t) => t.weight > 0)
    .sort((a, b) => (a.releaseId < b.releaseId ? -1 : a.releaseId > b.releaseId ? 1 : 0));
}

/**
 * The release a point lands on, given splits already in canonical order (see orderSplits). Null when no
 * split with weight has a routable instance.
 */
export function pickRelease(
  ordered: readonly TrafficSplit[],
  point: number,
  isRoutable: (releaseId: string) => boolean,
): string | null {
  let total = 0;
  let last: string | null = null;
  let allRoutable = true;
  for (const split of ordered) {
    if (isRoutable(split.releaseId)) {
      total += split.weight;
      last = split.releaseId;
    } else {
      allRoutable = false;
    }
  }
  if (last === null) return null;
  // Scale the point onto the routable total: with every release routable it stays where it is.
  const target = allRoutable && total === 100 ? point : (point / 100) * total;
  let end = 0;
  for (const split of ordered) {
    if (!isRoutable(split.releaseId)) continue;
    end += split.weight;
    if (target < end) return split.releaseId;
  }
  return last;
}

/** The release a point lands on for a traffic split (any order); see pickRelease. */
export function assignRelease(
  traffic: readonly TrafficSplit[],
  point: number,
  isRoutable: (releaseId: string) => boolean = () => true,
): string | null {
  return pickRelease(orderSplits(traffic), point, isRoutable);
}

/** The value of cookie `name` in a Cookie header, if present and non-empty. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header === "") return undefined;
  let from = 0;
  while (from < header.length) {
    const semi = header.indexOf(";", from);
    const end = semi === -1 ? header.length : semi;
    const eq = header.indexOf("=", from);
    if (eq !== -1 && eq < end && header.slice(from, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim();
      const unquoted = value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
      return unquoted === "" ? undefined : unquoted;
    }
    from = end + 1;
  }
  return undefined;
}
