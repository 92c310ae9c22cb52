import { testRule } from "../../../test/support/rule-tester.js";
import { preferTimestamptz } from "./prefer-timestamptz.js";

const schema = "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, legacy_at timestamp);";

testRule(preferTimestamptz, {
  valid: [
    {
      name: "timestamptz spellings",
      sql: "CREATE TABLE t (a timestamptz, b timestamp with time zone, c timestamptz(3));",
    },
    { name: "date and time are other types", sql: "CREATE TABLE t (d date, t time, i interval);" },
    {
      name: "converting to timestamptz",
      schema,
      sql: "ALTER TABLE events ALTER COLUMN legacy_at TYPE timestamptz;",
    },
  ],
  invalid: [
    {
      name: "timestamp spellings",
      sql: "CREATE TABLE t (\n  a timestamp,\n  b timestamp without time zone,\n  c timestamp(3)\n);",
      lines: [1, 1, 1],
    },
    {
      name: "ADD COLUMN and ALTER COLUMN TYPE",
      schema,
      sql: "ALTER TABLE events ADD COLUMN seen_at timestamp;\nALTER TABLE events ALTER COLUMN at TYPE timestamp;",
      lines: [1, 2],
    },
  ],
});
