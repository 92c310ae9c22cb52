import { testRule } from "../../../test/support/rule-tester.js";
import { banCreateDomainWithConstraint } from "./ban-create-domain-with-constraint.js";

testRule(banCreateDomainWithConstraint, {
  valid: [
    { name: "no constraint", sql: "CREATE DOMAIN email AS text;" },
    { name: "NOT NULL and DEFAULT only", sql: "CREATE DOMAIN counter AS int NOT NULL DEFAULT 0;" },
    {
      name: "CHECK on the table column instead",
      sql: "CREATE TABLE users (id bigint, email text CONSTRAINT email_has_at CHECK (email LIKE '%@%'));",
    },
  ],
  invalid: [
    { sql: "CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);", lines: [1] },
    {
      name: "named constraint among others",
      sql: "SELECT 1;\nCREATE DOMAIN app.email AS text NOT NULL\n  CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');",
      lines: [2],
    },
  ],
});
