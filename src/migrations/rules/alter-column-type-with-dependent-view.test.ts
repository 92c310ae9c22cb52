import { testRule } from "../../../test/support/rule-tester.js";
import { alterColumnTypeWithDependentView } from "./alter-column-type-with-dependent-view.js";

const schema = `CREATE TABLE users (id int PRIMARY KEY, name varchar(50), email text);
CREATE VIEW user_names AS SELECT id, name FROM users;`;

testRule(alterColumnTypeWithDependentView, {
  valid: [
    { name: "column no view uses", schema, sql: "ALTER TABLE users ALTER COLUMN email TYPE varchar(200);" },
    {
      name: "view dropped first",
      schema,
      sql: "DROP VIEW user_names;\nALTER TABLE users ALTER COLUMN name TYPE text;\nCREATE VIEW user_names AS SELECT id, name FROM users;",
    },
    { name: "no views", schema: "CREATE TABLE t (a int);", sql: "ALTER TABLE t ALTER COLUMN a TYPE bigint;" },
  ],
  invalid: [
    {
      name: "even a binary-compatible change is rejected",
      schema,
      sql: "ALTER TABLE users ALTER COLUMN name TYPE text;",
      lines: [1],
    },
    {
      name: "materialized view and a view created in the same file",
      schema: `${schema}\nCREATE MATERIALIZED VIEW user_ids AS SELECT id FROM users;`,
      sql: "CREATE VIEW everyone AS SELECT * FROM users;\nALTER TABLE users ALTER COLUMN id TYPE bigint;",
      lines: [2],
    },
  ],
});
