/**
 * The flags API through fastify's inject (and a real listener for the event stream) against the
 * in-memory ledger: token auth and scoping, ETag/304, metrics validation and limits, SSE pushes,
 * and no token in any reply or log line.
 */
import { Writable } from "node:stream";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { FlagDefinition, FlagEnvironmentState, FlagSet } from "../flags/types.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { LedgerStore } from "../ledger/types.js";
import { createSdkToken, revokeApiToken } from "./api-token.js";
import { createServer, type ServerOptions } from "./create-server.js";

const at = "2026-05-01T10:00:00.000Z";
const now = () => new Date(at);
let auditSeq = 0;

function definition(key: string, extra: Partial<FlagDefinition> = {}): FlagDefinition {
  return {
    key,
    description: `${key} flag`,
    owner: "team-web",
    type: "release",
    removalDate: "2030-01-01",
    createdAt: at,
    createdBy: "test",
    archivedAt: null,
    ...extra,
  };
}

function state(
  key: string,
  environment: string,
  extra: Partial<FlagEnvironmentState> = {},
): FlagEnvironmentState {
  return {
    flagKey: key,
    environment,
    enabled: true,
    rollout: 100,
    rules: [],
    variants: [],
    killed: false,
    stickiness: "userId",
    updatedAt: at,
    updatedBy: "test",
    rolloutChangedAt: at,
    ...extra,
  };
}

async function change(
  ledger: LedgerStore,
  key: string,
  parts: { definition?: FlagDefinition; state?: FlagEnvironmentState },
): Promise<number> {
  auditSeq += 1;
  return ledger.applyFlagChange({
    ...parts,
    audit: {
      id: `audit-${auditSeq}`,
      flagKey: key,
      environment: parts.state?.environment ?? null,
      action: "update",
      actor: "test",
      at,
      before: null,
      after: null,
    },
  });
}

interface Fixture {
  ledger: LedgerStore;
  app: FastifyInstance;
  staging: string;
  production: string;
  revoked: string;
  logLines: string[];
}

const open: FastifyInstance[] = [];

afterEach(async () => {
  for (const app of open.splice(0)) await app.close();
});

