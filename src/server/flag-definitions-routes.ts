/**
 * The team API's flag definition routes (a fastify plugin, mounted at /api/flag-definitions),
 * behind the global auth hook (registerAuth) — what `shipgate flags list|show|create|archive` do:
 * - GET  /              (read)   `?environment=&archived=true` → `{ flags: FlagListEntry[] }`, the
 *   flags with their state in that environment (default: every environment), archived ones only
 *   with archived=true — what `shipgate flags list --format json` prints;
 * - GET  /:key          (read)   `FlagDetails`: definition, state per environment, latest audit
 *   entries — what `shipgate flags show --format json` prints;
 * - POST /              (admin)  `{ key, owner, description?, type?, removalDate? }` → 201
 *   `{ change: FlagChangeResult }` (409 CONFLICT when the key exists: keys are never reused);
 * - POST /:key/archive  (admin)  → `{ change: FlagChangeResult }` (409 when already archived).
 *   Archiving turns the flag off in every environment, so it needs a token for every environment.
 * Changes go through the FlagService with the principal's name as actor and the request's address
 * as source (the flag's history and the hash-chained audit log). Error hints name API requests:
 * the service's, which name CLI commands, are replaced by each route's `config.apiHints`.
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { FlagListEntry } from "../api/wire-types.js";
import type { FlagService } from "../flags/service.js";
import { flagTypes } from "../flags/types.js";
import { type ApiHints, authApiHints, RouteError, sendApiError } from "./api-error.js";
import { principalOf, requirePermission } from "./auth/index.js";
import {
  describeRequestIssues,
  flagApiHints,
  flagCreateExample,
  requestActor,
} from "./flags-admin-routes.js";

export interface FlagDefinitionsRoutesOptions {
  /** One service for every request: the actor and source are passed per call. */
  flags: FlagService;
}

/** The POST body: what `shipgate flags create` takes; the service checks key, owner and date. */
export const flagCreateBodySchema = z
  .object({
    key: z.string({ error: "expected a flag key such as new-checkout" }).min(1).max(100),
    owner: z.string({ error: "expected who answers for the flag, e.g. team-payments" }).min(1).max(200),
    description: z.string({ error: "expected a text" }).max(2000).optional(),
    type: z.enum(flagTypes, { error: `expected one of ${flagTypes.join(", ")}` }).optional(),
    removalDate: z
      .string({ error: "expected a date YYYY-MM-DD" })
      .max(10, "expected a date YYYY-MM-DD")
      .nullable()
      .optional(),
  })
  .strict();

export type FlagCreateBody = z.infer<typeof flagCreateBodySchema>;

const listQuerySchema = z
  .object({
    environment: z.string().min(1, "expected an environment name").max(100).optional(),
    archived: z.enum(["true", "false"], { error: "expected true or false" }).optional(),
  })
  .strict();

const keyParams = z.object({ key: z.string() });

export const flagDefinitionsRoutes: FastifyPluginAsync<FlagDefinitionsRoutesOptions> = async (
  app,
  options,
) => {
  const { flags } = options;
  const keyOf = (request: FastifyRequest): string => keyParams.parse(request.params).key;
  const keyHints = flagApiHints((request) => keyParams.safeParse(request.params).data?.key ?? "<key>");
  const bodyKey = (request: FastifyRequest): string =>
    flagCreateBodySchema.safeParse(request.body).data?.key ?? "<key>";
  const createHint = `Send {"key", "owner", "description"?, "type"?, "removalDate"?}, e.g. ${flagCreateExample}. A release flag (the default type) needs "removalDate" (YYYY-MM-DD, from today on); kill-switch, ops and permission flags may leave it out.`;

  const listHints: ApiHints = {
    ...authApiHints,
    // An environment shipgate.yaml does not declare: the service's hint lists the declared ones.
    USAGE: (_request, domainHint) =>
      `${/^Declared environments: [^\n]*?\.(?= |$)/.exec(domainHint)?.[0] ?? "GET /api/environments lists the environments."} Use ?environment=<name>, or leave it out for every environment.`,
  };
  app.get("/", { config: { permission: "read", apiHints: listHints } }, async (request, reply) => {
    const parsed = listQuerySchema.safeParse(request.query ?? {});
    if (!parsed.success) {
      return sendApiError(reply, 400, "BAD_REQUEST", "invalid flag list query", {
        details: describeRequestIssues(parsed.error, "query"),
        hint: "Use ?environment=<name>&archived=true, e.g. /api/flag-definitions?environment=production.",
        cliHint:
          "Run `shipgate flags list`, with `--environment <name>` for one environment and `--archived` to include archived flags.",
      });
    }
    const { environment, archived } = parsed.data;
    // A token scoped to one environment reads that environment's states only when it names one.
    if (environment !== undefined) requirePermission(request, "read", environment);
    const list = await flags.list(environment, { includeArchived: archived === "true" });
    return { flags: list } satisfies { flags: FlagListEntry[] };
  });

  app.get(
    "/:key",
    { config: { permission: "read", apiHints: { ...authApiHints, NOT_FOUND: keyHints.NOT_FOUND } } },
    async (request) => await flags.show(keyOf(request)),
  );

  const createHints: ApiHints = {
    ...authApiHints,
    USAGE: createHint,
    CONFLICT: (request) =>
      `Keys are never reused: GET /api/flag-definitions/${encodeURIComponent(bodyKey(request))} shows that flag; send another "key".`,
    LEDGER_FAILED: flagApiHints(bodyKey).LEDGER_FAILED,
  };
  app.post("/", { config: { permission: "admin", apiHints: createHints } }, async (request, reply) => {
    const parsed = flagCreateBodySchema.safeParse(request.body);
    if (!parsed.success) {
      return sendApiError(reply, 400, "BAD_REQUEST", "invalid flag", {
        details: describeRequestIssues(parsed.error, "body"),
        hint: createHint,
        cliHint:
          "Run `shipgate flags create <key> --owner <team> --removal-date YYYY-MM-DD` (--type release | kill-switch | ops | experiment | permission; a release flag, the default, needs --removal-date from today on).",
      });
    }
    const body = parsed.data;
    const change = await flags.createFlag(
      {
        key: body.key,
        owner: body.owner,
        type: body.type ?? "release",
        ...(body.description !== undefined ? { description: body.description } : {}),
        removalDate: body.removalDate ?? null,
      },
      requestActor(request),
    );
    reply.code(201);
    return { change };
  });

  const archiveRoute = {
    config: { permission: "admin" as const, apiHints: { ...authApiHints, ...keyHints } },
  };
  app.post("/:key/archive", archiveRoute, async (request) => {
    const key = keyOf(request);
    const principal = principalOf(request);
    if (principal.environment !== null) {
      throw new RouteError(
        "FORBIDDEN",
        `archiving turns "${key}" off in every environment; the token "${principal.name}" may act on ${principal.environment} only`,
        {
          hint: 'Use an admin token for every environment: an admin creates one with POST /api/tokens {"role":"admin","name":"<name>"} (no "environment").',
          cliHint:
            "Use an admin token for every environment, exported as SHIPGATE_TOKEN: `shipgate tokens create --role admin --name <you>` (without --environment).",
        },
      );
    }
    return { change: await flags.archive(key, requestActor(request)) };
  });
};
