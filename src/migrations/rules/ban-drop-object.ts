import type { Node } from "libpg-query";
import { asKind, listName, qualify, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

type Namespace = "type" | "relation" | "routine" | "extension";

const dropKinds: Record<string, { namespace: Namespace; messageId: string; kind: string }> = {
  OBJECT_TYPE: { namespace: "type", messageId: "type", kind: "TYPE" },
  OBJECT_DOMAIN: { namespace: "type", messageId: "type", kind: "DOMAIN" },
  OBJECT_SEQUENCE: { namespace: "relation", messageId: "sequence", kind: "SEQUENCE" },
  OBJECT_FOREIGN_TABLE: { namespace: "relation", messageId: "foreignTable", kind: "FOREIGN TABLE" },
  OBJECT_FUNCTION: { namespace: "routine", messageId: "routine", kind: "FUNCTION" },
  OBJECT_PROCEDURE: { namespace: "routine", messageId: "routine", kind: "PROCEDURE" },
  OBJECT_EXTENSION: { namespace: "extension", messageId: "extension", kind: "EXTENSION" },
};

const renameNamespaces: Record<string, Namespace> = {
  OBJECT_TYPE: "type",
  OBJECT_DOMAIN: "type",
  OBJECT_SEQUENCE: "relation",
  OBJECT_FOREIGN_TABLE: "relation",
  OBJECT_FUNCTION: "routine",
  OBJECT_PROCEDURE: "routine",
};

/** The name a DROP names: a type, a qualified name list, a function signature or an extension. */
function droppedName(obj: Node): string | undefined {
  const typeName = asKind(obj, "TypeName");
  if (typeName) return listName(typeName.names);
  const list = asKind(obj, "List");
  if (list) return listName(list.items);
  const func = asKind(obj, "ObjectWithArgs");
  if (func) return listName(func.objname);
  return asKind(obj, "String")?.sval;
}

/** Objects a statement creates under a name, as "namespace:name" keys. */
function createdObjects(node: Node): string[] {
  const out: string[] = [];
  const add = (namespace: Namespace, name: string | undefined) => {
    if (name) out.push(`${namespace}:${name}`);
  };
  add("type", listName(asKind(node, "CreateEnumStmt")?.typeName));
  add("type", rangeVarName(asKind(node, "CompositeTypeStmt")?.typevar));
  add("type", listName(asKind(node, "CreateRangeStmt")?.typeName));
  add("type", listName(asKind(node, "CreateDomainStmt")?.domainname));
  const define = asKind(node, "DefineStmt");
  if (define?.kind === "OBJECT_TYPE") add("type", listName(define.defnames));
  add("relation", rangeVarName(asKind(node, "CreateSeqStmt")?.sequence));
  add("relation", rangeVarName(asKind(node, "CreateForeignTableStmt")?.base?.relation));
  add("routine", listName(asKind(node, "CreateFunctionStmt")?.funcname));
  add("extension", asKind(node, "CreateExtensionStmt")?.extname);
  const rename = asKind(node, "RenameStmt");
  const namespace = renameNamespaces[rename?.renameType ?? ""];
  if (rename?.newname && namespace) {
    const old = rename.relation ? rangeVarName(rename.relation) : rename.object && droppedName(rename.object);
    if (old) add(namespace, qualify(rename.newname, old.slice(0, old.indexOf("."))));
  }
  return out;
}

export const banDropObject: Rule = {
  meta: {
    id: "ban-drop-object",
    description:
      "Dropping a type, domain, sequence, function, procedure, extension or foreign table breaks the code and objects that use it.",
    severity: "error",
    messages: {
      type: "DROP {kind} {name} breaks the columns, functions and queries (casts like '...'::{name}) that still use it",
      sequence: "DROP SEQUENCE {name} breaks column defaults and code that call nextval('{name}')",
      routine: "DROP {kind} {name} breaks triggers, defaults, views and application code that still call it",
      extension:
        "DROP EXTENSION {name} removes every type, function and operator it provides; columns, indexes and code that use them break",
      foreignTable: "DROP FOREIGN TABLE {name} breaks code that still reads it",
    },
    help: "Stop using the object and deploy that first, then drop it in a later migration with `-- shipgate:allow ban-drop-object reason: ...`; to change a function, recreate it in the same migration (or use CREATE OR REPLACE).",
  },
  checkEnd({ statements }) {
    const reports: RuleReport[] = [];
    const touched = new Set<string>();
    statements.forEach((s, i) => {
      const drop = asKind(s.parsed.node, "DropStmt");
      const kind = dropKinds[drop?.removeType ?? ""];
      if (drop && kind) {
        for (const obj of drop.objects ?? []) {
          const name = droppedName(obj);
          if (!name) continue;
          const key = `${kind.namespace}:${name}`;
          const recreated = statements
            .slice(i + 1)
            .some((later) => createdObjects(later.parsed.node).includes(key));
          if (!touched.has(key) && !recreated) {
            reports.push({ messageId: kind.messageId, data: { kind: kind.kind, name }, statement: s });
          }
          touched.add(key);
        }
      }
      for (const key of createdObjects(s.parsed.node)) touched.add(key);
    });
    return reports;
  },
};
