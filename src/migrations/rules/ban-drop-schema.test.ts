import { testRule } from "../../../test/support/rule-tester.js";
import { banDropSchema } from "./ban-drop-schema.js";

const schema = `CREATE SCHEMA billing;
CREATE TABLE billing.invoices (id bigint PRIMARY KEY);
CREATE TYPE billing.status AS ENUM ('open', 'paid');
CREATE SCHEMA empty;`;

testRule(banDropSchema, {
  valid: [
    {
      name: "schema created in the same file",
      sql: "CREATE SCHEMA tmp;\nCREATE TABLE tmp.t (a int);\nDROP SCHEMA tmp CASCADE;",
    },
    {
      name: "IF EXISTS of a schema the catalog does not know",
      schema,
      sql: "DROP SCHEMA IF EXISTS staging;",
    },
    { name: "creating a schema", schema, sql: "CREATE SCHEMA reporting;" },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow ban-drop-schema reason: empty since v20\nDROP SCHEMA empty;",
    },
  ],
  invalid: [
    {
      name: "a schema with objects",
      schema,
      sql: "DROP SCHEMA billing CASCADE;",
      lines: [1],
      messageIds: ["objects"],
    },
    {
      name: "an empty schema, and one the catalog does not know",
      schema,
      sql: "DROP SCHEMA empty, legacy;",
      lines: [1, 1],
      messageIds: ["default", "default"],
    },
    {
      name: "IF EXISTS of a known schema",
      schema,
      sql: "SELECT 1;\nDROP SCHEMA IF EXISTS billing;",
      lines: [2],
      messageIds: ["objects"],
    },
  ],
});
