import { testRule } from "../../../test/support/rule-tester.js";
import { longRunningUnderAccessExclusive } from "./long-running-under-access-exclusive.js";

const schema = `CREATE TABLE users (id bigint PRIMARY KEY, email text, plan text);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
CREATE MATERIALIZED VIEW order_counts AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;`;

testRule(longRunningUnderAccessExclusive, {
  valid: [
    {
      name: "autocommit: the lock is released after each statement",
      schema,
      sql: "ALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = email;",
    },
    {
      name: "committed before the backfill",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nCOMMIT;\nUPDATE users SET nickname = email;",
    },
    {
      name: "new tables only",
      schema,
      sql: "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 1;\nCREATE INDEX t_a_idx ON t (a);",
      transactionModel: "per-file",
    },
    {
      name: "quick statements after the lock",
      schema,
      sql: "ALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET plan = 'pro' WHERE id = 42;\nINSERT INTO orders (id, user_id) VALUES (1, 42);\nCOMMENT ON COLUMN users.nickname IS 'display name';",
      transactionModel: "per-file",
    },
    {
      name: "the slow statement locks the same table itself",
      schema,
      sql: "ALTER TABLE users ADD COLUMN nickname text;\nALTER TABLE users ALTER COLUMN email TYPE varchar(100);",
      transactionModel: "per-file",
    },
  ],
  invalid: [
    {
      name: "backfill after ADD COLUMN",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN nickname text;\nUPDATE users SET nickname = email;\nCOMMIT;",
      lines: [3],
    },
    {
      name: "index build, INSERT ... SELECT, refresh, validation",
      schema,
      sql: [
        "ALTER TABLE users ADD COLUMN nickname text;",
        "CREATE INDEX orders_user_id_idx ON orders (user_id);",
        "INSERT INTO orders (id, user_id) SELECT id, id FROM users;",
        "REFRESH MATERIALIZED VIEW order_counts;",
        "ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;",
      ].join("\n"),
      transactionModel: "per-file",
      lines: [2, 3, 4, 6],
    },
    {
      name: "lock taken inside a DO block",
      schema,
      sql: "DO $$\nBEGIN\n  ALTER TABLE users ADD COLUMN nickname text;\nEND\n$$;\nCREATE INDEX orders_user_id_idx ON orders (user_id);",
      transactionModel: "per-file",
      lines: [6],
    },
  ],
});
