import { testRule } from "../../../test/support/rule-tester.js";
import { addingNotNullableField } from "./adding-not-nullable-field.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text NOT NULL);";
const validatedCheck = `${schema}
ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT email_nn;`;

testRule(addingNotNullableField, {
  valid: [
    {
      name: "validated CHECK (col IS NOT NULL) on PG 12+",
      schema: validatedCheck,
      sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT email_nn;",
    },
    {
      name: "the whole safe pattern in one file, in autocommit",
      schema,
      sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
    },
    { name: "column already NOT NULL", schema, sql: "ALTER TABLE users ALTER COLUMN name SET NOT NULL;" },
    {
      name: "NOT NULL constraint added NOT VALID (PG 18)",
      schema,
      sql: "ALTER TABLE users ADD CONSTRAINT email_nn NOT NULL email NOT VALID;",
      pgVersion: 18,
    },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      lines: [1],
      messageIds: ["default"],
    },
    {
      name: "a NOT VALID check does not help",
      schema: `${schema}\nALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;`,
      sql: "SELECT 1;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      lines: [2],
    },
    {
      name: "before PG 12 the validated check does not help",
      schema: validatedCheck,
      sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      pgVersion: 11,
      lines: [1],
    },
    {
      name: "ADD CONSTRAINT ... NOT NULL (PG 18)",
      schema,
      sql: "ALTER TABLE users ADD CONSTRAINT email_nn NOT NULL email;",
      pgVersion: 18,
      lines: [1],
      messageIds: ["constraint"],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      lines: [1],
      messageIds: ["default"],
    },
  ],
});
