import { beforeAll, describe, expect, it } from "vitest";
import { Catalog } from "./catalog.js";
import { loadParser, parseFile } from "./parse.js";

/** Replays SQL into a catalog, statement by statement, as the engine does for earlier migrations. */
function replay(sql: string, catalog = new Catalog()): Catalog {
  for (const stmt of parseFile({ path: "schema.sql", text: sql }).statements) catalog.apply(stmt);
  return catalog;
}

beforeAll(async () => {
  await loadParser();
});

describe("tables and columns", () => {
  it("records CREATE TABLE columns, types, NOT NULL, defaults and constraints", () => {
    const c = replay(
      "CREATE TABLE app.users (id bigint PRIMARY KEY, email varchar(320) NOT NULL UNIQUE, age int DEFAULT 0, org_id bigint REFERENCES orgs (id), CONSTRAINT age_positive CHECK (age > 0));",
    );
    const users = c.relation("app.users");
    expect(users?.kind).toBe("table");
    expect(Object.keys(users?.columns ?? {})).toEqual(["id", "email", "age", "org_id"]);
    expect(c.column("app.users", "email")).toEqual({
      name: "email",
      type: { name: "varchar", mods: [320], isArray: false },
      notNull: true,
      hasDefault: false,
    });
    expect(c.column("app.users", "id")?.notNull).toBe(true);
    expect(c.column("app.users", "age")?.hasDefault).toBe(true);
    expect(users?.constraints.users_pkey).toMatchObject({
      kind: "primary-key",
      columns: ["id"],
      validated: true,
    });
    expect(users?.constraints.users_email_key).toMatchObject({ kind: "unique", columns: ["email"] });
    expect(users?.constraints.users_org_id_fkey).toMatchObject({
      kind: "foreign-key",
      references: "public.orgs",
    });
    expect(users?.constraints.age_positive).toMatchObject({ kind: "check", columns: [] });
    expect(c.index("app.users_pkey")).toMatchObject({ relation: "app.users", unique: true, columns: ["id"] });
    expect(c.index("app.users_email_key")).toMatchObject({ relation: "app.users", unique: true });
  });

  it("leaves an existing table alone on CREATE TABLE IF NOT EXISTS", () => {
    const c = replay("CREATE TABLE t (a int);\nCREATE TABLE IF NOT EXISTS t (b text);");
    expect(Object.keys(c.relation("public.t")?.columns ?? {})).toEqual(["a"]);
  });

  it("replays ALTER TABLE column changes", () => {
    const c = replay(`
      CREATE TABLE t (id bigint, name varchar(50), note text NOT NULL, legacy text);
      CREATE INDEX t_legacy_idx ON t (legacy);
      ALTER TABLE t ADD COLUMN age int NOT NULL DEFAULT 0;
      ALTER TABLE t ALTER COLUMN name TYPE text;
      ALTER TABLE t ALTER COLUMN name SET NOT NULL, ALTER COLUMN note DROP NOT NULL;
      ALTER TABLE t ALTER COLUMN age DROP DEFAULT, ALTER COLUMN legacy SET DEFAULT 'x';
      ALTER TABLE t ADD CONSTRAINT t_legacy_check CHECK (legacy <> '');
      ALTER TABLE t DROP COLUMN legacy;
    `);
    const t = c.relation("public.t");
    expect(Object.keys(t?.columns ?? {})).toEqual(["id", "name", "note", "age"]);
    expect(c.column("public.t", "age")).toMatchObject({ notNull: true, hasDefault: false });
    expect(c.column("public.t", "name")).toMatchObject({ type: { name: "text", mods: [] }, notNull: true });
    expect(c.column("public.t", "note")?.notNull).toBe(false);
    expect(c.index("public.t_legacy_idx")).toBeUndefined();
  });

  it("drops the constraints and indexes of a dropped column", () => {
    const c = replay(
      "CREATE TABLE t (id bigint, code text CONSTRAINT t_code_key UNIQUE);\nALTER TABLE t DROP COLUMN code;",
    );
    expect(c.relation("public.t")?.constraints).toEqual({});
    expect(c.index("public.t_code_key")).toBeUndefined();
  });

  it("tracks constraint validation and drops", () => {
    const c = replay(`
      CREATE TABLE t (id bigint, ref bigint);
      ALTER TABLE t ADD CONSTRAINT t_ref_fkey FOREIGN KEY (ref) REFERENCES other (id) NOT VALID;
      ALTER TABLE t ADD CONSTRAINT t_id_key UNIQUE (id);
    `);
    expect(c.relation("public.t")?.constraints.t_ref_fkey).toMatchObject({
      validated: false,
      columns: ["ref"],
      references: "public.other",
    });
    replay("ALTER TABLE t VALIDATE CONSTRAINT t_ref_fkey;\nALTER TABLE t DROP CONSTRAINT t_id_key;", c);
    expect(c.relation("public.t")?.constraints.t_ref_fkey?.validated).toBe(true);
    expect(c.relation("public.t")?.constraints.t_id_key).toBeUndefined();
    expect(c.index("public.t_id_key")).toBeUndefined();
  });

  it("renames the index a constraint is added with USING INDEX to the constraint's name", () => {
    const c = replay(`
      CREATE TABLE t (id bigint, email text);
      CREATE UNIQUE INDEX CONCURRENTLY t_email_idx ON t (email);
      ALTER TABLE t ADD CONSTRAINT t_email_key UNIQUE USING INDEX t_email_idx;
    `);
    expect(c.relation("public.t")?.constraints.t_email_key).toMatchObject({
      kind: "unique",
      columns: ["email"],
    });
    expect(c.index("public.t_email_key")).toMatchObject({ relation: "public.t", columns: ["email"] });
    expect(c.index("public.t_email_idx")).toBeUndefined();
    replay("ALTER TABLE t DROP CONSTRAINT t_email_key;", c);
    expect(Object.keys(c.data.indexes)).toEqual([]);
  });
});

