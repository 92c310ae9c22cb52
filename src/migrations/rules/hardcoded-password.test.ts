import { testRule } from "../../../test/support/rule-tester.js";
import { hardcodedPassword } from "./hardcoded-password.js";

testRule(hardcodedPassword, {
  valid: [
    { name: "role without a password", sql: "CREATE ROLE app LOGIN;" },
    { name: "PASSWORD NULL", sql: "ALTER ROLE app PASSWORD NULL;" },
    {
      name: "user mapping without secrets",
      sql: "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'reporting');",
    },
  ],
  invalid: [
    { sql: "CREATE ROLE app LOGIN PASSWORD 'hunter2';", lines: [1] },
    { sql: "SELECT 1;\nALTER ROLE app WITH ENCRYPTED PASSWORD 'x';", lines: [2] },
    { sql: "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'u', password 'p');", lines: [1] },
  ],
});
