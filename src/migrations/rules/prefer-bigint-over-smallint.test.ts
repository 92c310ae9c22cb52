import { testRule } from "../../../test/support/rule-tester.js";
import { preferBigintOverSmallint } from "./prefer-bigint-over-smallint.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, level bigint);";

testRule(preferBigintOverSmallint, {
  valid: [
    { name: "bigint", sql: "CREATE TABLE t (id bigint, n int8);" },
    {
      name: "integer belongs to prefer-bigint-over-int",
      schema,
      sql: "ALTER TABLE users ADD COLUMN n integer;",
    },
    { name: "widening away from smallint", schema, sql: "ALTER TABLE users ALTER COLUMN level TYPE bigint;" },
  ],
  invalid: [
    {
      name: "smallint, int2, smallserial",
      sql: "CREATE TABLE t (id smallserial, a smallint, b int2, c serial2);",
      lines: [1, 1, 1, 1],
    },
    { name: "ADD COLUMN", schema, sql: "SELECT 1;\nALTER TABLE users ADD COLUMN rank smallint;", lines: [2] },
    { name: "ALTER COLUMN TYPE", schema, sql: "ALTER TABLE users ALTER COLUMN level TYPE int2;", lines: [1] },
  ],
});
