/**
 * The `server` section of shipgate.yaml: where `shipgate serve` listens. The flags API for SDKs is
 * served there today; the team API and dashboard (issue #10) will share the same section.
 */
import { z } from "zod";

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
  })
  .strict();

export type ServerConfig = z.output<typeof serverConfigSchema>;
