import { testRule } from "../../../test/support/rule-tester.js";
import { preferTextField } from "./prefer-text-field.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(50));";

testRule(preferTextField, {
  valid: [
    { name: "text and unlimited varchar", sql: "CREATE TABLE t (a text, b varchar, c character varying);" },
    {
      name: "text with a CHECK",
      sql: "CREATE TABLE t (name text CONSTRAINT name_length CHECK (char_length(name) <= 50));",
    },
    { name: "converting varchar(n) to text", schema, sql: "ALTER TABLE users ALTER COLUMN name TYPE text;" },
  ],
  invalid: [
    {
      name: "varchar(n) spellings and arrays",
      sql: "CREATE TABLE t (\n  a varchar(10),\n  b character varying(255),\n  c varchar(5)[]\n);",
      lines: [1, 1, 1],
    },
    {
      name: "ADD COLUMN and ALTER COLUMN TYPE",
      schema,
      sql: "ALTER TABLE users ADD COLUMN email varchar(320);\nALTER TABLE users ALTER COLUMN name TYPE varchar(100);",
      lines: [1, 2],
    },
  ],
});
