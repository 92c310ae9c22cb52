import { testRule } from "../../../test/support/rule-tester.js";
import { banDropTable } from "./ban-drop-table.js";

const schema = `CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
CREATE TABLE audit (id bigint);`;

testRule(banDropTable, {
  valid: [
    { name: "table created in the same file", sql: "CREATE TABLE t (a int);\nDROP TABLE t;" },
    {
      name: "IF EXISTS of a table the catalog does not know",
      schema,
      sql: "DROP TABLE IF EXISTS tmp_import;",
    },
    {
      name: "dropping a view is another rule",
      schema: `${schema}\nCREATE VIEW v AS SELECT id FROM audit;`,
      sql: "DROP VIEW v;",
    },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow ban-drop-table reason: unused since v12, backed up\nDROP TABLE audit;",
    },
  ],
  invalid: [
    { schema, sql: "DROP TABLE audit;", lines: [1], messageIds: ["default"] },
    {
      name: "referenced by a foreign key",
      schema,
      sql: "SELECT 1;\nDROP TABLE IF EXISTS public.users;",
      lines: [2],
      messageIds: ["referenced"],
    },
    {
      name: "the referencing table is dropped too",
      schema,
      sql: "DROP TABLE users, orders;",
      lines: [1, 1],
      messageIds: ["default", "default"],
    },
    { name: "a table the catalog does not know must exist", sql: "DROP TABLE legacy_events;", lines: [1] },
    {
      name: "an existing table renamed in the same file",
      schema,
      sql: "ALTER TABLE audit RENAME TO audit_old;\nDROP TABLE audit_old;",
      lines: [2],
    },
    {
      name: "inside a DO block",
      schema,
      sql: "DO $$\nBEGIN\n  DROP TABLE audit;\nEND\n$$;",
      lines: [3],
    },
  ],
});