describe("validated NOT NULL checks", () => {
  it("counts only a validated CHECK (col IS NOT NULL) on that single column", () => {
    const c = replay(`
      CREATE TABLE t (a int, b int, c int);
      ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;
      ALTER TABLE t ADD CONSTRAINT b_nn CHECK (b IS NOT NULL);
      ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL AND c > 0);
    `);
    expect(c.hasValidatedNotNullCheck("public.t", "a")).toBe(false);
    expect(c.hasValidatedNotNullCheck("public.t", "b")).toBe(true);
    expect(c.hasValidatedNotNullCheck("public.t", "c")).toBe(false);
    replay("ALTER TABLE t VALIDATE CONSTRAINT a_nn;", c);
    expect(c.hasValidatedNotNullCheck("public.t", "a")).toBe(true);
    replay("ALTER TABLE t DROP CONSTRAINT a_nn;", c);
    expect(c.hasValidatedNotNullCheck("public.t", "a")).toBe(false);
    expect(c.hasValidatedNotNullCheck("public.missing", "a")).toBe(false);
  });
});

describe("indexes", () => {
  it("names indexes like Postgres and honours IF NOT EXISTS", () => {
    const c = replay(`
      CREATE TABLE app.t (a int, b int);
      CREATE INDEX ON app.t (a, b);
      CREATE UNIQUE INDEX t_b_key ON app.t (b);
      CREATE INDEX IF NOT EXISTS t_b_key ON app.t (a);
    `);
    expect(c.index("app.t_a_b_idx")).toMatchObject({ relation: "app.t", unique: false, columns: ["a", "b"] });
    expect(c.index("app.t_b_key")).toMatchObject({ unique: true, columns: ["b"] });
    replay("DROP INDEX app.t_b_key;", c);
    expect(c.index("app.t_b_key")).toBeUndefined();
  });
});

