import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttp, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { certificateFindings, infrastructureCheck } from "./infrastructure.js";
import type { CheckContext } from "./types.js";

const servers: Server[] = [];
let httpsPort = 0;
let httpPort = 0;

const handler = (req: { url?: string }, res: { writeHead(s: number): void; end(b?: string): void }) => {
  res.writeHead(req.url === "/health" ? 200 : 503);
  res.end("ok");
};

beforeAll(async () => {
  // A self-signed certificate that expires in 10 days, made by openssl for this test.
  const dir = mkdtempSync(join(tmpdir(), "shipgate-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "10",
      "-subj",
      "/CN=shipgate-test",
    ],
    { stdio: "ignore" },
  );
  const https = createHttps(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
    handler,
  );
  const http = createHttp(handler);
  for (const s of [https, http]) {
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    servers.push(s);
  }
  httpsPort = (https.address() as AddressInfo).port;
  httpPort = (http.address() as AddressInfo).port;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

function context(environment: string): CheckContext {
  const config = configSchema.parse({
    environments: {
      secure: { url: `https://127.0.0.1:${httpsPort}` },
      plain: { url: `http://127.0.0.1:${httpPort}`, health: ["/health", "/ready"] },
      up: { url: `http://127.0.0.1:${httpPort}` },
      none: {},
    },
  });
  return {
    cwd: tmpdir(),
    configDir: tmpdir(),
    configPath: undefined,
    config,
    env: {},
    base: undefined,
    baseLabel: undefined,
    changedFiles: [],
    environment,
    now: new Date(),
  };
}

describe("infrastructure check (real TLS and HTTP servers on loopback)", () => {
  it("fails a certificate that expires too soon and is not trusted, and says so", async () => {
    const [tls, health] = await infrastructureCheck.run(context("secure"));
    expect(tls?.status).toBe("fail");
    expect(tls?.findings.map((f) => f.ruleId)).toEqual(["check-tls-expiring", "check-tls-untrusted"]);
    expect(tls?.findings[0]?.message).toMatch(/expires in (9|10) days .* at least 14 are required/);
    expect(tls?.findings[1]?.message).toContain("shipgate-test");
    expect(tls?.findings[1]?.message).toContain("SELF_SIGNED");
    // The health endpoint sits behind the untrusted certificate: it does not answer.
    expect(health?.status).toBe("fail");
  });

  it("checks every health path, and fails plain HTTP", async () => {
    const [tls, health] = await infrastructureCheck.run(context("plain"));
    expect(tls?.findings[0]?.ruleId).toBe("check-tls-missing");
    expect(health).toMatchObject({ status: "fail", detail: "1/2 answered 2xx" });
    expect(health?.findings[0]?.message).toBe(`http://127.0.0.1:${httpPort}/ready answered 503`);
    const [, ok] = await infrastructureCheck.run(context("up"));
    expect(ok).toMatchObject({ status: "pass", detail: "1/1 answered 2xx" });
  });

  it("skips with the reason when the environment has no URL", async () => {
    const items = await infrastructureCheck.run(context("none"));
    expect(items.map((i) => [i.status, i.detail])).toEqual([
      ["skipped", "environments.none.url is not set"],
      ["skipped", "environments.none.url is not set"],
    ]);
  });

  it("counts days left from the check's clock", () => {
    const facts = {
      validTo: new Date("2026-12-31T00:00:00Z"),
      subject: "x",
      issuer: "y",
      untrusted: undefined,
    };
    expect(certificateFindings("https://x", facts, new Date("2026-12-01T00:00:00Z"), 14)).toEqual([]);
    expect(certificateFindings("https://x", facts, new Date("2027-01-02T00:00:00Z"), 14)[0]?.message).toBe(
      "the TLS certificate of https://x expired on 2026-12-31",
    );
  });
});
