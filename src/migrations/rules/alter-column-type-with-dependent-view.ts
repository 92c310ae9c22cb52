import { asKind, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

export const alterColumnTypeWithDependentView: Rule = {
  meta: {
    id: "alter-column-type-with-dependent-view",
    description:
      "ALTER COLUMN ... TYPE on a column that a view or materialized view uses fails: Postgres cannot change the type of a column a view depends on.",
    severity: "error",
    messages: {
      default:
        "ALTER COLUMN {column} TYPE on {table} fails: Postgres cannot alter the type of a column used by a view or rule ({views})",
    },
    help: "In one transaction, drop the dependent views, alter the column, and recreate the views (get their definitions with pg_get_viewdef).",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, catalog }) {
    const alter = asKind(statement.parsed.node, "AlterTableStmt");
    const table = rangeVarName(alter?.relation);
    if (!alter || !table) return [];
    const reports: RuleReport[] = [];
    for (const c of alter.cmds ?? []) {
      const cmd = asKind(c, "AlterTableCmd");
      if (cmd?.subtype !== "AT_AlterColumnType" || !cmd.name) continue;
      const views = catalog.viewsUsing(table, cmd.name);
      if (views.length === 0) continue;
      reports.push({
        messageId: "default",
        data: { table, column: cmd.name, views: views.join(", ") },
        relation: table,
      });
    }
    return reports;
  },
};
