import { testRule } from "../../../test/support/rule-tester.js";
import { renamingColumn } from "./renaming-column.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, mail text);";

testRule(renamingColumn, {
  valid: [
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;",
    },
    { name: "renaming the table is not this rule", schema, sql: "ALTER TABLE users RENAME TO people;" },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow renaming-column reason: no code reads users.mail since v12\nALTER TABLE users RENAME COLUMN mail TO email;",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE users RENAME COLUMN mail TO email;", lines: [1] },
    { schema, sql: "SELECT 1;\nALTER TABLE public.users RENAME mail TO email;", lines: [2] },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users RENAME COLUMN mail TO email;",
      lines: [1],
    },
  ],
});
