import { testRule } from "../../../test/support/rule-tester.js";
import { indexColumnCount } from "./index-column-count.js";

const schema = "CREATE TABLE orders (id bigint PRIMARY KEY, a int, b int, c int, d int, e int);";

testRule(indexColumnCount, {
  valid: [
    { name: "three columns", schema, sql: "CREATE INDEX CONCURRENTLY orders_abc_idx ON orders (a, b, c);" },
    {
      name: "a unique index may need every column",
      schema,
      sql: "CREATE UNIQUE INDEX CONCURRENTLY orders_abcd_key ON orders (a, b, c, d);",
    },
    {
      name: "INCLUDE columns are not key columns",
      schema,
      sql: "CREATE INDEX CONCURRENTLY orders_ab_idx ON orders (a, b) INCLUDE (c, d, e);",
    },
    {
      name: "a unique constraint",
      schema,
      sql: "ALTER TABLE orders ADD CONSTRAINT orders_abcd_key UNIQUE (a, b, c, d);",
    },
  ],
  invalid: [
    { schema, sql: "CREATE INDEX CONCURRENTLY orders_abcd_idx ON orders (a, b, c, d);", lines: [1] },
    {
      name: "expressions count, new tables too",
      sql: "CREATE TABLE t (a int, b int, c text);\nCREATE INDEX ON t (a, b, lower(c), (a + b));",
      lines: [2],
    },
  ],
});
