/**
 * Per-statement facts: the lock each statement takes on each relation, whether it rewrites or scans
 * a table, and its class. Pure functions of the statement and the catalog before it.
 */
import type { AlterTableCmd, ColumnDef, Constraint, Node } from "libpg-query";
import { type LockMode, lockModes, type MigrationClass } from "../core/finding.js";
import {
  asKind,
  defElemEnabled,
  isTrivialUsing,
  listName,
  type NodeKind,
  normalizeType,
  rangeVarName,
  referencedRelations,
  stringList,
} from "./ast.js";
import type { Catalog } from "./catalog.js";
import type { ParsedStatement } from "./parse.js";

export interface RelationLock {
  relation: string;
  mode: LockMode;
  /** The relation existed before this file (so other sessions may be using it). */
  existing: boolean;
}

export interface StatementFacts {
  locks: RelationLock[];
  /** Relations whose data is rewritten (relfilenode changes). */
  rewrites: string[];
  /** Relations fully scanned while the statement holds its lock (constraint validation, index build). */
  scans: string[];
  class: MigrationClass;
}

export const lockRank = (mode: LockMode): number => lockModes.indexOf(mode);

/** SHARE and stronger conflict with writes (ROW EXCLUSIVE); ACCESS EXCLUSIVE also with reads. */
export function blocksWrites(mode: LockMode): boolean {
  return lockRank(mode) >= lockRank("SHARE");
}

export function blocksReads(mode: LockMode): boolean {
  return mode === "ACCESS EXCLUSIVE";
}

export function strongestLock(locks: readonly RelationLock[], existingOnly = true): RelationLock | undefined {
  let best: RelationLock | undefined;
  for (const l of locks) {
    if (existingOnly && !l.existing) continue;
    if (best === undefined || lockRank(l.mode) > lockRank(best.mode)) best = l;
  }
  return best;
}

/** What a file knows about relations when the statement runs. */
export interface RelationScope {
  /** Relations that existed before the file began. */
  existedBeforeFile(relation: string): boolean;
}

const volatileFunctions = new Set([
  "random",
  "gen_random_uuid",
  "uuid_generate_v1",
  "uuid_generate_v1mc",
  "uuid_generate_v4",
  "uuidv4",
  "uuidv7",
  "clock_timestamp",
  "timeofday",
  "nextval",
  "txid_current",
  "setseed",
]);

