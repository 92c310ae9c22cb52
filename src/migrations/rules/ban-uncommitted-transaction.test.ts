import { testRule } from "../../../test/support/rule-tester.js";
import { banUncommittedTransaction } from "./ban-uncommitted-transaction.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text);";

testRule(banUncommittedTransaction, {
  valid: [
    { name: "committed", schema, sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;" },
    { name: "rolled back", schema, sql: "START TRANSACTION;\nALTER TABLE users ADD COLUMN a int;\nABORT;" },
    { name: "no transaction at all", schema, sql: "ALTER TABLE users ADD COLUMN a int;" },
    {
      name: "a nested BEGIN is ignored by Postgres, so one COMMIT closes the block",
      schema,
      sql: "BEGIN;\nBEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;",
    },
    {
      name: "the per-file runner commits the block",
      schema,
      transactionModel: "per-file",
      sql: "COMMIT;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nBEGIN;",
    },
    {
      name: "transaction commands a DO block would EXECUTE are not the file's",
      schema,
      sql: "DO $$ BEGIN EXECUTE 'BEGIN'; END $$;",
    },
  ],
  invalid: [
    { name: "never committed", schema, sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;", lines: [1] },
    {
      name: "the second transaction is left open",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT;\n\nBEGIN;\nALTER TABLE users ADD COLUMN b int;",
      lines: [5],
    },
    {
      name: "implicit model: an explicit BEGIN outlives the multi-statement query",
      schema,
      transactionModel: "implicit",
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nSAVEPOINT s;\nRELEASE SAVEPOINT s;",
      lines: [1],
    },
    {
      name: "COMMIT AND CHAIN opens a new transaction",
      schema,
      sql: "BEGIN;\nALTER TABLE users ADD COLUMN a int;\nCOMMIT AND CHAIN;",
      lines: [1],
    },
  ],
});
