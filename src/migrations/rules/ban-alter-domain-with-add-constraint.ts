import { asKind, listName } from "../ast.js";
import type { Rule } from "../rule.js";

export const banAlterDomainWithAddConstraint: Rule = {
  meta: {
    id: "ban-alter-domain-with-add-constraint",
    description:
      "ALTER DOMAIN ... ADD CONSTRAINT (or SET NOT NULL) without NOT VALID scans every column that uses the domain while blocking writes.",
    severity: "error",
    messages: {
      addConstraint:
        "ALTER DOMAIN {domain} ADD CONSTRAINT checks every row of every table with a column of {domain}, holding a SHARE lock that blocks writes to them",
      setNotNull:
        "ALTER DOMAIN {domain} SET NOT NULL checks every row of every table with a column of {domain}, holding a SHARE lock that blocks writes to them",
    },
    help: "Add a CHECK constraint with NOT VALID (for NOT NULL: CHECK (VALUE IS NOT NULL) NOT VALID) and validate it in a later migration at a quiet time, or put the constraint on the table columns instead.",
  },
  kinds: ["AlterDomainStmt"],
  check({ statement, file }) {
    const alter = asKind(statement.parsed.node, "AlterDomainStmt");
    if (!alter) return [];
    const domain = listName(alter.typeName);
    if (!domain) return [];
    const createdInFile = file.previous.some(
      (s) => listName(asKind(s.parsed.node, "CreateDomainStmt")?.domainname) === domain,
    );
    if (createdInFile) return [];
    if (alter.subtype === "C" && !asKind(alter.def, "Constraint")?.skip_validation) {
      return [{ messageId: "addConstraint", data: { domain } }];
    }
    if (alter.subtype === "O") return [{ messageId: "setNotNull", data: { domain } }];
    return [];
  },
};
