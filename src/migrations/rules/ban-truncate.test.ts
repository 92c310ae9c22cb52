import { testRule } from "../../../test/support/rule-tester.js";
import { banTruncate } from "./ban-truncate.js";

const schema = "CREATE TABLE sessions (id bigint PRIMARY KEY);\nCREATE TABLE events (id bigint PRIMARY KEY);";

testRule(banTruncate, {
  valid: [
    { name: "table created in the same file", sql: "CREATE TABLE staging (a int);\nTRUNCATE staging;" },
    {
      name: "table dropped and created again in the same file",
      schema,
      sql: "DROP TABLE events;\nCREATE TABLE events (id bigint);\nTRUNCATE events;",
    },
    { name: "deleting rows is another rule", schema, sql: "DELETE FROM sessions WHERE id = 1;" },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow ban-truncate reason: sessions are disposable, users log in again\nTRUNCATE sessions;",
    },
  ],
  invalid: [
    { schema, sql: "TRUNCATE sessions;", lines: [1] },
    {
      schema,
      sql: "SELECT 1;\nTRUNCATE TABLE ONLY public.sessions, events RESTART IDENTITY;",
      lines: [2, 2],
    },
    { name: "a table the catalog does not know", sql: "TRUNCATE audit_log;", lines: [1] },
    {
      name: "only the table that existed before",
      schema,
      sql: "CREATE TABLE staging (a int);\nTRUNCATE staging, events;",
      lines: [2],
    },
  ],
});