/** Whether a default expression is volatile (evaluated per row, so ADD COLUMN rewrites the table). */
export function isVolatileExpression(expr: Node | undefined): boolean {
  let volatile = false;
  const visit = (value: unknown): void => {
    if (volatile || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    const call = (value as Record<string, unknown>).FuncCall as { funcname?: Node[] } | undefined;
    if (call) {
      const name = listName(call.funcname)?.split(".").pop();
      if (name && volatileFunctions.has(name)) volatile = true;
    }
    for (const v of Object.values(value)) visit(v);
  };
  visit(expr);
  return volatile;
}

function columnConstraints(def: ColumnDef | undefined): Constraint[] {
  return (def?.constraints ?? []).map((c) => asKind(c, "Constraint")).filter((c) => c !== undefined);
}

/** Whether ADD COLUMN rewrites the table on this Postgres version. */
export function addColumnRewrites(def: ColumnDef | undefined, pgVersion: number): boolean {
  const type = normalizeType(def?.typeName);
  if (type.name === "serial" || type.name === "bigserial" || type.name === "smallserial") return true;
  for (const c of columnConstraints(def)) {
    if (c.contype === "CONSTR_IDENTITY") return true;
    // Stored generated columns are computed for every row; PG 18 virtual ones ("v") are not.
    if (c.contype === "CONSTR_GENERATED" && c.generated_kind !== "v") return true;
    if (c.contype === "CONSTR_DEFAULT") {
      if (pgVersion < 11) return true;
      if (isVolatileExpression(c.raw_expr)) return true;
    }
  }
  return false;
}

/**
 * Whether changing a column from `from` to `to` is binary-compatible (no rewrite, no index rebuild):
 * widening varchar, varchar→text, raising numeric precision at the same scale, dropping a limit.
 */
export function isBinaryCompatibleChange(
  from: ReturnType<typeof normalizeType>,
  to: ReturnType<typeof normalizeType>,
): boolean {
  if (from.isArray !== to.isArray) return false;
  const textual = new Set(["varchar", "text"]);
  if (textual.has(from.name) && to.name === "text") return true;
  if (from.name === "varchar" && to.name === "varchar") {
    if (to.mods.length === 0) return true;
    if (from.mods.length === 0) return false;
    return (to.mods[0] as number) >= (from.mods[0] as number);
  }
  if (from.name === "text" && to.name === "varchar" && to.mods.length === 0) return true;
  if (from.name === "numeric" && to.name === "numeric") {
    if (to.mods.length === 0) return true;
    if (from.mods.length === 0) return false;
    const [fp = 0, fs = 0] = from.mods;
    const [tp = 0, ts = 0] = to.mods;
    return ts === fs && tp >= fp;
  }
  if (from.name === "varbit" && to.name === "varbit") {
    return (
      to.mods.length === 0 || (from.mods.length > 0 && (to.mods[0] as number) >= (from.mods[0] as number))
    );
  }
  if (from.name === "cidr" && to.name === "inet") return true;
  return from.name === to.name && JSON.stringify(from.mods) === JSON.stringify(to.mods);
}

class FactsBuilder {
  readonly locks = new Map<string, LockMode>();
  readonly rewrites = new Set<string>();
  readonly scans = new Set<string>();

  lock(relation: string | undefined, mode: LockMode): void {
    if (!relation) return;
    const prev = this.locks.get(relation);
    if (prev === undefined || lockRank(mode) > lockRank(prev)) this.locks.set(relation, mode);
  }
}

const destructiveKinds = new Set<NodeKind>(["TruncateStmt", "DeleteStmt", "DropdbStmt"]);
const destructiveDropTypes = new Set([
  "OBJECT_TABLE",
  "OBJECT_SCHEMA",
  "OBJECT_VIEW",
  "OBJECT_MATVIEW",
  "OBJECT_TYPE",
  "OBJECT_DOMAIN",
  "OBJECT_SEQUENCE",
  "OBJECT_FUNCTION",
  "OBJECT_PROCEDURE",
  "OBJECT_EXTENSION",
  "OBJECT_FOREIGN_TABLE",
]);
const transformativeKinds = new Set<NodeKind>([
  "UpdateStmt",
  "MergeStmt",
  "RenameStmt",
  "LockStmt",
  "RefreshMatViewStmt",
]);
/** ALTER TABLE actions that change what running code can rely on, even without heavy work. */
const transformativeAlters = new Set<string>([
  "AT_DropNotNull",
  "AT_DropConstraint",
  "AT_DetachPartition",
  "AT_DropIdentity",
  "AT_DropExpression",
  "AT_SetExpression",
]);

function alterCmdLock(cmd: AlterTableCmd): LockMode {
  switch (cmd.subtype) {
    case "AT_ValidateConstraint":
    case "AT_SetStatistics":
    case "AT_ClusterOn":
    case "AT_DropCluster":
    case "AT_SetRelOptions":
    case "AT_ResetRelOptions":
    case "AT_ReplaceRelOptions":
    case "AT_AttachPartition":
      return "SHARE UPDATE EXCLUSIVE";
    case "AT_EnableTrig":
    case "AT_EnableAlwaysTrig":
    case "AT_EnableReplicaTrig":
    case "AT_DisableTrig":
    case "AT_EnableTrigAll":
    case "AT_DisableTrigAll":
    case "AT_EnableTrigUser":
    case "AT_DisableTrigUser":
      return "SHARE ROW EXCLUSIVE";
    case "AT_AddConstraint": {
      const con = asKind(cmd.def, "Constraint");
      return con?.contype === "CONSTR_FOREIGN" ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE";
    }
    case "AT_DetachPartition":
      return asKind(cmd.def, "PartitionCmd")?.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
    default:
      return "ACCESS EXCLUSIVE";
  }
}

function describeAlterTable(
  b: FactsBuilder,
  node: Node,
  catalog: Catalog,
  pgVersion: number,
): { destructive: boolean; transformative: boolean } {
  const alter = asKind(node, "AlterTableStmt");
  const relation = rangeVarName(alter?.relation);
  let destructive = false;
  let transformative = false;
  for (const c of alter?.cmds ?? []) {
    const cmd = asKind(c, "AlterTableCmd");
    if (!cmd) continue;
    if (cmd.subtype && transformativeAlters.has(cmd.subtype)) transformative = true;
    b.lock(relation, alterCmdLock(cmd));
    switch (cmd.subtype) {
      case "AT_AddColumn": {
        const def = asKind(cmd.def, "ColumnDef");
        if (relation && addColumnRewrites(def, pgVersion)) b.rewrites.add(relation);
        for (const con of columnConstraints(def)) {
          if (con.contype === "CONSTR_FOREIGN") b.lock(rangeVarName(con.pktable), "SHARE ROW EXCLUSIVE");
          if (
            con.contype === "CONSTR_PRIMARY" ||
            con.contype === "CONSTR_UNIQUE" ||
            con.contype === "CONSTR_CHECK"
          ) {
            if (relation) b.scans.add(relation);
          }
        }
        break;
      }
      case "AT_DropColumn":
        destructive = true;
        break;
      case "AT_AlterColumnType": {
        const def = asKind(cmd.def, "ColumnDef");
        const col = catalog.column(relation, cmd.name);
        const to = normalizeType(def?.typeName);
        const using = def?.raw_default;
        const trivialUsing =
          using === undefined || (cmd.name !== undefined && isTrivialUsing(using, cmd.name, def?.typeName));
        if (relation && (!col || !isBinaryCompatibleChange(col.type, to) || !trivialUsing)) {
          b.rewrites.add(relation);
        }
        break;
      }
      case "AT_SetNotNull":
        if (
          relation &&
          cmd.name &&
          !(pgVersion >= 12 && catalog.hasValidatedNotNullCheck(relation, cmd.name))
        ) {
          b.scans.add(relation);
        }
        break;
      case "AT_AddConstraint": {
        const con = asKind(cmd.def, "Constraint");
        if (con?.contype === "CONSTR_FOREIGN") b.lock(rangeVarName(con.pktable), "SHARE ROW EXCLUSIVE");
        // PG 18's ADD CONSTRAINT ... NOT NULL col scans like SET NOT NULL, unless a validated check proves it.
        const notNullProven =
          con?.contype === "CONSTR_NOTNULL" &&
          pgVersion >= 12 &&
          relation !== undefined &&
          stringList(con.keys).every((c) => catalog.hasValidatedNotNullCheck(relation, c));
        const validates = !con?.skip_validation && !notNullProven;
        const buildsIndex =
          (con?.contype === "CONSTR_PRIMARY" ||
            con?.contype === "CONSTR_UNIQUE" ||
            con?.contype === "CONSTR_EXCLUSION") &&
          con.indexname === undefined;
        if (
          relation &&
          (buildsIndex ||
            (validates && con?.contype !== "CONSTR_PRIMARY" && con?.contype !== "CONSTR_UNIQUE"))
        ) {
          b.scans.add(relation);
        }
        break;
      }
      case "AT_ValidateConstraint": {
        const con = relation && cmd.name ? catalog.relation(relation)?.constraints[cmd.name] : undefined;
        if (con?.references) b.lock(con.references, "ROW SHARE");
        if (relation) b.scans.add(relation);
        break;
      }
      case "AT_DropConstraint": {
        const con = relation && cmd.name ? catalog.relation(relation)?.constraints[cmd.name] : undefined;
        if (con?.references) b.lock(con.references, "ACCESS EXCLUSIVE");
        break;
      }
      case "AT_SetLogged":
      case "AT_SetUnLogged":
      case "AT_SetAccessMethod":
      case "AT_SetTableSpace":
        if (relation) b.rewrites.add(relation);
        break;
      case "AT_AttachPartition": {
        const part = rangeVarName(asKind(cmd.def, "PartitionCmd")?.name);
        b.lock(part, "ACCESS EXCLUSIVE");
        if (part) b.scans.add(part);
        break;
      }
      case "AT_DetachPartition": {
        const part = rangeVarName(asKind(cmd.def, "PartitionCmd")?.name);
        b.lock(part, "ACCESS EXCLUSIVE");
        break;
      }
      default:
        break;
    }
  }
  return { destructive, transformative };
}

const lockModeNames: Record<number, LockMode> = {
  1: "ACCESS SHARE",
  2: "ROW SHARE",
  3: "ROW EXCLUSIVE",
  4: "SHARE UPDATE EXCLUSIVE",
  5: "SHARE",
  6: "SHARE ROW EXCLUSIVE",
  7: "EXCLUSIVE",
  8: "ACCESS EXCLUSIVE",
};

/** Computes the facts of one statement (not its DO-block children) against the catalog before it. */
export function describeStatement(
  stmt: ParsedStatement,
  catalog: Catalog,
  scope: RelationScope,
  pgVersion: number,
): StatementFacts {
  const b = new FactsBuilder();
  const node = stmt.node;
  let destructive = destructiveKinds.has(stmt.kind);
  let transformative = transformativeKinds.has(stmt.kind);
  switch (stmt.kind) {
    case "AlterTableStmt": {
      const alter = asKind(node, "AlterTableStmt");
      if (alter?.objtype === "OBJECT_INDEX") {
        b.lock(rangeVarName(alter.relation), "SHARE UPDATE EXCLUSIVE");
        break;
      }
      ({ destructive, transformative } = describeAlterTable(b, node, catalog, pgVersion));
      break;
    }
    case "CreateStmt": {
      const create = asKind(node, "CreateStmt");
      const parent = create?.partbound
        ? rangeVarName(asKind(create.inhRelations?.[0], "RangeVar"))
        : undefined;
      b.lock(parent, "ACCESS EXCLUSIVE");
      for (const elt of create?.tableElts ?? []) {
        const cons = asKind(elt, "Constraint")
          ? [asKind(elt, "Constraint") as Constraint]
          : columnConstraints(asKind(elt, "ColumnDef"));
        for (const con of cons)
          if (con.contype === "CONSTR_FOREIGN") b.lock(rangeVarName(con.pktable), "SHARE ROW EXCLUSIVE");
      }
      break;
    }
    case "IndexStmt": {
      const index = asKind(node, "IndexStmt");
      const relation = rangeVarName(index?.relation);
      b.lock(relation, index?.concurrent ? "SHARE UPDATE EXCLUSIVE" : "SHARE");
      if (relation) b.scans.add(relation);
      break;
    }
    case "DropStmt": {
      const drop = asKind(node, "DropStmt");
      const type = drop?.removeType ?? "";
      destructive = destructiveDropTypes.has(type);
      for (const obj of drop?.objects ?? []) {
        const name = listName(asKind(obj, "List")?.items);
        if (type === "OBJECT_INDEX") {
          const idx = catalog.index(name);
          b.lock(idx?.relation, drop?.concurrent ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE");
          transformative ||= !drop?.concurrent && idx !== undefined;
        } else if (type === "OBJECT_TABLE" || type === "OBJECT_VIEW" || type === "OBJECT_MATVIEW") {
          b.lock(name, "ACCESS EXCLUSIVE");
          for (const c of Object.values(catalog.relation(name)?.constraints ?? {})) {
            if (c.references) b.lock(c.references, "ACCESS EXCLUSIVE");
          }
        } else if (type === "OBJECT_TRIGGER" || type === "OBJECT_RULE" || type === "OBJECT_POLICY") {
          const items = asKind(obj, "List")?.items ?? [];
          b.lock(listName(items.slice(0, -1)), "ACCESS EXCLUSIVE");
        }
      }
      break;
    }
    case "TruncateStmt":
      for (const r of asKind(node, "TruncateStmt")?.relations ?? [])
        b.lock(rangeVarName(asKind(r, "RangeVar")), "ACCESS EXCLUSIVE");
      break;
    case "RenameStmt": {
      const r = asKind(node, "RenameStmt");
      const relation = rangeVarName(r?.relation);
      if (r?.renameType === "OBJECT_INDEX")
        b.lock(catalog.index(relation)?.relation, "SHARE UPDATE EXCLUSIVE");
      else b.lock(relation, "ACCESS EXCLUSIVE");
      break;
    }
    case "UpdateStmt":
    case "DeleteStmt":
    case "InsertStmt":
    case "MergeStmt": {
      const body = (node as Record<string, { relation?: Parameters<typeof rangeVarName>[0] }>)[stmt.kind];
      b.lock(rangeVarName(body?.relation), "ROW EXCLUSIVE");
      break;
    }
    case "LockStmt": {
      const lock = asKind(node, "LockStmt");
      const mode = lockModeNames[lock?.mode ?? 8] ?? "ACCESS EXCLUSIVE";
      for (const r of lock?.relations ?? []) b.lock(rangeVarName(asKind(r, "RangeVar")), mode);
      break;
    }
    case "RefreshMatViewStmt": {
      const r = asKind(node, "RefreshMatViewStmt");
      b.lock(rangeVarName(r?.relation), r?.concurrent ? "EXCLUSIVE" : "ACCESS EXCLUSIVE");
      break;
    }
    case "VacuumStmt": {
      const v = asKind(node, "VacuumStmt");
      const full = defElemEnabled(v?.options, "full");
      for (const rel of v?.rels ?? []) {
        const name = rangeVarName(asKind(rel, "VacuumRelation")?.relation);
        b.lock(name, full ? "ACCESS EXCLUSIVE" : "SHARE UPDATE EXCLUSIVE");
        if (full && name) b.rewrites.add(name);
      }
      break;
    }
    case "AlterDomainStmt": {
      // Adding a validated constraint or NOT NULL to a domain checks every column of that type.
      const d = asKind(node, "AlterDomainStmt");
      const checks =
        (d?.subtype === "C" && !asKind(d.def, "Constraint")?.skip_validation) ||
        d?.subtype === "O" ||
        d?.subtype === "V";
      const domain = listName(d?.typeName)?.split(".").pop()?.toLowerCase();
      if (checks && domain) {
        for (const rel of Object.values(catalog.data.relations)) {
          if (rel.kind === "view" || !Object.values(rel.columns).some((c) => c.type.name === domain))
            continue;
          b.lock(rel.name, "SHARE");
          b.scans.add(rel.name);
        }
      }
      break;
    }
    case "AlterEnumStmt":
      // Renaming a label breaks code that writes or compares the old one.
      transformative = asKind(node, "AlterEnumStmt")?.oldVal !== undefined;
      break;
    case "ClusterStmt": {
      const name = rangeVarName(asKind(node, "ClusterStmt")?.relation);
      b.lock(name, "ACCESS EXCLUSIVE");
      if (name) b.rewrites.add(name);
      break;
    }
    case "ReindexStmt": {
      const r = asKind(node, "ReindexStmt");
      const concurrent = defElemEnabled(r?.params, "concurrently");
      const relation =
        r?.kind === "REINDEX_OBJECT_INDEX"
          ? catalog.index(rangeVarName(r.relation))?.relation
          : rangeVarName(r?.relation);
      b.lock(relation, concurrent ? "SHARE UPDATE EXCLUSIVE" : "SHARE");
      if (relation) b.scans.add(relation);
      break;
    }
    case "CreateTrigStmt":
      b.lock(rangeVarName(asKind(node, "CreateTrigStmt")?.relation), "SHARE ROW EXCLUSIVE");
      break;
    case "ViewStmt": {
      const v = asKind(node, "ViewStmt");
      const name = rangeVarName(v?.view);
      if (v?.replace && name && catalog.relation(name)) b.lock(name, "ACCESS EXCLUSIVE");
      for (const r of referencedRelations(v?.query)) if (catalog.relation(r)) b.lock(r, "ACCESS SHARE");
      break;
    }
    case "CommentStmt": {
      // COMMENT ON TABLE t / COLUMN t.c / CONSTRAINT c ON t takes SHARE UPDATE EXCLUSIVE on t.
      const comment = asKind(node, "CommentStmt");
      const items = asKind(comment?.object, "List")?.items ?? [];
      const type = comment?.objtype ?? "";
      const relation = ["OBJECT_COLUMN", "OBJECT_TABCONSTRAINT"].includes(type)
        ? listName(items.slice(0, -1))
        : ["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"].includes(type)
          ? listName(items)
          : undefined;
      if (relation && catalog.relation(relation)) b.lock(relation, "SHARE UPDATE EXCLUSIVE");
      break;
    }
    case "CreateStatsStmt":
      for (const r of referencedRelations(node)) if (catalog.relation(r)) b.lock(r, "SHARE UPDATE EXCLUSIVE");
      break;
    default:
      break;
  }
  const locks: RelationLock[] = [...b.locks].map(([relation, mode]) => ({
    relation,
    mode,
    existing: scope.existedBeforeFile(relation),
  }));
  const rewrites = [...b.rewrites].filter((r) => scope.existedBeforeFile(r));
  const scans = [...b.scans].filter((r) => scope.existedBeforeFile(r));
  // Heavy work under a lock that blocks writes: a scan or index build of an existing table.
  const heavy = scans.some((r) => {
    const mode = b.locks.get(r);
    return mode !== undefined && blocksWrites(mode);
  });
  let cls: MigrationClass = "additive";
  if (destructive) cls = "destructive";
  else if (transformative || heavy || rewrites.length > 0) cls = "transformative";
  return { locks, rewrites, scans, class: cls };
}
