import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerApiErrors } from "./api-error.js";
import { dashboardAssets, dashboardCsp, dashboardRoutes } from "./dashboard-routes.js";

const sourceDir = join(import.meta.dirname, "../dashboard");
let assetsDir: string;
let app: FastifyInstance;
const permissions: { url: string; permission: unknown }[] = [];

beforeAll(async () => {
  // A stand-in for dist/dashboard: the real index.html, stub modules, and a file that must stay unreachable.
  assetsDir = mkdtempSync(join(tmpdir(), "shipgate-dashboard-"));
  writeFileSync(join(assetsDir, "index.html"), readFileSync(join(sourceDir, "index.html")));
  for (const name of dashboardAssets) writeFileSync(join(assetsDir, name), `/* ${name} */\n`);
  writeFileSync(join(assetsDir, "secret.js"), "not on the allow-list\n");
  app = fastify();
  registerApiErrors(app);
  app.addHook("onRoute", (route) => {
    permissions.push({
      url: route.url,
      permission: (route.config as { permission?: unknown } | undefined)?.permission,
    });
  });
  await app.register(dashboardRoutes, { assetsDir });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  rmSync(assetsDir, { recursive: true, force: true });
});

describe("dashboardRoutes", () => {
  it("serves index.html at / with the strict CSP and security headers", async () => {
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-security-policy"]).toBe(dashboardCsp);
    expect(dashboardCsp).toContain("script-src 'self';");
    expect(dashboardCsp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.body).toContain('<main id="main"');
  });

  it("serves each allow-listed asset with its content type and answers 304 to a matching ETag", async () => {
    const js = await app.inject({ method: "GET", url: "/assets/main.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["content-security-policy"]).toBe(dashboardCsp);
    const css = await app.inject({ method: "GET", url: "/assets/uPlot.min.css" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    const etag = js.headers.etag;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await app.inject({
      method: "GET",
      url: "/assets/main.js",
      headers: { "if-none-match": String(etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });

  it.each([
    "/assets/secret.js",
    "/assets/index.html.bak",
    "/assets/..%2Fsecret.js",
    "/assets/%2e%2e%2f%2e%2e%2fpackage.json",
    "/assets/../../etc/passwd",
    "/assets/..%5Csecret.js",
    "/assets/main.js%00.css",
    "/assets/",
    "/assets/sub/main.js",
    "/index.html/../../secret.js",
  ])("answers 404 to %s, never a file outside the allow-list", async (url) => {
    const res = await app.inject({ method: "GET", url });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain("not on the allow-list");
    expect(res.body).not.toContain('"name"');
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("declares every route public (the auth hook lets the login page and its files through)", () => {
    expect(permissions.filter((p) => p.url === "/" || p.url.startsWith("/assets"))).not.toHaveLength(0);
    for (const p of permissions) expect(p.permission, p.url).toBe("public");
  });

  it("says how to build the dashboard when its files are missing", async () => {
    const bare = fastify();
    registerApiErrors(bare);
    await bare.register(dashboardRoutes, { assetsDir: join(assetsDir, "missing") });
    try {
      const res = await bare.inject({ method: "GET", url: "/" });
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body)).toMatchObject({ error: { hint: expect.stringMatching(/npm run build/) } });
    } finally {
      await bare.close();
    }
  });

  it("lists the compiled module of every source file of src/dashboard", () => {
    const modules = readdirSync(sourceDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => f.replace(/\.ts$/, ".js"));
    for (const m of modules) expect(dashboardAssets, m).toContain(m);
    const others = dashboardAssets.filter((a) => a.endsWith(".js") && !a.startsWith("uPlot"));
    expect(others.sort()).toEqual(modules.sort());
  });

  it("index.html loads only local allow-listed assets and has no inline script or style", () => {
    const html = readFileSync(join(sourceDir, "index.html"), "utf8");
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? "");
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs) {
      if (ref.startsWith("#") || ref === "data:,") continue;
      expect(ref).toMatch(/^\/assets\/[\w.-]+$/);
      expect(dashboardAssets).toContain(ref.slice("/assets/".length));
    }
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
    expect(html).not.toMatch(/<style|\sstyle=|\son\w+=/i);
  });

  it("the dashboard sources never write HTML or inline styles (the CSP would block them)", () => {
    for (const f of readdirSync(sourceDir).filter((name) => name.endsWith(".ts"))) {
      const text = readFileSync(join(sourceDir, f), "utf8");
      expect(text, f).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|setAttribute\("style"|\beval\(|new Function/,
      );
    }
  });
});
