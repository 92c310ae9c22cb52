import { asKind } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

const listLimit = 8;

function summarize(items: string[]): string {
  if (items.length <= listLimit) return items.join(", ");
  return `${items.slice(0, listLimit).join(", ")} and ${items.length - listLimit} more`;
}

export const banDropSchema: Rule = {
  meta: {
    id: "ban-drop-schema",
    description: "Dropping a schema deletes the schema and, with CASCADE, every table, view and type in it.",
    severity: "error",
    messages: {
      default: "DROP SCHEMA {schema} deletes the schema and breaks code that uses objects in it",
      objects:
        "DROP SCHEMA {schema} deletes the schema, which holds {objects}: their data is lost and code that uses them breaks",
    },
    help: "Move or drop the objects one by one in reviewed migrations (each with its own approval), then drop the empty schema with `-- shipgate:allow ban-drop-schema reason: ...`.",
  },
  kinds: ["DropStmt"],
  check({ statement, catalog, file }) {
    const drop = asKind(statement.parsed.node, "DropStmt");
    if (drop?.removeType !== "OBJECT_SCHEMA") return [];
    const reports: RuleReport[] = [];
    for (const obj of drop.objects ?? []) {
      const schema = asKind(obj, "String")?.sval;
      if (schema === undefined) continue;
      const createdInFile = file.previous.some(
        (s) => asKind(s.parsed.node, "CreateSchemaStmt")?.schemaname === schema,
      );
      if (createdInFile) continue;
      const objects = catalog.objectsInSchema(schema);
      const known = objects.length > 0 || catalog.data.schemas.includes(schema);
      if (drop.missing_ok && !known) continue;
      reports.push(
        objects.length > 0
          ? { messageId: "objects", data: { schema, objects: summarize(objects) } }
          : { messageId: "default", data: { schema } },
      );
    }
    return reports;
  },
};
