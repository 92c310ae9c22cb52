/**
 * Deploys that migrate, end to end on a real Postgres: the demo's v1 and v2 (v2 adds items.note)
 * deployed by the built CLI on the local target with `databaseUrlEnv`, so each release's migrations
 * are linted, backed up and applied before it starts; a contracting migration is refused while the
 * old release serves; `rollback --schema` shows, then runs, the down migration.
 */
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runShipgate } from "./support/cli.js";
import { copyDemoWithDatabase } from "./support/deploy-fixture.js";
import { usePostgres } from "./support/postgres.js";

const pg = usePostgres();
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) {
    await runShipgate(["down", "local"], dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

async function items(
  url: string,
): Promise<{ version: string | null; body: { items: Record<string, unknown>[] } }> {
  const res = await fetch(`${url}/items`);
  return {
    version: res.headers.get("x-app-version"),
    body: (await res.json()) as { items: Record<string, unknown>[] },
  };
}

describe("deploys with migrations", () => {
  it("applies each release's migrations before it starts, refuses contract changes, and rolls the schema back on request", async () => {
    const database = await pg.freshDatabase("deploy");
    const { dir, url } = await copyDemoWithDatabase({ databaseUrl: database });
    dirs.push(dir);
    const sg = (...args: string[]) => runShipgate(args, dir);
    const applied = async () =>
      (await pg.sql(database, "SELECT name FROM shipgate.schema_migrations ORDER BY name")).rows.map(
        (r) => r.name,
      );
    const hasNote = async () =>
      (
        await pg.sql(
          database,
          "SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'",
        )
      ).rowCount === 1;

    const v1 = await sg("deploy", "local", "--version", "v1");
    expect(v1.code, v1.stderr + v1.stdout).toBe(0);
    expect(v1.stderr).toMatch(/lint, verify, back up and apply migrations … ok/);
    expect(await applied()).toEqual(["migrations/001_create_items.sql"]);
    expect((await items(url)).version).toBe("v1");

    const v2 = await sg("deploy", "local", "--version", "v2");
    expect(v2.code, v2.stderr + v2.stdout).toBe(0);
    expect(await applied()).toEqual(["migrations/001_create_items.sql", "migrations/002_add_items_note.sql"]);
    const served = await items(url);
    expect(served.version).toBe("v2");
    expect(served.body.items[0]).toHaveProperty("note");

    // v3 drops the column while v2 still serves: refused before anything runs.
    cpSync(join(dir, "versions/v2"), join(dir, "versions/v3"), { recursive: true });
    writeFileSync(
      join(dir, "versions/v3/migrations/003_drop_note.sql"),
      "ALTER TABLE items DROP COLUMN note;\n",
    );
    const v3 = await sg("deploy", "local", "--version", "v3");
    expect(v3.code).toBe(3);
    expect(v3.stdout).toMatch(
      /not expand-only while the previous release still serves: .*003_drop_note\.sql/,
    );
    expect(await hasNote()).toBe(true);
    expect((await items(url)).version).toBe("v2");

    const preview = await sg("rollback", "local", "--to", "v1", "--schema", "--dry-run");
    expect(preview.code, preview.stderr + preview.stdout).toBe(0);
    expect(preview.stdout).toMatch(/would run the down migrations of 002_add_items_note\.sql/);
    expect(preview.stdout).toContain("ALTER TABLE items DROP COLUMN note;");
    expect(await hasNote()).toBe(true);

    const back = await sg("rollback", "local", "--to", "v1", "--schema");
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(back.stderr).toContain("down migration for migrations/002_add_items_note.sql");
    expect(await hasNote()).toBe(false);
    expect(await applied()).toEqual(["migrations/001_create_items.sql"]);
    const after = await items(url);
    expect(after.version).toBe("v1");
    expect(after.body.items[0]).not.toHaveProperty("note");

    // The database URL with its password never shows (the throwaway's password is a plain word, so
    // look for it in URL position).
    const password = new URL(database).password;
    expect(password).not.toBe("");
    for (const r of [v1, v2, v3, preview, back]) {
      expect(r.stdout + r.stderr).not.toContain(`:${password}@`);
      expect(r.stdout + r.stderr).not.toContain(database);
    }
  }, 120_000);
});
