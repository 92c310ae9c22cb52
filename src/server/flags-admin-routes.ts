/**
 * The team API's flag routes (a fastify plugin, mounted at /api/environments), behind the global
 * auth hook (registerAuth) that sets `request.principal` and checks each route's
 * `config.permission`, the environment's access rules and the token's environment scope:
 * - GET   /:env/flags        (read)   `{ flags: FlagListEntry[] }`, each with its state in `env`;
 * - PATCH /:env/flags/:key   (flags)  body `{ enabled?, rollout?, killed?, rules?, variants? }` →
 *   `{ flag: FlagListEntry, changes: FlagChangeResult[] }` (one change per field, in the order
 *   applied: kill, disable, rules, variants, rollout, enable, unkill — whatever narrows who gets
 *   the flag first, whatever widens it last).
 * Changes go through the FlagService's patch with the principal's name as actor and the request's
 * address as source, so each one lands in the flag's history and in the hash-chained audit log. The
 * whole body is validated before the first change: its shape here (with the service's rule and
 * variant schemas), then by the service against the state it leads to (rules may serve only the
 * variants the flag has after the PATCH); a refused PATCH changes nothing.
 * The service's errors name CLI commands in their hints; flagApiHints gives the API's instead (the
 * CLI's go along as cliHint). The routes' own refusals (RouteError, sendApiError) carry both: the
 * API's hint and the `shipgate flags …` command a user of `shipgate --server …` runs.
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type * as Wire from "../api/wire-types.js";
import {
  type FlagActor,
  type FlagListEntry,
  type FlagService,
  targetingRulesSchema,
  variantsSchema,
} from "../flags/service.js";
import { ruleExample, ruleOperators, variantExample } from "../flags/types.js";
import type { LedgerStore } from "../ledger/types.js";
import { type ApiHints, authApiHints, RouteError, sendApiError } from "./api-error.js";
import { principalOf } from "./auth/index.js";

export interface FlagsAdminRoutesOptions {
  /** One service for every request: the actor and source are passed per call. */
  flags: FlagService;
  ledger: LedgerStore;
  /** The environments of shipgate.yaml; any other `:env` is 404. */
  knownEnvironments: readonly string[];
}

const percentMessage = "expected a whole percentage from 0 to 100";

/** The PATCH body: at least one field, nothing else; rules and variants as the service accepts them. */
export const flagPatchBodySchema = z
  .object({
    enabled: z.boolean({ error: "expected true or false" }).optional(),
    rollout: z
      .number({ error: percentMessage })
      .int(percentMessage)
      .min(0, percentMessage)
      .max(100, percentMessage)
      .optional(),
    killed: z.boolean({ error: "expected true or false" }).optional(),
    rules: targetingRulesSchema.optional(),
    variants: variantsSchema.optional(),
  })
  .strict()
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: "expected at least one of enabled, rollout, killed, rules, variants",
  });

export type FlagPatchBody = z.infer<typeof flagPatchBodySchema>;

/** Each zod issue as `path: message` (`body` for the whole body). */
export function describeRequestIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => {
    const where = issue.path
      .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join("");
    return `${where || root}: ${issue.message}`;
  });
}

/** The actor of a change made through the team API: the principal's name, from the client's address. */
export function requestActor(request: FastifyRequest): Exclude<FlagActor, string> {
  return { name: principalOf(request).name, source: request.ip };
}

/** The create body the hints show: a release flag needs a removal date, other types may leave it out. */
export const flagCreateExample =
  '{"key":"new-checkout","owner":"team-payments","type":"release","removalDate":"2026-09-30"}';

/**
 * The API's hints for the flag service's errors about the flag `keyOf(request)` (the service's own
 * hints name `shipgate flags …` commands): an unknown flag, an archived one, an unaudited change.
 */
export function flagApiHints(keyOf: (request: FastifyRequest) => string): ApiHints {
  return {
    NOT_FOUND: (request) =>
      `GET /api/flag-definitions lists the flags; create "${keyOf(request)}" with POST /api/flag-definitions, e.g. ${flagCreateExample}.`,
    CONFLICT: (request) =>
      `Archived flags are off everywhere and read-only. Remove ${keyOf(request)} from code, or create a new flag with POST /api/flag-definitions.`,
    LEDGER_FAILED: (request) =>
      `Check the audit log with GET /api/audit/verify; GET /api/flag-definitions/${encodeURIComponent(keyOf(request))} shows the change.`,
  };
}

const paramsSchema = z.object({ env: z.string(), key: z.string().optional() });

