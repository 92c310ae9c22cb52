/**
 * The auth hook and /auth routes on a small fastify app with a route of each permission: bearer
 * tokens of each role, SDK tokens refused, revocation, sessions with CSRF and Origin checks,
 * per-environment rules and scopes, fail-closed routes, the failure limit, and no secret in any
 * reply or log line.
 */
import { Writable } from "node:stream";
import fastify, { type FastifyInstance, type LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryLedger } from "../../ledger/index.js";
import type { LedgerStore } from "../../ledger/types.js";
import { registerApiErrors } from "../api-error.js";
import { createApiToken, createSdkToken, revokeApiToken } from "../api-token.js";
import { checkApiToken } from "../token-auth.js";
import { principalOf, registerAuth, requirePermission } from "./auth-plugin.js";
import { type AccessRules, type Permission, type Role, roles } from "./roles.js";

const environments = ["staging", "production"];
const rules: Record<string, AccessRules> = { staging: {}, production: { deploy: "approver" } };
const host = "shipgate.example:4900";

interface Harness {
  app: FastifyInstance;
  ledger: LedgerStore;
  logLines: string[];
  /** Every token, session id and CSRF token handed out (none may appear in a reply or a log line). */
  secrets: string[];
  bodies: string[];
  tokenOf: Record<Role, string>;
  request: (options: {
    method?: "GET" | "POST" | "DELETE";
    url: string;
    headers?: Record<string, string>;
    body?: unknown;
    ip?: string;
  }) => Promise<LightMyRequestResponse>;
}

