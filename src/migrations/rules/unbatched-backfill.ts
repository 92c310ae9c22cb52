import type { Node, RangeVar } from "libpg-query";
import { asKind, type NodeKind, rangeVarName, stringList, walk } from "../ast.js";
import type { Catalog } from "../catalog.js";
import type { Rule, RuleReport } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";

/** What a WHERE clause is evaluated against: the target table and the other relations it joins. */
export interface BatchTarget {
  table: string;
  /** Names a column of the target can be qualified with (table name and alias). */
  qualifiers: ReadonlySet<string>;
  /** Names of the other relations (FROM / USING) and their aliases: references to them are joins. */
  joined: ReadonlySet<string>;
  /** Columns of the target, when the catalog knows them. */
  columns: ReadonlySet<string> | undefined;
}

const dmlKinds = new Set<NodeKind>(["SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);

/** The UPDATE and DELETE statements a DML statement runs, including those in WITH clauses. */
export function modifyingStatements(
  node: Node,
  kind: NodeKind,
): { kind: "UpdateStmt" | "DeleteStmt"; relation?: RangeVar; where?: Node; from?: Node[] }[] {
  if (!dmlKinds.has(kind)) return [];
  const out: ReturnType<typeof modifyingStatements> = [];
  walk(node, (k, body) => {
    if (k === "UpdateStmt") {
      const u = body as { relation?: RangeVar; whereClause?: Node; fromClause?: Node[] };
      out.push({ kind: "UpdateStmt", relation: u.relation, where: u.whereClause, from: u.fromClause });
    } else if (k === "DeleteStmt") {
      const d = body as { relation?: RangeVar; whereClause?: Node; usingClause?: Node[] };
      out.push({ kind: "DeleteStmt", relation: d.relation, where: d.whereClause, from: d.usingClause });
    }
  });
  return out;
}

export function batchTarget(relation: RangeVar, from: Node[] | undefined, catalog: Catalog): BatchTarget {
  const table = rangeVarName(relation) ?? "";
  const qualifiers = new Set(
    [relation.relname ?? "", relation.alias?.aliasname ?? ""].filter((n) => n !== ""),
  );
  const joined = new Set<string>();
  walk(from, (k, body) => {
    if (k === "RangeVar") {
      const rv = body as RangeVar;
      if (rv.relname) joined.add(rv.relname);
      if (rv.alias?.aliasname) joined.add(rv.alias.aliasname);
    } else if (k === "RangeSubselect" || k === "RangeFunction") {
      const alias = (body as { alias?: { aliasname?: string } }).alias?.aliasname;
      if (alias) joined.add(alias);
    }
  });
  const known = Object.keys(catalog.relation(table)?.columns ?? {});
  return { table, qualifiers, joined, columns: known.length > 0 ? new Set(known) : undefined };
}

/** The column of the target a ColumnRef names, or undefined when it names something else. */
function targetColumn(expr: Node | undefined, target: BatchTarget): string | undefined {
  const ref = asKind(expr, "ColumnRef");
  if (!ref) return undefined;
  const names = stringList(ref.fields);
  if (names.length === 0 || names.length !== (ref.fields ?? []).length) return undefined;
  if (names.length === 1) {
    const name = names[0] as string;
    return target.columns === undefined || target.columns.has(name) ? name : undefined;
  }
  const qualifier = names[names.length - 2] as string;
  return target.qualifiers.has(qualifier) && !target.joined.has(qualifier)
    ? names[names.length - 1]
    : undefined;
}

/**
 * Whether an expression is a single value for the duration of the statement: a literal, a parameter,
 * a scalar subquery, or (inside a DO block) a plpgsql variable, which the parser sees as a column
 * reference that is neither a column of the target nor of a joined relation.
 */
function isSingleValue(expr: Node | undefined, target: BatchTarget): boolean {
  if (expr === undefined) return false;
  const c = asKind(expr, "A_Const");
  if (c) return !c.isnull;
  const cast = asKind(expr, "TypeCast");
  if (cast) return isSingleValue(cast.arg, target);
  if (asKind(expr, "ParamRef")) return true;
  if (asKind(expr, "SubLink")?.subLinkType === "EXPR_SUBLINK") return true;
  const ref = asKind(expr, "ColumnRef");
  if (ref) {
    const names = stringList(ref.fields);
    if (names.length !== (ref.fields ?? []).length || names.length === 0) return false;
    if (names.length > 1) {
      const qualifier = names[names.length - 2] as string;
      return !target.qualifiers.has(qualifier) && !target.joined.has(qualifier);
    }
    return (
      target.columns !== undefined && target.joined.size === 0 && !target.columns.has(names[0] as string)
    );
  }
  return false;
}

function operator(expr: { name?: Node[] }): string | undefined {
  return stringList(expr.name)[0];
}

function isLimited(select: Node | undefined): boolean {
  const s = asKind(select, "SelectStmt");
  if (!s?.limitCount) return false;
  return !asKind(s.limitCount, "A_Const")?.isnull;
}

/** Column sets of the target's primary key, unique constraints and unique indexes. */
function uniqueKeys(catalog: Catalog, table: string): string[][] {
  const keys: string[][] = [];
  for (const c of Object.values(catalog.relation(table)?.constraints ?? {})) {
    if ((c.kind === "primary-key" || c.kind === "unique") && c.columns.length > 0) keys.push(c.columns);
  }
  for (const i of catalog.indexesOn(table)) {
    if (i.unique && i.columns.length > 0) keys.push(i.columns);
  }
  return keys;
}

type Range = { column: string; side: "lower" | "upper" };

/** `col >= x`, `x < col` ...: which side of a range a comparison bounds. */
function rangeSide(expr: Node, target: BatchTarget): Range | undefined {
  const e = asKind(expr, "A_Expr");
  if (e?.kind !== "AEXPR_OP") return undefined;
  const op = operator(e);
  const left = targetColumn(e.lexpr, target);
  const right = targetColumn(e.rexpr, target);
  if (left !== undefined && right === undefined) {
    if (op === ">" || op === ">=") return { column: left, side: "lower" };
    if (op === "<" || op === "<=") return { column: left, side: "upper" };
  }
  if (right !== undefined && left === undefined) {
    if (op === "<" || op === "<=") return { column: right, side: "lower" };
    if (op === ">" || op === ">=") return { column: right, side: "upper" };
  }
  return undefined;
}

/** The target column `expr` pins to one value or a short literal list (`col = 1`, `col IN (1, 2)`). */
function pinnedColumn(expr: Node, target: BatchTarget): string | undefined {
  const e = asKind(expr, "A_Expr");
  if (!e || operator(e) !== "=") return undefined;
  if (e.kind === "AEXPR_OP") {
    const left = targetColumn(e.lexpr, target);
    if (left !== undefined && isSingleValue(e.rexpr, target)) return left;
    const right = targetColumn(e.rexpr, target);
    if (right !== undefined && isSingleValue(e.lexpr, target)) return right;
    return undefined;
  }
  const column = targetColumn(e.lexpr, target);
  if (column === undefined) return undefined;
  if (e.kind === "AEXPR_IN") {
    const items = asKind(e.rexpr, "List")?.items ?? [];
    return items.length > 0 && items.every((i) => isSingleValue(i, target)) ? column : undefined;
  }
  if (e.kind === "AEXPR_OP_ANY") {
    const items = asKind(e.rexpr, "A_ArrayExpr")?.elements ?? [];
    return items.length > 0 && items.every((i) => isSingleValue(i, target)) ? column : undefined;
  }
  return undefined;
}

/** A condition that limits the statement by itself: a key range, a LIMITed subquery, a ctid batch. */
function isLimitingCondition(expr: Node, target: BatchTarget): boolean {
  const e = asKind(expr, "A_Expr");
  if (e?.kind === "AEXPR_BETWEEN" || e?.kind === "AEXPR_BETWEEN_SYM") {
    return targetColumn(e.lexpr, target) !== undefined;
  }
  if (e?.kind === "AEXPR_OP_ANY" && operator(e) === "=") {
    const sub = asKind(e.rexpr, "SubLink");
    return sub?.subLinkType === "ARRAY_SUBLINK" && isLimited(sub.subselect);
  }
  const sub = asKind(expr, "SubLink");
  if (sub?.subLinkType === "ANY_SUBLINK") {
    const op = stringList(sub.operName)[0];
    return (op === undefined || op === "=") && isLimited(sub.subselect);
  }
  return false;
}

/**
 * Whether a WHERE clause bounds an UPDATE/DELETE to one batch: a key range (`id BETWEEN a AND b`,
 * `id >= a AND id < b`, a ctid range), `IN (SELECT ... LIMIT n)` / `= ANY (ARRAY(SELECT ... LIMIT n))`,
 * or equality on every column of a unique key (a handful of rows). OR needs every branch bounded.
 */
export function isBoundedBatch(where: Node | undefined, target: BatchTarget, catalog: Catalog): boolean {
  if (where === undefined) return false;
  const bool = asKind(where, "BoolExpr");
  if (bool?.boolop === "OR_EXPR") {
    const args = bool.args ?? [];
    return args.length > 0 && args.every((a) => isBoundedBatch(a, target, catalog));
  }
  if (bool && bool.boolop !== "AND_EXPR") return false;
  const conjuncts = bool ? (bool.args ?? []) : [where];
  if (bool ? conjuncts.some((a) => isBoundedBatch(a, target, catalog)) : isLimitingCondition(where, target)) {
    return true;
  }
  const ranges = conjuncts.map((a) => rangeSide(a, target)).filter((r): r is Range => r !== undefined);
  for (const r of ranges) {
    if (r.side === "lower" && ranges.some((o) => o.side === "upper" && o.column === r.column)) return true;
  }
  const pinned = new Set(
    conjuncts.map((a) => pinnedColumn(a, target)).filter((c): c is string => c !== undefined),
  );
  return uniqueKeys(catalog, target.table).some((key) => key.every((c) => pinned.has(c)));
}

export const unbatchedBackfill: Rule = {
  meta: {
    id: "unbatched-backfill",
    description:
      "An UPDATE or DELETE on an existing table that is not batched runs as one long transaction over every matching row.",
    severity: "warning",
    messages: {
      update:
        "UPDATE of {table} is not batched ({reason}): it locks every row it changes until commit; on a large table that is a long transaction, a WAL spike and replication lag",
      delete:
        "DELETE from {table} is not batched ({reason}): it locks every row it deletes until commit; on a large table that is a long transaction, a WAL spike and replication lag",
    },
    help: "Backfill outside the migration in batches of a few thousand rows, each in its own transaction (`WHERE id >= $1 AND id < $2`, or `WHERE id IN (SELECT id ... LIMIT 5000)`), or in a procedure that COMMITs after each batch.",
  },
  kinds: ["SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"],
  check({ statement, catalog, file }) {
    const reports: RuleReport[] = [];
    for (const m of modifyingStatements(statement.parsed.node, statement.parsed.kind)) {
      const table = rangeVarName(m.relation);
      if (!m.relation || !table || !mayBeInUse(table, file)) continue;
      if (isBoundedBatch(m.where, batchTarget(m.relation, m.from, catalog), catalog)) continue;
      reports.push({
        messageId: m.kind === "UpdateStmt" ? "update" : "delete",
        data: {
          table,
          reason: m.where ? "its WHERE clause does not bound a batch" : "no WHERE clause: every row",
        },
        relation: table,
      });
    }
    return reports;
  },
};