/**
 * The hints for a PATCH body that does not parse: for HTTP callers (the field to send) and for the
 * CLI (the `shipgate flags` command that sets the field; the CLI sends one field per PATCH).
 */
function patchBodyHints(
  field: unknown,
  key: string,
  environment: string,
): { message: string; hint: string; cliHint: string } {
  const at = `${key} --environment ${environment}`;
  if (field === "rules") {
    return {
      message: "invalid targeting rules",
      hint: `Send "rules" as an array such as ${ruleExample}; operators: ${ruleOperators.join(", ")}.`,
      cliHint: `Pass the rules as a JSON array: shipgate flags rules ${at} --json '${ruleExample}'; operators: ${ruleOperators.join(", ")}.`,
    };
  }
  if (field === "variants") {
    return {
      message: "invalid variants",
      hint: `Send "variants" as an array such as ${variantExample}.`,
      cliHint: `Pass the variants as a JSON array: shipgate flags variants ${at} --json '${variantExample}'.`,
    };
  }
  return {
    message: "invalid flag change",
    hint: 'Send a JSON object with any of "enabled" (true or false), "rollout" (0..100), "killed" (true or false), "rules" and "variants" (arrays), e.g. {"enabled":true,"rollout":25}.',
    cliHint: `Use shipgate flags enable|disable|kill|unkill ${at}, or shipgate flags rollout ${key} <0..100> --environment ${environment}.`,
  };
}

export const flagsAdminRoutes: FastifyPluginAsync<FlagsAdminRoutesOptions> = async (app, options) => {
  const { flags, ledger, knownEnvironments } = options;

  function environmentOf(request: FastifyRequest): string {
    const { env } = paramsSchema.parse(request.params);
    if (!knownEnvironments.includes(env)) {
      const known = knownEnvironments.join(", ");
      throw new RouteError("NOT_FOUND", `no environment "${env}"`, {
        hint:
          knownEnvironments.length > 0
            ? `Environments: ${known} (GET /api/environments lists them).`
            : "Declare environments under environments: in shipgate.yaml.",
        cliHint:
          knownEnvironments.length > 0
            ? `The server's environments: ${known}. Pass one with --environment.`
            : "The server's shipgate.yaml declares no environments: declare them under environments: there.",
      });
    }
    return env;
  }

  async function entryOf(key: string, environment: string): Promise<FlagListEntry | null> {
    const definition = await ledger.getFlag(key);
    if (definition === null) return null;
    return { definition, states: [{ environment, state: await ledger.getFlagState(key, environment) }] };
  }

  app.get("/:env/flags", { config: { permission: "read", apiHints: authApiHints } }, async (request) => {
    const environment = environmentOf(request);
    return { flags: await flags.list(environment) } satisfies { flags: Wire.FlagListEntry[] };
  });

  const keyOf = (request: FastifyRequest) => paramsSchema.safeParse(request.params).data?.key ?? "<key>";
  const patchHints: ApiHints = {
    ...flagApiHints(keyOf),
    // The body's shape is checked before the service sees it: its refusal left is a rule serving a
    // variant the flag would not have.
    USAGE: (request) =>
      `Rules may serve only variants the flag has after the change: send "variants" with them in the same PATCH, or serve one of its variants (GET /api/flag-definitions/${encodeURIComponent(keyOf(request))} shows them).`,
  };
  const patchRoute = {
    config: { permission: "flags" as const, apiHints: { ...authApiHints, ...patchHints } },
  };
  app.patch("/:env/flags/:key", patchRoute, async (request, reply) => {
    const environment = environmentOf(request);
    const key = paramsSchema.parse(request.params).key ?? "";
    const parsed = flagPatchBodySchema.safeParse(request.body);
    if (!parsed.success) {
      const fields = new Set(parsed.error.issues.map((issue) => issue.path[0]));
      const { message, hint, cliHint } = patchBodyHints(
        fields.size === 1 ? [...fields][0] : undefined,
        key,
        environment,
      );
      return sendApiError(reply, 400, "BAD_REQUEST", message, {
        details: describeRequestIssues(parsed.error, "body"),
        hint,
        cliHint,
      });
    }
    // Validated as a whole against the state it leads to, applied narrowing first (FlagService.patch).
    const changes = await flags.patch(key, environment, parsed.data, requestActor(request));
    const flag = await entryOf(key, environment);
    if (flag === null) {
      throw new RouteError("NOT_FOUND", `no flag "${key}"`, {
        hint: "GET /api/flag-definitions lists the flags.",
        cliHint: "Run `shipgate flags list` to see the flags.",
      });
    }
    return { flag, changes };
  });
};
