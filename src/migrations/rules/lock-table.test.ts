import { testRule } from "../../../test/support/rule-tester.js";
import { lockTable } from "./lock-table.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY);";

testRule(lockTable, {
  valid: [
    {
      name: "table created in the same file",
      sql: "BEGIN;\nCREATE TABLE t (id int);\nLOCK TABLE t;\nCOMMIT;",
    },
    {
      name: "modes that block neither reads nor writes",
      schema,
      sql: "BEGIN;\nLOCK TABLE users IN ACCESS SHARE MODE;\nLOCK TABLE users IN ROW SHARE MODE;\nLOCK TABLE users IN ROW EXCLUSIVE MODE;\nLOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE;\nCOMMIT;",
    },
    {
      name: "approved inline",
      schema,
      sql: "BEGIN;\n-- shipgate:allow lock-table reason: maintenance window\nLOCK TABLE users;\nCOMMIT;",
    },
  ],
  invalid: [
    { schema, sql: "BEGIN;\nLOCK TABLE users;\nCOMMIT;", lines: [2], messageIds: ["reads"] },
    {
      name: "write-blocking modes, several tables",
      schema,
      sql: "BEGIN;\nLOCK users, orders IN SHARE MODE;\nLOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;\nLOCK TABLE orders IN EXCLUSIVE MODE;\nCOMMIT;",
      lines: [2, 2, 3, 4],
      messageIds: ["writes", "writes", "writes", "writes"],
    },
    {
      name: "a table the catalog does not know",
      sql: "BEGIN;\nLOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;\nCOMMIT;",
      lines: [2],
    },
  ],
});
