import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { snapshotCatalog } from "../src/pg/catalog-snapshot.js";
import { runShipgate as shipgate } from "./support/cli.js";
import { usePostgres } from "./support/postgres.js";

const root = join(import.meta.dirname, "..");

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-verify-e2e-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const migrations = {
  "db/migrations/001_users.sql":
    "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nINSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20) g;\n",
  "db/migrations/001_users.down.sql": "DROP TABLE users;\n",
  "db/migrations/002_token.sql": "ALTER TABLE users ADD COLUMN token float DEFAULT random();\n",
  "db/migrations/002_token.down.sql": "ALTER TABLE users DROP COLUMN token;\n",
};

describe("shipgate migrations verify (built CLI)", () => {
  const server = usePostgres();

  it("starts a throwaway Postgres when no URL is given, and prints findings plus the trace as JSON", async () => {
    const dir = project(migrations);
    const r = await shipgate(["migrations", "verify", "--format", "json", "--no-cache"], dir);
    expect(r.code).toBe(1); // adding-field-with-default is an error
    const out = JSON.parse(r.stdout) as {
      files: { path: string }[];
      findings: { ruleId: string; rewrites?: boolean }[];
      summary: { errors: number };
      verify: {
        server: { kind: string; version: string; startMs: { init: number; start: number } };
        files: {
          path: string;
          status: string;
          down?: { status: string };
          statements: { rewrites: unknown[] }[];
        }[];
      };
    };
    expect(out.files.map((f) => f.path)).toEqual([
      "db/migrations/001_users.sql",
      "db/migrations/002_token.sql",
    ]);
    expect(out.verify.server.kind).toBe("throwaway");
    expect(out.verify.server.version).toMatch(/^18\./);
    expect(out.verify.server.startMs.init).toBeGreaterThan(0);
    expect(out.verify.files.map((f) => [f.status, f.down?.status])).toEqual([
      ["verified", "restores"],
      ["verified", "restores"],
    ]);
    expect(out.verify.files[1]?.statements[0]?.rewrites).toEqual([
      { relation: "public.users", existing: true },
    ]);
    expect(out.findings.find((f) => f.ruleId === "adding-field-with-default")?.rewrites).toBe(true);
    expect(r.stderr).toMatch(/verified 2 of 2 migrations on a throwaway Postgres 18\.\d+/);
  });

  it("verifies on --database-url inside a transaction it rolls back: the database is unchanged", async () => {
    const url = await server.freshDatabase("shadow");
    await server.sql(url, "CREATE TABLE keep (id int); INSERT INTO keep VALUES (1), (2);");
    const dir = project(migrations);
    const state = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return {
          catalog: await snapshotCatalog(c),
          keep: (await c.query("SELECT count(*)::int AS n FROM keep")).rows[0],
          schemas: (await c.query("SELECT nspname FROM pg_namespace ORDER BY 1")).rows,
        };
      } finally {
        await c.end();
      }
    };
    const before = await state();
    const r = await shipgate(["migrations", "verify", "--database-url", url, "--trace", "--no-cache"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("adding-field-with-default");
    expect(r.stdout).toContain("verify trace:");
    expect(r.stdout).toMatch(/rewrote: public\.users/);
    expect(r.stderr).toContain("rolled back: nothing was committed");
    expect(await state()).toEqual(before);
  });

  it("never prints the password of the database URL, in any format, the trace or an error", async () => {
    const password = "Zq7-verify-PW-51x";
    const base = new URL(await server.freshDatabase("secret"));
    await server.sql(
      server.url,
      `DO $$ BEGIN CREATE ROLE verify_user LOGIN SUPERUSER PASSWORD '${password}'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    base.username = "verify_user";
    base.password = password;
    const url = base.toString();
    const dir = project(migrations);
    const outputs: string[] = [];
    for (const format of ["pretty", "sarif", "github", "markdown"]) {
      const r = await shipgate(
        ["migrations", "verify", "--database-url", url, "--format", format, "--trace"],
        dir,
      );
      expect(r.code).toBe(1);
      outputs.push(r.stdout, r.stderr);
    }
    // JSON (with the trace), the URL taken from the environment.
    const json = await shipgate(["migrations", "verify", "--format", "json"], dir, {
      SHIPGATE_DATABASE_URL: url,
    });
    expect(JSON.parse(json.stdout).verify.server.url).toBe(url.replace(password, "***"));
    outputs.push(json.stdout, json.stderr);
    // A database that does not exist: the error names the masked URL.
    const missing = new URL(url);
    missing.pathname = "/no_such_db";
    const failed = await shipgate(["migrations", "verify", "--database-url", missing.toString()], dir);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain("error: cannot connect to postgres://verify_user:***@127.0.0.1");
    expect(failed.stderr).toContain("hint:");
    outputs.push(failed.stdout, failed.stderr);
    for (const out of outputs) expect(out).not.toContain(password);
    expect(outputs.join("\n")).toContain("verify_user:***@");
  });

  it("explains itself in --help", async () => {
    const r = await shipgate(["migrations", "verify", "--help"], root);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--database-url <url>");
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("verify-down-mismatch");
  });
});
