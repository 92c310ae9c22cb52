import { testRule } from "../../../test/support/rule-tester.js";
import { requireConcurrentIndexCreation } from "./require-concurrent-index-creation.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text);";

testRule(requireConcurrentIndexCreation, {
  valid: [
    { name: "concurrently", schema, sql: "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);" },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (id int);\nCREATE INDEX t_id_idx ON t (id);",
    },
    {
      name: "ON ONLY a partitioned parent builds nothing",
      schema: "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);",
      sql: "CREATE INDEX events_at_idx ON ONLY events (at);",
    },
    {
      name: "partitioned parent is left to create-index-on-partitioned-table",
      schema: "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);",
      sql: "CREATE INDEX events_at_idx ON events (at);",
    },
  ],
  invalid: [
    { schema, sql: "CREATE INDEX users_email_idx ON users (email);", lines: [1] },
    {
      name: "table unknown to the schema model counts as existing",
      sql: "CREATE INDEX i ON accounts (id);",
      lines: [1],
    },
    { schema, sql: "SELECT 1;\nCREATE UNIQUE INDEX users_email_key ON public.users (email);", lines: [2] },
  ],
});
