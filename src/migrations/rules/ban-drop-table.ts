import type { Node } from "libpg-query";
import { asKind, listName, rangeVarName } from "../ast.js";
import type { Catalog } from "../catalog.js";
import type { FileState, Rule, RuleReport } from "../rule.js";

/** Whether `node` creates `relation` (a CREATE that is not a no-op on a relation that already existed). */
function createsRelation(node: Node, relation: string, file: FileState): boolean {
  const create = asKind(node, "CreateStmt");
  const ctas = asKind(node, "CreateTableAsStmt");
  const view = asKind(node, "ViewStmt");
  const foreign = asKind(node, "CreateForeignTableStmt");
  const name =
    rangeVarName(create?.relation) ??
    rangeVarName(ctas?.into?.rel) ??
    rangeVarName(view?.view) ??
    rangeVarName(foreign?.base?.relation);
  if (name !== relation) return false;
  const ifNotExists = create?.if_not_exists || ctas?.if_not_exists || view?.replace;
  return !(ifNotExists && file.existedBeforeFile(relation));
}

/**
 * Whether other sessions may be using a relation a statement names: it was not created earlier in
 * this file, and either the catalog knows it (it existed before the file, or an existing relation
 * was renamed to it) or the catalog does not know it but the statement needs it to exist (no IF
 * EXISTS), so it exists in the database outside what the catalog has seen.
 */
export function mayBeInUse(relation: string, catalog: Catalog, file: FileState, missingOk = false): boolean {
  if (file.previous.some((s) => createsRelation(s.parsed.node, relation, file))) return false;
  if (catalog.relation(relation)) return true;
  return !missingOk && !file.existedBeforeFile(relation);
}

export const banDropTable: Rule = {
  meta: {
    id: "ban-drop-table",
    description: "Dropping a table deletes all its rows and breaks running code that still uses it.",
    severity: "error",
    messages: {
      default: "DROP TABLE {table} deletes the table and every row in it, and breaks code that still uses it",
      referenced:
        "DROP TABLE {table} deletes the table and every row in it; foreign keys on {referencing} reference it (the drop fails without CASCADE, and CASCADE drops those constraints)",
    },
    help: "Stop using the table and deploy that first, back it up, then drop it in a later migration with `-- shipgate:allow ban-drop-table reason: ...`.",
  },
  check({ statement, catalog, file }) {
    const drop = asKind(statement.parsed.node, "DropStmt");
    if (drop?.removeType !== "OBJECT_TABLE") return [];
    const names = (drop.objects ?? [])
      .map((o) => listName(asKind(o, "List")?.items))
      .filter((n): n is string => n !== undefined);
    const reports: RuleReport[] = [];
    for (const table of names) {
      if (!mayBeInUse(table, catalog, file, Boolean(drop.missing_ok))) continue;
      const referencing = new Set<string>();
      for (const rel of Object.values(catalog.data.relations)) {
        if (rel.name === table || names.includes(rel.name)) continue;
        for (const c of Object.values(rel.constraints)) {
          if (c.kind === "foreign-key" && c.references === table) referencing.add(rel.name);
        }
      }
      reports.push(
        referencing.size > 0
          ? {
              messageId: "referenced",
              data: { table, referencing: [...referencing].sort().join(", ") },
              relation: table,
            }
          : { messageId: "default", data: { table }, relation: table },
      );
    }
    return reports;
  },
};
