import { testRule } from "../../../test/support/rule-tester.js";
import { dropCascade } from "./drop-cascade.js";

const schema = `CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));
CREATE VIEW user_emails AS SELECT id, email FROM users;
CREATE VIEW recent_emails AS SELECT email FROM user_emails;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE people (id bigint, mood mood);
CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));`;

testRule(dropCascade, {
  valid: [
    {
      name: "objects created in the same file",
      schema,
      sql: "CREATE TABLE t (id int);\nCREATE VIEW tv AS SELECT id FROM t;\nDROP TABLE t CASCADE;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\nDROP FUNCTION f() CASCADE;",
    },
    { name: "without CASCADE", schema, sql: "DROP TABLE order_items;\nTRUNCATE order_items;" },
    {
      name: "IF EXISTS of a table the catalog does not know",
      schema,
      sql: "DROP TABLE IF EXISTS tmp_import CASCADE;",
    },
    {
      name: "nothing depends on a foreign key constraint",
      schema,
      sql: "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey CASCADE;",
    },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow drop-cascade reason: the views are recreated below\nDROP VIEW user_emails CASCADE;",
    },
  ],
  invalid: [
    {
      name: "views and foreign keys",
      schema,
      sql: "DROP TABLE users CASCADE;",
      lines: [1],
      messageIds: ["drop"],
    },
    {
      name: "truncate empties referencing tables",
      schema,
      sql: "TRUNCATE users CASCADE;\nTRUNCATE order_items CASCADE;",
      lines: [1, 2],
      messageIds: ["truncate", "truncateUnknown"],
    },
    {
      name: "columns of a type, a function, a schema",
      schema,
      sql: "DROP TYPE mood CASCADE;\nDROP FUNCTION IF EXISTS touch() CASCADE;\nDROP SCHEMA billing CASCADE;",
      lines: [1, 2, 3],
      messageIds: ["drop", "dropUnknown", "drop"],
    },
    {
      name: "dropping a column drops the views that read it",
      schema,
      sql: "ALTER TABLE users DROP COLUMN email CASCADE;\nALTER TABLE people DROP COLUMN mood CASCADE;",
      lines: [1, 2],
      messageIds: ["drop", "dropUnknown"],
    },
    {
      name: "a table the catalog does not know",
      sql: "DROP TABLE legacy CASCADE;",
      lines: [1],
      messageIds: ["dropUnknown"],
    },
  ],
});
