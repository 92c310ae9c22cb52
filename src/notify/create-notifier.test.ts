import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { notificationsSchema } from "../config/notify-schema.js";
import { toolVersion } from "../core/version.js";
import {
  createNotifier,
  type DeployEvent,
  type FetchPort,
  type NotificationOutcome,
  type SlackMessage,
  verifyWebhookSignature,
  type WebhookPayload,
} from "./index.js";

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  base: string;
  requests: Received[];
}

type Reply = (res: ServerResponse, request: Received, index: number) => void;

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A local HTTP receiver on 127.0.0.1; `reply` answers (or not) each request. */
async function startReceiver(reply: Reply = (res) => res.end("ok")): Promise<Receiver> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      reply(res, request, requests.length - 1);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, requests };
}

function status(code: number, body = "", headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(code, headers);
    res.end(body);
  };
}

const changelog = Array.from({ length: 25 }, (_, i) => ({
  sha: `${String(i).padStart(2, "0")}${"a".repeat(38)}`,
  subject: `Change number ${i} <with> & markup`,
  author: `dev${i}`,
}));

function event(overrides: Partial<DeployEvent> = {}): DeployEvent {
  return {
    type: "deploy-succeeded",
    environment: "production",
    deployId: "d-42",
    kind: "deploy",
    version: "v2",
    previousVersion: "v1",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    actor: "alice",
    reason: "ship the export button",
    strategy: "canary",
    changelog,
    url: "https://app.example.com",
    at: "2025-01-02T03:04:05.000Z",
    ...overrides,
  };
}

const fixedNow = new Date("2025-01-02T03:04:05.000Z");

function fakeSleep(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe("createNotifier: Slack", () => {
  it("posts Block Kit blocks with environment, version, SHA, author, changelog and a View link", async () => {
    const rx = await startReceiver();
    const config = notificationsSchema.parse([
      {
        type: "slack",
        urlEnv: "SLACK_WEBHOOK_URL",
        link: "https://deploys.example.com/{environment}/{deployId}",
      },
    ]);
    const notifier = createNotifier(config, { env: { SLACK_WEBHOOK_URL: `${rx.base}/services/T1/B2/xyz` } });
    const outcomes = await notifier.notify(event());

    expect(outcomes).toEqual([{ channel: "slack", ok: true, attempts: 1, status: 200, error: null }]);
    expect(rx.requests).toHaveLength(1);
    const [request] = rx.requests;
    expect(request?.path).toBe("/services/T1/B2/xyz");
    expect(request?.headers["content-type"]).toBe("application/json");
    const message = JSON.parse(request?.body ?? "") as SlackMessage;
    expect(message.text).toContain("production is on v2");
    const [header, facts, reason, changes, , actions] = message.blocks;
    expect(header).toEqual({
      type: "header",
      text: { type: "plain_text", text: "✅ production is on v2", emoji: true },
    });
    expect(facts?.type === "section" && facts.fields?.map((f) => f.text)).toEqual([
      "*Environment*\nproduction",
      "*Version*\nv2 (was v1)",
      "*SHA*\n0123456",
      "*Author*\nalice",
      "*Strategy*\ncanary",
    ]);
    expect(reason?.type === "section" && reason.text?.text).toBe("*Reason*\nship the export button");
    const changeText = changes?.type === "section" ? (changes.text?.text ?? "") : "";
    const lines = changeText.split("\n");
    expect(lines[0]).toBe("*Changes* (25)");
    expect(lines[1]).toBe("• Change number 0 &lt;with&gt; &amp; markup — dev0 (`00aaaaa`)");
    expect(lines.filter((l) => l.startsWith("• "))).toHaveLength(10);
    expect(lines.at(-1)).toBe("…and 15 more");
    expect(actions).toEqual({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "View", emoji: false },
          url: "https://deploys.example.com/production/d-42",
          action_id: "shipgate-view",
        },
      ],
    });
  });

  it("retries Slack once on a 5xx", async () => {
    const rx = await startReceiver((res, _req, i) => status(i === 0 ? 500 : 200)(res, _req, i));
    const { sleeps, sleep } = fakeSleep();
    const config = notificationsSchema.parse([{ type: "slack", urlEnv: "SLACK_WEBHOOK_URL" }]);
    const notifier = createNotifier(config, { env: { SLACK_WEBHOOK_URL: `${rx.base}/s` }, sleep });
    const [outcome] = await notifier.notify(event());
    expect(outcome).toMatchObject({ ok: true, attempts: 2, status: 200 });
    expect(sleeps).toHaveLength(1);
  });

  it("reports a missing env variable by name with what to do", async () => {
    const config = notificationsSchema.parse([{ type: "slack", urlEnv: "SLACK_WEBHOOK_URL" }]);
    const outcomes = await createNotifier(config, { env: {} }).notify(event());
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ channel: "slack", ok: false, attempts: 0, status: null });
    expect(outcomes[0]?.error).toContain("$SLACK_WEBHOOK_URL is not set");
    expect(outcomes[0]?.error).toContain("remove this channel from notifications");
  });
});

