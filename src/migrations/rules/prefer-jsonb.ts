import type { ColumnDef } from "libpg-query";
import { asKind, normalizeType, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

function isJson(def: ColumnDef | undefined): boolean {
  return def?.typeName !== undefined && normalizeType(def.typeName).name === "json";
}

export const preferJsonb: Rule = {
  meta: {
    id: "prefer-jsonb",
    description: "A column of type json, which has no equality operator and is slower to query than jsonb.",
    severity: "warning",
    messages: {
      default:
        "column {column} of {table} is json: json has no equality operator, so DISTINCT, GROUP BY, UNION and unique indexes on it fail, and every access re-parses the text",
    },
    help: "Use jsonb; keep json only to preserve key order, duplicate keys or exact whitespace.",
  },
  kinds: ["CreateStmt", "AlterTableStmt"],
  check({ statement }) {
    const node = statement.parsed.node;
    const reports: RuleReport[] = [];
    const report = (table: string | undefined, column: string | undefined) => {
      if (table && column) reports.push({ messageId: "default", data: { table, column }, relation: table });
    };
    const create = asKind(node, "CreateStmt");
    if (create) {
      const table = rangeVarName(create.relation);
      for (const elt of create.tableElts ?? []) {
        const def = asKind(elt, "ColumnDef");
        if (isJson(def)) report(table, def?.colname);
      }
    }
    const alter = asKind(node, "AlterTableStmt");
    if (alter) {
      const table = rangeVarName(alter.relation);
      for (const c of alter.cmds ?? []) {
        const cmd = asKind(c, "AlterTableCmd");
        const def = asKind(cmd?.def, "ColumnDef");
        if (cmd?.subtype === "AT_AddColumn" && isJson(def)) report(table, def?.colname);
        if (cmd?.subtype === "AT_AlterColumnType" && isJson(def)) report(table, cmd.name);
      }
    }
    return reports;
  },
};
