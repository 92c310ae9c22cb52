import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineRuleMetas } from "../engine-rules.js";
import { lintSql } from "../lint-sql.js";
import type { Rule, TransactionModel } from "../rule.js";
import { withRuleIndex } from "../rule-index.js";
import { allRules } from "./index.js";

const rulesDir = new URL(".", import.meta.url).pathname;
const docsDir = join(rulesDir, "../../../docs/rules");
const ruleFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "index.ts")
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();

describe("rule registry", () => {
  it("lists every rule file, sorted by id, with the id equal to the file name", () => {
    expect(allRules.map((r) => r.meta.id)).toEqual(ruleFiles);
  });

  it("has a test file for every rule", () => {
    const tests = new Set(readdirSync(rulesDir).filter((f) => f.endsWith(".test.ts")));
    expect(ruleFiles.filter((id) => !tests.has(`${id}.test.ts`))).toEqual([]);
  });

  it("gives every rule a description, a help text and at least one message", () => {
    for (const rule of allRules) {
      expect(rule.meta.description.length, rule.meta.id).toBeGreaterThan(10);
      expect(rule.meta.help.length, rule.meta.id).toBeGreaterThan(10);
      expect(Object.keys(rule.meta.messages).length, rule.meta.id).toBeGreaterThan(0);
    }
  });
});

interface DocPage {
  headings: string[];
  blocks: Record<string, string>;
}

function readDoc(id: string): DocPage {
  const text = readFileSync(join(docsDir, `${id}.md`), "utf8");
  const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1] as string);
  const blocks: Record<string, string> = {};
  for (const m of text.matchAll(/^```sql (schema|bad|good)\n([\s\S]*?)^```$/gm))
    blocks[m[1] as string] = m[2] as string;
  return { headings, blocks };
}

describe("rule index", () => {
  it("docs/rules.md lists every rule (run `npm run schema` when this fails)", () => {
    const text = readFileSync(join(docsDir, "../rules.md"), "utf8");
    expect(text).toContain("rule-index:start");
    expect(text).toBe(withRuleIndex(text));
  });
});

describe("rule docs", () => {
  const ids = [...allRules.map((r) => r.meta.id), ...Object.keys(engineRuleMetas)];

  it("has a page for every rule and no page without a rule", () => {
    const pages = readdirSync(docsDir)
      .filter((f) => f.endsWith(".md"))
      .map((f) => f.replace(/\.md$/, ""))
      .sort();
    expect(pages).toEqual([...ids].sort());
  });

  for (const id of ids) {
    it(`${id}: has the standard headings`, () => {
      const doc = readDoc(id);
      expect(doc.headings.slice(0, 4)).toEqual(["Problem", "Why", "Safe pattern", "When to ignore"]);
    });
  }

  for (const rule of allRules) {
    it(`${rule.meta.id}: the bad example triggers the rule and the good one does not`, async () => {
      const { blocks } = readDoc(rule.meta.id);
      expect(blocks.bad, "a ```sql bad block").toBeDefined();
      expect(blocks.good, "a ```sql good block").toBeDefined();
      const options = {
        schema: blocks.schema ?? "",
        ruleSettings: { [rule.meta.id]: rule.meta.severity },
      };
      const bad = await lintSql(blocks.bad ?? "", options);
      const good = await lintSql(blocks.good ?? "", options);
      const active = (fs: typeof bad.findings) =>
        fs.filter((f) => f.ruleId === rule.meta.id && !f.suppression);
      expect(active(bad.findings).length).toBeGreaterThan(0);
      expect(active(good.findings)).toEqual([]);
    });
  }
});

