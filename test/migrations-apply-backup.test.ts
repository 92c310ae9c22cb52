/**
 * Backups taken by `migrations apply` and `migrations restore`, against a real Postgres: a round
 * trip through destructive migrations gives back the same definitions and the same data (equal
 * checksums), in place when the definition did not change, with foreign keys of other tables
 * handled; damaged backups and unknown tables are refused.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMigrationsApply } from "../src/cli/commands/migrations-apply.js";
import { runMigrationsBackups } from "../src/cli/commands/migrations-backups.js";
import { runMigrationsRestore } from "../src/cli/commands/migrations-restore.js";
import { RowChecksum } from "../src/pg/backup-checksum.js";
import type { BackupManifest } from "../src/pg/backup-store.js";
import { usePostgres } from "./support/postgres.js";

const server = usePostgres();

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-backup-"));
  writeFileSync(join(dir, "shipgate.yaml"), "version: 1\nmigrations:\n  paths: [db]\n");
  mkdirSync(join(dir, "db"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "db", name), text);
  return dir;
}

/** Everything a restore promises to bring back, as one comparable string. */
async function definitions(url: string, tables: string[]): Promise<string> {
  const r = await server.sql(
    url,
    `SELECT json_build_object(
       'columns', (SELECT json_agg(json_build_object('t', c.oid::regclass::text, 'n', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                     'notnull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid), 'identity', a.attidentity,
                     'generated', a.attgenerated, 'collation', a.attcollation) ORDER BY c.oid::regclass::text, a.attnum)
                   FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
                  WHERE c.oid::regclass::text = ANY($1)),
       'constraints', (SELECT json_agg(conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) ORDER BY conrelid::regclass::text, conname)
                         FROM pg_constraint WHERE (conrelid::regclass::text = ANY($1) OR confrelid::regclass::text = ANY($1)) AND contype <> 'n'),
       'indexes', (SELECT json_agg(indexdef ORDER BY indexdef) FROM pg_indexes WHERE tablename = ANY($1)),
       'triggers', (SELECT json_agg(pg_get_triggerdef(oid) ORDER BY tgname) FROM pg_trigger WHERE tgrelid::regclass::text = ANY($1) AND NOT tgisinternal),
       'comments', (SELECT json_agg(coalesce(col_description(c.oid, a.attnum), '') ORDER BY c.relname, a.attnum) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                     WHERE c.oid::regclass::text = ANY($1)),
       'tableComments', (SELECT json_agg(coalesce(obj_description(c.oid, 'pg_class'), '') ORDER BY c.relname) FROM pg_class c WHERE c.oid::regclass::text = ANY($1)),
       'acl', (SELECT json_agg(coalesce(relacl::text, '') ORDER BY c.relname) FROM pg_class c WHERE c.oid::regclass::text = ANY($1))
     )::text AS s`,
    [tables],
  );
  return r.rows[0].s as string;
}

async function fingerprint(url: string, table: string): Promise<{ rows: number; md5: string }> {
  const r = await server.sql(
    url,
    `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM ${table} t`,
  );
  return r.rows[0] as { rows: number; md5: string };
}

function manifestOf(dir: string, id: string): BackupManifest {
  return JSON.parse(
    readFileSync(join(dir, ".shipgate/backups", id, "manifest.json"), "utf8"),
  ) as BackupManifest;
}

const schema = `
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE ROLE backup_reader_${process.pid};
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  legacy_name text,
  "Display Name" text COLLATE "C",
  profile jsonb DEFAULT '{}'::jsonb,
  tags text[],
  feeling mood DEFAULT 'happy',
  balance numeric(10,2) CHECK (balance >= 0),
  avatar bytea,
  seen_at timestamptz DEFAULT now(),
  n serial,
  doubled int GENERATED ALWAYS AS (n * 2) STORED
);
CREATE INDEX users_lower_email_idx ON users (lower(email));
COMMENT ON TABLE users IS 'people who sign in';
COMMENT ON COLUMN users.email IS 'unique, lower-cased';
GRANT SELECT ON users TO backup_reader_${process.pid};
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.seen_at := now(); RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  note text
);
INSERT INTO users (email, legacy_name, "Display Name", profile, tags, feeling, balance, avatar, seen_at)
SELECT 'user' || g || '@example.com',
       CASE WHEN g % 3 = 0 THEN NULL ELSE E'tab\\there, newline\\nand back\\\\slash ' || g END,
       CASE WHEN g % 5 = 0 THEN '' ELSE 'Zoë ' || g || ' 🚀' END,
       jsonb_build_object('g', g, 'odd', g % 2 = 1),
       ARRAY['a' || g, NULL, 'c,d'],
       CASE WHEN g % 2 = 0 THEN 'sad'::mood ELSE 'happy'::mood END,
       g * 1.25,
       decode(md5(g::text), 'hex'),
       timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour'
  FROM generate_series(1, 400) g;
INSERT INTO orders (user_id, note) SELECT (g % 400) + 1, CASE WHEN g % 7 = 0 THEN NULL ELSE 'order ' || g END
  FROM generate_series(1, 1200) g;
`;

