import { testRule } from "../../../test/support/rule-tester.js";
import { banDropNotNull } from "./ban-drop-not-null.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nickname text);";

testRule(banDropNotNull, {
  valid: [
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
    },
    {
      name: "column already nullable",
      schema,
      sql: "ALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;",
    },
    {
      name: "SET NOT NULL is not this rule",
      schema,
      sql: "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;", lines: [1] },
    {
      name: "column the catalog does not know",
      schema,
      sql: "SELECT 1;\nALTER TABLE users ALTER legacy DROP NOT NULL;",
      lines: [2],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
      lines: [1],
    },
  ],
});
