/**
 * Team API route plugins in a small fastify app for unit tests: the server's error handling, its
 * JSON-only body parsing and (optionally) the real auth hook; role tokens made with createApiToken;
 * requests injected with a bearer token; and the permission each route declares.
 */
import fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginOptions,
  type InjectOptions,
  type LightMyRequestResponse,
} from "fastify";
import type { LedgerStore } from "../../src/ledger/types.js";
import { registerApiErrors } from "../../src/server/api-error.js";
import { createApiToken } from "../../src/server/api-token.js";
import { type AuthOptions, registerAuth } from "../../src/server/auth/index.js";
import type { Role } from "../../src/server/auth/roles.js";

/** A fastify app with the server's error handler, no text/plain parser (415) and, given `auth`, the auth hook. */
export async function buildRouteApp(
  routes: (app: FastifyInstance) => unknown,
  options: { auth?: AuthOptions; bodyLimit?: number } = {},
): Promise<FastifyInstance> {
  const app = fastify(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit });
  registerApiErrors(app);
  app.removeContentTypeParser("text/plain");
  if (options.auth) await registerAuth(app, options.auth);
  await routes(app);
  await app.ready();
  return app;
}

/** A token of `role` named `name`, for every environment or scoped to `environment`. */
export type TokenSpec = readonly [role: Role, name: string, environment?: string];

/** One API token per spec, created by "setup" in `ledger`. */
export async function createRoleTokens<K extends string>(
  ledger: LedgerStore,
  specs: Record<K, TokenSpec>,
  knownEnvironments: string[] = [],
): Promise<Record<K, string>> {
  const tokens = {} as Record<K, string>;
  for (const key of Object.keys(specs) as K[]) {
    const [role, name, environment = null] = specs[key];
    const created = await createApiToken({
      ledger,
      role,
      environment,
      name,
      actor: "setup",
      knownEnvironments,
    });
    tokens[key] = created.token;
  }
  return tokens;
}

export interface CallOptions<K extends string> {
  /** Whose token goes in the bearer header (null: none; default: the app's default caller). */
  as?: K | null;
  /** A bearer token not among the app's (overrides `as`). */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, with content-type `type` (default application/json). */
  raw?: string;
  type?: string;
  /** The client's address. */
  ip?: string;
}

export interface RouteApp<K extends string> {
  app: FastifyInstance;
  tokens: Record<K, string>;
  call(
    method: InjectOptions["method"],
    url: string,
    options?: CallOptions<K>,
  ): Promise<LightMyRequestResponse>;
}

export interface RouteAppOptions<K extends string> extends Omit<AuthOptions, "accessRules"> {
  /** Registers the routes under test. */
  routes: (app: FastifyInstance) => unknown;
  /** The tokens to create in `ledger` (the auth hook's), by the name tests call them. */
  tokens: Record<K, TokenSpec>;
  /** Who calls when a request does not say. */
  as: NoInfer<K>;
  knownEnvironments?: string[];
  accessRules?: AuthOptions["accessRules"];
  bodyLimit?: number;
}

/** Creates the tokens, then the app behind the real auth hook, and a `call` that injects as a token's holder. */
export async function startRouteApp<K extends string>(options: RouteAppOptions<K>): Promise<RouteApp<K>> {
  const { routes, tokens: specs, as: defaultAs, knownEnvironments, bodyLimit, ...auth } = options;
  const tokens = await createRoleTokens(options.ledger, specs, knownEnvironments);
  const app = await buildRouteApp(routes, { auth: { accessRules: () => ({}), ...auth }, bodyLimit });
  const call: RouteApp<K>["call"] = (method, url, { as = defaultAs, token, body, raw, type, ip } = {}) => {
    const bearer = token ?? (as === null ? undefined : tokens[as]);
    const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    return app.inject({
      method,
      url,
      headers: {
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        ...(payload === undefined ? {} : { "content-type": type ?? "application/json" }),
      },
      ...(payload === undefined ? {} : { payload }),
      ...(ip ? { remoteAddress: ip } : {}),
    });
  };
  return { app, tokens, call };
}

/** The permission each route of `plugin` declares, by "METHOD url" (HEAD twins included). */
export async function declaredPermissions<O extends FastifyPluginOptions>(
  plugin: FastifyPluginAsync<O>,
  options: O & { prefix: string },
): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  const probe = fastify();
  probe.addHook("onRoute", (route) => {
    seen[`${String(route.method)} ${route.url}`] = route.config?.permission;
  });
  await probe.register(plugin, options);
  await probe.ready();
  await probe.close();
  return seen;
}
