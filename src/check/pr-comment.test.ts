import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, isShipgateError } from "../core/errors.js";
import { prTargetFromEnv, upsertPrComment } from "./pr-comment.js";

interface Comment {
  id: number;
  body: string;
  html_url: string;
}

/** A fake GitHub issues-comments API: enough of it to list, create and update comments. */
let comments: Comment[] = [];
let seen: { method: string; url: string; auth: string | undefined }[] = [];
let server: Server;
let api: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization });
      const url = new URL(req.url ?? "/", "http://x");
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.method === "GET" && url.pathname === "/repos/acme/shop/issues/7/comments") {
        const page = Number(url.searchParams.get("page"));
        return json(200, comments.slice((page - 1) * 100, page * 100));
      }
      if (req.method === "POST" && url.pathname === "/repos/acme/shop/issues/7/comments") {
        const c = {
          id: 1000 + comments.length,
          body: (JSON.parse(body) as { body: string }).body,
          html_url: `https://github.test/c/${1000 + comments.length}`,
        };
        comments.push(c);
        return json(201, c);
      }
      const m = /^\/repos\/acme\/shop\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (req.method === "PATCH" && m) {
        const c = comments.find((x) => x.id === Number(m[1]));
        if (!c) return json(404, { message: "Not Found" });
        c.body = (JSON.parse(body) as { body: string }).body;
        return json(200, c);
      }
      json(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function actionsEnv(event: unknown): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-gh-"));
  writeFileSync(join(dir, "event.json"), JSON.stringify(event));
  return {
    GITHUB_TOKEN: "ghs_secret_token_value",
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_EVENT_PATH: join(dir, "event.json"),
    GITHUB_API_URL: `${api}/`,
  };
}

describe("sticky pull-request comment", () => {
  it("creates the comment once, then updates the same one in place", async () => {
    // 120 comments from others: the marker search pages through them.
    comments = Array.from({ length: 120 }, (_, i) => ({
      id: i,
      body: `comment ${i}`,
      html_url: `https://github.test/c/${i}`,
    }));
    seen = [];
    const target = prTargetFromEnv(actionsEnv({ pull_request: { number: 7 } }));
    const first = await upsertPrComment(target, "<!-- m -->", "<!-- m -->\nfirst");
    expect(first.action).toBe("created");
    const second = await upsertPrComment(target, "<!-- m -->", "<!-- m -->\nsecond");
    expect(second).toEqual({ action: "updated", url: first.url });
    expect(comments.filter((c) => c.body.startsWith("<!-- m -->")).map((c) => c.body)).toEqual([
      "<!-- m -->\nsecond",
    ]);
    expect(seen.every((r) => r.auth === "Bearer ghs_secret_token_value")).toBe(true);
    expect(seen.some((r) => r.url.includes("page=2"))).toBe(true);
  });

  it("says what is missing outside a pull_request job, without the token", () => {
    expect(() => prTargetFromEnv({})).toThrow(
      "--pr-comment needs GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH",
    );
    expect(() => prTargetFromEnv(actionsEnv({ ref: "refs/heads/main" }))).toThrow("pull_request events only");
  });

  it("turns an API refusal into an error with a hint, never echoing the token", async () => {
    const target = { ...prTargetFromEnv(actionsEnv({ number: 7 })), repository: "acme/other" };
    const error = await upsertPrComment(target, "<!-- m -->", "x").catch((e: unknown) => e);
    expect(String(error)).toContain("GitHub answered 404");
    expect(JSON.stringify(error)).not.toContain("ghs_secret_token_value");
    expect(String(error)).not.toContain("ghs_secret_token_value");
  });

  it("turns an API that does not answer into a ShipgateError (exit 2), not a crash", async () => {
    // A port nothing listens on: the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const target = { ...prTargetFromEnv(actionsEnv({ number: 7 })), apiUrl: `http://127.0.0.1:${port}` };
    const error = await upsertPrComment(target, "<!-- m -->", "x").catch((e: unknown) => e);
    expect(isShipgateError(error) && error.exitCode).toBe(ExitCode.usage);
    expect(String(error)).toContain("GitHub did not answer GET");
    expect(String(error)).not.toContain("ghs_secret_token_value");
  });
});
