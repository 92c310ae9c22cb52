import { testRule } from "../../../test/support/rule-tester.js";
import { reindexWithoutConcurrently } from "./reindex-without-concurrently.js";

const schema =
  "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);";

testRule(reindexWithoutConcurrently, {
  valid: [
    {
      name: "concurrently",
      schema,
      sql: "REINDEX INDEX CONCURRENTLY users_email_idx;\nREINDEX TABLE CONCURRENTLY users;",
    },
    { name: "before PG 12 there is no CONCURRENTLY", schema, sql: "REINDEX TABLE users;", pgVersion: 11 },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nCREATE INDEX t_a_idx ON t (a);\nREINDEX TABLE t;\nREINDEX INDEX t_a_idx;",
    },
    { name: "system catalogs cannot be reindexed concurrently", sql: "REINDEX SYSTEM;" },
  ],
  invalid: [
    { schema, sql: "REINDEX TABLE users;", lines: [1] },
    { schema, sql: "SELECT 1;\nREINDEX INDEX users_email_idx;\nREINDEX SCHEMA public;", lines: [2, 3] },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "REINDEX TABLE users;",
      lines: [1],
    },
  ],
});
