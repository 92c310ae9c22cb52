import type { Rule } from "../rule.js";
import { secretOptions } from "../secrets.js";

export const hardcodedPassword: Rule = {
  meta: {
    id: "hardcoded-password",
    description: "A password (role, user mapping or foreign server) written as a literal in a migration.",
    severity: "error",
    messages: {
      default:
        "{option} is set to a literal in this migration: it stays in version control, in CI logs and in the server log",
    },
    help: "Create the role without a password (or PASSWORD NULL) and set it out of band from your secret store, e.g. `ALTER ROLE app PASSWORD :'app_password'` run by the deploy with the value from a secret.",
  },
  kinds: [
    "CreateRoleStmt",
    "AlterRoleStmt",
    "CreateUserMappingStmt",
    "AlterUserMappingStmt",
    "CreateForeignServerStmt",
    "AlterForeignServerStmt",
  ],
  check({ statement }) {
    return secretOptions(statement.parsed.node).map((s) => ({
      messageId: "default",
      data: { option: s.name.toUpperCase() },
    }));
  },
};
