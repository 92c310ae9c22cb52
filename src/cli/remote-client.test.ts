import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ExitCode, isShipgateError, type ShipgateError } from "../core/errors.js";
import { createRemoteClient, errorCodeFromWire, remoteClientFromCli } from "./remote-client.js";

const token = "sg_api_secret_0123456789abcdef";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
/** What the fake server answers next: status, body (an object is sent as JSON). */
let answer: (req: Seen) => { status: number; body: unknown } = () => ({ status: 200, body: {} });

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      const s: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body,
      };
      seen.push(s);
      const a = answer(s);
      const text = typeof a.body === "string" ? a.body : JSON.stringify(a.body);
      res.writeHead(a.status, {
        "content-type": typeof a.body === "string" ? "text/html" : "application/json",
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  answer = () => ({ status: 200, body: {} });
});

async function failure(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    if (isShipgateError(error)) return error;
    throw error;
  }
  throw new Error("expected a ShipgateError");
}

function text(error: ShipgateError): string {
  return [error.message, error.hint ?? "", ...error.details, String(error.cause ?? "")].join("\n");
}

describe("createRemoteClient", () => {
  it("calls each route with the bearer token and a JSON body", async () => {
    answer = (req) =>
      req.method === "POST"
        ? { status: 202, body: { deployId: "d-1" } }
        : { status: 200, body: { entries: [] } };
    const client = createRemoteClient({ baseUrl: `${baseUrl}/`, token });
    expect(await client.deploy("production", { version: "v2", reason: "new checkout" })).toEqual({
      deployId: "d-1",
    });
    await client.promote("production");
    await client.abort("production", { reason: "errors" });
    await client.rollback("prod/eu", { to: "v1", force: true });
    expect(await client.history("production", 5)).toEqual([]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /api/environments/production/deploys",
      "POST /api/environments/production/promote",
      "POST /api/environments/production/abort",
      "POST /api/environments/prod%2Feu/rollback",
      "GET /api/environments/production/history?limit=5",
    ]);
    expect(seen.every((s) => s.authorization === `Bearer ${token}`)).toBe(true);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ version: "v2", reason: "new checkout" });
    expect(JSON.parse(seen[3]?.body ?? "")).toEqual({ to: "v1", force: true });
  });

  it("unwraps approve, reject, flags and the deploy detail", async () => {
    answer = (req) => {
      if (req.url.endsWith("/approve"))
        return {
          status: 200,
          body: { deployId: "d-1", status: "running", approvals: { required: 1, valid: 1 } },
        };
      if (req.url.endsWith("/reject")) return { status: 200, body: { deployId: "d-1", status: "aborted" } };
      if (req.method === "PATCH") return { status: 200, body: { flag: { key: "new-checkout" } } };
      if (req.url.endsWith("/flags")) return { status: 200, body: { flags: [{ key: "a" }] } };
      return { status: 200, body: { environments: [{ name: "production" }] } };
    };
    const client = createRemoteClient({ baseUrl, token });
    expect((await client.approve("d-1", { comment: "ok" })).approvals).toEqual({ required: 1, valid: 1 });
    expect((await client.reject("d-1")).status).toBe("aborted");
    expect(await client.flags("production")).toEqual([{ key: "a" }]);
    expect(await client.patchFlag("production", "new-checkout", { rollout: 50 })).toEqual({
      key: "new-checkout",
    });
    expect((await client.environments())[0]?.name).toBe("production");
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /api/deploys/d-1/approve",
      "POST /api/deploys/d-1/reject",
      "GET /api/environments/production/flags",
      "PATCH /api/environments/production/flags/new-checkout",
      "GET /api/environments",
    ]);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ comment: "ok" });
  });

  it("calls the flag definition, PATCH, audit and token routes and unwraps their answers", async () => {
    answer = (req) => {
      const route = `${req.method} ${req.url.split("?")[0]}`;
      const bodies: Record<string, unknown> = {
        "GET /api/flag-definitions": { flags: [{ definition: { key: "a" }, states: [] }] },
        "GET /api/flag-definitions/new%2Fcheckout": {
          definition: { key: "new/checkout" },
          states: [],
          audit: [],
        },
        "POST /api/flag-definitions": { change: { key: "b", action: "create" } },
        "POST /api/flag-definitions/b/archive": { change: { key: "b", action: "archive" } },
        "PATCH /api/environments/production/flags/b": {
          flag: { definition: { key: "b" } },
          changes: [{ action: "kill" }],
        },
        "GET /api/audit": { entries: [{ seq: 1 }] },
        "GET /api/audit/verify": { ok: true, count: 1 },
        "GET /api/tokens": { tokens: [{ id: "tok_1" }] },
        "POST /api/tokens": { token: "sg_api_new", record: { id: "tok_2" } },
        "DELETE /api/tokens/tok_2": { token: { id: "tok_2" }, alreadyRevoked: false },
      };
      return { status: req.method === "POST" && req.url === "/api/tokens" ? 201 : 200, body: bodies[route] };
    };
    const client = createRemoteClient({ baseUrl, token });
    expect(await client.listFlags()).toEqual([{ definition: { key: "a" }, states: [] }]);
    await client.listFlags({ environment: "production", archived: true });
    expect((await client.showFlag("new/checkout")).definition.key).toBe("new/checkout");
    expect(await client.createFlag({ key: "b", owner: "team", type: "ops" })).toEqual({
      key: "b",
      action: "create",
    });
    expect((await client.archiveFlag("b")).action).toBe("archive");
    expect((await client.changeFlag("production", "b", { killed: true })).changes).toEqual([
      { action: "kill" },
    ]);
    expect(await client.audit()).toEqual([{ seq: 1 }]);
    await client.audit({ afterSeq: 10, limit: 5, target: "flag:b" });
    expect(await client.verifyAudit()).toEqual({ ok: true, count: 1 });
    expect(await client.tokens()).toEqual([{ id: "tok_1" }]);
    expect((await client.createToken({ role: "viewer", name: "vic" })).token).toBe("sg_api_new");
    expect(await client.revokeToken("tok_2")).toEqual({ token: { id: "tok_2" }, alreadyRevoked: false });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /api/flag-definitions",
      "GET /api/flag-definitions?environment=production&archived=true",
      "GET /api/flag-definitions/new%2Fcheckout",
      "POST /api/flag-definitions",
      "POST /api/flag-definitions/b/archive",
      "PATCH /api/environments/production/flags/b",
      "GET /api/audit",
      "GET /api/audit?afterSeq=10&limit=5&target=flag%3Ab",
      "GET /api/audit/verify",
      "GET /api/tokens",
      "POST /api/tokens",
      "DELETE /api/tokens/tok_2",
    ]);
    expect(JSON.parse(seen[3]?.body ?? "")).toEqual({ key: "b", owner: "team", type: "ops" });
    expect(JSON.parse(seen[5]?.body ?? "")).toEqual({ killed: true });
    expect(JSON.parse(seen[10]?.body ?? "")).toEqual({ role: "viewer", name: "vic" });
    expect(seen[11]?.body).toBe("");
  });

  it("keeps the details of an error answer, without the token", async () => {
    answer = (req) => ({
      status: 400,
      body: {
        error: {
          code: "BAD_REQUEST",
          message: "invalid targeting rules",
          details: ["rules[0].operator: invalid option", `echo ${req.authorization}`, 7],
        },
      },
    });
    const client = createRemoteClient({ baseUrl, token });
    const error = await failure(client.changeFlag("production", "b", { rules: [] }));
    expect(error.code).toBe("USAGE");
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.details).toEqual(["rules[0].operator: invalid option", "echo Bearer [token]"]);
  });

  it.each([
    [401, "UNAUTHORIZED", ExitCode.usage],
    [403, "FORBIDDEN", ExitCode.gateFailed],
    [404, "NOT_FOUND", ExitCode.usage],
    [409, "CONFLICT", ExitCode.gateFailed],
    [409, "LOCKED", ExitCode.gateFailed],
    [429, "RATE_LIMITED", ExitCode.usage],
    [500, "SOMETHING_NEW", ExitCode.internal],
  ])(
    "turns a %i %s answer into a ShipgateError with the documented exit code",
    async (status, code, exit) => {
      answer = () => ({
        status,
        body: { error: { code, message: `refused: ${code}`, hint: "do the other thing" } },
      });
      const client = createRemoteClient({ baseUrl, token });
      const error = await failure(client.status("production"));
      expect(error.code).toBe(code === "SOMETHING_NEW" ? "INTERNAL" : code);
      expect(error.exitCode).toBe(exit);
      expect(error.message).toBe(`refused: ${code}`);
      expect(error.hint).toBe("do the other thing");
    },
  );

  it("keeps the server's hint for a refusal that is not about the token", async () => {
    const hint =
      "Approval needs someone else: ask an approver to run `shipgate approve` or use the dashboard.";
    answer = () => ({
      status: 403,
      body: { error: { code: "FORBIDDEN", message: "ci started deploy d1 and cannot approve it", hint } },
    });
    const client = createRemoteClient({ baseUrl, token });
    const error = await failure(client.approve("d1"));
    expect(error.code).toBe("FORBIDDEN");
    expect(error.hint).toBe(hint);
  });

  it("shows the server's cliHint (its advice in CLI terms) instead of the hint for HTTP callers", async () => {
    answer = () => ({
      status: 409,
      body: {
        error: {
          code: "CONFLICT",
          message: "no deploy to promote in production",
          hint: "GET /api/environments/production shows what runs.",
          cliHint: "See what runs with `shipgate status production`.",
        },
      },
    });
    const client = createRemoteClient({ baseUrl, token });
    const error = await failure(client.promote("production"));
    expect(error.code).toBe("CONFLICT");
    expect(error.hint).toBe("See what runs with `shipgate status production`.");
  });

  it("maps fastify's generic codes and bodies that are not JSON", async () => {
    expect(errorCodeFromWire("BAD_REQUEST")).toBe("USAGE");
    expect(errorCodeFromWire("TOO_MANY_REQUESTS")).toBe("RATE_LIMITED");
    expect(errorCodeFromWire(42)).toBe("INTERNAL");
    answer = () => ({ status: 502, body: "<html>bad gateway</html>" });
    const client = createRemoteClient({ baseUrl, token });
    const error = await failure(client.status("production"));
    expect(error.code).toBe("INTERNAL");
    expect(error.message).toContain("502");
  });

  it.each([
    ["status", (c: ReturnType<typeof createRemoteClient>) => c.status("production"), "environment"],
    ["history", (c: ReturnType<typeof createRemoteClient>) => c.history("production"), "entries"],
    ["deployDetail", (c: ReturnType<typeof createRemoteClient>) => c.deployDetail("d-1"), "deploy"],
    [
      "deploy",
      (c: ReturnType<typeof createRemoteClient>) => c.deploy("production", { version: "v2" }),
      "deployId",
    ],
    ["listFlags", (c: ReturnType<typeof createRemoteClient>) => c.listFlags(), "flags"],
    ["tokens", (c: ReturnType<typeof createRemoteClient>) => c.tokens(), "tokens"],
  ])(
    "refuses a 200 that is not a team server's %s reply (TARGET_FAILED, exit 2)",
    async (_name, request, field) => {
      answer = () => ({ status: 200, body: { hello: "world" } });
      const error = await failure(request(createRemoteClient({ baseUrl, token })));
      expect(error.code).toBe("TARGET_FAILED");
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.message).toContain(`the server at ${baseUrl} did not answer as a shipgate team server`);
      expect(error.message).toContain(field);
      expect(error.hint).toContain("--server / SHIPGATE_SERVER");
      expect(error.hint).toContain("version");
      expect(text(error)).not.toContain(token);
    },
  );

  it("refuses a reply whose fields have the wrong types, naming the field", async () => {
    answer = () => ({
      status: 200,
      body: { environment: "production", url: null, current: null, traffic: "all", inProgress: null },
    });
    const error = await failure(createRemoteClient({ baseUrl, token }).status("production"));
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.message).toContain("traffic");
    expect(error.details[0]).toMatch(/^traffic: /);
  });

  it("refuses a 200 that is not JSON (e.g. a web page) as not a team server (exit 2)", async () => {
    answer = () => ({ status: 200, body: "<html>welcome</html>" });
    const error = await failure(createRemoteClient({ baseUrl, token }).status("production"));
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toContain("did not answer as a shipgate team server");
    expect(error.message).toContain("not JSON (text/html)");
    expect(error.hint).toContain("--server / SHIPGATE_SERVER");
  });

  it("never puts the token in an error, even when the server echoes it", async () => {
    answer = (req) => ({
      status: 401,
      body: { error: { code: "UNAUTHORIZED", message: `unknown token ${req.authorization}` } },
    });
    const client = createRemoteClient({ baseUrl, token });
    const error = await failure(client.me());
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(text(error)).not.toContain(token);
    expect(error.hint).toContain("shipgate tokens create --role deployer");
  });

  it("says a refused connection is a server that is not running (TARGET_FAILED), without the token", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createRemoteClient({ baseUrl: `http://127.0.0.1:${port}`, token });
    const error = await failure(client.environments());
    expect(error.code).toBe("TARGET_FAILED");
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.hint).toContain(`shipgate serve\` running at http://127.0.0.1:${port}`);
    expect(text(error)).not.toContain(token);
  });

  it("refuses a missing token, a URL that is not http(s) and credentials in the URL (USAGE)", () => {
    const missing = (() => {
      try {
        createRemoteClient({ baseUrl, token: "" });
      } catch (error) {
        return error as ShipgateError;
      }
    })();
    expect(missing?.code).toBe("USAGE");
    expect(missing?.hint).toContain("shipgate tokens create --role deployer --name <you>");
    expect(() => createRemoteClient({ baseUrl: "ftp://example.com", token })).toThrow(/http or https/);
    expect(() => createRemoteClient({ baseUrl: "not a url", token })).toThrow(/expects a URL/);
    expect(() => createRemoteClient({ baseUrl: "https://a:b@example.com", token })).toThrow(/credentials/);
  });
});

describe("remoteClientFromCli", () => {
  it("is null without --server or SHIPGATE_SERVER (an empty one counts as unset)", () => {
    expect(remoteClientFromCli({ server: undefined, env: {} })).toBeNull();
    expect(remoteClientFromCli({ server: undefined, env: { SHIPGATE_SERVER: "" } })).toBeNull();
  });

  it("takes --server over SHIPGATE_SERVER and the token from SHIPGATE_TOKEN only", () => {
    const client = remoteClientFromCli({
      server: baseUrl,
      env: { SHIPGATE_SERVER: "http://elsewhere:1", SHIPGATE_TOKEN: token },
    });
    expect(client?.baseUrl).toBe(baseUrl);
    expect(() => remoteClientFromCli({ server: undefined, env: { SHIPGATE_SERVER: baseUrl } })).toThrow(
      /SHIPGATE_TOKEN is not set/,
    );
  });
});
