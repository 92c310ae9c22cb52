import { testRule } from "../../../test/support/rule-tester.js";
import { renamingEnumValue } from "./renaming-enum-value.js";

const schema = "CREATE TYPE status AS ENUM ('active', 'disabled');";

testRule(renamingEnumValue, {
  valid: [
    {
      name: "type created in the same file",
      sql: "CREATE TYPE color AS ENUM ('red', 'grene');\nALTER TYPE color RENAME VALUE 'grene' TO 'green';",
    },
    { name: "adding a value", schema, sql: "ALTER TYPE status ADD VALUE 'banned';" },
    {
      name: "renaming the type is another matter",
      schema,
      sql: "ALTER TYPE status RENAME TO account_status;",
    },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow renaming-enum-value reason: no code writes 'disabled' since v19\nALTER TYPE status RENAME VALUE 'disabled' TO 'inactive';",
    },
  ],
  invalid: [
    { schema, sql: "ALTER TYPE status RENAME VALUE 'disabled' TO 'inactive';", lines: [1] },
    {
      name: "schema-qualified, unknown to the catalog",
      sql: "SELECT 1;\nALTER TYPE billing.invoice_state RENAME VALUE 'void' TO 'voided';",
      lines: [2],
    },
  ],
});
