import type { Node } from "libpg-query";
import { asKind, listName, qualify, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";

const relationRenames = new Set(["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"]);

/** Relations a statement creates under a name (CREATE TABLE/VIEW/MATERIALIZED VIEW, RENAME TO). */
function createdRelations(node: Node): string[] {
  const out: (string | undefined)[] = [
    rangeVarName(asKind(node, "CreateStmt")?.relation),
    rangeVarName(asKind(node, "CreateTableAsStmt")?.into?.rel),
    rangeVarName(asKind(node, "ViewStmt")?.view),
    rangeVarName(asKind(node, "CreateForeignTableStmt")?.base?.relation),
  ];
  const rename = asKind(node, "RenameStmt");
  if (rename?.newname && relationRenames.has(rename.renameType ?? "")) {
    out.push(qualify(rename.newname, rename.relation?.schemaname));
  }
  return out.filter((n): n is string => n !== undefined);
}

export const banDropView: Rule = {
  meta: {
    id: "ban-drop-view",
    description: "Dropping a view or materialized view breaks running code that still reads it.",
    severity: "error",
    messages: {
      default: "DROP {kind} {view} breaks code that still reads it",
    },
    help: "Stop reading the view and deploy that first, then drop it with `-- shipgate:allow ban-drop-view reason: ...`; to change a view, drop and recreate it in the same transaction (or use CREATE OR REPLACE VIEW).",
  },
  checkEnd({ file, statements }) {
    const reports: RuleReport[] = [];
    const touched = new Set<string>();
    statements.forEach((s, i) => {
      const drop = asKind(s.parsed.node, "DropStmt");
      if (drop?.removeType === "OBJECT_VIEW" || drop?.removeType === "OBJECT_MATVIEW") {
        const kind = drop.removeType === "OBJECT_VIEW" ? "VIEW" : "MATERIALIZED VIEW";
        for (const obj of drop.objects ?? []) {
          const view = listName(asKind(obj, "List")?.items);
          if (!view) continue;
          const recreated = statements
            .slice(i + 1)
            .some((later) => createdRelations(later.parsed.node).includes(view));
          if (!touched.has(view) && !recreated && mayBeInUse(view, file, Boolean(drop.missing_ok))) {
            reports.push({ messageId: "default", data: { kind, view }, relation: view, statement: s });
          }
          touched.add(view);
        }
      }
      for (const name of createdRelations(s.parsed.node)) touched.add(name);
    });
    return reports;
  },
};
