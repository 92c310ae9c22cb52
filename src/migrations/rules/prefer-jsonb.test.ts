import { testRule } from "../../../test/support/rule-tester.js";
import { preferJsonb } from "./prefer-jsonb.js";

const schema = "CREATE TABLE events (id bigint PRIMARY KEY, payload text);";

testRule(preferJsonb, {
  valid: [
    { name: "jsonb", sql: "CREATE TABLE t (id int, data jsonb, tags jsonb[]);" },
    { name: "jsonb column added", schema, sql: "ALTER TABLE events ADD COLUMN meta jsonb;" },
    { name: "a column named json", schema, sql: "ALTER TABLE events ADD COLUMN json text;" },
    {
      name: "approved inline",
      sql: "-- shipgate:allow prefer-jsonb reason: webhook bodies must keep key order for signatures\nCREATE TABLE webhooks (id bigint, body json);",
    },
  ],
  invalid: [
    { sql: "CREATE TABLE t (id int, data json, raw pg_catalog.json, list json[]);", lines: [1, 1, 1] },
    {
      schema,
      sql: "SELECT 1;\nALTER TABLE events ADD COLUMN meta json, ALTER COLUMN payload TYPE json USING payload::json;",
      lines: [2, 2],
    },
    {
      name: "table created in the same file still gets the column",
      sql: "CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b json;",
      lines: [2],
    },
  ],
});
