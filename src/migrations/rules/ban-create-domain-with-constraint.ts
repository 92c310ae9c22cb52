import { asKind, listName } from "../ast.js";
import type { Rule } from "../rule.js";

export const banCreateDomainWithConstraint: Rule = {
  meta: {
    id: "ban-create-domain-with-constraint",
    description:
      "A domain with a CHECK constraint: changing the constraint later scans every table that uses the domain.",
    severity: "warning",
    messages: {
      default:
        "domain {domain} has a CHECK constraint: changing it later means ALTER DOMAIN, which locks and scans every table with a column of the domain",
    },
    help: "Use a plain type (or a domain without CHECK) and put the CHECK constraint on the table columns, where it can be added NOT VALID and validated without blocking writes.",
  },
  kinds: ["CreateDomainStmt"],
  check({ statement }) {
    const create = asKind(statement.parsed.node, "CreateDomainStmt");
    if (!create) return [];
    const hasCheck = (create.constraints ?? []).some(
      (c) => asKind(c, "Constraint")?.contype === "CONSTR_CHECK",
    );
    if (!hasCheck) return [];
    return [{ messageId: "default", data: { domain: listName(create.domainname) ?? "?" } }];
  },
};
