import { testRule } from "../../../test/support/rule-tester.js";
import { renamingTable } from "./renaming-table.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY);";

testRule(renamingTable, {
  valid: [
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;",
    },
    {
      name: "compatibility view with the old name in the same transaction",
      schema,
      sql: "BEGIN;\nALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;\nCOMMIT;",
    },
    {
      name: "compatibility view in the runner's per-file transaction",
      schema,
      sql: "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;",
      transactionModel: "per-file",
    },
    {
      name: "renaming a column is not this rule",
      schema,
      sql: "ALTER TABLE users RENAME COLUMN id TO user_id;",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE users RENAME TO accounts;", lines: [1] },
    {
      name: "the view comes in a separate autocommit statement: old code fails in between",
      schema,
      sql: "SELECT 1;\nALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;",
      transactionModel: "none",
      lines: [2],
    },
    {
      name: "the view comes after COMMIT",
      schema,
      sql: "BEGIN;\nALTER TABLE users RENAME TO accounts;\nCOMMIT;\nCREATE VIEW users AS SELECT * FROM accounts;",
      lines: [2],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE users RENAME TO accounts;",
      lines: [1],
    },
  ],
});
