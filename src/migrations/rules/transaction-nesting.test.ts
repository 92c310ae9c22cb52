import { testRule } from "../../../test/support/rule-tester.js";
import { transactionNesting } from "./transaction-nesting.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text);";

testRule(transactionNesting, {
  valid: [
    {
      name: "one explicit transaction",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN age int;\nCOMMIT;",
    },
    {
      name: "consecutive transactions",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\nSTART TRANSACTION;\nALTER TABLE users ADD COLUMN b int;\nEND;",
    },
    {
      name: "savepoints nest legitimately",
      schema,
      sql: "BEGIN;\nSAVEPOINT s;\nALTER TABLE users ADD COLUMN a int;\nROLLBACK TO SAVEPOINT s;\nCOMMIT;",
    },
    {
      name: "implicit model: BEGIN/COMMIT in a multi-statement query are fine",
      schema,
      transactionModel: "implicit",
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;",
    },
    {
      name: "per-file model without transaction control",
      schema,
      transactionModel: "per-file",
      sql: "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN a int;",
    },
    {
      name: "BEGIN after ROLLBACK",
      schema,
      sql: "BEGIN;\nROLLBACK;\nBEGIN;\nCOMMIT;",
    },
  ],
  invalid: [
    {
      name: "BEGIN inside an open transaction",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nBEGIN;\nALTER TABLE users ADD COLUMN b int;\nCOMMIT;\nCOMMIT;",
      lines: [3],
      messageIds: ["nested"],
    },
    {
      name: "START TRANSACTION inside BEGIN",
      schema,
      sql: "BEGIN;\nSTART TRANSACTION;\nCOMMIT;",
      lines: [2],
      messageIds: ["nested"],
    },
    {
      name: "COMMIT AND CHAIN keeps a transaction open",
      schema,
      sql: "BEGIN;\nCOMMIT AND CHAIN;\nBEGIN;\nCOMMIT;",
      lines: [3],
      messageIds: ["nested"],
    },
    {
      name: "the runner wraps the file",
      schema,
      transactionModel: "per-file",
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;",
      lines: [1, 3],
      messageIds: ["perFileBegin", "perFileEnd"],
    },
    {
      name: "early COMMIT to escape the runner's transaction; the reopening BEGIN is not reported again",
      schema,
      transactionModel: "per-file",
      sql: "COMMIT;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nBEGIN;",
      lines: [1],
      messageIds: ["perFileEnd"],
    },
    {
      name: "ROLLBACK in a per-file migration",
      schema,
      transactionModel: "per-file",
      sql: "ALTER TABLE users ADD COLUMN a int;\nROLLBACK;",
      lines: [2],
      messageIds: ["perFileEnd"],
    },
  ],
});
