/**
 * The `server` section of shipgate.yaml: where `shipgate serve` listens (the team API, the flags
 * API for SDKs and the dashboard), how long dashboard sessions last, and how auth failures are
 * limited.
 */
import { z } from "zod";
import { duration } from "./deploy-schema.js";

export const serverConfigSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .default("127.0.0.1")
      .describe(
        "The address `shipgate serve` listens on. The default accepts local connections only; use 0.0.0.0 behind a TLS-terminating proxy to serve other hosts. --host overrides it.",
      ),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(4900)
      .describe("The TCP port `shipgate serve` listens on (0: any free port). --port overrides it."),
    sessionTtl: duration
      .default(8 * 3_600_000)
      .describe(
        'How long a dashboard session lasts after logging in with a token (e.g. "8h"); the token\'s revocation ends it at once.',
      ),
    secureCookies: z
      .boolean()
      .default(false)
      .describe(
        "Mark the session cookie `Secure` (sent over HTTPS only). Turn it on when the dashboard is served over HTTPS (behind a TLS-terminating proxy).",
      ),
    authFailureLimit: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(10)
      .describe(
        "Failed authentications (unknown or revoked tokens, stale sessions, failed logins) allowed per client address per minute; further failures get 429 with Retry-After until the minute passes. Requests with valid credentials are never refused by it.",
      ),
    trustProxy: z
      .union([z.boolean(), z.array(z.string().min(1)).min(1)])
      .default(false)
      .describe(
        "Behind a reverse proxy: take the client address from X-Forwarded-For (true: from any proxy; or the proxies' addresses/CIDRs, e.g. [127.0.0.1]). The address is what the auth-failure limit counts and the audit log records; without this every request comes from the proxy.",
      ),
  })
  .strict();

export type ServerConfig = z.output<typeof serverConfigSchema>;
