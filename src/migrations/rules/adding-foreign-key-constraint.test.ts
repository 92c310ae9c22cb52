import { testRule } from "../../../test/support/rule-tester.js";
import { addingForeignKeyConstraint } from "./adding-foreign-key-constraint.js";

const schema =
  "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);";

testRule(addingForeignKeyConstraint, {
  valid: [
    {
      name: "NOT VALID, then VALIDATE",
      schema,
      sql: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
    },
    {
      name: "foreign key in CREATE TABLE",
      schema,
      sql: "CREATE TABLE items (id bigint, order_id bigint REFERENCES orders (id));",
    },
    {
      name: "table created in the same file",
      schema,
      sql: "CREATE TABLE items (id bigint, order_id bigint);\nALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders;",
    },
    {
      name: "new column without a default: Postgres skips the check",
      schema,
      sql: "ALTER TABLE orders ADD COLUMN owner_id bigint REFERENCES users (id);",
    },
    {
      name: "NOT ENFORCED is not checked",
      schema,
      sql: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users NOT ENFORCED;",
    },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
      lines: [1],
      messageIds: ["default"],
    },
    {
      name: "new column with a default is checked",
      schema,
      sql: "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN owner_id bigint DEFAULT 1 REFERENCES users (id);",
      lines: [2],
      messageIds: ["addColumn"],
    },
    {
      name: "a table-level foreign key in the same statement makes the column one checked too",
      schema,
      sql: "ALTER TABLE orders\n  ADD COLUMN owner_id bigint REFERENCES users,\n  ADD FOREIGN KEY (user_id) REFERENCES users;",
      lines: [1, 1],
      messageIds: ["addColumn", "default"],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users;",
      lines: [1],
      messageIds: ["default"],
    },
  ],
});