async function fixture(options: Partial<ServerOptions> = {}): Promise<Fixture> {
  const ledger = createMemoryLedger();
  const environments = ["staging", "production"];
  const token = async (environment: string, name: string) =>
    createSdkToken({ ledger, environment, name, actor: "test", knownEnvironments: environments, now });
  const staging = (await token("staging", "web-staging")).token;
  const production = (await token("production", "web-production")).token;
  const old = await token("production", "old-app");
  await revokeApiToken(ledger, old.record.id, { actor: "test", now });

  await change(ledger, "checkout", {
    definition: definition("checkout"),
    state: state("checkout", "production"),
  });
  await change(ledger, "checkout", { state: state("checkout", "staging", { enabled: false, rollout: 10 }) });
  await change(ledger, "beta", {
    definition: definition("beta"),
    state: state("beta", "production", { rollout: 25 }),
  });
  await change(ledger, "retired", {
    definition: definition("retired", { archivedAt: at }),
    state: state("retired", "production"),
  });

  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  const app = await createServer({
    ledger,
    now,
    logger: { stream: logStream, level: "trace" },
    ...options,
  });
  open.push(app);
  return { ledger, app, staging, production, revoked: old.token, logLines };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("GET /health", () => {
  it("answers ok without a token", async () => {
    const { app } = await fixture();
    const res = await app.inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });
});

describe("token auth", () => {
  it("refuses a request without a token with 401 and a JSON error", async () => {
    const { app } = await fixture();
    const res = await app.inject({ method: "GET", url: "/api/flags" });
    expect(res.statusCode).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(res.json()).toMatchObject({ error: { code: "UNAUTHORIZED", message: expect.any(String) } });
  });

  it("refuses an unknown token, a malformed header and a revoked token", async () => {
    const { app, revoked, production } = await fixture();
    for (const authorization of [
      "Bearer sg_sdk_not-a-real-token",
      `Basic ${production}`,
      "Bearer",
      `Bearer ${revoked}`,
    ]) {
      const res = await app.inject({ method: "GET", url: "/api/flags", headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json().error.code).toBe("UNAUTHORIZED");
    }
    for (const url of ["/api/flags/stream", "/api/flags/metrics"]) {
      const res = await app.inject({
        method: url.endsWith("metrics") ? "POST" : "GET",
        url,
        headers: bearer(revoked),
      });
      expect(res.statusCode, url).toBe(401);
    }
  });

  it("scopes every answer to the token's environment: staging never sees production's flags", async () => {
    const { app, staging, production } = await fixture();
    const prod = (
      await app.inject({ method: "GET", url: "/api/flags", headers: bearer(production) })
    ).json<FlagSet>();
    const stag = (
      await app.inject({ method: "GET", url: "/api/flags", headers: bearer(staging) })
    ).json<FlagSet>();

    expect(prod.environment).toBe("production");
    expect(prod.flags.map((f) => [f.key, f.enabled, f.rollout])).toEqual([
      ["beta", true, 25],
      ["checkout", true, 100],
    ]);
    expect(stag.environment).toBe("staging");
    // beta has no state in staging: present, off, rollout 0. checkout: staging's own state.
    expect(stag.flags.map((f) => [f.key, f.enabled, f.rollout])).toEqual([
      ["beta", false, 0],
      ["checkout", false, 10],
    ]);
    // The archived flag is omitted everywhere.
    expect(JSON.stringify([prod, stag])).not.toContain("retired");
  });
});

describe("GET /api/flags", () => {
  it("sends an ETag of the revision, 304 on If-None-Match, and a new ETag after a change", async () => {
    const { app, ledger, production } = await fixture();
    const first = await app.inject({ method: "GET", url: "/api/flags", headers: bearer(production) });
    expect(first.statusCode).toBe(200);
    const revision = await ledger.flagRevision();
    expect(first.headers.etag).toBe(`"r${revision}"`);
    expect(first.headers["cache-control"]).toBe("no-cache");
    expect(first.json<FlagSet>().revision).toBe(revision);

    const again = await app.inject({
      method: "GET",
      url: "/api/flags",
      headers: { ...bearer(production), "if-none-match": first.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers.etag).toBe(first.headers.etag);

    await change(ledger, "checkout", { state: state("checkout", "production", { killed: true }) });
    const changed = await app.inject({
      method: "GET",
      url: "/api/flags",
      headers: { ...bearer(production), "if-none-match": first.headers.etag as string },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).toBe(`"r${revision + 1}"`);
    expect(changed.json<FlagSet>().flags.find((f) => f.key === "checkout")?.killed).toBe(true);
  });

  it("matches weak and listed validators", async () => {
    const { app, ledger, production } = await fixture();
    const etag = `"r${await ledger.flagRevision()}"`;
    for (const ifNoneMatch of [`W/${etag}`, `"r0", ${etag}`, "*"]) {
      const res = await app.inject({
        method: "GET",
        url: "/api/flags",
        headers: { ...bearer(production), "if-none-match": ifNoneMatch },
      });
      expect(res.statusCode, ifNoneMatch).toBe(304);
    }
  });
});

describe("POST /api/flags/metrics", () => {
  const body = {
    start: "2026-05-01T09:59:00.000Z",
    end: "2026-05-01T10:00:00.000Z",
    counts: [
      { flagKey: "checkout", variant: null, enabled: true, count: 40 },
      { flagKey: "checkout", variant: null, enabled: false, count: 2 },
      { flagKey: "checkout", variant: null, enabled: true, count: 2 },
    ],
  };

  it("stores the counts for the token's environment and the day of end", async () => {
    const { app, ledger, staging } = await fixture();
    const res = await app.inject({
      method: "POST",
      url: "/api/flags/metrics",
      headers: bearer(staging),
      payload: body,
    });
    expect(res.statusCode).toBe(202);
    expect(await ledger.listFlagEvaluations("staging", "checkout")).toEqual([
      { day: "2026-05-01", flagKey: "checkout", variant: null, enabled: false, count: 2 },
      { day: "2026-05-01", flagKey: "checkout", variant: null, enabled: true, count: 42 },
    ]);
    expect(await ledger.listFlagEvaluations("production")).toEqual([]);
  });

  it("answers 400 with the problems for a malformed body, and keeps serving", async () => {
    const { app, production } = await fixture();
    const cases: [string, unknown][] = [
      ["counts missing", { start: body.start, end: body.end }],
      [
        "negative count",
        { ...body, counts: [{ flagKey: "checkout", variant: null, enabled: true, count: -1 }] },
      ],
      ["bad time", { ...body, start: "yesterday" }],
      ["end before start", { ...body, start: body.end, end: body.start }],
      ["end far ahead", { ...body, end: "2026-06-01T00:00:00.000Z" }],
      ["not an object", [1, 2, 3]],
    ];
    for (const [what, payload] of cases) {
      const res = await app.inject({
        method: "POST",
        url: "/api/flags/metrics",
        headers: bearer(production),
        payload: payload as object,
      });
      expect(res.statusCode, what).toBe(400);
      expect(res.json().error, what).toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/metrics body/),
      });
    }
    const negative = await app.inject({
      method: "POST",
      url: "/api/flags/metrics",
      headers: bearer(production),
      payload: { ...body, counts: [{ flagKey: "checkout", variant: null, enabled: true, count: -1 }] },
    });
    expect(negative.json().error.details).toEqual([expect.stringMatching(/^counts\[0\]\.count: /)]);

    const broken = await app.inject({
      method: "POST",
      url: "/api/flags/metrics",
      headers: { ...bearer(production), "content-type": "application/json" },
      payload: '{"start": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe("BAD_REQUEST");

    const text = await app.inject({
      method: "POST",
      url: "/api/flags/metrics",
      headers: { ...bearer(production), "content-type": "text/plain" }, // JSON only
      payload: "hello",
    });
    expect(text.statusCode).toBe(415);
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });

  it("answers 413 for a body over the limit", async () => {
    const { app, production } = await fixture();
    const counts = Array.from({ length: 2000 }, (_, i) => ({
      flagKey: `flag-with-a-long-name-${i}`,
      variant: null,
      enabled: true,
      count: 1,
    }));
    const res = await app.inject({
      method: "POST",
      url: "/api/flags/metrics",
      headers: bearer(production),
      payload: { ...body, counts },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      hint: "Send a smaller body: this route takes at most 64 KiB.",
    });
  });
});

describe("an Authorization header that is not `Bearer <token>`", () => {
  it("is told the header's form on the flags API, not that the token is unknown", async () => {
    const { app, production } = await fixture();
    const res = await app.inject({
      method: "GET",
      url: "/api/flags",
      headers: { authorization: production },
    });
    expect(res.statusCode).toBe(401);
    const error = res.json().error;
    expect(error.message).toContain("has no scheme");
    expect(error.message).toContain("`Authorization: Bearer <token>`");
    expect(error.hint).toContain("`Authorization: Bearer <token>`");
    expect(res.body).not.toContain(production);
  });
});

describe("unknown routes", () => {
  it("answer 404 in the error shape", async () => {
    const { app } = await fixture();
    const res = await app.inject({ method: "GET", url: "/api/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("NOT_FOUND");
  });

  it("answer 404 with where the routes are (hint) and what a CLI user checks (cliHint)", async () => {
    const { app } = await fixture();
    const res = await app.inject({ method: "GET", url: "/v1/environments?x=1" });
    expect(res.statusCode).toBe(404);
    const error = res.json().error;
    expect(error.message).toBe("no route GET /v1/environments");
    expect(error.hint).toContain("under /api");
    expect(error.hint).toContain("docs/team-server.md");
    expect(error.hint).toContain("GET /health");
    expect(error.cliHint).toContain("--server / SHIPGATE_SERVER");
  });
});

describe("a body that is not JSON", () => {
  it.each([
    ["malformed", "{enabled:true}", "Send valid JSON"],
    ["empty", "", "Send a JSON body"],
  ])("answers a %s JSON body 400 with a hint", async (_, payload, hint) => {
    const { app, production } = await fixture();
    const res = await app.inject({
      method: "POST",
      url: "/api/flags/metrics",
      headers: { ...bearer(production), "content-type": "application/json" },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "BAD_REQUEST", hint: expect.stringContaining(hint) });
  });

  it("answers 415 with a hint to send content-type: application/json", async () => {
    const { app, production } = await fixture();
    const res = await app.inject({
      method: "POST",
      url: "/api/flags/metrics",
      headers: { ...bearer(production), "content-type": "text/plain" },
      payload: "hello",
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({
      code: "UNSUPPORTED_MEDIA_TYPE",
      hint: expect.stringContaining("`content-type: application/json`"),
    });
  });
});

/** Reads server-sent events from a fetch response into a queue. */
function eventReader(response: Response) {
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const waiters: (() => void)[] = [];
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
      for (const w of waiters.splice(0)) w();
    },
    onComment: (comment) => {
      comments.push(comment);
      for (const w of waiters.splice(0)) w();
    },
  });
  const body = response.body;
  if (!body) throw new Error("no body");
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    for (const w of waiters.splice(0)) w();
  })();
  done.catch(() => undefined); // an aborted fetch rejects it; tests that care await it
  return {
    events,
    comments,
    done,
    async next(count: number, timeoutMs = 5000): Promise<EventSourceMessage> {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`no event ${count} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return events[count - 1] as EventSourceMessage;
    },
  };
}

describe("GET /api/flags/stream", () => {
  it("sends the set on connect, pushes changes of the token's environment only, and ends on close()", async () => {
    const { app, ledger, staging, production } = await fixture({ pollMs: 20, keepAliveMs: 50 });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const controller = new AbortController();
    try {
      const [prodRes, stagRes] = await Promise.all(
        [production, staging].map((token) =>
          fetch(`${base}/api/flags/stream`, { headers: bearer(token), signal: controller.signal }),
        ),
      );
      for (const res of [prodRes, stagRes]) {
        expect(res?.status).toBe(200);
        expect(res?.headers.get("content-type")).toMatch(/^text\/event-stream/);
      }
      const prod = eventReader(prodRes as Response);
      const stag = eventReader(stagRes as Response);

      const first = await prod.next(1);
      expect(first.event).toBe("flags");
      expect(first.id).toBe(String(await ledger.flagRevision()));
      expect(JSON.parse(first.data)).toMatchObject({ environment: "production" });
      expect(JSON.parse((await stag.next(1)).data)).toMatchObject({ environment: "staging" });

      const revision = await change(ledger, "checkout", {
        state: state("checkout", "production", { rollout: 50 }),
      });
      const pushed = await prod.next(2);
      expect(pushed.id).toBe(String(revision));
      const set = JSON.parse(pushed.data) as FlagSet;
      expect(set.flags.find((f) => f.key === "checkout")?.rollout).toBe(50);

      // A change in staging reaches the staging stream; production's stream got nothing for it.
      await change(ledger, "beta", { state: state("beta", "staging", { rollout: 5 }) });
      const stagPushed = JSON.parse((await stag.next(2)).data) as FlagSet;
      expect(stagPushed.flags.find((f) => f.key === "beta")?.rollout).toBe(5);
      expect(stag.events).toHaveLength(2); // production's change was not sent to staging
      expect(prod.events.map((e) => JSON.parse(e.data).environment)).toEqual(["production", "production"]);

      // Keep-alive comments arrive between changes.
      for (let i = 0; i < 100 && prod.comments.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(prod.comments).toContain("keep-alive");

      await app.close();
      await Promise.all([prod.done, stag.done]); // the streams ended
    } finally {
      controller.abort();
    }
  });

  it("forgets a client that disconnects, and close() does not wait for idle clients", async () => {
    const { app, ledger, production } = await fixture({ pollMs: 20, closeGraceMs: 100 });
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    const controller = new AbortController();
    const res = await fetch(`${base}/api/flags/stream`, {
      headers: bearer(production),
      signal: controller.signal,
    });
    const reader = eventReader(res);
    await reader.next(1);
    expect(app.flagBroadcaster.subscribers).toBe(1);
    controller.abort();
    await reader.done.catch(() => undefined);
    for (let i = 0; i < 250 && app.flagBroadcaster.subscribers > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(app.flagBroadcaster.subscribers).toBe(0);
    // The poller stopped with the last subscriber; a change now reaches nobody and breaks nothing.
    await change(ledger, "checkout", { state: state("checkout", "production", { rollout: 1 }) });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await app.close();
  });
});

describe("secrets", () => {
  it("never puts a token in a reply or a log line", async () => {
    const { app, staging, production, revoked, logLines } = await fixture();
    const replies: string[] = [];
    const requests = [
      { method: "GET" as const, url: "/api/flags", headers: bearer(production) },
      { method: "GET" as const, url: "/api/flags", headers: bearer(revoked) },
      { method: "GET" as const, url: "/api/flags", headers: bearer(`${staging}x`) },
      { method: "GET" as const, url: "/api/flags", headers: { authorization: `Basic ${staging}` } },
      { method: "POST" as const, url: "/api/flags/metrics", headers: bearer(staging), payload: { nope: 1 } },
      {
        method: "POST" as const,
        url: "/api/flags/metrics",
        headers: bearer(staging),
        payload: "x".repeat(70_000),
      },
      { method: "GET" as const, url: "/api/missing", headers: bearer(staging) },
    ];
    for (const request of requests) {
      const res = await app.inject(request);
      replies.push(JSON.stringify(res.headers), res.body);
    }
    expect(logLines.length).toBeGreaterThan(0);
    const everything = [...replies, ...logLines].join("\n");
    for (const token of [staging, production, revoked]) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(token.slice("sg_sdk_".length, 20));
    }
  });
});
