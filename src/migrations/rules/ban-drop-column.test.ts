import { testRule } from "../../../test/support/rule-tester.js";
import { banDropColumn } from "./ban-drop-column.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, legacy text, other text);";

testRule(banDropColumn, {
  valid: [
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;",
    },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow ban-drop-column reason: unused since v41\nALTER TABLE users DROP COLUMN legacy;",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE users DROP COLUMN legacy;", lines: [1] },
    { schema, sql: "ALTER TABLE users\n  DROP COLUMN legacy,\n  DROP COLUMN other;", lines: [1, 1] },
  ],
});