describe("renames and drops", () => {
  it("renames tables (indexes follow), columns and indexes", () => {
    const c = replay(`
      CREATE TABLE t (id bigint PRIMARY KEY, name text);
      ALTER TABLE t RENAME TO people;
      ALTER TABLE people RENAME COLUMN name TO full_name;
      ALTER INDEX t_pkey RENAME TO people_pkey;
    `);
    expect(c.relation("public.t")).toBeUndefined();
    expect(c.relation("public.people")?.name).toBe("public.people");
    expect(Object.keys(c.relation("public.people")?.columns ?? {})).toEqual(["id", "full_name"]);
    expect(c.column("public.people", "full_name")?.name).toBe("full_name");
    expect(c.index("public.t_pkey")).toBeUndefined();
    expect(c.index("public.people_pkey")).toMatchObject({ relation: "public.people" });
  });

  it("drops tables with their indexes, and views", () => {
    const c = replay(`
      CREATE TABLE t (id bigint PRIMARY KEY);
      CREATE VIEW v AS SELECT id FROM t;
      DROP VIEW v;
      DROP TABLE t;
    `);
    expect(c.data.relations).toEqual({});
    expect(c.data.indexes).toEqual({});
  });

  it("drops a schema with everything in it", () => {
    const c = replay(`
      CREATE SCHEMA app;
      CREATE TABLE app.t (id bigint PRIMARY KEY);
      CREATE TYPE app.mood AS ENUM ('ok');
      CREATE TABLE public.keep (id bigint);
      DROP SCHEMA app CASCADE;
    `);
    expect(c.data.schemas).not.toContain("app");
    expect(Object.keys(c.data.relations)).toEqual(["public.keep"]);
    expect(c.data.indexes).toEqual({});
    expect(c.data.enums).toEqual({});
  });

  it("creates the objects a CREATE SCHEMA statement contains", () => {
    const c = replay("CREATE SCHEMA app CREATE TABLE t (id bigint);");
    expect(c.data.schemas).toContain("app");
    expect(c.relation("app.t")?.columns.id).toBeDefined();
  });
});

describe("views", () => {
  const base =
    "CREATE TABLE users (id bigint, email text, name text);\nCREATE TABLE orders (id bigint, user_id bigint, total numeric, email text);";

  it("records the columns a view reads", () => {
    const c = replay(`${base}\nCREATE VIEW emails AS SELECT email FROM users WHERE name IS NOT NULL;`);
    expect(c.relation("public.emails")).toMatchObject({
      kind: "view",
      dependsOn: [{ relation: "public.users", columns: ["email", "name"] }],
    });
    expect(c.viewsUsing("public.users", "email")).toEqual(["public.emails"]);
    expect(c.viewsUsing("public.users", "id")).toEqual([]);
    expect(c.viewsUsing("public.users")).toEqual(["public.emails"]);
  });

  it("treats SELECT * as a dependency on every column", () => {
    const c = replay(`${base}\nCREATE MATERIALIZED VIEW all_users AS SELECT * FROM users;`);
    expect(c.relation("public.all_users")?.kind).toBe("materialized-view");
    expect(c.viewsUsing("public.users", "name")).toEqual(["public.all_users"]);
  });

  it("attributes qualified columns of a join to the table they belong to", () => {
    const c = replay(
      `${base}\nCREATE VIEW order_emails AS SELECT u.email, o.total FROM users u JOIN orders AS o ON o.user_id = u.id;`,
    );
    expect(c.viewsUsing("public.users", "email")).toEqual(["public.order_emails"]);
    expect(c.viewsUsing("public.orders", "total")).toEqual(["public.order_emails"]);
    expect(c.viewsUsing("public.orders", "email")).toEqual([]);
    expect(c.viewsUsing("public.orders", "id")).toEqual([]);
  });

  it("follows views of views", () => {
    const c = replay(
      `${base}\nCREATE VIEW v1 AS SELECT id, email FROM users;\nCREATE VIEW v2 AS SELECT email FROM v1;`,
    );
    expect(c.viewsUsing("public.users", "email")).toEqual(["public.v1"]);
    expect(c.viewsUsing("public.v1", "email")).toEqual(["public.v2"]);
  });
});

