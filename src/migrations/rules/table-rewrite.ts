import type { Node } from "libpg-query";
import { asKind, rangeVarName } from "../ast.js";
import type { Rule, RuleReport } from "../rule.js";

/** A VACUUM option's boolean value, as Postgres' defGetBoolean reads it (no value means true). */
function optionEnabled(option: Node): boolean {
  const arg = asKind(option, "DefElem")?.arg;
  if (arg === undefined) return true;
  const int = asKind(arg, "Integer");
  if (int) return (int.ival ?? 0) !== 0;
  const text = asKind(arg, "String")?.sval?.toLowerCase();
  return text !== "false" && text !== "off";
}

const rewritingAlters: Record<string, string> = {
  AT_SetLogged: "SET LOGGED",
  AT_SetUnLogged: "SET UNLOGGED",
  AT_SetAccessMethod: "SET ACCESS METHOD",
  AT_SetTableSpace: "SET TABLESPACE",
};

export const tableRewrite: Rule = {
  meta: {
    id: "table-rewrite",
    description:
      "VACUUM FULL, CLUSTER and ALTER TABLE SET LOGGED / UNLOGGED / ACCESS METHOD / TABLESPACE copy a whole existing table under ACCESS EXCLUSIVE.",
    severity: "error",
    messages: {
      default:
        "{operation} rewrites {table} while holding ACCESS EXCLUSIVE: reads and writes are blocked until the whole table has been copied",
    },
    help: "Do not rewrite a live table in a migration: use pg_repack or pg_squeeze to rebuild it online, or run it in a maintenance window.",
  },
  kinds: ["VacuumStmt", "ClusterStmt", "AlterTableStmt"],
  check({ statement, catalog }) {
    const node = statement.parsed.node;
    // facts.rewrites lists the rewritten relations that existed before the file; a relation the
    // catalog does not know was not created in this file either, so it may be in use.
    const rewritten = (table: string) =>
      statement.facts.rewrites.includes(table) || catalog.relation(table) === undefined;
    const reports: RuleReport[] = [];
    const report = (operation: string, table: string | undefined) => {
      if (table && rewritten(table))
        reports.push({
          messageId: "default",
          data: { operation, table },
          relation: table,
          lock: "ACCESS EXCLUSIVE",
        });
    };
    const vacuum = asKind(node, "VacuumStmt");
    if (vacuum) {
      const full = (vacuum.options ?? []).some(
        (o) => asKind(o, "DefElem")?.defname === "full" && optionEnabled(o),
      );
      if (!full || !vacuum.is_vacuumcmd) return [];
      if ((vacuum.rels ?? []).length === 0) {
        return [
          { messageId: "default", data: { operation: "VACUUM FULL", table: "every table of the database" } },
        ];
      }
      for (const rel of vacuum.rels ?? [])
        report("VACUUM FULL", rangeVarName(asKind(rel, "VacuumRelation")?.relation));
      return reports;
    }
    const cluster = asKind(node, "ClusterStmt");
    if (cluster) {
      if (!cluster.relation) {
        return [
          { messageId: "default", data: { operation: "CLUSTER", table: "every previously clustered table" } },
        ];
      }
      report("CLUSTER", rangeVarName(cluster.relation));
      return reports;
    }
    const alter = asKind(node, "AlterTableStmt");
    const table = rangeVarName(alter?.relation);
    if (alter?.objtype !== "OBJECT_TABLE" || !table) return [];
    // A partitioned parent holds no rows: SET TABLESPACE / ACCESS METHOD only set the default for new partitions.
    if (catalog.relation(table)?.kind === "partitioned-table") return [];
    for (const c of alter.cmds ?? []) {
      const operation = rewritingAlters[asKind(c, "AlterTableCmd")?.subtype ?? ""];
      if (operation) report(operation, table);
    }
    return reports;
  },
};
