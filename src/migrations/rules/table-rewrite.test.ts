import { testRule } from "../../../test/support/rule-tester.js";
import { tableRewrite } from "./table-rewrite.js";

const schema = `CREATE TABLE users (id bigint PRIMARY KEY);
CREATE INDEX users_id_idx ON users (id);
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);`;

testRule(tableRewrite, {
  valid: [
    { name: "plain VACUUM", schema, sql: "VACUUM ANALYZE users;" },
    { name: "FULL false", schema, sql: "VACUUM (FULL false) users;" },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t SET LOGGED;\nVACUUM FULL t;\nCLUSTER t USING t_pkey;",
    },
    {
      name: "partitioned parent only changes the default",
      schema,
      sql: "ALTER TABLE events SET TABLESPACE fast;",
    },
    {
      name: "ALTER TABLE forms that do not rewrite",
      schema,
      sql: "ALTER TABLE users CLUSTER ON users_id_idx;",
    },
  ],
  invalid: [
    { schema, sql: "VACUUM FULL users;", lines: [1] },
    {
      schema,
      sql: "CLUSTER users USING users_id_idx;\nALTER TABLE users SET UNLOGGED;\nALTER TABLE users SET TABLESPACE fast, SET ACCESS METHOD heap2;",
      lines: [1, 2, 3, 3],
    },
    { name: "VACUUM FULL of the whole database", sql: "VACUUM FULL;", lines: [1] },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "VACUUM FULL users;\nCLUSTER users;",
      lines: [1, 2],
    },
  ],
});
