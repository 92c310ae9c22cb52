import { testRule } from "../../../test/support/rule-tester.js";
import { unbatchedBackfill } from "./unbatched-backfill.js";

const schema = `CREATE TABLE users (
  id bigint PRIMARY KEY, email text, plan text, tenant_id bigint, created_at timestamptz,
  CONSTRAINT users_tenant_email_key UNIQUE (tenant_id, email)
);
CREATE TABLE settings (key text PRIMARY KEY, value text);
CREATE TABLE plans (user_id bigint, name text);`;

testRule(unbatchedBackfill, {
  valid: [
    { name: "table created in the same file", sql: "CREATE TABLE t (id int, a int);\nUPDATE t SET a = 1;" },
    {
      name: "key range with BETWEEN",
      schema,
      sql: "UPDATE users SET plan = 'free' WHERE id BETWEEN 1 AND 5000;",
    },
    {
      name: "key range with two comparisons",
      schema,
      sql: "UPDATE users SET plan = 'free' WHERE id >= 1 AND id < 5000 AND plan IS NULL;\nUPDATE users SET plan = 'free' WHERE 5000 > id AND id >= 1;",
    },
    {
      name: "IN (SELECT ... LIMIT n)",
      schema,
      sql: "DELETE FROM users WHERE id IN (SELECT id FROM users WHERE plan IS NULL LIMIT 1000);",
    },
    {
      name: "ctid batch",
      schema,
      sql: "UPDATE users SET plan = 'free' WHERE ctid = ANY (ARRAY(SELECT ctid FROM users WHERE plan IS NULL LIMIT 1000));",
    },
    {
      name: "a unique key pinned to literals",
      schema,
      sql: "UPDATE settings SET value = 'on' WHERE key = 'checkout_v2';\nDELETE FROM settings WHERE key IN ('a', 'b');\nUPDATE users SET plan = 'pro' WHERE tenant_id = 1 AND email = 'a@example.com';",
    },
    {
      name: "batched loop in a DO block",
      schema,
      sql: "DO $$\nDECLARE i bigint := 0;\nBEGIN\n  WHILE i < 1000000 LOOP\n    UPDATE users SET plan = 'free' WHERE id >= i AND id < i + 5000;\n    COMMIT;\n    i := i + 5000;\n  END LOOP;\nEND\n$$;",
    },
  ],
  invalid: [
    { schema, sql: "UPDATE users SET plan = 'free';", lines: [1], messageIds: ["update"] },
    {
      name: "filters that do not bound a batch",
      schema,
      sql: [
        "UPDATE users SET plan = 'free' WHERE plan IS NULL;",
        "DELETE FROM users WHERE created_at < now() - interval '1 year';",
        "UPDATE users SET plan = 'x' WHERE id > 100;",
        "UPDATE users SET plan = 'x' WHERE id IN (SELECT id FROM users LIMIT ALL);",
        "UPDATE users SET plan = 'x' WHERE id BETWEEN 1 AND 10 OR plan IS NULL;",
        "UPDATE users SET plan = 'x' WHERE plan = 'trial';",
        "UPDATE users SET plan = 'x' WHERE email = 'a@example.com';",
      ].join("\n"),
      lines: [1, 2, 3, 4, 5, 6, 7],
      messageIds: ["update", "delete", "update", "update", "update", "update", "update"],
    },
    {
      name: "a join is not a batch",
      schema,
      sql: "UPDATE users u SET plan = p.name FROM plans p WHERE u.id = p.user_id;",
      lines: [1],
    },
    {
      name: "data-modifying CTE",
      schema,
      sql: "WITH gone AS (DELETE FROM users RETURNING id)\nSELECT count(*) FROM gone;",
      lines: [1],
      messageIds: ["delete"],
    },
    { name: "a table the catalog does not know", sql: "UPDATE accounts SET active = true;", lines: [1] },
    {
      name: "inside a DO block",
      schema,
      sql: "DO $$\nBEGIN\n  UPDATE users SET plan = 'free';\nEND\n$$;",
      lines: [3],
    },
  ],
});
