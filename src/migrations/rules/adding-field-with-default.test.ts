import { testRule } from "../../../test/support/rule-tester.js";
import { addingFieldWithDefault } from "./adding-field-with-default.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY);";

testRule(addingFieldWithDefault, {
  valid: [
    {
      name: "constant default on PG 11+",
      schema,
      sql: "ALTER TABLE users ADD COLUMN active boolean DEFAULT true;",
    },
    {
      name: "stable default is evaluated once",
      schema,
      sql: "ALTER TABLE users ADD COLUMN created_at timestamptz DEFAULT now();",
    },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN id uuid DEFAULT gen_random_uuid();",
    },
    {
      name: "DEFAULT NULL before PG 11",
      schema,
      sql: "ALTER TABLE users ADD COLUMN note text DEFAULT NULL;",
      pgVersion: 10,
    },
    { name: "serial is adding-generated-column's", schema, sql: "ALTER TABLE users ADD COLUMN n serial;" },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
      lines: [1],
      messageIds: ["volatile"],
    },
    {
      name: "any default before PG 11",
      schema,
      sql: "SELECT 1;\nALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true;",
      pgVersion: 10,
      lines: [2],
      messageIds: ["beforePg11"],
    },
    {
      name: "volatile expression inside a cast",
      schema,
      sql: "ALTER TABLE users ADD COLUMN seed int DEFAULT (random() * 100)::int;",
      lines: [1],
      messageIds: ["volatile"],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
      lines: [1],
      messageIds: ["volatile"],
    },
  ],
});
