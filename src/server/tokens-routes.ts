/**
 * /api/tokens: API tokens over HTTP, for admins — list (never a token or its hash), create (a role
 * token, or an SDK token for one environment; the token is in the answer once), revoke. Every
 * creation and revocation is audited with the caller as actor and its address as source. The
 * token functions' hints name `shipgate tokens …` commands; the routes' apiHints name the API's.
 */
import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import { ShipgateError } from "../core/errors.js";
import type { LedgerStore } from "../ledger/types.js";
import { type ApiHints, authApiHints } from "./api-error.js";
import {
  createApiToken,
  createSdkToken,
  listApiTokens,
  revokeApiToken,
  summarizeApiToken,
} from "./api-token.js";
import { principalOf } from "./auth/auth-plugin.js";
import { roles } from "./auth/roles.js";

export interface TokensRoutesOptions {
  ledger: LedgerStore;
  /** The environments shipgate.yaml declares (a token may name only these). */
  knownEnvironments: string[];
  now?: () => Date;
}

const name = z.string().min(1).max(100);

const createBodySchema = z.union([
  z
    .object({ role: z.enum(roles), name, environment: z.string().min(1).max(100).nullable().optional() })
    .strict(),
  z.object({ scope: z.literal("sdk"), name, environment: z.string().min(1).max(100) }).strict(),
]);

export const tokensRoutes: FastifyPluginAsync<TokensRoutesOptions> = async (app, options) => {
  const { ledger, knownEnvironments } = options;
  const now = options.now ?? (() => new Date());
  const admin = { config: { permission: "admin" as const, apiHints: authApiHints } };

  app.get("/", admin, async () => ({ tokens: await listApiTokens(ledger) }));

  const createHints: ApiHints = {
    ...authApiHints,
    USAGE: `Send {"role": "viewer|deployer|approver|admin", "name", "environment"?} or {"scope": "sdk", "name", "environment"}: "name" says who or what uses it (1 to 100 characters), "environment" is one of ${knownEnvironments.join(", ") || "the environments shipgate.yaml declares"}.`,
  };
  app.post("/", { config: { ...admin.config, apiHints: createHints } }, async (request, reply) => {
    const body = createBodySchema.safeParse(request.body);
    if (!body.success) {
      throw new ShipgateError(
        "USAGE",
        'the body must be {"role": "viewer|deployer|approver|admin", "name", "environment"?} or {"scope": "sdk", "name", "environment"}',
        {
          hint: `Example: {"role": "deployer", "name": "ci-staging", "environment": "${knownEnvironments[0] ?? "staging"}"}`,
        },
      );
    }
    const actor = principalOf(request).name;
    const common = { ledger, name: body.data.name, actor, source: request.ip, knownEnvironments, now };
    const created =
      "scope" in body.data
        ? await createSdkToken({ ...common, environment: body.data.environment })
        : await createApiToken({
            ...common,
            role: body.data.role,
            environment: body.data.environment ?? null,
          });
    reply.code(201).header("cache-control", "no-store");
    return { token: created.token, record: summarizeApiToken(created.record) };
  });

  const revokeHints: ApiHints = { ...authApiHints, NOT_FOUND: "GET /api/tokens lists the token ids." };
  app.delete<{ Params: { id: string } }>(
    "/:id",
    { config: { ...admin.config, apiHints: revokeHints } },
    async (request) =>
      revokeApiToken(ledger, request.params.id, {
        actor: principalOf(request).name,
        source: request.ip,
        now,
      }),
  );
};
