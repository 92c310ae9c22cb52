/** shipgate's reverse proxy: weighted, sticky routing between releases; the local agent runs it. */
export {
  assignRelease,
  orderSplits,
  pickRelease,
  randomPoint,
  randomStickyKey,
  readCookie,
  stickyPoint,
} from "./assign-release.js";
export { murmurHash3 } from "./murmur-hash.js";
export type { Listener } from "./proxy-messages.js";
export { mergeStats, type ProxyServer, type ProxyServerOptions, startProxyServer } from "./proxy-server.js";
export {
  createReverseProxy,
  latencyBucketsMs,
  type ProxyStats,
  type ReleaseMetrics,
  type ReverseProxy,
  type ReverseProxyOptions,
} from "./reverse-proxy.js";
export {
  compileRoutes,
  defaultSticky,
  emptyRoutingTable,
  type ProxyMode,
  type RoutingTable,
  type Upstream,
} from "./routing-table.js";
