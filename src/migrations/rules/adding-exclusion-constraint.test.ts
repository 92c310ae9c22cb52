import { testRule } from "../../../test/support/rule-tester.js";
import { addingExclusionConstraint } from "./adding-exclusion-constraint.js";

const schema = "CREATE TABLE bookings (id bigint PRIMARY KEY, room int, during tstzrange);";

testRule(addingExclusionConstraint, {
  valid: [
    {
      name: "in CREATE TABLE",
      sql: "CREATE TABLE b (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&));",
    },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE b (room int, during tstzrange);\nALTER TABLE b ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
    },
    {
      name: "other constraints are not exclusion constraints",
      schema,
      sql: "ALTER TABLE bookings ADD CONSTRAINT room_positive CHECK (room > 0) NOT VALID;",
    },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
      lines: [1],
    },
    {
      schema,
      sql: "SET lock_timeout = '5s';\nALTER TABLE public.bookings ADD EXCLUDE USING gist (during WITH &&);",
      lines: [2],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE bookings ADD EXCLUDE USING gist (during WITH &&);",
      lines: [1],
    },
  ],
});
