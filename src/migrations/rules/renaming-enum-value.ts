import { asKind, listName } from "../ast.js";
import type { Rule } from "../rule.js";

export const renamingEnumValue: Rule = {
  meta: {
    id: "renaming-enum-value",
    description: "Renaming an enum value breaks running code that still writes or compares the old label.",
    severity: "error",
    messages: {
      default:
        "renaming '{old}' of {type} to '{new}' breaks running code that writes or compares '{old}': Postgres rejects the old label at once",
    },
    help: "Add the new value (ALTER TYPE ... ADD VALUE), deploy code that writes it and reads both, migrate the rows in batches, and stop using the old value; keep it (enum values cannot be dropped) or recreate the type later.",
  },
  kinds: ["AlterEnumStmt"],
  check({ statement, file }) {
    const alter = asKind(statement.parsed.node, "AlterEnumStmt");
    if (alter?.oldVal === undefined || alter.newVal === undefined) return [];
    const type = listName(alter.typeName);
    if (!type) return [];
    const createdInFile = file.previous.some(
      (s) => listName(asKind(s.parsed.node, "CreateEnumStmt")?.typeName) === type,
    );
    if (createdInFile) return [];
    return [{ messageId: "default", data: { old: alter.oldVal, new: alter.newVal, type } }];
  },
};
