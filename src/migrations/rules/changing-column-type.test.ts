import { testRule } from "../../../test/support/rule-tester.js";
import { changingColumnType } from "./changing-column-type.js";

const schema =
  "CREATE TABLE users (id int PRIMARY KEY, name varchar(50), bio text, amount numeric(10,2), code varchar(10));";

testRule(changingColumnType, {
  valid: [
    { name: "varchar widening", schema, sql: "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);" },
    { name: "varchar to text", schema, sql: "ALTER TABLE users ALTER COLUMN name TYPE text;" },
    {
      name: "numeric precision increase",
      schema,
      sql: "ALTER TABLE users ALTER COLUMN amount TYPE numeric(12,2);",
    },
    {
      name: "USING that only casts the column to the target type",
      schema,
      sql: "ALTER TABLE users ALTER COLUMN name TYPE text USING name::text;",
    },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE users ALTER COLUMN id TYPE bigint;", lines: [1], messageIds: ["default"] },
    {
      name: "varchar narrowing and a numeric scale change",
      schema,
      sql: "ALTER TABLE users\n  ALTER COLUMN code TYPE varchar(5),\n  ALTER COLUMN amount TYPE numeric(12,3);",
      lines: [1, 1],
      messageIds: ["default", "default"],
    },
    {
      name: "a real USING expression",
      schema,
      sql: "SELECT 1;\nALTER TABLE users ALTER COLUMN bio TYPE text USING trim(bio);",
      lines: [2],
      messageIds: ["using"],
    },
    {
      name: "column the catalog does not know",
      schema: "CREATE TABLE users (id int);",
      sql: "ALTER TABLE users ALTER COLUMN legacy TYPE bigint;",
      lines: [1],
      messageIds: ["unknownType"],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
      lines: [1],
      messageIds: ["unknownType"],
    },
  ],
});
