import { testRule } from "../../../test/support/rule-tester.js";
import { dropForeignKey } from "./drop-foreign-key.js";

const schema = `CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total int,
  CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT total_positive CHECK (total > 0));`;

testRule(dropForeignKey, {
  valid: [
    { name: "not a foreign key", schema, sql: "ALTER TABLE orders DROP CONSTRAINT total_positive;" },
    {
      name: "constraint the catalog does not know",
      schema,
      sql: "ALTER TABLE orders DROP CONSTRAINT IF EXISTS gone;",
    },
    {
      name: "table created in the same file",
      schema,
      sql: "CREATE TABLE items (order_id bigint, CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES orders);\nALTER TABLE items DROP CONSTRAINT items_order_fk;",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;", lines: [1] },
    {
      name: "column-level REFERENCES gets the default name",
      schema:
        "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint, user_id bigint REFERENCES users);",
      sql: "SET lock_timeout = '2s';\nALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;",
      lines: [2],
    },
  ],
});
