import pg from "pg";
import { describe, expect, it } from "vitest";
import { usePostgres } from "../../test/support/postgres.js";
import {
  describeDifference,
  describeObject,
  diffCatalogs,
  diffObjects,
  listObjects,
  snapshotCatalog,
} from "./catalog-snapshot.js";

const schema = `
CREATE EXTENSION citext;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email citext NOT NULL UNIQUE,
  mood mood DEFAULT 'happy',
  score positive,
  doubled integer GENERATED ALWAYS AS (score * 2) STORED
);
CREATE INDEX users_mood ON users (mood);
CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint REFERENCES users, total numeric(12, 2));
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON orders USING (user_id > 0);
CREATE SCHEMA app;
CREATE TABLE app.events (at timestamptz NOT NULL) PARTITION BY RANGE (at);
`;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe("catalog snapshot", () => {
  const server = usePostgres();

  it("reads tables, columns, constraints, indexes, views, enums, domains, functions, triggers and policies", async () => {
    const url = await server.freshDatabase();
    await server.sql(url, schema);
    const snap = await withClient(url, snapshotCatalog);
    const users = snap.relations["public.users"];
    expect(users?.kind).toBe("table");
    expect(users?.columns.map((c) => c.name)).toEqual(["id", "email", "mood", "score", "doubled"]);
    expect(users?.columns[0]).toMatchObject({ type: "bigint", notNull: true, identity: "a" });
    expect(users?.columns[2]?.default).toBe("'happy'::mood");
    expect(users?.columns[4]?.generated).toMatch(/^s:/);
    expect(snap.constraints["public.orders.orders_user_id_fkey"]).toBe(
      "FOREIGN KEY (user_id) REFERENCES users(id)",
    );
    expect(snap.constraints["public.positive.positive_check"]).toBe("CHECK (VALUE > 0)");
    expect(snap.indexes["public.users_mood"]).toContain("USING btree (mood)");
    expect(snap.relations["public.big_orders"]?.properties.query).toContain("total > 100");
    expect(snap.relations["public.orders"]?.properties.rowSecurity).toBe("enabled");
    expect(snap.relations["app.events"]).toMatchObject({
      kind: "partitioned table",
      properties: { partitionKey: "RANGE (at)" },
    });
    expect(snap.enums["public.mood"]).toEqual(["happy", "sad"]);
    expect(snap.domains["public.positive"]).toBe("integer");
    expect(Object.keys(snap.functions)).toEqual(["public.touch()"]);
    expect(snap.triggers["public.orders.orders_touch"]).toContain("BEFORE UPDATE ON public.orders");
    expect(snap.policies["public.orders.own_orders"]).toContain("using (user_id > 0)");
    expect(snap.sequences["public.orders_id_seq"]).toContain("owned by public.orders.id");
    expect(snap.schemas).toContain("app");
    expect(Object.keys(snap.extensions)).toContain("citext");
    // Extension members (citext's functions and type) are not the migrations' objects.
    expect(Object.keys(snap.functions).some((f) => f.includes("citext"))).toBe(false);
  });

  it("finds no difference between identical schemas and names each difference", async () => {
    const a = await server.freshDatabase();
    const b = await server.freshDatabase();
    await server.sql(a, schema);
    await server.sql(b, schema);
    const [sa, sb] = await Promise.all([withClient(a, snapshotCatalog), withClient(b, snapshotCatalog)]);
    expect(diffCatalogs(sa, sb)).toEqual([]);

    await server.sql(
      b,
      `ALTER TABLE users ADD COLUMN nickname text; ALTER TABLE users ALTER COLUMN email TYPE text;
       DROP INDEX users_mood; ALTER TYPE mood ADD VALUE 'meh'; CREATE OR REPLACE FUNCTION touch() RETURNS trigger
       LANGUAGE plpgsql AS $$BEGIN NEW.total = 0; RETURN NEW; END$$;`,
    );
    const changed = diffCatalogs(sa, await withClient(b, snapshotCatalog));
    const described = changed.map((d) => describeDifference(d, { expected: "before", actual: "after" }));
    expect(changed.map((d) => `${d.kind} ${d.name}`)).toEqual([
      "column public.users.email",
      "column public.users.nickname",
      "enum public.mood",
      "function public.touch()",
      "index public.users_mood",
    ]);
    expect(described[0]).toBe(
      "column public.users.email differs: before: citext NOT NULL; after: text NOT NULL",
    );
    expect(described[1]).toBe("column public.users.nickname is extra after: text");
    expect(described[4]).toMatch(/^index public.users_mood is missing after \(before: CREATE INDEX/);
  });

  it("tells a column re-added at the end from an identical table (column order)", async () => {
    const a = await server.freshDatabase();
    const b = await server.freshDatabase();
    await server.sql(a, "CREATE TABLE t (a int, b text, c int)");
    await server.sql(
      b,
      "CREATE TABLE t (a int, b text, c int); ALTER TABLE t DROP COLUMN b; ALTER TABLE t ADD COLUMN b text",
    );
    const diff = diffCatalogs(await withClient(a, snapshotCatalog), await withClient(b, snapshotCatalog));
    expect(diff).toEqual([
      { kind: "column order", name: "public.t", expected: "a, b, c", actual: "a, c, b" },
    ]);
  });

  it("lists objects and diffs them: created, dropped, renamed and rewritten (relfilenode)", async () => {
    const url = await server.freshDatabase();
    await withClient(url, async (c) => {
      const empty = await listObjects(c);
      await c.query("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'x')");
      const created = await listObjects(c);
      const first = diffObjects(empty, created);
      // The table's own columns, constraints and index are not listed separately.
      expect(first.created.map(describeObject)).toEqual(["table public.t"]);

      await c.query("ALTER TABLE t ADD COLUMN r float DEFAULT random()");
      const rewritten = await listObjects(c);
      const second = diffObjects(created, rewritten);
      expect(second.created.map(describeObject)).toEqual(["column public.t.r"]);
      expect(second.rewritten.map((r) => `${r.kind} ${r.relation}`).sort()).toEqual([
        "index public.t_pkey",
        "table public.t",
      ]);

      await c.query(
        "ALTER TABLE t RENAME TO u; ALTER TABLE u RENAME COLUMN v TO w; ALTER TABLE u DROP COLUMN r",
      );
      const third = diffObjects(rewritten, await listObjects(c));
      expect(third.renamed.map((r) => `${r.kind} ${r.from} → ${r.to}`).sort()).toEqual([
        "column public.t.v → public.u.w",
        "table public.t → public.u",
      ]);
      expect(third.dropped.map(describeObject)).toEqual(["column public.t.r"]);
      expect(third.rewritten).toEqual([]);
    });
  });
});
