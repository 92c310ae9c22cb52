import type { ColumnDef, Node } from "libpg-query";
import { parseSync } from "libpg-query";
import { beforeAll, describe, expect, it } from "vitest";
import type { LockMode, MigrationClass } from "../core/finding.js";
import { asKind, type NormalizedType } from "./ast.js";
import { Catalog } from "./catalog.js";
import {
  addColumnRewrites,
  blocksReads,
  blocksWrites,
  describeStatement,
  isBinaryCompatibleChange,
  isVolatileExpression,
  type StatementFacts,
  strongestLock,
} from "./facts.js";
import { loadParser, parseFile } from "./parse.js";

const schema = `
  CREATE TABLE users (id bigint PRIMARY KEY, email varchar(50), name text, age int, org_id bigint);
  CREATE TABLE orgs (id bigint PRIMARY KEY);
  CREATE TABLE orders (id bigint, user_id bigint, CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id));
  CREATE INDEX users_email_idx ON users (email);
  CREATE UNIQUE INDEX orders_id_idx ON orders (id);
  CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);
  CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE events_2025 (id bigint, at timestamptz);
  CREATE VIEW user_emails AS SELECT id, email FROM users;
  CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) FROM users;
  ALTER TABLE users ADD CONSTRAINT users_name_nn CHECK (name IS NOT NULL);
`;

/**
 * The facts of the last statement of `sql`; earlier statements of `sql` run first in the same file,
 * so the relations they create are new (not existing before the file).
 */
function factsOf(sql: string, pgVersion = 15): StatementFacts {
  const catalog = new Catalog();
  for (const s of parseFile({ path: "schema.sql", text: schema }).statements) catalog.apply(s);
  const existing = new Set(Object.keys(catalog.data.relations));
  const statements = parseFile({ path: "m.sql", text: sql }).statements;
  const last = statements.pop();
  if (!last) throw new Error(`no statement in ${sql}`);
  for (const s of statements) catalog.apply(s);
  return describeStatement(last, catalog, { existedBeforeFile: (r) => existing.has(r) }, pgVersion);
}

interface FactsCase {
  sql: string;
  pgVersion?: number;
  /** Lock mode per relation (schema-qualified). */
  locks: Record<string, LockMode>;
  rewrites?: string[];
  scans?: string[];
  class: MigrationClass;
}

const AE = "ACCESS EXCLUSIVE";
const SUE = "SHARE UPDATE EXCLUSIVE";
const SRE = "SHARE ROW EXCLUSIVE";

