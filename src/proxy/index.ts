/** shipgate's reverse proxy: weighted, sticky routing between releases; the local agent runs it. */

export { murmurHash3 } from "../core/murmur-hash.js";
export {
  assignRelease,
  orderSplits,
  pickRelease,
  randomPoint,
  randomStickyKey,
  readCookie,
  stickyPoint,
} from "./assign-release.js";
export type { Listener } from "./proxy-messages.js";
export { type ProxyServer, type ProxyServerOptions, startProxyServer } from "./proxy-server.js";
export { createReverseProxy, type ReverseProxy, type ReverseProxyOptions } from "./reverse-proxy.js";
export { createRouteGrouper, type RouteGroup } from "./route-groups.js";
export {
  compileRoutes,
  defaultSticky,
  emptyRoutingTable,
  type ProxyMode,
  type RoutingTable,
  type Upstream,
} from "./routing-table.js";
export { smokeRequestHeader } from "./smoke-request.js";
export {
  emptyReleaseMetrics,
  emptyTraffic,
  mergeStats,
  type ProxyStats,
  type ReleaseMetrics,
  type StatusClass,
  subtractTraffic,
  summarizeTraffic,
  type TrafficMetrics,
  type TrafficSummary,
} from "./traffic-metrics.js";
