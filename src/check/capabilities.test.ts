import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { usePostgres } from "../../test/support/postgres.js";
import { migrationsVerifyCheck } from "./capabilities.js";
import { runCheck } from "./run.js";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-check-verify-"));
  mkdirSync(join(dir, "db/migrations"), { recursive: true });
  writeFileSync(join(dir, "shipgate.yaml"), "migrations:\n  paths: [db/migrations]\n");
  writeFileSync(
    join(dir, "db/migrations/001_users.sql"),
    "CREATE TABLE users (id int PRIMARY KEY, name text);\nINSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 100) g;\n",
  );
  // The rewrite hides in dynamic SQL: only Postgres sees it.
  writeFileSync(
    join(dir, "db/migrations/002_widen.sql"),
    "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ALTER COLUMN id TYPE bigint', 'users'); END $$;\n",
  );
  return dir;
}

describe("migrations.verify in shipgate check", () => {
  const pg = usePostgres();

  it("reports what Postgres observed on the configured database, and changes nothing there", async () => {
    const url = await pg.freshDatabase();
    const run = await runCheck({
      cwd: project(),
      env: { SHIPGATE_DATABASE_URL: url },
      checks: [migrationsVerifyCheck],
    });
    const [item] = run.items;
    expect(item?.id).toBe("migrations.verify");
    expect(item?.findings.map((f) => f.ruleId)).toContain("verify-rewrite");
    expect(item?.status).toBe("fail");
    const tables = await pg.sql(url, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'users'");
    expect(tables.rows[0].n).toBe(0);
  });

  it("is skipped, with the reason, when no database is configured", async () => {
    const run = await runCheck({ cwd: project(), env: {}, checks: [migrationsVerifyCheck] });
    expect(run.items[0]).toMatchObject({
      status: "skipped",
      detail: "no database configured (SHIPGATE_DATABASE_URL, a shadow database)",
    });
  });
});
