/**
 * Small typed helpers over the libpg-query AST (the real Postgres parse tree, typed by @pgsql/types).
 */
import type { Node, RangeVar, TypeName } from "libpg-query";

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** Every node type name, e.g. "AlterTableStmt". */
export type NodeKind = KeysOfUnion<Node>;
/** The body of a node of kind K, e.g. NodeOf<"AlterTableStmt"> is AlterTableStmt. */
export type NodeOf<K extends NodeKind> = Extract<Node, Record<K, unknown>>[K];

export function nodeKind(node: Node): NodeKind {
  return Object.keys(node)[0] as NodeKind;
}

/** The body of `node` when it is of kind `kind`, else undefined. */
export function asKind<K extends NodeKind>(node: Node | undefined, kind: K): NodeOf<K> | undefined {
  if (node === undefined) return undefined;
  return (node as Record<string, unknown>)[kind] as NodeOf<K> | undefined;
}

/** Schema-qualified relation name; unqualified names live in "public". */
export function qualify(name: string, schema?: string): string {
  return `${schema ?? "public"}.${name}`;
}

export function rangeVarName(rv: RangeVar | undefined): string | undefined {
  if (rv?.relname === undefined) return undefined;
  return qualify(rv.relname, rv.schemaname);
}

/** The sval of every String node in a list (e.g. a qualified name). */
export function stringList(nodes: Node[] | undefined): string[] {
  const out: string[] = [];
  for (const n of nodes ?? []) {
    const s = asKind(n, "String");
    if (s?.sval !== undefined) out.push(s.sval);
  }
  return out;
}

/** A qualified name given as a list of String nodes, e.g. ["app", "users"] → "app.users". */
export function listName(nodes: Node[] | undefined): string | undefined {
  const parts = stringList(nodes);
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1] as string;
  return qualify(name, parts.length > 1 ? parts[parts.length - 2] : undefined);
}

export interface NormalizedType {
  /** Lower-case base type name without the pg_catalog prefix, e.g. "varchar", "int4", "text". */
  name: string;
  /** Integer type modifiers, e.g. [10] for varchar(10), [10, 2] for numeric(10,2). */
  mods: number[];
  isArray: boolean;
}

const typeAliases: Record<string, string> = {
  int: "int4",
  integer: "int4",
  smallint: "int2",
  bigint: "int8",
  "character varying": "varchar",
  character: "bpchar",
  char: "bpchar",
  decimal: "numeric",
  real: "float4",
  "double precision": "float8",
  boolean: "bool",
  timestamp: "timestamp",
  timestamptz: "timestamptz",
  serial: "serial",
  bigserial: "bigserial",
};

export function normalizeType(t: TypeName | undefined): NormalizedType {
  const names = stringList(t?.names);
  const raw = (names[names.length - 1] ?? "unknown").toLowerCase();
  const mods: number[] = [];
  for (const m of t?.typmods ?? []) {
    const c = asKind(m, "A_Const");
    if (c?.ival !== undefined) mods.push(c.ival.ival ?? 0);
  }
  return { name: typeAliases[raw] ?? raw, mods, isArray: (t?.arrayBounds?.length ?? 0) > 0 };
}

export function formatType(t: NormalizedType): string {
  return `${t.name}${t.mods.length > 0 ? `(${t.mods.join(",")})` : ""}${t.isArray ? "[]" : ""}`;
}

/**
 * Depth-first walk over every object in a parse (sub)tree. The visitor receives each node as
 * (kind, body) for objects shaped like `{ Kind: body }`.
 */
export function walk(value: unknown, visit: (kind: string, body: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const k = keys[0] as string;
    const inner = obj[k];
    if (k[0] !== undefined && k[0] >= "A" && k[0] <= "Z" && inner !== null && typeof inner === "object") {
      visit(k, inner as Record<string, unknown>);
    }
  }
  for (const k of keys) walk(obj[k], visit);
}

/**
 * Every relation named anywhere in a subtree. libpg-query leaves some RangeVars unwrapped (e.g.
 * UpdateStmt.relation), so any object with a string `relname` counts.
 */
export function referencedRelations(value: unknown): string[] {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (typeof o.relname === "string") {
      const name = rangeVarName(o as RangeVar);
      if (name) out.add(name);
    }
    for (const x of Object.values(o)) visit(x);
  };
  visit(value);
  return [...out];
}

/** A boolean option as Postgres' defGetBoolean reads it: no argument is true; false, off and 0 are false. */
export function defElemEnabled(options: Node[] | undefined, name: string): boolean {
  return (options ?? []).some((o) => {
    const d = asKind(o, "DefElem");
    if (d?.defname !== name) return false;
    const int = asKind(d.arg, "Integer");
    if (int) return (int.ival ?? 0) !== 0;
    const word = asKind(d.arg, "String")?.sval?.toLowerCase();
    return word !== "false" && word !== "off";
  });
}

/**
 * Whether `USING expr` of ALTER COLUMN TYPE is just the column, or the column cast to the target
 * type: Postgres treats both like no USING clause.
 */
export function isTrivialUsing(expr: Node, column: string, target: TypeName | undefined): boolean {
  const isColumn = (e: Node | undefined) => {
    const names = stringList(asKind(e, "ColumnRef")?.fields);
    return names.length === 1 && names[0] === column;
  };
  if (isColumn(expr)) return true;
  const cast = asKind(expr, "TypeCast");
  if (!cast || !isColumn(cast.arg)) return false;
  return JSON.stringify(normalizeType(cast.typeName)) === JSON.stringify(normalizeType(target));
}