describe("enums", () => {
  it("replays CREATE TYPE, ADD VALUE (in place, IF NOT EXISTS), RENAME VALUE and DROP TYPE", () => {
    const c = replay(`
      CREATE TYPE mood AS ENUM ('sad', 'happy');
      ALTER TYPE mood ADD VALUE 'ecstatic';
      ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';
      ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';
      ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok';
      ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';
    `);
    expect(c.enumValues("public.mood")).toEqual(["blue", "meh", "ok", "happy", "ecstatic"]);
    expect(c.objectsInSchema("public")).toEqual(["type public.mood"]);
    replay("DROP TYPE mood;", c);
    expect(c.enumValues("public.mood")).toBeUndefined();
  });
});

describe("partitions and dependents", () => {
  it("tracks partitions created, attached and detached", () => {
    const c = replay(`
      CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);
      CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE events_2025 (id bigint, at timestamptz);
      ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    `);
    expect(c.relation("public.events")?.kind).toBe("partitioned-table");
    expect(c.relation("public.events_2024")?.partitionOf).toBe("public.events");
    expect(Object.keys(c.relation("public.events_2024")?.columns ?? {})).toEqual(["id", "at"]);
    expect(c.relation("public.events_2025")?.partitionOf).toBe("public.events");
    expect(c.dependents("public.events").sort()).toEqual([
      "partition public.events_2024",
      "partition public.events_2025",
    ]);
    replay("ALTER TABLE events DETACH PARTITION events_2024;", c);
    expect(c.relation("public.events_2024")?.partitionOf).toBeUndefined();
    expect(c.dependents("public.events")).toEqual(["partition public.events_2025"]);
  });

  it("lists the views and foreign keys that depend on a table, not its own self-references", () => {
    const c = replay(`
      CREATE TABLE users (id bigint PRIMARY KEY, manager_id bigint REFERENCES users (id));
      CREATE TABLE orders (id bigint, user_id bigint CONSTRAINT orders_user_fk REFERENCES users (id));
      CREATE VIEW active_users AS SELECT id FROM users;
    `);
    expect(c.dependents("public.users").sort()).toEqual([
      "foreign key orders_user_fk on public.orders",
      "view public.active_users",
    ]);
    expect(c.dependents("public.orders")).toEqual([]);
  });

  it("lists the objects in a schema", () => {
    const c = replay(
      "CREATE TABLE app.a (id int);\nCREATE TABLE b (id int);\nCREATE TYPE app.kind AS ENUM ('x');",
    );
    expect(c.objectsInSchema("app")).toEqual(["app.a", "type app.kind"]);
  });
});

describe("clone", () => {
  it("is independent of the original in both directions", () => {
    const original = replay("CREATE TABLE t (a int);\nCREATE TYPE mood AS ENUM ('ok');");
    const copy = original.clone();
    replay(
      "ALTER TABLE t ADD COLUMN b int;\nALTER TYPE mood ADD VALUE 'meh';\nCREATE TABLE u (id int);",
      copy,
    );
    expect(Object.keys(original.relation("public.t")?.columns ?? {})).toEqual(["a"]);
    expect(original.enumValues("public.mood")).toEqual(["ok"]);
    expect(original.relation("public.u")).toBeUndefined();
    replay("DROP TABLE t;", original);
    expect(copy.relation("public.t")?.columns.b).toBeDefined();
  });

  it("round-trips through plain data", () => {
    const original = replay("CREATE TABLE t (a int PRIMARY KEY);");
    const restored = new Catalog(JSON.parse(JSON.stringify(original.data)));
    expect(restored.data).toEqual(original.data);
    expect(restored.index("public.t_pkey")?.columns).toEqual(["a"]);
  });
});
