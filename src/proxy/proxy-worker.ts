/**
 * A proxy worker: one process of the proxy cluster (node:cluster). It serves the public and preview
 * listeners, which every worker shares, with its own reverse proxy, applies the routing tables the
 * primary (the agent) broadcasts, and answers its statistics. This file is the worker's entry.
 */
import cluster from "node:cluster";
import type { ShipgateError } from "../core/errors.js";
import type { ProxyMessage, WorkerMessage } from "./proxy-messages.js";
import { createReverseProxy } from "./reverse-proxy.js";

function send(message: WorkerMessage): void {
  process.send?.(message);
}

/** Runs this process as a proxy worker until the primary tells it to close or disconnects. */
export function runProxyWorker(): void {
  let proxy: ReturnType<typeof createReverseProxy> | null = null;
  process.on("message", (message: ProxyMessage) => {
    switch (message.type) {
      case "listen": {
        const p = createReverseProxy({ table: message.table, ...message.options });
        proxy = p;
        Promise.all([
          p.listen("public", message.public.host, message.public.port),
          p.listen("preview", message.preview.host, message.preview.port),
        ]).then(
          ([publicPort, previewPort]) => send({ type: "listening", publicPort, previewPort }),
          (error: Error & Partial<ShipgateError>) =>
            send({ type: "listen-failed", message: error.message, hint: error.hint ?? null }),
        );
        break;
      }
      case "table":
        proxy?.setTable(message.table);
        send({ type: "table-applied", version: message.table.version });
        break;
      case "stats":
        if (proxy) send({ type: "stats", id: message.id, stats: proxy.stats() });
        break;
      case "close":
        (proxy?.close(message.graceMs) ?? Promise.resolve()).finally(() => {
          send({ type: "closed" });
          process.disconnect?.();
        });
        break;
    }
  });
  // The primary went away (killed): stop serving rather than linger without routing updates.
  process.on("disconnect", () => {
    proxy?.close(0).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
  send({ type: "ready" });
}

if (cluster.isWorker) runProxyWorker();
