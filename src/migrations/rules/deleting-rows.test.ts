import { testRule } from "../../../test/support/rule-tester.js";
import { deletingRows } from "./deleting-rows.js";

const schema = `CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE feature_flags (name text PRIMARY KEY, enabled boolean);
CREATE TABLE imports (id bigint, email text);`;

testRule(deletingRows, {
  valid: [
    { name: "table created in the same file", sql: "CREATE TABLE staging (id int);\nDELETE FROM staging;" },
    {
      name: "updates and inserts keep the rows",
      schema,
      sql: "UPDATE feature_flags SET enabled = true WHERE name = 'a';\nINSERT INTO feature_flags VALUES ('b', false);",
    },
    {
      name: "MERGE without DELETE",
      schema,
      sql: "MERGE INTO users u USING imports i ON u.id = i.id WHEN MATCHED THEN UPDATE SET email = i.email;",
    },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow deleting-rows reason: flag retired in v31\nDELETE FROM feature_flags WHERE name = 'checkout_v1';",
    },
  ],
  invalid: [
    {
      schema,
      sql: "DELETE FROM feature_flags WHERE name = 'checkout_v1';",
      lines: [1],
      messageIds: ["delete"],
    },
    {
      name: "data-modifying CTE and MERGE",
      schema,
      sql: "WITH gone AS (DELETE FROM users WHERE email IS NULL RETURNING id)\nSELECT count(*) FROM gone;\nMERGE INTO users u USING imports i ON u.id = i.id WHEN MATCHED THEN DELETE;",
      lines: [1, 3],
      messageIds: ["delete", "merge"],
    },
    { name: "a table the catalog does not know", sql: "DELETE FROM sessions;", lines: [1] },
    {
      name: "inside a DO block",
      schema,
      sql: "DO $$\nBEGIN\n  DELETE FROM users WHERE id = 1;\nEND\n$$;",
      lines: [3],
    },
  ],
});
