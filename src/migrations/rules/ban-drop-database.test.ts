import { testRule } from "../../../test/support/rule-tester.js";
import { banDropDatabase } from "./ban-drop-database.js";

testRule(banDropDatabase, {
  valid: [
    { name: "creating a database", sql: "CREATE DATABASE analytics;" },
    { name: "dropping a table is another rule", sql: "CREATE TABLE t (id int);\nDROP TABLE t;" },
    {
      name: "approved inline",
      sql: "-- shipgate:allow ban-drop-database reason: scratch database of the import job\nDROP DATABASE scratch;",
    },
  ],
  invalid: [
    { sql: "DROP DATABASE analytics;", lines: [1] },
    {
      name: "IF EXISTS and FORCE",
      sql: "SELECT 1;\nDROP DATABASE IF EXISTS analytics WITH (FORCE);",
      lines: [2],
    },
  ],
});
