import { testRule } from "../../../test/support/rule-tester.js";
import { banAlterDomainWithAddConstraint } from "./ban-alter-domain-with-add-constraint.js";

const schema = "CREATE DOMAIN positive_int AS int;\nCREATE TABLE orders (id bigint, quantity positive_int);";

testRule(banAlterDomainWithAddConstraint, {
  valid: [
    {
      name: "NOT VALID",
      schema,
      sql: "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;",
    },
    {
      name: "domain created in the same file",
      sql: "CREATE DOMAIN d AS int;\nALTER DOMAIN d ADD CONSTRAINT positive CHECK (VALUE > 0);\nALTER DOMAIN d SET NOT NULL;",
    },
    {
      name: "changes that check nothing",
      schema,
      sql: "ALTER DOMAIN positive_int SET DEFAULT 1;\nALTER DOMAIN positive_int DROP NOT NULL;\nALTER DOMAIN positive_int RENAME TO pos_int;",
    },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER DOMAIN positive_int ADD CONSTRAINT positive CHECK (VALUE > 0);",
      lines: [1],
      messageIds: ["addConstraint"],
    },
    {
      name: "SET NOT NULL and ADD NOT NULL",
      schema,
      sql: "ALTER DOMAIN positive_int SET NOT NULL;\nALTER DOMAIN public.positive_int ADD CONSTRAINT nn NOT NULL;",
      lines: [1, 2],
      messageIds: ["setNotNull", "addConstraint"],
    },
  ],
});
