import { testRule } from "../../../test/support/rule-tester.js";
import { banConcurrentIndexCreationInTransaction } from "./ban-concurrent-index-creation-in-transaction.js";

const schema =
  "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n" +
  "CREATE TABLE events (id bigint, at timestamptz) PARTITION BY RANGE (at);\n" +
  "CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');";

testRule(banConcurrentIndexCreationInTransaction, {
  valid: [
    {
      name: "autocommit, several statements",
      schema,
      sql: "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_id_email_idx ON users (id, email);",
    },
    {
      name: "after COMMIT the block is closed",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN age int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY users_age_idx ON users (age);",
    },
    {
      name: "implicit model with a single statement runs outside a transaction",
      schema,
      transactionModel: "implicit",
      sql: "CREATE INDEX CONCURRENTLY users_id_email_idx ON users (id, email);",
    },
    {
      name: "non-concurrent forms may run in a transaction",
      schema,
      transactionModel: "per-file",
      sql: "CREATE INDEX i ON users (id);\nDROP INDEX users_email_idx;\nREINDEX TABLE users;\nREINDEX (CONCURRENTLY false) TABLE users;",
    },
    {
      name: "a nested BEGIN does not nest: the first COMMIT ends the block",
      schema,
      sql: "BEGIN;\nBEGIN;\nCOMMIT;\nDROP INDEX CONCURRENTLY users_email_idx;",
    },
    {
      name: "per-file runner transaction committed early",
      schema,
      transactionModel: "per-file",
      sql: "COMMIT;\nCREATE INDEX CONCURRENTLY users_id_email_idx ON users (id, email);\nBEGIN;",
    },
  ],
  invalid: [
    {
      name: "explicit BEGIN",
      schema,
      sql: "BEGIN;\nCREATE INDEX CONCURRENTLY users_id_email_idx ON users (id, email);\nCOMMIT;",
      lines: [2],
      messageIds: ["explicit"],
    },
    {
      name: "the runner wraps the file",
      schema,
      transactionModel: "per-file",
      sql: "DROP INDEX CONCURRENTLY users_email_idx;",
      lines: [1],
      messageIds: ["perFile"],
    },
    {
      name: "one multi-statement query",
      schema,
      transactionModel: "implicit",
      sql: "SET lock_timeout = '5s';\nREINDEX INDEX CONCURRENTLY users_email_idx;",
      lines: [2],
      messageIds: ["implicit"],
    },
    {
      name: "implicit model: COMMIT does not help, the next statement starts a new implicit block",
      schema,
      transactionModel: "implicit",
      sql: "COMMIT;\nREINDEX TABLE CONCURRENTLY users;",
      lines: [2],
      messageIds: ["implicit"],
    },
    {
      name: "detach concurrently inside BEGIN",
      schema,
      sql: "START TRANSACTION;\nSET lock_timeout = '5s';\nALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;\nCOMMIT;",
      lines: [3],
      messageIds: ["explicit"],
    },
    {
      name: "REINDEX SCHEMA never runs in a transaction block",
      schema,
      sql: "BEGIN;\nREINDEX SCHEMA public;\nCOMMIT;",
      lines: [2],
      messageIds: ["explicit"],
    },
    {
      name: "inside a DO block",
      schema,
      sql: "DO $$\nBEGIN\n  EXECUTE 'CREATE INDEX CONCURRENTLY users_id_email_idx ON users (id, email)';\nEND\n$$;",
      lines: [3],
      messageIds: ["function"],
    },
  ],
});
