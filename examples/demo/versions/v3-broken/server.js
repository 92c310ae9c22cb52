/**
 * The demo service, version v3-broken: v2 with a bug. A share of the requests to / and /items fail
 * with 500 ($FAILURE_RATE, default 0.3) and log a structured error line, and every such request can
 * be slowed down ($EXTRA_LATENCY_MS, default 0). /version and the health endpoints stay fine, so it
 * passes the smoke tests and boots: only canary analysis, comparing it with the stable release under
 * traffic, catches it (and `shipgate deploy` rolls it back, exit code 3).
 */
import { startService } from "./service.js";

const version = "v3-broken";
const failureRate = Math.min(1, Math.max(0, Number(process.env.FAILURE_RATE ?? "0.3") || 0));
const extraLatencyMs = Math.max(0, Number(process.env.EXTRA_LATENCY_MS ?? "0") || 0);
const memoryItems = [
  { id: 1, name: "apple", note: null },
  { id: 2, name: "pear", note: null },
];

async function maybeBreak(route) {
  if (extraLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, extraLatencyMs));
  if (Math.random() < failureRate) {
    // One JSON line per failure (pino's shape): shipgate counts it as an error signature.
    console.error(
      JSON.stringify({
        level: 50,
        time: Date.now(),
        msg: `request to ${route} failed`,
        err: { type: "TypeError", message: "Cannot read properties of undefined (reading 'note')" },
      }),
    );
    const error = new Error("the v3 bug");
    error.status = 500;
    throw error;
  }
}

startService({
  version,
  routes: {
    async "GET /"() {
      await maybeBreak("/");
      return { service: "shipgate-demo", version };
    },
    async "GET /items"() {
      await maybeBreak("/items");
      return { items: memoryItems, source: "memory", version };
    },
  },
});
