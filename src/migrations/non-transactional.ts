/**
 * Statements Postgres refuses to run inside a transaction block. One list for the linter (a rule
 * that fails such a statement in a transaction), `migrations apply` (which runs a file containing one
 * outside a transaction) and `migrations verify` (which cannot observe one inside its rollback).
 */
import type { Node } from "libpg-query";
import { asKind } from "./ast.js";

/** defGetBoolean: an option without an argument is true; "false"/"off" and 0 are false. */
function isTrueOption(options: Node[] | undefined, name: string): boolean {
  for (const o of options ?? []) {
    const d = asKind(o, "DefElem");
    if (d?.defname !== name) continue;
    if (d.arg === undefined) return true;
    const int = asKind(d.arg, "Integer");
    if (int) return (int.ival ?? 0) !== 0;
    const s = asKind(d.arg, "String")?.sval?.toLowerCase();
    return s !== "false" && s !== "off";
  }
  return false;
}

/**
 * The CONCURRENTLY forms: what a migration author writes on purpose to avoid a lock, and what the
 * linter's ban-concurrent-index-creation-in-transaction rule reports.
 */
export function concurrentStatement(node: Node): string | undefined {
  if (asKind(node, "IndexStmt")?.concurrent) return "CREATE INDEX CONCURRENTLY";
  const drop = asKind(node, "DropStmt");
  if (drop?.concurrent && drop.removeType === "OBJECT_INDEX") return "DROP INDEX CONCURRENTLY";
  const reindex = asKind(node, "ReindexStmt");
  if (reindex) {
    if (reindex.kind === "REINDEX_OBJECT_SCHEMA") return "REINDEX SCHEMA";
    if (reindex.kind === "REINDEX_OBJECT_DATABASE") return "REINDEX DATABASE";
    if (reindex.kind === "REINDEX_OBJECT_SYSTEM") return "REINDEX SYSTEM";
    if (isTrueOption(reindex.params, "concurrently")) return "REINDEX CONCURRENTLY";
  }
  for (const c of asKind(node, "AlterTableStmt")?.cmds ?? []) {
    const cmd = asKind(c, "AlterTableCmd");
    if (cmd?.subtype === "AT_DetachPartition" && asKind(cmd.def, "PartitionCmd")?.concurrent) {
      return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
    }
  }
  return undefined;
}

/** Why Postgres (major version `serverMajor`) refuses `node` inside a transaction block, or undefined. */
export function nonTransactionalReason(node: Node, serverMajor: number): string | undefined {
  const concurrent = concurrentStatement(node);
  if (concurrent) return concurrent;
  if (asKind(node, "VacuumStmt")?.is_vacuumcmd) return "VACUUM";
  if (asKind(node, "CreatedbStmt")) return "CREATE DATABASE";
  if (asKind(node, "DropdbStmt")) return "DROP DATABASE";
  if (asKind(node, "AlterSystemStmt")) return "ALTER SYSTEM";
  if (asKind(node, "CreateTableSpaceStmt")) return "CREATE TABLESPACE";
  if (asKind(node, "DropTableSpaceStmt")) return "DROP TABLESPACE";
  if (asKind(node, "CreateSubscriptionStmt")) return "CREATE SUBSCRIPTION";
  if (asKind(node, "DropSubscriptionStmt")) return "DROP SUBSCRIPTION";
  const cluster = asKind(node, "ClusterStmt");
  if (cluster && cluster.relation === undefined) return "CLUSTER without a table";
  if (asKind(node, "DiscardStmt")?.target === "DISCARD_ALL") return "DISCARD ALL";
  const addValue = asKind(node, "AlterEnumStmt");
  if (addValue?.newVal !== undefined && addValue.oldVal === undefined && serverMajor < 12)
    return `ALTER TYPE ... ADD VALUE (Postgres ${serverMajor})`;
  return undefined;
}
