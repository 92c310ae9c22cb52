import { testRule } from "../../../test/support/rule-tester.js";
import { requireLockTimeout } from "./require-lock-timeout.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text);";

testRule(requireLockTimeout, {
  valid: [
    { name: "timeout set", schema, sql: "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN age int;" },
    { name: "timeout in ms", schema, sql: "SET lock_timeout = 3000;\nALTER TABLE users ADD COLUMN age int;" },
    { name: "new table", sql: "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN b int;" },
    {
      name: "concurrent index takes no conflicting lock",
      schema,
      sql: "CREATE INDEX CONCURRENTLY i ON users (email);",
    },
    { name: "plain writes", schema, sql: "INSERT INTO users VALUES (1, 'a');" },
    {
      name: "SET LOCAL inside the transaction",
      schema,
      sql: "BEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TABLE users ADD COLUMN age int;\nCOMMIT;",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE users ADD COLUMN age int;", lines: [1], messageIds: ["missing"] },
    {
      name: "lock_timeout = 0 is no timeout",
      schema,
      sql: "SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN age int;",
      lines: [2],
      messageIds: ["zero"],
    },
    {
      name: "reset",
      schema,
      sql: "SET lock_timeout = '1s';\nRESET lock_timeout;\nCREATE INDEX i ON users (email);",
      lines: [3],
    },
  ],
});
