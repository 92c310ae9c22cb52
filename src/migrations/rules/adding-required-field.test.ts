import { testRule } from "../../../test/support/rule-tester.js";
import { addingRequiredField } from "./adding-required-field.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY);";

testRule(addingRequiredField, {
  valid: [
    {
      name: "with a default",
      schema,
      sql: "ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;",
    },
    { name: "nullable", schema, sql: "ALTER TABLE users ADD COLUMN nickname text;" },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int NOT NULL;",
    },
    {
      name: "identity, serial and generated columns have values",
      schema,
      sql: "ALTER TABLE users ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;\nALTER TABLE users ADD COLUMN s serial NOT NULL;\nALTER TABLE users ADD COLUMN g bigint NOT NULL GENERATED ALWAYS AS (id * 2) STORED;",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE users ADD COLUMN email text NOT NULL;", lines: [1] },
    {
      name: "DEFAULT NULL is no default",
      schema,
      sql: "SELECT 1;\nALTER TABLE users ADD COLUMN email text DEFAULT NULL NOT NULL;",
      lines: [2],
    },
    {
      name: "a primary key column is NOT NULL",
      schema: "CREATE TABLE logs (msg text);",
      sql: "ALTER TABLE logs ADD COLUMN id bigint PRIMARY KEY;",
      lines: [1],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users ADD COLUMN email text NOT NULL;",
      lines: [1],
    },
  ],
});
