import { testRule } from "../../../test/support/rule-tester.js";
import { banDropObject } from "./ban-drop-object.js";

const schema = `CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE people (id bigint PRIMARY KEY, mood mood);`;

testRule(banDropObject, {
  valid: [
    {
      name: "objects created in the same file",
      sql: "CREATE TYPE tmp_status AS ENUM ('a');\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\nDROP TYPE tmp_status;\nDROP FUNCTION f();",
    },
    {
      name: "function dropped and recreated with a new signature",
      sql: "DROP FUNCTION IF EXISTS total(int);\nCREATE FUNCTION total(bigint) RETURNS bigint LANGUAGE sql AS 'SELECT $1';",
    },
    {
      name: "enum replaced: the old type was renamed in the same file",
      schema,
      sql: "ALTER TYPE mood RENAME TO mood_old;\nCREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');\nALTER TABLE people ALTER COLUMN mood TYPE mood USING mood::text::mood;\nDROP TYPE mood_old;",
    },
    { name: "tables and views are other rules", sql: "DROP TABLE t;\nDROP VIEW v;\nDROP INDEX i;" },
    {
      name: "approved inline",
      sql: "-- shipgate:allow ban-drop-object reason: no caller since v18\nDROP FUNCTION legacy_total(int);",
    },
  ],
  invalid: [
    { schema, sql: "DROP TYPE mood;", lines: [1], messageIds: ["type"] },
    {
      sql: "DROP DOMAIN email;\nDROP SEQUENCE invoice_numbers;\nDROP FUNCTION f(int);\nDROP PROCEDURE p();\nDROP EXTENSION IF EXISTS postgis;\nDROP FOREIGN TABLE remote_users;",
      lines: [1, 2, 3, 4, 5, 6],
      messageIds: ["type", "sequence", "routine", "routine", "extension", "foreignTable"],
    },
    {
      name: "recreated under another kind of object does not count",
      sql: "DROP SEQUENCE counter;\nCREATE FUNCTION counter() RETURNS int LANGUAGE sql AS 'SELECT 1';",
      lines: [1],
    },
    {
      name: "inside a DO block",
      sql: "DO $$\nBEGIN\n  EXECUTE 'DROP TYPE legacy_status';\nEND\n$$;",
      lines: [3],
    },
  ],
});