describe("createNotifier: webhook", () => {
  const key = "whsec-test-key-0123456789";

  it("posts the event as JSON with the x-shipgate-* headers and a valid HMAC-SHA256 signature", async () => {
    const rx = await startReceiver(status(204));
    const config = notificationsSchema.parse([
      { type: "webhook", name: "audit", url: `${rx.base}/hook`, secretEnv: "HOOK_KEY" },
    ]);
    const notifier = createNotifier(config, { env: { HOOK_KEY: key }, now: () => fixedNow });
    const outcomes = await notifier.notify(
      event({ type: "deploy-failed", reason: "canary p99 412 ms vs 180 ms" }),
    );

    expect(outcomes).toEqual([{ channel: "webhook:audit", ok: true, attempts: 1, status: 204, error: null }]);
    const [request] = rx.requests;
    if (request === undefined) throw new Error("no request received");
    const { headers, body } = request;
    expect(request.method).toBe("POST");
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["user-agent"]).toBe(`shipgate/${toolVersion}`);
    expect(headers["x-shipgate-event"]).toBe("deploy-failed");
    expect(headers["x-shipgate-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers["x-shipgate-timestamp"]).toBe(String(fixedNow.getTime() / 1000));

    const payload = JSON.parse(body) as WebhookPayload;
    expect(payload).toMatchObject({
      event: "deploy-failed",
      environment: "production",
      deployId: "d-42",
      kind: "deploy",
      version: "v2",
      previousVersion: "v1",
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      actor: "alice",
      reason: "canary p99 412 ms vs 180 ms",
      strategy: "canary",
      url: "https://app.example.com",
      at: "2025-01-02T03:04:05.000Z",
    });
    expect(payload.changelog).toHaveLength(20);
    expect(payload.changelog[0]).toEqual(changelog[0]);

    expect(verifyWebhookSignature(key, headers, body, { now: () => fixedNow })).toBe(true);
    const independent = createHmac("sha256", key)
      .update(`${headers["x-shipgate-timestamp"]}.${body}`)
      .digest("hex");
    expect(headers["x-shipgate-signature"]).toBe(`sha256=${independent}`);
    expect(verifyWebhookSignature("another-key", headers, body, { now: () => fixedNow })).toBe(false);
    expect(
      verifyWebhookSignature(key, headers, body.replace("alice", "mallory"), { now: () => fixedNow }),
    ).toBe(false);
  });

  it("sends unsigned requests when no secretEnv is set, named after the host", async () => {
    const rx = await startReceiver();
    const config = notificationsSchema.parse([{ type: "webhook", url: `${rx.base}/hook` }]);
    const [outcome] = await createNotifier(config, { env: {} }).notify(event());
    expect(outcome).toMatchObject({ channel: `webhook:${new URL(rx.base).host}`, ok: true });
    expect(rx.requests[0]?.headers["x-shipgate-signature"]).toBeUndefined();
  });

  it("retries 503, 503 then 200: ok after 3 attempts with one delivery id", async () => {
    const rx = await startReceiver((res, req, i) => status(i < 2 ? 503 : 200)(res, req, i));
    const { sleeps, sleep } = fakeSleep();
    const config = notificationsSchema.parse([
      { type: "webhook", url: `${rx.base}/hook`, secretEnv: "HOOK_KEY" },
    ]);
    const notifier = createNotifier(config, { env: { HOOK_KEY: key }, sleep, random: () => 0.5 });
    const [outcome] = await notifier.notify(event());

    expect(outcome).toMatchObject({ ok: true, attempts: 3, status: 200, error: null });
    expect(rx.requests).toHaveLength(3);
    const ids = new Set(rx.requests.map((r) => r.headers["x-shipgate-delivery"]));
    expect(ids.size).toBe(1);
    for (const r of rx.requests) expect(verifyWebhookSignature(key, r.headers, r.body)).toBe(true);
    // Exponential backoff: 500 ms then 1 s, the upper half jittered (random 0.5 → 3/4 of each).
    expect(sleeps).toEqual([375, 750]);
  });

  it("does not retry a 400", async () => {
    const rx = await startReceiver(status(400, "bad payload"));
    const { sleeps, sleep } = fakeSleep();
    const config = notificationsSchema.parse([{ type: "webhook", url: `${rx.base}/hook` }]);
    const [outcome] = await createNotifier(config, { env: {}, sleep }).notify(event());
    expect(outcome).toMatchObject({ ok: false, attempts: 1, status: 400 });
    expect(outcome?.error).toBe("HTTP 400: bad payload (not retried)");
    expect(rx.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("honours Retry-After on a 429, capped at 30 s, and gives up after the retries", async () => {
    const rx = await startReceiver((res, req, i) =>
      status(429, "slow down", { "retry-after": i === 0 ? "2" : "120" })(res, req, i),
    );
    const { sleeps, sleep } = fakeSleep();
    const config = notificationsSchema.parse([{ type: "webhook", url: `${rx.base}/hook`, retries: 2 }]);
    const [outcome] = await createNotifier(config, { env: {}, sleep }).notify(event());
    expect(sleeps).toEqual([2000, 30_000]);
    expect(outcome).toMatchObject({ ok: false, attempts: 3, status: 429 });
    expect(outcome?.error).toBe("HTTP 429: slow down after 3 attempts");
  });

  it("times out a receiver that never answers", async () => {
    const rx = await startReceiver(() => {
      // never answers
    });
    const { sleep } = fakeSleep();
    const config = notificationsSchema.parse([
      { type: "webhook", url: `${rx.base}/hook`, retries: 1, timeout: "150ms" },
    ]);
    const [outcome] = await createNotifier(config, { env: {}, sleep }).notify(event());
    expect(outcome).toMatchObject({ ok: false, attempts: 2, status: null });
    expect(outcome?.error).toBe("timed out after 150 ms after 2 attempts");
    expect(rx.requests).toHaveLength(2);
  });

  it("reports a network error when nothing listens", async () => {
    const rx = await startReceiver();
    const closed = servers.pop();
    await new Promise<void>((resolve) => closed?.close(() => resolve()));
    const { sleep } = fakeSleep();
    const config = notificationsSchema.parse([{ type: "webhook", url: `${rx.base}/hook`, retries: 1 }]);
    const [outcome] = await createNotifier(config, { env: {}, sleep }).notify(event());
    expect(outcome).toMatchObject({ ok: false, attempts: 2, status: null });
    expect(outcome?.error).toBe("network error (ECONNREFUSED) after 2 attempts");
  });

  it("names a missing secretEnv without sending", async () => {
    const rx = await startReceiver();
    const config = notificationsSchema.parse([
      { type: "webhook", name: "audit", url: `${rx.base}/hook`, secretEnv: "HOOK_KEY" },
    ]);
    const [outcome] = await createNotifier(config, { env: {} }).notify(event());
    expect(outcome).toMatchObject({ channel: "webhook:audit", ok: false, attempts: 0 });
    expect(outcome?.error).toContain("$HOOK_KEY is not set");
    expect(rx.requests).toHaveLength(0);
  });
});

describe("createNotifier: every channel", () => {
  it("sends only to channels subscribed to the event type, concurrently", async () => {
    const rx = await startReceiver();
    const config = notificationsSchema.parse([
      {
        type: "webhook",
        name: "failures",
        url: `${rx.base}/failures`,
        events: ["deploy-failed", "deploy-rolled-back"],
      },
      { type: "webhook", name: "all", url: `${rx.base}/all` },
      { type: "slack", urlEnv: "SLACK_WEBHOOK_URL", events: ["deploy-failed"] },
    ]);
    const notifier = createNotifier(config, { env: { SLACK_WEBHOOK_URL: `${rx.base}/slack` } });
    expect(notifier.channels).toEqual(["webhook:failures", "webhook:all", "slack"]);

    const started = await notifier.notify(event({ type: "deploy-started" }));
    expect(started.map((o) => o.channel)).toEqual(["webhook:all"]);
    expect(rx.requests.map((r) => r.path)).toEqual(["/all"]);

    rx.requests.length = 0;
    const failed = await notifier.notify(event({ type: "deploy-failed" }));
    expect(failed.map((o) => [o.channel, o.ok])).toEqual([
      ["webhook:failures", true],
      ["webhook:all", true],
      ["slack", true],
    ]);
    expect(rx.requests.map((r) => r.path).sort()).toEqual(["/all", "/failures", "/slack"]);
  });

  it("never rejects, even when fetch throws or onOutcome throws, and records every outcome", async () => {
    const throwingFetch: FetchPort = async () => {
      throw new Error("boom");
    };
    const recorded: NotificationOutcome[] = [];
    const config = notificationsSchema.parse([
      { type: "webhook", name: "a", url: "https://hooks.example.com/a", retries: 0 },
      { type: "slack", urlEnv: "SLACK_WEBHOOK_URL" },
    ]);
    const notifier = createNotifier(config, {
      env: { SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x" },
      fetch: throwingFetch,
      sleep: fakeSleep().sleep,
      onOutcome: (_event, outcome) => {
        recorded.push(outcome);
        throw new Error("ledger down");
      },
    });
    const outcomes = await notifier.notify(event());
    expect(outcomes.map((o) => [o.channel, o.ok, o.error])).toEqual([
      ["webhook:a", false, "network error (boom) after 1 attempt"],
      ["slack", false, "network error (boom) after 2 attempts"],
    ]);
    expect(recorded).toHaveLength(2);
    // A malformed event does not reject either.
    const malformed = await notifier.notify(null as unknown as DeployEvent);
    expect(malformed.map((o) => o.ok)).toEqual([false, false]);
  });
});

describe("createNotifier: secrets", () => {
  it("keeps the webhook URL, its token, the HMAC key and redact values out of payloads, outcomes and errors", async () => {
    const pathToken = "T0KENINPATH0123456789abcdef";
    const queryToken = "QUERYTOKEN987654321";
    const hmacKey = "hmac-secret-key-4f9a2b";
    const dbPassword = "db-password-s3cr3t";
    const apiToken = "api-token-Zx81Qw";
    // The first receiver fails and echoes what it got (URL and body) into its error body.
    const failing = await startReceiver((res, req) =>
      status(500, `bad ${req.path} ${req.body.slice(0, 100)}`)(res, req, 0),
    );
    const ok = await startReceiver();
    const secretUrl = (base: string) => `${base}/hooks/${pathToken}?token=${queryToken}`;
    const env = {
      FAILING_URL: secretUrl(failing.base),
      OK_URL: secretUrl(ok.base),
      SLACK_URL: secretUrl(ok.base),
      HOOK_KEY: hmacKey,
    };
    const config = notificationsSchema.parse([
      { type: "webhook", urlEnv: "FAILING_URL", secretEnv: "HOOK_KEY", retries: 1 },
      { type: "webhook", name: "ok", urlEnv: "OK_URL", secretEnv: "HOOK_KEY" },
      { type: "slack", urlEnv: "SLACK_URL" },
    ]);
    const leaky = event({
      reason: `failed: ${env.OK_URL} with key ${hmacKey} and DATABASE_URL password ${dbPassword}`,
      actor: `ci (${apiToken})`,
      changelog: [
        { sha: "abcdef1234567", subject: `rotate ${queryToken} and ${pathToken}`, author: dbPassword },
      ],
      url: `https://app.example.com/?t=${apiToken}`,
    });
    const recorded: NotificationOutcome[] = [];
    const notifier = createNotifier(config, {
      env,
      redact: [dbPassword, apiToken],
      sleep: fakeSleep().sleep,
      onOutcome: (_e, o) => void recorded.push(o),
    });
    const outcomes = await notifier.notify(leaky);

    expect(outcomes.map((o) => o.ok)).toEqual([false, true, true]);
    expect(outcomes[0]?.error).toMatch(/^HTTP 500: bad \*\*\*/);
    const sent = [...failing.requests, ...ok.requests].map((r) => r.body);
    expect(sent).toHaveLength(4);
    const everything = [
      ...sent,
      JSON.stringify(outcomes),
      JSON.stringify(recorded),
      JSON.stringify(notifier.channels),
    ];
    for (const secret of [
      env.OK_URL,
      env.FAILING_URL,
      pathToken,
      queryToken,
      `token=${queryToken}`,
      hmacKey,
      dbPassword,
      apiToken,
    ]) {
      for (const text of everything) expect(text).not.toContain(secret);
    }
    expect(sent[0]).toContain("***");
  });
});