async function harness(
  extra: { failureLimit?: number; secureCookies?: boolean; now?: () => Date } = {},
): Promise<Harness> {
  const logLines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const app = fastify({ logger: { stream, level: "info" } });
  registerApiErrors(app);
  const ledger = createMemoryLedger();
  await registerAuth(app, {
    ledger,
    accessRules: (environment) => rules[environment],
    ...extra,
  });
  const routes: [string, "GET" | "POST", Permission | "sdk" | undefined][] = [
    ["/public", "GET", "public"],
    ["/sdk", "GET", "sdk"],
    ["/read", "GET", "read"],
    ["/read", "POST", "read"],
    ["/admin", "GET", "admin"],
    ["/approve", "POST", "approve"],
    ["/env/:env", "GET", "read"],
    ["/env/:env/deploys", "POST", "deploy"],
    ["/env/:env/flags", "POST", "flags"],
    ["/unguarded", "GET", undefined],
  ];
  for (const [url, method, permission] of routes) {
    app.route({
      method,
      url,
      ...(permission === undefined ? {} : { config: { permission } }),
      handler: async (request) => ({ ok: true, who: request.principal?.name ?? null }),
    });
  }
  app.get<{ Params: { env: string } }>(
    "/deploys-in/:env",
    { config: { permission: "read" } },
    async (request) => {
      // Learns the environment from a resource, like POST /api/deploys/:id/approve.
      const principal = requirePermission(request, "deploy", request.params.env);
      return { actor: principalOf(request).name, role: principal.role };
    },
  );
  await app.ready();

  const secrets: string[] = [];
  const bodies: string[] = [];
  const tokenOf = {} as Record<Role, string>;
  for (const role of roles) {
    const { token } = await createApiToken({
      ledger,
      role,
      environment: null,
      name: `${role}-user`,
      actor: "test",
      knownEnvironments: environments,
    });
    tokenOf[role] = token;
    secrets.push(token);
  }
  const request: Harness["request"] = async ({ method = "GET", url, headers = {}, body, ip }) => {
    const response = await app.inject({
      method,
      url,
      headers: { host, ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
      ...(ip === undefined ? {} : { remoteAddress: ip }),
    });
    bodies.push(response.body);
    return response;
  };
  return { app, ledger, logLines, secrets, bodies, tokenOf, request };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Logs in with a token; returns the cookie header to send and the CSRF token. */
async function login(h: Harness, token: string) {
  const response = await h.request({ method: "POST", url: "/auth/login", body: { token } });
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((c) => c.name === "sg_session");
  if (cookie === undefined) throw new Error("no session cookie");
  const { csrfToken } = response.json() as { csrfToken: string };
  h.secrets.push(cookie.value, csrfToken);
  return { cookie, csrfToken, headers: { cookie: `sg_session=${cookie.value}` }, response };
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.app.close();
  // No token, session id or CSRF token in a reply body (other than login's own CSRF token) or a log line.
  const logs = h.logLines.join("");
  expect(logs.length).toBeGreaterThan(0);
  for (const secret of h.secrets) {
    expect(logs).not.toContain(secret);
    for (const body of h.bodies) {
      if (body.includes('"csrfToken"')) continue; // login and session answers carry their CSRF token
      expect(body).not.toContain(secret);
    }
  }
});

describe("bearer tokens", () => {
  const expected: Record<string, Role[]> = {
    "GET /read": ["viewer", "deployer", "approver", "admin"],
    "POST /env/staging/deploys": ["deployer", "approver", "admin"],
    "POST /env/staging/flags": ["deployer", "approver", "admin"],
    "POST /approve": ["approver", "admin"],
    "GET /admin": ["admin"],
  };
  for (const [route, allowed] of Object.entries(expected)) {
    it(`${route} answers ${allowed.join(", ")} and refuses the other roles with 403`, async () => {
      const [method, url] = route.split(" ") as ["GET" | "POST", string];
      for (const role of roles) {
        const response = await h.request({ method, url, headers: bearer(h.tokenOf[role]) });
        if (allowed.includes(role)) {
          expect(response.statusCode, role).toBe(200);
          expect(response.json()).toEqual({ ok: true, who: `${role}-user` });
        } else {
          expect(response.statusCode, role).toBe(403);
          expect(response.json().error).toMatchObject({
            code: "FORBIDDEN",
            message: expect.stringContaining(`needs the ${allowed[0]} role`),
          });
        }
      }
    });
  }

  it("answers 401 with a hint without credentials and for an unknown token; public routes need none", async () => {
    const none = await h.request({ url: "/read" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toContain("Bearer");
    expect(none.json().error).toMatchObject({
      code: "UNAUTHORIZED",
      // An HTTP caller's hint: the API request that makes a token (auth-hints.test.ts walks every route).
      hint: expect.stringContaining("an admin creates one with POST /api/tokens"),
    });
    const unknown = await h.request({ url: "/read", headers: bearer("sg_api_nope") });
    expect(unknown.statusCode).toBe(401);
    expect((await h.request({ url: "/public" })).statusCode).toBe(200);
    expect((await h.request({ url: "/sdk" })).statusCode).toBe(200); // the SDK routes authenticate themselves
    expect((await h.request({ url: "/no-such-route", headers: bearer(h.tokenOf.admin) })).statusCode).toBe(
      404,
    );
  });

  it("says the header must be `Authorization: Bearer <token>` when the scheme is missing or another, not 'unknown token'", async () => {
    const token = h.tokenOf.admin;
    const cases: [string, string][] = [
      [token, "has no scheme"],
      [`Token ${token}`, "uses the Token scheme"],
      [`Basic ${Buffer.from(`admin:${token}`).toString("base64")}`, "uses the Basic scheme"],
      ["Bearer", "no token after Bearer"],
    ];
    for (const [header, what] of cases) {
      const response = await h.request({ url: "/read", headers: { authorization: header } });
      expect(response.statusCode, header).toBe(401);
      const error = response.json().error;
      expect(error.code).toBe("UNAUTHORIZED");
      expect(error.message).toContain(what);
      expect(error.message).toContain("it must be `Authorization: Bearer <token>`");
      expect(error.message).not.toContain("unknown");
      expect(error.hint).toContain("`Authorization: Bearer <token>`");
      expect(error.cliHint).toContain("pass the Authorization header unchanged");
      expect(response.body).not.toContain(token);
    }
    // The flags API's own check (token-auth.ts) says the same.
    expect(await checkApiToken(h.ledger, token, ["sdk"])).toEqual({
      state: "malformed",
      message: expect.stringContaining("has no scheme"),
    });
    expect((await h.request({ url: "/read", headers: bearer(token) })).statusCode).toBe(200);
  });

  it("refuses an SDK token on team routes and a role token on the SDK API", async () => {
    const sdk = await createSdkToken({
      ledger: h.ledger,
      environment: "staging",
      name: "web",
      actor: "t",
      knownEnvironments: environments,
    });
    h.secrets.push(sdk.token);
    const response = await h.request({ url: "/read", headers: bearer(sdk.token) });
    expect(response.statusCode).toBe(401);
    const login = await h.request({ method: "POST", url: "/auth/login", body: { token: sdk.token } });
    expect(login.statusCode).toBe(401);
    expect(login.json().error.hint).toContain("SDK tokens cannot log in");
    // The flags API's own check (token-auth.ts) accepts SDK tokens only.
    expect((await checkApiToken(h.ledger, `Bearer ${h.tokenOf.admin}`, ["sdk"])).state).toBe("rejected");
    expect((await checkApiToken(h.ledger, `Bearer ${sdk.token}`, ["sdk"])).state).toBe("valid");
  });

  it("answers 401 once a token is revoked", async () => {
    const { record, token } = await createApiToken({
      ledger: h.ledger,
      role: "admin",
      environment: null,
      name: "gone",
      actor: "t",
      knownEnvironments: environments,
    });
    h.secrets.push(token);
    expect((await h.request({ url: "/read", headers: bearer(token) })).statusCode).toBe(200);
    await revokeApiToken(h.ledger, record.id, { actor: "t" });
    expect((await h.request({ url: "/read", headers: bearer(token) })).statusCode).toBe(401);
  });

  it("fails closed with 500 on a route that declares no permission", async () => {
    const response = await h.request({ url: "/unguarded", headers: bearer(h.tokenOf.admin) });
    expect(response.statusCode).toBe(500);
    expect(response.json().error).toMatchObject({
      code: "INTERNAL",
      message: "route declares no permission",
    });
  });
});

describe("environments", () => {
  it("applies an environment's access rules: deploy to production needs approver there", async () => {
    const url = "/env/production/deploys";
    const deployer = await h.request({ method: "POST", url, headers: bearer(h.tokenOf.deployer) });
    expect(deployer.statusCode).toBe(403);
    expect(deployer.json().error.message).toContain("needs the approver role in production");
    expect((await h.request({ method: "POST", url, headers: bearer(h.tokenOf.approver) })).statusCode).toBe(
      200,
    );
    expect(
      (await h.request({ method: "POST", url: "/env/staging/deploys", headers: bearer(h.tokenOf.deployer) }))
        .statusCode,
    ).toBe(200);
  });

  it("refuses an environment-scoped token on another environment's routes", async () => {
    const { token } = await createApiToken({
      ledger: h.ledger,
      role: "deployer",
      environment: "staging",
      name: "ci-staging",
      actor: "t",
      knownEnvironments: environments,
    });
    h.secrets.push(token);
    expect(
      (await h.request({ method: "POST", url: "/env/staging/deploys", headers: bearer(token) })).statusCode,
    ).toBe(200);
    const other = await h.request({ method: "POST", url: "/env/production/deploys", headers: bearer(token) });
    expect(other.statusCode).toBe(403);
    expect(other.json().error.message).toContain("may act on staging only");
    expect((await h.request({ url: "/env/production", headers: bearer(token) })).statusCode).toBe(403);
    expect((await h.request({ url: "/read", headers: bearer(token) })).statusCode).toBe(200);
  });

  it("requirePermission checks an environment learnt in the handler", async () => {
    expect(
      (await h.request({ url: "/deploys-in/staging", headers: bearer(h.tokenOf.deployer) })).json(),
    ).toEqual({ actor: "deployer-user", role: "deployer" });
    const refused = await h.request({ url: "/deploys-in/production", headers: bearer(h.tokenOf.deployer) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe("FORBIDDEN");
  });
});

describe("sessions", () => {
  it("logs in with a role token: HttpOnly, SameSite=Strict cookie and a CSRF token; GET works without it", async () => {
    const { cookie, headers, csrfToken, response } = await login(h, h.tokenOf.deployer);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/", maxAge: 8 * 3600 });
    expect(cookie.secure).toBeUndefined();
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.json().principal).toMatchObject({
      name: "deployer-user",
      role: "deployer",
      environment: null,
      via: "session",
    });
    expect((await h.request({ url: "/read", headers })).json()).toEqual({ ok: true, who: "deployer-user" });
    const session = await h.request({ url: "/auth/session", headers });
    expect(session.json()).toMatchObject({ csrfToken, principal: { name: "deployer-user" } });
  });

  it("sets Secure when configured", async () => {
    await h.app.close();
    h = await harness({ secureCookies: true });
    const { cookie } = await login(h, h.tokenOf.viewer);
    expect(cookie.secure).toBe(true);
  });

  it("refuses unsafe cookie requests without the CSRF token, with a wrong one, or from another origin", async () => {
    const { headers, csrfToken } = await login(h, h.tokenOf.deployer);
    const url = "/env/staging/deploys";
    const missing = await h.request({ method: "POST", url, headers });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error).toMatchObject({ code: "FORBIDDEN", message: "cross-site request refused" });
    expect(
      (await h.request({ method: "POST", url, headers: { ...headers, "x-csrf-token": "wrong" } })).statusCode,
    ).toBe(403);
    const foreign = { ...headers, "x-csrf-token": csrfToken, origin: "https://evil.example" };
    expect((await h.request({ method: "POST", url, headers: foreign })).statusCode).toBe(403);
    const own = { ...headers, "x-csrf-token": csrfToken, origin: `http://${host}` };
    expect((await h.request({ method: "POST", url, headers: own })).statusCode).toBe(200);
    expect(
      (await h.request({ method: "POST", url, headers: { ...headers, "x-csrf-token": csrfToken } }))
        .statusCode,
    ).toBe(200);
    // A bearer token is not ambient: no CSRF token needed.
    expect((await h.request({ method: "POST", url, headers: bearer(h.tokenOf.deployer) })).statusCode).toBe(
      200,
    );
    // Login from another origin is refused too.
    expect(
      (
        await h.request({
          method: "POST",
          url: "/auth/login",
          body: { token: h.tokenOf.viewer },
          headers: { origin: "https://evil.example" },
        })
      ).statusCode,
    ).toBe(403);
  });

  it("ends the sessions of a revoked token, and clears the stale cookie", async () => {
    const { record, token } = await createApiToken({
      ledger: h.ledger,
      role: "viewer",
      environment: null,
      name: "ada",
      actor: "t",
      knownEnvironments: environments,
    });
    h.secrets.push(token);
    const { headers } = await login(h, token);
    expect((await h.request({ url: "/read", headers })).statusCode).toBe(200);
    await revokeApiToken(h.ledger, record.id, { actor: "t" });
    const after = await h.request({ url: "/read", headers });
    expect(after.statusCode).toBe(401);
    expect(after.cookies.find((c) => c.name === "sg_session")?.value).toBe("");
    expect(h.app.shipgateAuth.sessions.size()).toBe(0);
    expect((await h.request({ url: "/auth/session", headers })).statusCode).toBe(401);
  });

  it("expires sessions after their lifetime", async () => {
    await h.app.close();
    let clock = Date.parse("2026-05-01T10:00:00Z");
    h = await harness({ now: () => new Date(clock) });
    const { headers } = await login(h, h.tokenOf.viewer);
    clock += 8 * 3600_000 - 1;
    expect((await h.request({ url: "/read", headers })).statusCode).toBe(200);
    clock += 1;
    expect((await h.request({ url: "/read", headers })).statusCode).toBe(401);
  });

  it("logs out with the CSRF token only", async () => {
    const { headers, csrfToken } = await login(h, h.tokenOf.viewer);
    expect((await h.request({ method: "POST", url: "/auth/logout", headers })).statusCode).toBe(403);
    const out = await h.request({
      method: "POST",
      url: "/auth/logout",
      headers: { ...headers, "x-csrf-token": csrfToken },
    });
    expect(out.json()).toEqual({ loggedOut: true });
    expect(out.cookies.find((c) => c.name === "sg_session")?.value).toBe("");
    expect((await h.request({ url: "/read", headers })).statusCode).toBe(401);
    expect((await h.request({ url: "/auth/session" })).statusCode).toBe(401);
  });

  it("refuses a malformed login body with 400", async () => {
    const response = await h.request({ method: "POST", url: "/auth/login", body: { token: 42 } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("USAGE");
  });
});

describe("failure limit", () => {
  it("answers 429 with Retry-After to failures past 10 from one address, on every credentialed route and login, never to valid credentials", async () => {
    const ip = "203.0.113.7";
    for (let i = 0; i < 10; i++) {
      const failure =
        i % 2 === 0
          ? await h.request({ url: "/read", headers: bearer(`sg_api_guess${i}`), ip })
          : await h.request({ method: "POST", url: "/auth/login", body: { token: `sg_api_guess${i}` }, ip });
      expect(failure.statusCode).toBe(401);
    }
    const limited = await h.request({ url: "/read", headers: bearer("sg_api_guess10"), ip });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("60");
    expect(limited.json().error.code).toBe("RATE_LIMITED");
    expect(
      (await h.request({ method: "POST", url: "/auth/login", body: { token: "sg_api_guess11" }, ip }))
        .statusCode,
    ).toBe(429);
    // A client with a valid token on the same address (behind the same NAT or proxy) is never locked out.
    expect((await h.request({ url: "/read", headers: bearer(h.tokenOf.admin), ip })).statusCode).toBe(200);
    expect(
      (await h.request({ method: "POST", url: "/auth/login", body: { token: h.tokenOf.admin }, ip }))
        .statusCode,
    ).toBe(200);
    expect((await h.request({ url: "/public", ip })).statusCode).toBe(200);
    // Other addresses are unaffected.
    expect(
      (await h.request({ url: "/read", headers: bearer("sg_api_other"), ip: "203.0.113.8" })).statusCode,
    ).toBe(401);
  });

  it("does not count requests that present no credentials, nor successes", async () => {
    for (let i = 0; i < 15; i++) expect((await h.request({ url: "/read" })).statusCode).toBe(401);
    for (let i = 0; i < 15; i++)
      expect((await h.request({ url: "/read", headers: bearer(h.tokenOf.viewer) })).statusCode).toBe(200);
  });

  it("lets the address in again once the window passes", async () => {
    await h.app.close();
    let clock = 0;
    h = await harness({ failureLimit: 2, now: () => new Date(clock) });
    for (let i = 0; i < 2; i++) await h.request({ url: "/read", headers: bearer("sg_api_x") });
    expect((await h.request({ url: "/read", headers: bearer("sg_api_x") })).statusCode).toBe(429);
    clock += 60_000;
    expect((await h.request({ url: "/read", headers: bearer("sg_api_x") })).statusCode).toBe(401);
  });
});
