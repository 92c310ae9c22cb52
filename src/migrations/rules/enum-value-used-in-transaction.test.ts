import { testRule } from "../../../test/support/rule-tester.js";
import { enumValueUsedInTransaction } from "./enum-value-used-in-transaction.js";

const schema = `CREATE TYPE status AS ENUM ('active', 'inactive');
CREATE TABLE users (id bigint PRIMARY KEY, status status, note text);`;

testRule(enumValueUsedInTransaction, {
  valid: [
    {
      name: "autocommit: ADD VALUE is committed at once",
      schema,
      sql: "ALTER TYPE status ADD VALUE 'banned';\nUPDATE users SET status = 'banned' WHERE id = 1;",
    },
    {
      name: "committed before use",
      schema,
      sql: "BEGIN;\nALTER TYPE status ADD VALUE 'banned';\nCOMMIT;\nUPDATE users SET status = 'banned' WHERE id = 1;",
    },
    {
      name: "the same word in a text column",
      schema,
      sql: "ALTER TYPE status ADD VALUE 'banned';\nUPDATE users SET note = 'banned' WHERE id = 1;\nINSERT INTO users (id, note) VALUES (2, 'banned');",
      transactionModel: "per-file",
    },
    {
      name: "enum type created in the same transaction",
      sql: "CREATE TYPE color AS ENUM ('red');\nALTER TYPE color ADD VALUE 'blue';\nCREATE TABLE t (c color DEFAULT 'blue');",
      transactionModel: "per-file",
    },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER TYPE status ADD VALUE 'banned';\nUPDATE users SET status = 'banned' WHERE id = 1;",
      transactionModel: "per-file",
      lines: [2],
    },
    {
      name: "insert, default, partial index, cast",
      schema,
      sql: [
        "BEGIN;",
        "ALTER TYPE status ADD VALUE IF NOT EXISTS 'banned' AFTER 'inactive';",
        "INSERT INTO users VALUES (1, 'banned', NULL);",
        "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'banned';",
        "CREATE INDEX users_banned_idx ON users (id) WHERE status = 'banned';",
        "SELECT 'banned'::status;",
        "COMMIT;",
      ].join("\n"),
      lines: [3, 4, 5, 6],
    },
    {
      name: "implicit transaction (multi-statement query)",
      schema,
      sql: "ALTER TYPE public.status ADD VALUE 'banned';\nDELETE FROM users WHERE status = 'banned';",
      transactionModel: "implicit",
      lines: [2],
    },
  ],
});
