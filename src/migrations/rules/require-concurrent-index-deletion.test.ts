import { testRule } from "../../../test/support/rule-tester.js";
import { requireConcurrentIndexDeletion } from "./require-concurrent-index-deletion.js";

const schema = `CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX users_name_idx ON users (name);`;

testRule(requireConcurrentIndexDeletion, {
  valid: [
    { name: "concurrently", schema, sql: "DROP INDEX CONCURRENTLY users_email_idx;" },
    {
      name: "index of a table created in the same file",
      sql: "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\nDROP INDEX t_a_idx;",
    },
    {
      name: "partitioned index (cannot be dropped concurrently)",
      schema: "CREATE TABLE p (a int) PARTITION BY LIST (a);\nCREATE INDEX p_a_idx ON p (a);",
      sql: "DROP INDEX p_a_idx;",
    },
  ],
  invalid: [
    { schema, sql: "DROP INDEX users_email_idx;", lines: [1] },
    {
      name: "one finding per index",
      schema,
      sql: "SELECT 1;\nDROP INDEX users_email_idx, users_name_idx;",
      lines: [2, 2],
    },
    { name: "an index the catalog does not know", sql: "DROP INDEX IF EXISTS legacy_idx;", lines: [1] },
  ],
});
