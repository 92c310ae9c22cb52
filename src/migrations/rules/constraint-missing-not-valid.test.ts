import { testRule } from "../../../test/support/rule-tester.js";
import { constraintMissingNotValid } from "./constraint-missing-not-valid.js";

const schema =
  "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, total int, user_id bigint);";
const addNotValid = "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;";
const validate = "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;";

testRule(constraintMissingNotValid, {
  valid: [
    { name: "NOT VALID", schema, sql: addNotValid },
    {
      name: "validated in autocommit (a separate transaction)",
      schema,
      sql: `${addNotValid}\n${validate}`,
      transactionModel: "none",
    },
    {
      name: "validated after COMMIT",
      schema,
      sql: `BEGIN;\n${addNotValid}\nCOMMIT;\nBEGIN;\n${validate}\nCOMMIT;`,
    },
    {
      name: "validated in a later file",
      schema: `${schema}\n${addNotValid}`,
      sql: validate,
      transactionModel: "per-file",
    },
    {
      name: "table created in the same file",
      sql: "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0);",
    },
    {
      name: "NOT ENFORCED column check",
      schema,
      sql: "ALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0) NOT ENFORCED;",
    },
    {
      name: "foreign keys are adding-foreign-key-constraint's",
      schema,
      sql: "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users;",
    },
  ],
  invalid: [
    {
      schema,
      sql: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);",
      lines: [1],
      messageIds: ["default"],
    },
    {
      name: "new column with a CHECK",
      schema,
      sql: "SELECT 1;\nALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0);",
      lines: [2],
      messageIds: ["addColumn"],
    },
    {
      name: "validated in the same explicit transaction",
      schema,
      sql: `BEGIN;\n${addNotValid}\n${validate}\nCOMMIT;`,
      lines: [3],
      messageIds: ["validateInTransaction"],
    },
    {
      name: "validated in the same per-file transaction",
      schema,
      sql: `${addNotValid}\nSELECT 1;\n${validate}`,
      transactionModel: "per-file",
      lines: [3],
      messageIds: ["validateInTransaction"],
    },
    {
      name: "foreign key validated in the same implicit transaction",
      schema,
      sql: "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;",
      transactionModel: "implicit",
      lines: [2],
      messageIds: ["validateInTransaction"],
    },
    {
      name: "a table the catalog does not know was not created in this file",
      sql: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);",
      lines: [1],
      messageIds: ["default"],
    },
  ],
});
