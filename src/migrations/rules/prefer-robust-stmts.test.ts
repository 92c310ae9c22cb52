import { testRule } from "../../../test/support/rule-tester.js";
import { preferRobustStmts } from "./prefer-robust-stmts.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text);";

testRule(preferRobustStmts, {
  valid: [
    {
      name: "guarded statements",
      schema,
      sql: "CREATE TABLE IF NOT EXISTS a (id int);\nALTER TABLE users ADD COLUMN IF NOT EXISTS age int, DROP COLUMN IF EXISTS legacy;\nDROP TABLE IF EXISTS old;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);",
    },
    {
      name: "one explicit transaction rolls back as a whole",
      schema,
      sql: "BEGIN;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCOMMIT;",
    },
    {
      name: "the runner wraps the file",
      schema,
      transactionModel: "per-file",
      sql: "CREATE TABLE a (id int);\nALTER TABLE users DROP COLUMN legacy;",
    },
    {
      name: "one multi-statement query is one implicit transaction",
      schema,
      transactionModel: "implicit",
      sql: "CREATE TABLE a (id int);\nALTER TABLE users DROP COLUMN legacy;",
    },
    {
      name: "nothing that can fail comes after",
      schema,
      sql: "SET lock_timeout = '5s';\nCREATE TABLE a (id int);\nRESET lock_timeout;",
    },
    {
      name: "drop-then-create for a concurrent index",
      schema,
      sql: "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
    },
    {
      name: "drop-then-add for a constraint",
      schema,
      sql: "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_id_positive;\nALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_id_positive;",
    },
    {
      name: "a DO block's own statements are checked by the DO block",
      schema,
      sql: "DO $$ BEGIN IF to_regclass('a') IS NULL THEN CREATE TABLE a (id int); END IF; END $$;\nCREATE TABLE IF NOT EXISTS b (id int);",
    },
  ],
  invalid: [
    {
      name: "two creates in autocommit",
      schema,
      sql: "CREATE TABLE a (id int);\nCREATE TABLE b (id int);",
      lines: [1],
      messageIds: ["create"],
    },
    {
      name: "a lone concurrent build leaves an invalid index when it fails",
      schema,
      sql: "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
      lines: [1],
      messageIds: ["concurrentIndex"],
    },
    {
      name: "an unnamed concurrent index",
      schema,
      sql: "CREATE INDEX CONCURRENTLY ON users (email);",
      lines: [1],
      messageIds: ["unnamedIndex"],
    },
    {
      name: "a committed block before a statement that can fail",
      schema,
      sql: "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_id_idx ON a (id);",
      lines: [2],
      messageIds: ["create"],
    },
    {
      name: "drops and added columns",
      schema,
      sql: "DROP INDEX CONCURRENTLY users_old_idx;\nALTER TABLE users DROP COLUMN legacy, ADD COLUMN age int;\nSELECT 1;",
      lines: [1, 2, 2],
      messageIds: ["drop", "drop", "create"],
    },
    {
      name: "ADD CONSTRAINT has no IF NOT EXISTS",
      schema,
      sql: "ALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (id > 0) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_id_positive;",
      lines: [1],
      messageIds: ["addConstraint"],
    },
    {
      name: "per-file runner transaction committed early",
      schema,
      transactionModel: "per-file",
      sql: "CREATE TABLE a (id int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\nBEGIN;",
      lines: [1],
      messageIds: ["create"],
    },
  ],
});
