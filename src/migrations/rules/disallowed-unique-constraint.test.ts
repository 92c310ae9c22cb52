import { testRule } from "../../../test/support/rule-tester.js";
import { disallowedUniqueConstraint } from "./disallowed-unique-constraint.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text);";

testRule(disallowedUniqueConstraint, {
  valid: [
    {
      name: "USING INDEX built concurrently",
      schema,
      sql: "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);",
    },
    { name: "UNIQUE in CREATE TABLE", sql: "CREATE TABLE t (a int UNIQUE);" },
    {
      name: "ADD COLUMN IF NOT EXISTS of an existing column",
      schema,
      sql: "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text UNIQUE;",
    },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
      lines: [1],
      messageIds: ["default"],
    },
    {
      schema,
      sql: "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN handle text UNIQUE;",
      lines: [2],
      messageIds: ["addColumn"],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users ADD UNIQUE (email);",
      lines: [1],
      messageIds: ["default"],
    },
  ],
});
