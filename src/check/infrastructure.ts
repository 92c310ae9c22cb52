/**
 * Infrastructure and observability of the target environment, when it has a URL: its TLS certificate
 * is trusted and valid for at least check.tlsMinDays more days, and its health endpoints answer 2xx.
 */
import { isIP } from "node:net";
import { connect, type PeerCertificate } from "node:tls";
import type { Finding } from "../core/finding.js";
import type { Check, CheckContext, CheckItem } from "./types.js";

const docsUrl = "https://github.com/shipgate/shipgate/blob/main/docs/check.md#infrastructure";
const dayMs = 24 * 60 * 60 * 1000;

export interface CertificateFacts {
  validTo: Date;
  subject: string;
  issuer: string;
  /** Why the chain is not trusted, when it is not (e.g. DEPTH_ZERO_SELF_SIGNED_CERT). */
  untrusted: string | undefined;
}

/** Connects to host:port and reads the certificate the server presents (without trusting it). */
export function readCertificate(
  host: string,
  port: number,
  timeoutMs = 10_000,
  ca?: string,
): Promise<CertificateFacts> {
  return new Promise((resolve, reject) => {
    // SNI carries host names only, never an IP address.
    const sni = isIP(host) === 0 ? { servername: host } : {};
    const socket = connect({ host, port, ...sni, rejectUnauthorized: false, ...(ca ? { ca } : {}) });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const cert: PeerCertificate = socket.getPeerCertificate();
      const facts: CertificateFacts = {
        validTo: new Date(cert.valid_to),
        subject: cert.subject?.CN ?? host,
        issuer: cert.issuer?.CN ?? cert.issuer?.O ?? "unknown issuer",
        untrusted: socket.authorized ? undefined : String(socket.authorizationError),
      };
      socket.end();
      resolve(facts);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function certificateFindings(
  url: string,
  facts: CertificateFacts,
  now: Date,
  minDays: number,
): Finding[] {
  const out: Finding[] = [];
  const days = Math.floor((facts.validTo.getTime() - now.getTime()) / dayMs);
  if (days < minDays) {
    out.push({
      ruleId: "check-tls-expiring",
      severity: "error",
      message:
        days < 0
          ? `the TLS certificate of ${url} expired on ${facts.validTo.toISOString().slice(0, 10)}`
          : `the TLS certificate of ${url} expires in ${days} days (${facts.validTo.toISOString().slice(0, 10)}); at least ${minDays} are required`,
      help: "Renew the certificate (check the ACME/cert-manager job), then run the check again.",
      docsUrl,
    });
  }
  if (facts.untrusted) {
    out.push({
      ruleId: "check-tls-untrusted",
      severity: "error",
      message: `the TLS certificate of ${url} (${facts.subject}, issued by ${facts.issuer}) is not trusted: ${facts.untrusted}`,
      help: "Serve a certificate from a public CA with the full chain (or add the internal CA to NODE_EXTRA_CA_CERTS where shipgate runs).",
      docsUrl,
    });
  }
  return out;
}

async function probe(url: string, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await res.body?.cancel();
    return { status: res.status };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      error: cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error)),
    };
  }
}

export const infrastructureCheck: Check = {
  id: "infrastructure",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const tls = {
      id: "infrastructure.tls",
      group: "infrastructure" as const,
      title: "The TLS certificate is valid and not about to expire",
    };
    const health = {
      id: "observability.health",
      group: "observability" as const,
      title: "Health endpoints answer",
    };
    const environment = ctx.environment === undefined ? undefined : ctx.config.environments[ctx.environment];
    if (ctx.environment === undefined || environment?.url === undefined) {
      const detail =
        ctx.environment === undefined
          ? "no target environment (--environment)"
          : `environments.${ctx.environment}.url is not set`;
      return [
        { ...tls, status: "skipped", detail, findings: [] },
        { ...health, status: "skipped", detail, findings: [] },
      ];
    }
    const url = new URL(environment.url);
    const items: CheckItem[] = [];
    const t0 = performance.now();
    if (url.protocol !== "https:") {
      items.push({
        ...tls,
        status: "fail",
        detail: "not HTTPS",
        findings: [
          {
            ruleId: "check-tls-missing",
            severity: "error",
            message: `${environment.url} is not served over HTTPS`,
            help: "Serve the environment over HTTPS and set its url to https://…",
            docsUrl,
          },
        ],
        durationMs: performance.now() - t0,
      });
    } else {
      try {
        const facts = await readCertificate(url.hostname, Number(url.port || 443));
        const findings = certificateFindings(environment.url, facts, ctx.now, ctx.config.check.tlsMinDays);
        const days = Math.floor((facts.validTo.getTime() - ctx.now.getTime()) / dayMs);
        items.push({
          ...tls,
          status: findings.length > 0 ? "fail" : "pass",
          detail: `expires in ${days} days`,
          findings,
          durationMs: performance.now() - t0,
        });
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        items.push({
          ...tls,
          status: "fail",
          detail: why,
          findings: [
            {
              ruleId: "check-unreachable",
              severity: "error",
              message: `could not open a TLS connection to ${url.host}: ${why}`,
              help: "Check the environment's url and that it is reachable from where the check runs.",
              docsUrl,
            },
          ],
          durationMs: performance.now() - t0,
        });
      }
    }
    const t1 = performance.now();
    const findings: Finding[] = [];
    for (const p of environment.health) {
      const target = new URL(p, url).href;
      const r = await probe(target, 10_000);
      if ("status" in r && r.status >= 200 && r.status < 300) continue;
      findings.push({
        ruleId: "check-health-failing",
        severity: "error",
        message: "status" in r ? `${target} answered ${r.status}` : `${target} did not answer: ${r.error}`,
        help: "Fix the environment before deploying to it: a deploy judged against a failing baseline cannot be judged.",
        docsUrl,
      });
    }
    items.push({
      ...health,
      status: findings.length > 0 ? "fail" : "pass",
      detail: `${environment.health.length - findings.length}/${environment.health.length} answered 2xx`,
      findings,
      durationMs: performance.now() - t1,
    });
    return items;
  },
};
