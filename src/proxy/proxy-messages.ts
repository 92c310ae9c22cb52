/** The messages between the agent (the cluster primary) and its proxy workers. */
import type { ReverseProxyOptions } from "./reverse-proxy.js";
import type { RoutingTable } from "./routing-table.js";
import type { ProxyStats } from "./traffic-metrics.js";

export interface Listener {
  host: string;
  port: number;
}

/** Primary → worker. */
export type ProxyMessage =
  | {
      type: "listen";
      public: Listener;
      preview: Listener;
      table: RoutingTable;
      options: Omit<ReverseProxyOptions, "table">;
    }
  | { type: "table"; table: RoutingTable }
  | { type: "stats"; id: number }
  | { type: "close"; graceMs: number };

/** Worker → primary. */
export type WorkerMessage =
  | { type: "ready" }
  | { type: "listening"; publicPort: number; previewPort: number }
  | { type: "listen-failed"; message: string; hint: string | null }
  | { type: "table-applied"; version: number }
  | { type: "stats"; id: number; stats: ProxyStats }
  | { type: "closed" };
