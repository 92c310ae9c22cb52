/**
 * End-to-end: an application process importing the built `shipgate/env` subpath, started with a
 * broken environment, exits 1 listing every problem and never prints a secret.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const run = promisify(execFile);

const app = `
import { defineEnvOrExit, env } from "shipgate/env";
const config = defineEnvOrExit({
  DATABASE_URL: env.url({ description: "Postgres connection string", secret: true }),
  API_KEY: env.string({ secret: true }),
  PORT: env.port({ description: "HTTP port" }),
  MODE: env.enum(["a", "b"]),
});
console.log(JSON.stringify({ port: config.PORT, mode: config.MODE }));
`;

async function start(
  environment: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // An application with shipgate installed: node_modules/shipgate links to this package (its build).
  const dir = mkdtempSync(join(tmpdir(), "shipgate-env-e2e-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules", "shipgate"), "dir");
  const file = join(dir, "app.mjs");
  writeFileSync(file, app);
  try {
    const { stdout, stderr } = await run(process.execPath, [file], {
      env: { PATH: process.env.PATH ?? "", ...environment },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("shipgate/env in an application process", () => {
  it("exits 1 naming every problem, without printing the secrets", async () => {
    const r = await start({
      DATABASE_URL: "postgres://app:S3cret-Passw0rd@db.internal:5432/app",
      API_KEY: "sk_live_abcdef123456",
      PORT: "eighty",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("PORT");
    expect(r.stderr).toContain("MODE");
    expect(r.stderr).not.toContain("S3cret-Passw0rd");
    expect(r.stderr).not.toContain("sk_live_abcdef123456");
    expect(r.stdout).toBe("");
  });

  it("starts with a valid environment and typed values", async () => {
    const r = await start({
      DATABASE_URL: "postgres://app:pw@db:5432/app",
      API_KEY: "k3y",
      PORT: "8080",
      MODE: "b",
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ port: 8080, mode: "b" });
  });
});