const cases: FactsCase[] = [
  // ADD COLUMN
  { sql: "ALTER TABLE users ADD COLUMN a int", locks: { "public.users": AE }, class: "additive" },
  {
    sql: "ALTER TABLE users ADD COLUMN a int NOT NULL DEFAULT 0",
    locks: { "public.users": AE },
    class: "additive",
  },
  {
    sql: "ALTER TABLE users ADD COLUMN a int DEFAULT 0",
    pgVersion: 10,
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ADD COLUMN a uuid DEFAULT gen_random_uuid()",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now()",
    locks: { "public.users": AE },
    class: "additive",
  },
  {
    sql: "ALTER TABLE users ADD COLUMN n bigserial",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ADD COLUMN code text UNIQUE",
    locks: { "public.users": AE },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ADD COLUMN org2 bigint REFERENCES orgs (id)",
    locks: { "public.users": AE, "public.orgs": SRE },
    class: "additive",
  },
  // ALTER COLUMN TYPE
  {
    sql: "ALTER TABLE users ALTER COLUMN email TYPE varchar(100)",
    locks: { "public.users": AE },
    class: "additive",
  },
  { sql: "ALTER TABLE users ALTER COLUMN email TYPE text", locks: { "public.users": AE }, class: "additive" },
  {
    sql: "ALTER TABLE users ALTER COLUMN email TYPE varchar(20)",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ALTER COLUMN age TYPE bigint",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ALTER COLUMN email TYPE text USING lower(email)",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  // NOT NULL and constraints
  {
    sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
    locks: { "public.users": AE },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
    locks: { "public.users": AE },
    class: "additive",
  },
  {
    sql: "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
    pgVersion: 11,
    locks: { "public.users": AE },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0)",
    locks: { "public.users": AE },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0) NOT VALID",
    locks: { "public.users": AE },
    class: "additive",
  },
  {
    sql: "ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id)",
    locks: { "public.users": SRE, "public.orgs": SRE },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID",
    locks: { "public.users": SRE, "public.orgs": SRE },
    class: "additive",
  },
  {
    sql: "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk",
    locks: { "public.orders": SUE, "public.users": "ROW SHARE" },
    scans: ["public.orders"],
    class: "additive",
  },
  {
    sql: "ALTER TABLE orders ADD PRIMARY KEY (id)",
    locks: { "public.orders": AE },
    scans: ["public.orders"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_id_idx",
    locks: { "public.orders": AE },
    class: "additive",
  },
  {
    sql: "ALTER TABLE orders DROP CONSTRAINT orders_user_fk",
    locks: { "public.orders": AE, "public.users": AE },
    class: "transformative",
  },
  { sql: "ALTER TABLE users DROP COLUMN age", locks: { "public.users": AE }, class: "destructive" },
  // Other ALTER TABLE forms
  { sql: "ALTER TABLE users DISABLE TRIGGER ALL", locks: { "public.users": SRE }, class: "additive" },
  { sql: "ALTER TABLE users SET (fillfactor = 70)", locks: { "public.users": SUE }, class: "additive" },
  {
    sql: "ALTER TABLE users SET TABLESPACE fast",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE users SET UNLOGGED",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  // Indexes
  {
    sql: "CREATE INDEX users_name_idx ON users (name)",
    locks: { "public.users": "SHARE" },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "CREATE INDEX CONCURRENTLY users_name_idx ON users (name)",
    locks: { "public.users": SUE },
    scans: ["public.users"],
    class: "additive",
  },
  { sql: "DROP INDEX users_email_idx", locks: { "public.users": AE }, class: "transformative" },
  { sql: "DROP INDEX CONCURRENTLY users_email_idx", locks: { "public.users": SUE }, class: "additive" },
  {
    sql: "REINDEX TABLE users",
    locks: { "public.users": "SHARE" },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "REINDEX INDEX users_email_idx",
    locks: { "public.users": "SHARE" },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "REINDEX TABLE CONCURRENTLY users",
    locks: { "public.users": SUE },
    scans: ["public.users"],
    class: "additive",
  },
  {
    sql: "REINDEX (CONCURRENTLY false) TABLE users",
    locks: { "public.users": "SHARE" },
    scans: ["public.users"],
    class: "transformative",
  },
  {
    sql: "ALTER INDEX users_email_idx RENAME TO users_email_i",
    locks: { "public.users": SUE },
    class: "transformative",
  },
  // Drops, data changes, explicit locks, maintenance
  {
    sql: "DROP TABLE orders",
    locks: { "public.orders": AE, "public.users": AE },
    class: "destructive",
  },
  { sql: "TRUNCATE users", locks: { "public.users": AE }, class: "destructive" },
  { sql: "UPDATE users SET age = 0", locks: { "public.users": "ROW EXCLUSIVE" }, class: "transformative" },
  { sql: "INSERT INTO users (id) VALUES (1)", locks: { "public.users": "ROW EXCLUSIVE" }, class: "additive" },
  {
    sql: "DELETE FROM users WHERE age < 0",
    locks: { "public.users": "ROW EXCLUSIVE" },
    class: "destructive",
  },
  { sql: "LOCK TABLE users IN SHARE MODE", locks: { "public.users": "SHARE" }, class: "transformative" },
  { sql: "LOCK TABLE users", locks: { "public.users": AE }, class: "transformative" },
  { sql: "VACUUM users", locks: { "public.users": SUE }, class: "additive" },
  {
    sql: "VACUUM FULL users",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "CLUSTER users USING users_email_idx",
    locks: { "public.users": AE },
    rewrites: ["public.users"],
    class: "transformative",
  },
  {
    sql: "REFRESH MATERIALIZED VIEW user_counts",
    locks: { "public.user_counts": AE },
    class: "transformative",
  },
  {
    sql: "REFRESH MATERIALIZED VIEW CONCURRENTLY user_counts",
    locks: { "public.user_counts": "EXCLUSIVE" },
    class: "transformative",
  },
  // Renames, triggers, comments, views
  { sql: "ALTER TABLE users RENAME TO people", locks: { "public.users": AE }, class: "transformative" },
  {
    sql: "ALTER TABLE users RENAME COLUMN name TO full_name",
    locks: { "public.users": AE },
    class: "transformative",
  },
  {
    sql: "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()",
    locks: { "public.users": SRE },
    class: "additive",
  },
  { sql: "COMMENT ON TABLE users IS 'people'", locks: { "public.users": SUE }, class: "additive" },
  { sql: "COMMENT ON COLUMN users.email IS 'login'", locks: { "public.users": SUE }, class: "additive" },
  {
    sql: "CREATE VIEW adults AS SELECT id FROM users WHERE age >= 18",
    locks: { "public.users": "ACCESS SHARE" },
    class: "additive",
  },
  {
    sql: "CREATE OR REPLACE VIEW user_emails AS SELECT id, email FROM users",
    locks: { "public.user_emails": AE, "public.users": "ACCESS SHARE" },
    class: "additive",
  },
  // New tables and partitions
  {
    sql: "CREATE TABLE payments (id bigint, user_id bigint REFERENCES users (id))",
    locks: { "public.users": SRE },
    class: "additive",
  },
  {
    sql: "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
    locks: { "public.events": AE },
    class: "additive",
  },
  {
    sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    locks: { "public.events": SUE, "public.events_2025": AE },
    scans: ["public.events_2025"],
    class: "transformative",
  },
  {
    sql: "ALTER TABLE events DETACH PARTITION events_2024",
    locks: { "public.events": AE, "public.events_2024": AE },
    class: "transformative",
  },
  {
    sql: "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
    locks: { "public.events": SUE, "public.events_2024": AE },
    class: "transformative",
  },
  // Objects created earlier in the same file
  {
    sql: "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN n bigserial",
    locks: { "public.t": AE },
    class: "additive",
  },
  {
    sql: "CREATE TABLE t (id int);\nCREATE INDEX t_id_idx ON t (id)",
    locks: { "public.t": "SHARE" },
    class: "additive",
  },
];

beforeAll(async () => {
  await loadParser();
});

describe("describeStatement", () => {
  for (const c of cases) {
    it(`${c.sql.split("\n").pop()}${c.pgVersion ? ` (PG ${c.pgVersion})` : ""}`, () => {
      const facts = factsOf(c.sql, c.pgVersion);
      expect(Object.fromEntries(facts.locks.map((l) => [l.relation, l.mode]))).toEqual(c.locks);
      expect(facts.rewrites).toEqual(c.rewrites ?? []);
      expect(facts.scans).toEqual(c.scans ?? []);
      expect(facts.class).toBe(c.class);
    });
  }

  it("marks locks on relations created in the same file as not existing", () => {
    const facts = factsOf(
      "CREATE TABLE t (id int, user_id bigint);\nALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)",
    );
    expect(facts.locks).toEqual([
      { relation: "public.t", mode: SRE, existing: false },
      { relation: "public.users", mode: SRE, existing: true },
    ]);
    expect(strongestLock(facts.locks)?.relation).toBe("public.users");
    expect(strongestLock(facts.locks, false)?.mode).toBe(SRE);
  });
});

describe("lock helpers", () => {
  it("knows which modes block writes and reads", () => {
    expect(blocksWrites("SHARE UPDATE EXCLUSIVE")).toBe(false);
    expect(blocksWrites("SHARE")).toBe(true);
    expect(blocksWrites(AE)).toBe(true);
    expect(blocksReads("EXCLUSIVE")).toBe(false);
    expect(blocksReads(AE)).toBe(true);
  });
});

const t = (name: string, mods: number[] = [], isArray = false): NormalizedType => ({ name, mods, isArray });

describe("isBinaryCompatibleChange", () => {
  const rows: [NormalizedType, NormalizedType, boolean][] = [
    [t("varchar", [10]), t("varchar", [20]), true],
    [t("varchar", [20]), t("varchar", [10]), false],
    [t("varchar", [10]), t("varchar"), true],
    [t("varchar"), t("varchar", [10]), false],
    [t("varchar", [10]), t("text"), true],
    [t("text"), t("varchar"), true],
    [t("text"), t("varchar", [10]), false],
    [t("numeric", [10, 2]), t("numeric", [12, 2]), true],
    [t("numeric", [10, 2]), t("numeric", [8, 2]), false],
    [t("numeric", [10, 2]), t("numeric", [12, 3]), false],
    [t("numeric", [10, 2]), t("numeric"), true],
    [t("numeric"), t("numeric", [10, 2]), false],
    [t("varbit", [8]), t("varbit", [16]), true],
    [t("varbit", [16]), t("varbit", [8]), false],
    [t("cidr"), t("inet"), true],
    [t("inet"), t("cidr"), false],
    [t("int4"), t("int8"), false],
    [t("int4"), t("int4"), true],
    [t("timestamp"), t("timestamptz"), false],
    [t("text", [], true), t("text"), false],
    [t("bpchar", [2]), t("bpchar", [2]), true],
  ];
  for (const [from, to, expected] of rows) {
    const show = (x: NormalizedType) =>
      `${x.name}${x.mods.length ? `(${x.mods.join(",")})` : ""}${x.isArray ? "[]" : ""}`;
    it(`${show(from)} → ${show(to)}: ${expected}`, () => {
      expect(isBinaryCompatibleChange(from, to)).toBe(expected);
    });
  }
});

/** The ColumnDef of `ALTER TABLE t ADD COLUMN <definition>`. */
function columnDef(definition: string): ColumnDef | undefined {
  const alter = asKind(
    parseSync(`ALTER TABLE t ADD COLUMN ${definition}`).stmts?.[0]?.stmt,
    "AlterTableStmt",
  );
  return asKind(asKind(alter?.cmds?.[0], "AlterTableCmd")?.def, "ColumnDef");
}

describe("addColumnRewrites", () => {
  const rows: [string, number, boolean][] = [
    ["a int", 10, false],
    ["a int", 15, false],
    ["a int DEFAULT 0", 10, true],
    ["a int DEFAULT 0", 11, false],
    ["a int NOT NULL DEFAULT 0", 15, false],
    ["a timestamptz DEFAULT now()", 11, false],
    ["a timestamptz DEFAULT clock_timestamp()", 15, true],
    ["a uuid DEFAULT gen_random_uuid()", 15, true],
    ["a float8 DEFAULT random() * 10", 15, true],
    ["a serial", 15, true],
    ["a bigserial", 11, true],
    ["a bigint GENERATED ALWAYS AS IDENTITY", 15, true],
    ["a int GENERATED ALWAYS AS (1 + 1) STORED", 15, true],
  ];
  for (const [definition, pg, expected] of rows) {
    it(`ADD COLUMN ${definition} on PG ${pg}: ${expected ? "rewrites" : "no rewrite"}`, () => {
      expect(addColumnRewrites(columnDef(definition), pg)).toBe(expected);
    });
  }
});

describe("isVolatileExpression", () => {
  const expr = (sql: string): Node | undefined =>
    asKind(asKind(parseSync(`SELECT ${sql}`).stmts?.[0]?.stmt, "SelectStmt")?.targetList?.[0], "ResTarget")
      ?.val;
  const rows: [string, boolean][] = [
    ["random()", true],
    ["pg_catalog.random()", true],
    ["floor(random() * 10)::int", true],
    ["nextval('s')", true],
    ["now()", false],
    ["lower('A')", false],
    ["42", false],
  ];
  for (const [sql, expected] of rows) {
    it(`${sql}: ${expected}`, () => {
      expect(isVolatileExpression(expr(sql))).toBe(expected);
    });
  }
});