describe("row checksum", () => {
  const sum = (chunks: string[]) => {
    const c = new RowChecksum();
    for (const chunk of chunks) c.update(Buffer.from(chunk));
    return [c.digest(), c.rows];
  };

  it("does not depend on row order or chunk boundaries, and sees any changed, missing or extra row", () => {
    const base = sum(["1\tann\n2\tbob\n3\t\\N\n"]);
    expect(base).toEqual([expect.stringMatching(/^rows-fp64:[0-9a-f]{16}$/), 3]);
    expect(sum(["3\t\\N\n1\tan", "n\n2\tbob\n"])).toEqual(base);
    expect(sum(["1\tann\n2\tbob\n3\t\n"])[0]).not.toBe(base[0]);
    expect(sum(["1\tann\n2\tbob\n"])[0]).not.toBe(base[0]);
    expect(sum(["1\tann\n2\tbob\n3\t\\N\n3\t\\N\n"])[0]).not.toBe(base[0]);
    expect(sum(["1\tann\n2\tbbo\n3\t\\N\n"])[0]).not.toBe(base[0]);
  });
});

describe("migrations apply backups and restore", () => {
  it("backs up before destructive migrations; restore gives back every definition and the data, with equal checksums", async () => {
    const url = await server.freshDatabase();
    await server.sql(url, schema);
    const tables = ["users", "orders"];
    const defsBefore = await definitions(url, tables);
    const usersBefore = await fingerprint(url, "users");
    const ordersBefore = await fingerprint(url, "orders");

    const dir = project({
      "001_drop_column.sql":
        "-- shipgate:allow ban-drop-column reason: unused since v41\nALTER TABLE users DROP COLUMN legacy_name;\n",
      "002_delete.sql":
        "-- shipgate:allow deleting-rows reason: test data\nDELETE FROM orders WHERE id % 2 = 0;\n",
      "003_drop_users.sql":
        "-- shipgate:allow ban-drop-table, drop-cascade reason: replaced by accounts\nDROP TABLE users CASCADE;\n",
    });
    const { result } = await runMigrationsApply({ cwd: dir, env: {}, databaseUrl: url });
    expect(result.status).toBe("applied");
    const id = result.backup?.id as string;
    expect(result.backup?.tables.map((t) => [t.name, t.rows])).toEqual([
      ["public.orders", 1200],
      ["public.users", 400],
    ]);
    expect((await server.sql(url, "SELECT to_regclass('users') AS r")).rows[0].r).toBeNull();
    expect((await fingerprint(url, "orders")).rows).toBe(600);

    const manifest = manifestOf(dir, id);
    expect(manifest).toMatchObject({
      formatVersion: 1,
      id,
      migrations: ["db/001_drop_column.sql", "db/002_delete.sql", "db/003_drop_users.sql"],
    });
    expect(manifest.database).toContain(":***@");
    const usersBackup = manifest.tables.find((t) => t.name === "public.users");
    expect(usersBackup?.checksum).toMatch(/^rows-fp64:[0-9a-f]{16}$/);
    expect(usersBackup?.definition.inboundForeignKeys.map((f) => f.name)).toEqual(["orders_user_id_fkey"]);

    const restored = await runMigrationsRestore({ cwd: dir, env: {}, databaseUrl: url, id });
    expect(restored.ok).toBe(true);
    expect(restored.tables.map((t) => [t.name, t.mode, t.rows, t.ok])).toEqual([
      ["public.orders", "recreated", 1200, true],
      ["public.users", "recreated", 400, true],
    ]);
    for (const t of restored.tables) expect(t.checksum).toBe(t.expectedChecksum);
    expect(restored.stillRecorded).toEqual(manifest.migrations);

    expect(await definitions(url, tables)).toBe(defsBefore);
    expect(await fingerprint(url, "users")).toEqual(usersBefore);
    expect(await fingerprint(url, "orders")).toEqual(ordersBefore);
    // Sequences continue where they were.
    const next = await server.sql(
      url,
      "INSERT INTO users (email) VALUES ('new@example.com') RETURNING id, n",
    );
    expect(next.rows[0]).toEqual({ id: "401", n: 401 });
  });

  it("refills a table in place when its definition is unchanged, keeping views, and re-adds other tables' foreign keys", async () => {
    const url = await server.freshDatabase();
    await server.sql(
      url,
      `CREATE TABLE customers (id int PRIMARY KEY, name text);
       CREATE TABLE invoices (id int PRIMARY KEY, customer_id int REFERENCES customers (id));
       CREATE VIEW customer_names AS SELECT name FROM customers;
       INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 20) g;
       INSERT INTO invoices SELECT g, g FROM generate_series(1, 5) g;`,
    );
    const before = await fingerprint(url, "customers");
    const dir = project({
      "001_cleanup.sql":
        "-- shipgate:allow deleting-rows reason: test accounts\nDELETE FROM customers WHERE id > 5;\n",
    });
    const { result } = await runMigrationsApply({ cwd: dir, env: {}, databaseUrl: url });
    expect(result.backup?.tables.map((t) => t.name)).toEqual(["public.customers"]);
    expect((await fingerprint(url, "customers")).rows).toBe(5);

    const restored = await runMigrationsRestore({
      cwd: dir,
      env: {},
      databaseUrl: url,
      id: result.backup?.id as string,
      tables: ["customers"],
    });
    expect(restored.tables.map((t) => [t.name, t.mode, t.ok])).toEqual([
      ["public.customers", "refilled", true],
    ]);
    expect(restored.foreignKeysRestored).toEqual(["public.invoices.invoices_customer_id_fkey"]);
    expect(await fingerprint(url, "customers")).toEqual(before);
    expect((await server.sql(url, "SELECT count(*)::int AS n FROM customer_names")).rows[0].n).toBe(20);
    const fk = await server.sql(
      url,
      "SELECT convalidated FROM pg_constraint WHERE conname = 'invoices_customer_id_fkey'",
    );
    expect(fk.rows[0].convalidated).toBe(true);
  });

  it("refuses a damaged backup and unknown tables, and changes nothing", async () => {
    const url = await server.freshDatabase();
    await server.sql(
      url,
      "CREATE TABLE kv (k text PRIMARY KEY, v text); INSERT INTO kv VALUES ('a', '1'), ('b', '2');",
    );
    const dir = project({ "001.sql": "-- shipgate:allow ban-truncate reason: cache table\nTRUNCATE kv;\n" });
    const { result } = await runMigrationsApply({ cwd: dir, env: {}, databaseUrl: url });
    const id = result.backup?.id as string;

    await expect(
      runMigrationsRestore({ cwd: dir, env: {}, databaseUrl: url, id, tables: ["nope"] }),
    ).rejects.toMatchObject({ code: "USAGE", hint: expect.stringContaining("public.kv") });
    await expect(
      runMigrationsRestore({ cwd: dir, env: {}, databaseUrl: url, id: "../etc" }),
    ).rejects.toMatchObject({
      code: "USAGE",
    });
    await expect(
      runMigrationsRestore({ cwd: dir, env: {}, databaseUrl: url, id: "20990101T000000Z-000000" }),
    ).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });

    const dataDir = join(dir, ".shipgate/backups", id, "data");
    const file = join(dataDir, readdirSync(dataDir)[0] as string);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff;
    writeFileSync(file, bytes);
    await expect(runMigrationsRestore({ cwd: dir, env: {}, databaseUrl: url, id })).rejects.toMatchObject({
      code: "MIGRATION_FAILED",
      message: expect.stringContaining("damaged"),
    });
    expect((await fingerprint(url, "kv")).rows).toBe(0);
  });

  it("lists backups with id, time, tables, rows and size", async () => {
    const url = await server.freshDatabase();
    await server.sql(url, "CREATE TABLE a (id int); INSERT INTO a SELECT generate_series(1, 10);");
    const dir = project({
      "001.sql": "-- shipgate:allow deleting-rows reason: test\nDELETE FROM a WHERE id > 3;\n",
    });
    expect((await runMigrationsBackups({ cwd: dir, env: {} })).backups).toEqual([]);
    const { result } = await runMigrationsApply({ cwd: dir, env: {}, databaseUrl: url });
    const listed = await runMigrationsBackups({ cwd: dir, env: {} });
    expect(listed.location).toBe(join(dir, ".shipgate/backups"));
    expect(listed.backups).toEqual([
      {
        id: result.backup?.id,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        database: expect.stringContaining(":***@"),
        tables: ["public.a"],
        rows: 10,
        bytes: expect.any(Number),
        migrations: ["db/001.sql"],
      },
    ]);
    expect(listed.backups[0]?.bytes).toBeGreaterThan(100);
  });
});
