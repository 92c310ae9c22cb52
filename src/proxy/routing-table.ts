/**
 * The routing table: what the proxy needs to route a request, as plain data (it crosses process
 * boundaries to the proxy workers). The agent builds it from the supervisor's instances; only
 * routable instances (healthy, not draining) are in it.
 */
import type { StickyConfig } from "../deploy/targets/types.js";
import type { TrafficSplit } from "../ledger/types.js";
import { orderSplits } from "./assign-release.js";

/** One routable instance. */
export interface Upstream {
  instanceId: string;
  releaseId: string;
  host: string;
  port: number;
}

export interface RoutingTable {
  /** Increases with every change; proxy workers acknowledge the version they applied. */
  version: number;
  /** Routable instances only. */
  upstreams: Upstream[];
  traffic: TrafficSplit[];
  /** The release the preview port routes to. */
  preview: string | null;
  sticky: StickyConfig;
}

/** Which listener a request arrived on. */
export type ProxyMode = "public" | "preview";

export const defaultSticky: StickyConfig = { header: "x-canary-key", cookie: "shipgate_canary" };

export const emptyRoutingTable: RoutingTable = {
  version: 0,
  upstreams: [],
  traffic: [],
  preview: null,
  sticky: defaultSticky,
};

export interface ReleaseRoute {
  upstreams: Upstream[];
  /** Round-robin cursor: requests are spread evenly over the release's instances. */
  next: number;
}

/** The table prepared for per-request lookups. */
export interface CompiledRoutes {
  table: RoutingTable;
  releases: Map<string, ReleaseRoute>;
  /** Splits with weight, in the canonical order (see assign-release). */
  ordered: ReturnType<typeof orderSplits>;
  /** More than one release has weight: sticky assignment applies and clients get a cookie. */
  split: boolean;
  stickyHeader: string;
  stickyCookie: string;
}

export function compileRoutes(table: RoutingTable): CompiledRoutes {
  const releases = new Map<string, ReleaseRoute>();
  for (const upstream of table.upstreams) {
    let route = releases.get(upstream.releaseId);
    if (route === undefined) {
      route = { upstreams: [], next: 0 };
      releases.set(upstream.releaseId, route);
    }
    route.upstreams.push(upstream);
  }
  const ordered = orderSplits(table.traffic);
  return {
    table,
    releases,
    ordered,
    split: ordered.length > 1,
    stickyHeader: table.sticky.header.toLowerCase(),
    stickyCookie: table.sticky.cookie,
  };
}

/** The next instance of a release, round robin; null when it has none routable. */
export function nextUpstream(route: ReleaseRoute | undefined, exclude?: Upstream): Upstream | null {
  if (route === undefined || route.upstreams.length === 0) return null;
  const n = route.upstreams.length;
  for (let i = 0; i < n; i++) {
    const candidate = route.upstreams[route.next++ % n] as Upstream;
    if (route.next >= n) route.next = 0;
    if (candidate !== exclude) return candidate;
  }
  return null;
}
