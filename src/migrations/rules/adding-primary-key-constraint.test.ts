import { testRule } from "../../../test/support/rule-tester.js";
import { addingPrimaryKeyConstraint } from "./adding-primary-key-constraint.js";

const schema = "CREATE TABLE events (id bigint NOT NULL, ref uuid);";

testRule(addingPrimaryKeyConstraint, {
  valid: [
    {
      name: "USING INDEX on NOT NULL columns",
      schema,
      sql: "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
    },
    {
      name: "USING INDEX on a column with a validated IS NOT NULL check (PG 12+)",
      schema: `${schema}\nALTER TABLE events ADD CONSTRAINT ref_nn CHECK (ref IS NOT NULL) NOT VALID;\nALTER TABLE events VALIDATE CONSTRAINT ref_nn;`,
      sql: "CREATE UNIQUE INDEX CONCURRENTLY events_ref_key ON events (ref);\nALTER TABLE events ADD PRIMARY KEY USING INDEX events_ref_key;",
    },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t ADD PRIMARY KEY (a);",
    },
    { name: "PRIMARY KEY in CREATE TABLE", sql: "CREATE TABLE t (a int PRIMARY KEY);" },
  ],
  invalid: [
    { schema, sql: "ALTER TABLE events ADD PRIMARY KEY (id);", lines: [1], messageIds: ["default"] },
    {
      name: "new column",
      schema,
      sql: "SELECT 1;\nALTER TABLE events ADD COLUMN pk bigserial PRIMARY KEY;",
      lines: [2],
      messageIds: ["addColumn"],
    },
    {
      name: "USING INDEX on a nullable column",
      schema,
      sql: "CREATE UNIQUE INDEX CONCURRENTLY events_ref_key ON events (ref);\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_ref_key;",
      lines: [2],
      messageIds: ["usingIndexNullable"],
    },
    {
      name: "USING INDEX on a column with a validated check before PG 12",
      schema: `${schema}\nALTER TABLE events ADD CONSTRAINT ref_nn CHECK (ref IS NOT NULL);\nCREATE UNIQUE INDEX events_ref_key ON events (ref);`,
      sql: "ALTER TABLE events ADD PRIMARY KEY USING INDEX events_ref_key;",
      pgVersion: 11,
      lines: [1],
      messageIds: ["usingIndexNullable"],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE events ADD PRIMARY KEY (id);",
      lines: [1],
      messageIds: ["default"],
    },
  ],
});
