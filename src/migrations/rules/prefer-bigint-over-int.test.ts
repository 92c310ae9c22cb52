import { testRule } from "../../../test/support/rule-tester.js";
import { preferBigintOverInt } from "./prefer-bigint-over-int.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, age bigint);";

testRule(preferBigintOverInt, {
  valid: [
    { name: "bigint and bigserial", sql: "CREATE TABLE t (id bigserial PRIMARY KEY, n bigint, m int8);" },
    {
      name: "other integer sizes belong to other rules",
      schema,
      sql: "ALTER TABLE users ADD COLUMN flags smallint, ADD COLUMN score numeric(10, 2);",
    },
    { name: "widening to bigint", schema, sql: "ALTER TABLE users ALTER COLUMN age TYPE bigint;" },
    {
      name: "integers in queries are not columns",
      schema,
      sql: "SELECT 1::int;\nUPDATE users SET age = 1::integer;",
    },
  ],
  invalid: [
    {
      name: "integer, int4 and serial columns",
      sql: "CREATE TABLE t (\n  id serial PRIMARY KEY,\n  n integer,\n  m int4,\n  ok bigint\n);",
      lines: [1, 1, 1],
    },
    {
      name: "identity columns overflow too",
      sql: "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
      lines: [1],
    },
    {
      name: "ADD COLUMN and ALTER COLUMN TYPE",
      schema,
      sql: "ALTER TABLE users ADD COLUMN visits int;\nALTER TABLE users ALTER COLUMN age TYPE integer;",
      lines: [1, 2],
    },
  ],
});
