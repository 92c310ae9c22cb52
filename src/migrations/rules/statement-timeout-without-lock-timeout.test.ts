import { testRule } from "../../../test/support/rule-tester.js";
import { statementTimeoutWithoutLockTimeout } from "./statement-timeout-without-lock-timeout.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text);";

testRule(statementTimeoutWithoutLockTimeout, {
  valid: [
    {
      name: "lock_timeout set as well",
      schema,
      sql: "SET statement_timeout = '15min';\nSET lock_timeout = '5s';\nCREATE INDEX users_email_idx ON users (email);",
    },
    {
      name: "no statement_timeout: require-lock-timeout's case, not this one",
      schema,
      sql: "ALTER TABLE users ADD COLUMN age int;",
    },
    {
      name: "a short statement_timeout bounds the lock queue by itself",
      schema,
      sql: "SET statement_timeout = '5s';\nALTER TABLE users ADD COLUMN age int;",
    },
    {
      name: "only new tables are locked",
      schema,
      sql: "SET statement_timeout = '1h';\nCREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN b int;",
    },
    {
      name: "CREATE INDEX CONCURRENTLY blocks neither reads nor writes",
      schema,
      sql: "SET statement_timeout = 0;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
    },
    {
      name: "statement_timeout set after the locking statement",
      schema,
      sql: "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN age int;\nRESET lock_timeout;\nSET statement_timeout = '1h';\nSELECT 1;",
    },
    {
      name: "statement_timeout reset before the locking statement",
      schema,
      sql: "SET statement_timeout = '1h';\nUPDATE users SET email = lower(email);\nRESET statement_timeout;\nALTER TABLE users ADD COLUMN age int;",
    },
  ],
  invalid: [
    {
      name: "reported once, at the first locking statement",
      schema,
      sql: "SET statement_timeout = '15min';\nINSERT INTO users VALUES (1, 'a');\nALTER TABLE users ADD COLUMN age int;\nCREATE INDEX users_email_idx ON users (email);",
      lines: [3],
      messageIds: ["long"],
    },
    {
      name: "statement_timeout = 0",
      schema,
      sql: "SET statement_timeout = 0;\nALTER TABLE users ADD COLUMN age int;",
      lines: [2],
      messageIds: ["disabled"],
    },
    {
      name: "lock_timeout = 0 is no lock guard",
      schema,
      sql: "SET lock_timeout = 0;\nSET statement_timeout = 600000;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      lines: [3],
      messageIds: ["long"],
    },
    {
      name: "lock_timeout reset",
      schema,
      sql: "SET statement_timeout TO '1h';\nSET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN a int;\nRESET lock_timeout;\nALTER TABLE users ADD COLUMN b int;",
      lines: [5],
      messageIds: ["long"],
    },
  ],
});
