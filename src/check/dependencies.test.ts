import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkConfigSchema, configSchema } from "../config/schema.js";
import { dependencyCheck } from "./dependencies.js";
import type { CheckContext } from "./types.js";

/** A registry that answers npm's bulk advisory endpoint as the test says. */
let reply: { status: number; body: unknown } = { status: 200, body: {} };
let requests: string[] = [];
let server: Server;
let registry: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      if (req.method === "GET" && req.url === "/is-number") {
        // npm reads the packument to tell whether a fix is available.
        const version = (v: string) => ({
          name: "is-number",
          version: v,
          dist: { tarball: `${registry}is-number/-/is-number-${v}.tgz` },
        });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            name: "is-number",
            "dist-tags": { latest: "8.0.0" },
            versions: { "7.0.0": version("7.0.0"), "8.0.0": version("8.0.0") },
          }),
        );
        return;
      }
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-deps-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "app", version: "1.0.0", dependencies: { "is-number": "7.0.0" } }),
  );
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({
      name: "app",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": { name: "app", version: "1.0.0", dependencies: { "is-number": "7.0.0" } },
        "node_modules/is-number": {
          version: "7.0.0",
          resolved: `${registry}is-number/-/is-number-7.0.0.tgz`,
          license: "MIT",
        },
      },
    }),
  );
  return dir;
}

function context(dir: string, failAt: "moderate" | "high" = "high"): CheckContext {
  const config = configSchema.parse({
    check: { ...checkConfigSchema.parse({}), dependencyAudit: { failAt } },
  });
  return {
    cwd: dir,
    configDir: dir,
    configPath: undefined,
    config,
    env: {
      ...process.env,
      npm_config_registry: registry,
      npm_config_audit: "true",
      npm_config_update_notifier: "false",
    },
    base: undefined,
    baseLabel: undefined,
    changedFiles: [],
    environment: undefined,
    now: new Date(),
  };
}

describe("dependency audit (npm audit against a local registry)", () => {
  it("fails on a vulnerability at or above the level, with the advisory", async () => {
    requests = [];
    reply = {
      status: 200,
      body: {
        "is-number": [
          {
            id: 1,
            url: "https://github.com/advisories/GHSA-test",
            title: "Prototype pollution in is-number",
            severity: "high",
            vulnerable_versions: "<8.0.0",
            cwe: [],
            cvss: { score: 7.5, vectorString: null },
          },
        ],
      },
    };
    const dir = project();
    const [item] = await dependencyCheck.run(context(dir));
    expect(requests.some((r) => r.startsWith("POST /-/npm/v1/security/advisories/bulk"))).toBe(true);
    expect(item).toMatchObject({ id: "dependencies.npm", status: "fail" });
    expect(item?.findings[0]).toMatchObject({
      ruleId: "check-vulnerable-dependency",
      severity: "error",
      docsUrl: "https://github.com/advisories/GHSA-test",
    });
    expect(item?.findings[0]?.message).toContain("is-number");
    expect(item?.findings[0]?.message).toContain("Prototype pollution");
  });

  it("keeps a vulnerability below the level as a warning", async () => {
    reply = {
      status: 200,
      body: {
        "is-number": [
          {
            id: 2,
            url: "https://x",
            title: "Minor",
            severity: "low",
            vulnerable_versions: "<8.0.0",
            cwe: [],
            cvss: { score: 2, vectorString: null },
          },
        ],
      },
    };
    const [item] = await dependencyCheck.run(context(project()));
    expect(item).toMatchObject({ status: "pass" });
    expect(item?.findings[0]?.severity).toBe("warning");
  });

  it("reports an audit that cannot run as not run, never as clean", async () => {
    reply = { status: 405, body: {} };
    const [item] = await dependencyCheck.run(context(project()));
    expect(item?.status).toBe("skipped");
    expect(item?.detail).toMatch(/^not run — npm audit could not run/);
    const none = await dependencyCheck.run(context(mkdtempSync(join(tmpdir(), "shipgate-deps-none-"))));
    expect(none).toMatchObject([{ id: "dependencies.audit", status: "skipped" }]);
  });
});