/** Every ```sql block of a rule's docs page, labeled (schema, bad, good) or not. */
function docSqlBlocks(id: string): string[] {
  const text = readFileSync(join(docsDir, `${id}.md`), "utf8");
  return [...text.matchAll(/^```sql(?: \w+)?\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** Relations, types and objects the statements below name, created before the migration. */
const kindsSchema = `
CREATE SCHEMA archive;
CREATE TABLE users (id bigint PRIMARY KEY, email text, name varchar(50), status text NOT NULL, created_at timestamptz);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric,
  CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id));
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE TABLE archive.old_orders (id bigint, total numeric);
CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';
CREATE MATERIALIZED VIEW order_totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN positive_int AS integer;
CREATE SEQUENCE order_seq;
CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE feelings (id bigint, m mood);
`;

/** Statements of many kinds, each linted as a migration of its own against kindsSchema. */
const kindsCorpus = [
  "ALTER TABLE users ADD COLUMN score integer DEFAULT random()::int NOT NULL;",
  "ALTER TABLE users ADD COLUMN code char(4), ADD COLUMN payload json, ADD COLUMN seen timestamp, ADD COLUMN n smallint, ADD COLUMN req text NOT NULL;",
  "ALTER TABLE users ADD COLUMN ref bigint DEFAULT 1 REFERENCES orders (id), ADD COLUMN g int GENERATED ALWAYS AS (1) STORED, ADD COLUMN u text UNIQUE, ADD COLUMN c int CHECK (c > 0), ADD COLUMN s serial PRIMARY KEY;",
  "ALTER TABLE users ALTER COLUMN email TYPE varchar(100), ALTER COLUMN id TYPE int;",
  "ALTER TABLE users ALTER COLUMN status DROP NOT NULL, ALTER COLUMN email SET NOT NULL;",
  "ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total > 0), ADD CONSTRAINT orders_user_fk2 FOREIGN KEY (user_id) REFERENCES users (id), ADD CONSTRAINT orders_uniq UNIQUE (user_id), ADD CONSTRAINT orders_ex EXCLUDE USING gist (id WITH =);",
  "ALTER TABLE archive.old_orders ADD PRIMARY KEY (id);",
  "ALTER TABLE orders ADD CONSTRAINT c1 CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c1;",
  "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;\nALTER TABLE users DROP CONSTRAINT users_pkey CASCADE;",
  "ALTER TABLE users DROP COLUMN name CASCADE;",
  "ALTER TABLE users SET LOGGED;\nALTER TABLE orders SET TABLESPACE fast;",
  "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY;",
  "CREATE INDEX orders_wide_idx ON orders (total, user_id, id, total);\nCREATE INDEX ON events (at);",
  "CREATE INDEX CONCURRENTLY events_at_idx ON events (at);\nCREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);",
  "DROP INDEX orders_user_idx;\nDROP INDEX CONCURRENTLY IF EXISTS orders_user_idx;",
  "DROP TABLE orders CASCADE;\nDROP TABLE IF EXISTS ghost;",
  "DROP VIEW active_users;\nDROP MATERIALIZED VIEW order_totals CASCADE;",
  "DROP SCHEMA archive CASCADE;",
  "DROP TYPE mood;\nDROP DOMAIN positive_int CASCADE;\nDROP SEQUENCE order_seq;\nDROP FUNCTION one();\nDROP EXTENSION pgcrypto;",
  "DROP DATABASE prod;",
  "TRUNCATE orders CASCADE;\nTRUNCATE users;",
  "UPDATE users SET status = 'gone';\nDELETE FROM orders WHERE total < 0;",
  "WITH d AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM d;\nINSERT INTO archive.old_orders SELECT id, total FROM orders;",
  "MERGE INTO orders o USING users u ON o.user_id = u.id WHEN MATCHED THEN DELETE;",
  "LOCK TABLE users IN ACCESS EXCLUSIVE MODE;\nLOCK TABLE orders IN SHARE MODE;",
  "REFRESH MATERIALIZED VIEW order_totals;\nREFRESH MATERIALIZED VIEW order_totals WITH NO DATA;",
  "VACUUM FULL users;\nVACUUM FULL;\nCLUSTER users USING users_pkey;\nCLUSTER;",
  "REINDEX TABLE users;\nREINDEX SCHEMA public;\nREINDEX INDEX CONCURRENTLY orders_user_idx;",
  "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nBEGIN;\nCREATE INDEX CONCURRENTLY users_a_idx ON users (a);\nCOMMIT;\nBEGIN;\nUPDATE users SET a = 'x';",
  "SET statement_timeout = '1h';\nSET lock_timeout = 0;\nALTER TABLE users ADD COLUMN b text;\nSET LOCAL lock_timeout = '1s';",
  "DO $$ BEGIN ALTER TABLE users DROP COLUMN email; EXECUTE 'CREATE INDEX CONCURRENTLY ON orders (total)'; EXECUTE format('DROP TABLE %I', 'x'); END $$;",
  "BEGIN;\nALTER TYPE mood ADD VALUE 'angry';\nINSERT INTO feelings (id, m) VALUES (1, 'angry');\nCOMMIT;",
  "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';",
  "CREATE TABLE t (id serial PRIMARY KEY, n int, s smallint, doc json, code char(2), name varchar(20), at timestamp);",
  "CREATE DOMAIN pos AS int CHECK (VALUE > 0);\nALTER DOMAIN positive_int ADD CONSTRAINT p CHECK (VALUE > 0);\nALTER DOMAIN positive_int SET NOT NULL;",
  "ALTER TABLE users RENAME COLUMN email TO mail;\nALTER TABLE orders RENAME TO purchases;\nALTER TABLE users RENAME TO people;\nCREATE VIEW users AS SELECT * FROM people;",
  "CREATE TABLE fresh (id bigint, v int);\nCREATE INDEX fresh_idx ON fresh (v);\nALTER TABLE fresh ADD COLUMN w int NOT NULL, ALTER COLUMN v TYPE bigint;\nDROP TABLE fresh;",
  "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nSELECT 1;\nCREATE SEQUENCE s2;\nCREATE MATERIALIZED VIEW mv AS SELECT * FROM orders;",
];

describe("rule kinds", () => {
  const models: TransactionModel[] = ["none", "per-file", "implicit"];
  const filtered = allRules.filter((r) => r.kinds !== undefined);

  it("are declared by most rules", () => {
    expect(filtered.length).toBeGreaterThan(40);
  });

  for (const rule of filtered) {
    it(`${rule.meta.id}: kinds ${JSON.stringify(rule.kinds)} hide no finding`, async () => {
      const { kinds: _, ...unfilteredRule } = rule;
      const unfiltered: Rule = unfilteredRule;
      const { blocks } = readDoc(rule.meta.id);
      const inputs = [
        ...docSqlBlocks(rule.meta.id).map((sql) => ({ schema: blocks.schema ?? "", sql })),
        ...(blocks.schema === undefined ? [] : [{ schema: "", sql: blocks.schema }]),
        ...kindsCorpus.map((sql) => ({ schema: kindsSchema, sql })),
        { schema: kindsSchema, sql: kindsCorpus.join("\n") },
      ];
      const ruleSettings = { [rule.meta.id]: rule.meta.severity };
      let total = 0;
      for (const { schema, sql } of inputs) {
        for (const transactionModel of models) {
          const options = { schema, transactionModel, ruleSettings };
          const withKinds = await lintSql(sql, { ...options, rules: [rule] });
          const without = await lintSql(sql, { ...options, rules: [unfiltered] });
          expect(withKinds.findings, `${transactionModel}: ${sql}`).toEqual(without.findings);
          total += without.findings.filter((f) => f.ruleId === rule.meta.id).length;
        }
      }
      // The inputs include the bad example, so the comparison covers real findings.
      expect(total).toBeGreaterThan(0);
    });
  }
});
