/**
 * Readiness and liveness probes: one HTTP GET per probe on a fresh connection (a wedged keep-alive
 * connection must not hide a dead listener), 2xx and 3xx pass; and the pure threshold counting that
 * turns probe results into verdicts.
 */
import http from "node:http";
import type { ProbeConfig } from "../../../config/deploy-schema.js";

export interface ProbeResult {
  ok: boolean;
  /** The status code, or why the probe failed (refused, timed out). */
  detail: string;
}

/** Probes http://host:port/path once, failing after timeoutMs. */
export function probeHttp(host: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = http.get(
      { host, port, path, agent: false, headers: { "user-agent": "shipgate-probe" } },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        settle({ ok: status >= 200 && status < 400, detail: `HTTP ${status}` });
      },
    );
    const timer = setTimeout(() => {
      settle({ ok: false, detail: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) =>
      settle({ ok: false, detail: error.code ?? error.message }),
    );
  });
}

export interface ProbeCounter {
  successes: number;
  failures: number;
}

export type ProbeVerdict = "pass" | "fail" | null;

/** Counts one probe result; the verdict is "pass" or "fail" once the consecutive count reaches its threshold. */
export function countProbe(
  counter: ProbeCounter,
  ok: boolean,
  config: Pick<ProbeConfig, "successThreshold" | "failureThreshold">,
): { counter: ProbeCounter; verdict: ProbeVerdict } {
  if (ok) {
    const successes = counter.successes + 1;
    return {
      counter: { successes, failures: 0 },
      verdict: successes >= config.successThreshold ? "pass" : null,
    };
  }
  const failures = counter.failures + 1;
  return {
    counter: { successes: 0, failures },
    verdict: failures >= config.failureThreshold ? "fail" : null,
  };
}
