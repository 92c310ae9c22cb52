import { testRule } from "../../../test/support/rule-tester.js";
import { banCharField } from "./ban-char-field.js";

const schema = "CREATE TABLE countries (id bigint PRIMARY KEY, code text);";

testRule(banCharField, {
  valid: [
    { name: "text and varchar", sql: "CREATE TABLE t (a text, b varchar(3), c character varying);" },
    { name: 'the single-byte internal "char" type', sql: 'CREATE TABLE t (kind "char");' },
    { name: "a char cast in a query is not a column", schema, sql: "SELECT code::char(2) FROM countries;" },
  ],
  invalid: [
    {
      name: "char, char(n), character(n), bpchar",
      sql: "CREATE TABLE t (\n  a char,\n  b char(2),\n  c character(3),\n  d bpchar\n);",
      lines: [1, 1, 1, 1],
    },
    {
      name: "ADD COLUMN and ALTER COLUMN TYPE",
      schema,
      sql: "ALTER TABLE countries ADD COLUMN iso3 character(3);\nALTER TABLE countries ALTER COLUMN code TYPE char(2);",
      lines: [1, 2],
    },
  ],
});
