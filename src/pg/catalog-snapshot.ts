/**
 * What a Postgres database's schema holds, read from its catalogs, in two grains:
 *
 * - `listObjects`: a light list of every user object (schemas, relations, columns, constraints,
 *   types, functions, triggers, extensions) keyed by oid, with each relation's relfilenode. One query;
 *   `migrations verify` reads it after every statement to tell what the statement created, dropped,
 *   renamed and rewrote (`diffObjects`).
 * - `snapshotCatalog`: the full definition of every object, keyed by name (oids change when an object
 *   is dropped and created again): tables with their columns (type, nullability, default, identity,
 *   generated, collation, order), constraints, indexes, views, materialized views, sequences, enums,
 *   domains, composite types, functions, triggers, policies, schemas, extensions. `diffCatalogs`
 *   compares two snapshots; verify uses it for the up → down → up round trip.
 *
 * Objects in pg_catalog, information_schema, the toast and temporary schemas, shipgate's own schema
 * and objects that belong to an extension are left out: they are not the migrations' doing.
 */
import type pg from "pg";

/** The subset of pg.Client the snapshot needs. */
export type Queryable = Pick<pg.ClientBase, "query">;

/** Schemas that never hold migration objects (plus pg_temp_N / pg_toast_temp_N). */
export const systemSchemas = ["pg_catalog", "information_schema", "pg_toast", "shipgate"] as const;

const userNamespace = (alias: string) =>
  `${alias}.nspname NOT IN (${systemSchemas.map((s) => `'${s}'`).join(", ")}) AND ${alias}.nspname NOT LIKE 'pg\\_temp\\_%' AND ${alias}.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

// NOT IN (subquery) is planned as a hashed subplan, run once per query, not once per row.
const notExtensionMember = (catalog: string, oid: string) =>
  `${oid} NOT IN (SELECT dep.objid FROM pg_catalog.pg_depend dep WHERE dep.classid = '${catalog}'::regclass AND dep.deptype = 'e')`;

// ---------------------------------------------------------------------------------------------
// Light object list

export type ObjectKind =
  | "schema"
  | "table"
  | "view"
  | "materialized view"
  | "index"
  | "sequence"
  | "foreign table"
  | "composite type"
  | "column"
  | "constraint"
  | "type"
  | "function"
  | "trigger"
  | "extension"
  | "policy";

export interface CatalogObject {
  kind: ObjectKind;
  /** Qualified name: `public.users`, `public.users.email` (column), `public.f(integer)`. */
  name: string;
  /** Stable identity while the object exists (e.g. `rel:16384`, `col:16384:3`). */
  key: string;
  /** Relations only: the oid. */
  oid?: number;
  /** Relations with storage: the relfilenode (changes when the relation is rewritten). */
  filenode?: number;
  /** Relations only: pg_class.relkind. */
  relkind?: string;
  /** Key of the object this one belongs to: a column's, constraint's, trigger's or index's table. */
  parent?: string;
}

export type ObjectList = ReadonlyMap<string, CatalogObject>;

const relkindNames: Record<string, ObjectKind> = {
  r: "table",
  p: "table",
  v: "view",
  m: "materialized view",
  i: "index",
  I: "index",
  S: "sequence",
  f: "foreign table",
  c: "composite type",
};

/** The SQL of listObjects (every user object). */
export const listObjectsSql = `
SELECT 'schema' AS kind, n.nspname AS name, 'ns:' || n.oid AS key, NULL::bigint AS oid, NULL::bigint AS filenode, NULL::text AS relkind, NULL::text AS parent
  FROM pg_catalog.pg_namespace n
 WHERE ${userNamespace("n")} AND n.nspname <> 'public' AND ${notExtensionMember("pg_namespace", "n.oid")}
UNION ALL
SELECT 'relation', n.nspname || '.' || c.relname, 'rel:' || c.oid, c.oid::bigint, NULLIF(c.relfilenode, 0)::bigint, c.relkind::text,
       'rel:' || i.indrelid
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f', 'c') AND ${userNamespace("n")}
   AND ${notExtensionMember("pg_class", "c.oid")}
UNION ALL
SELECT 'column', n.nspname || '.' || c.relname || '.' || a.attname, 'col:' || c.oid || ':' || a.attnum, NULL, NULL, NULL, 'rel:' || c.oid
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND ${userNamespace("n")} AND ${notExtensionMember("pg_class", "c.oid")}
UNION ALL
SELECT 'constraint', n.nspname || '.' || COALESCE(c.relname, t.typname) || '.' || con.conname, 'con:' || con.oid, NULL, NULL, NULL,
       COALESCE('rel:' || c.oid, 'type:' || t.oid)
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
  LEFT JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  LEFT JOIN pg_catalog.pg_type t ON t.oid = con.contypid
 WHERE ${userNamespace("n")} AND (c.oid IS NOT NULL OR t.oid IS NOT NULL)
UNION ALL
SELECT 'type', n.nspname || '.' || t.typname, 'type:' || t.oid, NULL, NULL, NULL, NULL
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r') AND ${userNamespace("n")} AND ${notExtensionMember("pg_type", "t.oid")}
UNION ALL
SELECT 'function', n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', 'proc:' || p.oid, NULL, NULL, NULL, NULL
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE ${userNamespace("n")} AND ${notExtensionMember("pg_proc", "p.oid")}
UNION ALL
SELECT 'trigger', n.nspname || '.' || c.relname || '.' || tg.tgname, 'tg:' || tg.oid, NULL, NULL, NULL, 'rel:' || c.oid
  FROM pg_catalog.pg_trigger tg
  JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT tg.tgisinternal AND ${userNamespace("n")}
UNION ALL
SELECT 'policy', n.nspname || '.' || c.relname || '.' || pol.polname, 'pol:' || pol.oid, NULL, NULL, NULL, 'rel:' || c.oid
  FROM pg_catalog.pg_policy pol
  JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${userNamespace("n")}
UNION ALL
SELECT 'extension', e.extname, 'ext:' || e.oid, NULL, NULL, NULL, NULL
  FROM pg_catalog.pg_extension e WHERE e.extname <> 'plpgsql'`;

interface ObjectRow {
  kind: string;
  name: string;
  key: string;
  oid: string | null;
  filenode: string | null;
  relkind: string | null;
  parent: string | null;
}

/** Turns the rows of listObjectsSql into an ObjectList. */
export function objectListFromRows(rows: readonly ObjectRow[]): ObjectList {
  const out = new Map<string, CatalogObject>();
  for (const r of rows) {
    const kind: ObjectKind =
      r.kind === "relation" ? (relkindNames[r.relkind ?? ""] ?? "table") : (r.kind as ObjectKind);
    const o: CatalogObject = { kind, name: r.name, key: r.key };
    if (r.oid !== null) o.oid = Number(r.oid);
    if (r.filenode !== null) o.filenode = Number(r.filenode);
    if (r.relkind !== null) o.relkind = r.relkind;
    if (r.parent !== null) o.parent = r.parent;
    out.set(r.key, o);
  }
  return out;
}

/** Every user object, keyed by identity. A named (prepared) statement: planned once per connection. */
export async function listObjects(db: Queryable): Promise<ObjectList> {
  const result = await db.query<ObjectRow>({ name: "shipgate_list_objects", text: listObjectsSql });
  return objectListFromRows(result.rows);
}

export interface Rename {
  kind: ObjectKind;
  from: string;
  to: string;
}

export interface Rewrite {
  /** The relation's name after the statement. */
  relation: string;
  kind: ObjectKind;
  oid: number;
  filenodeBefore: number;
  filenodeAfter: number;
}

export interface ObjectDiff {
  created: CatalogObject[];
  dropped: CatalogObject[];
  renamed: Rename[];
  /** Relations whose relfilenode changed: their data was copied into a new file. */
  rewritten: Rewrite[];
}

const childKinds = new Set<ObjectKind>(["column", "constraint", "trigger", "policy"]);

/** The part of an object's name that is its own (a column's name, not its table's). */
function ownName(o: CatalogObject): string {
  if (!childKinds.has(o.kind)) return o.name;
  return o.name.slice(o.name.lastIndexOf(".") + 1);
}

/**
 * What changed between two object lists. Objects that belong to a created or dropped table (its
 * columns, constraints, indexes, triggers) are not listed separately.
 */
export function diffObjects(before: ObjectList, after: ObjectList): ObjectDiff {
  const created: CatalogObject[] = [];
  const dropped: CatalogObject[] = [];
  const renamed: Rename[] = [];
  const rewritten: Rewrite[] = [];
  for (const [key, a] of after) {
    const b = before.get(key);
    if (!b) {
      if (a.parent === undefined || before.has(a.parent)) created.push(a);
      continue;
    }
    if (b.name !== a.name && ownName(b) !== ownName(a))
      renamed.push({ kind: a.kind, from: b.name, to: a.name });
    if (b.filenode !== undefined && a.filenode !== undefined && b.filenode !== a.filenode) {
      rewritten.push({
        relation: a.name,
        kind: a.kind,
        oid: a.oid ?? 0,
        filenodeBefore: b.filenode,
        filenodeAfter: a.filenode,
      });
    }
  }
  for (const [key, b] of before) {
    if (after.has(key)) continue;
    if (b.parent === undefined || after.has(b.parent)) dropped.push(b);
  }
  return { created, dropped, renamed, rewritten };
}

/** "table public.users", "column public.users.email". */
export function describeObject(o: Pick<CatalogObject, "kind" | "name">): string {
  return `${o.kind} ${o.name}`;
}

// ---------------------------------------------------------------------------------------------
// Full snapshot

export interface ColumnSnapshot {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
  /** "a" (ALWAYS), "d" (BY DEFAULT) or "". */
  identity: string;
  /** Generation expression of a generated column, with its kind. */
  generated: string | null;
  collation: string | null;
}

export interface TableSnapshot {
  /** table, partitioned table, foreign table, view, materialized view, composite type. */
  kind: string;
  columns: ColumnSnapshot[];
  /** Other properties compared as text: persistence, partition key, options, RLS, view query. */
  properties: Record<string, string>;
}

export interface CatalogSnapshot {
  /** Tables, views, materialized views, foreign tables, composite types, by qualified name. */
  relations: Record<string, TableSnapshot>;
  /** By `schema.table.constraint` (or `schema.domain.constraint`): definition. */
  constraints: Record<string, string>;
  /** By `schema.index`: definition. */
  indexes: Record<string, string>;
  sequences: Record<string, string>;
  /** By `schema.type`: labels in order. */
  enums: Record<string, string[]>;
  domains: Record<string, string>;
  /** By identity signature: a description of the definition. */
  functions: Record<string, string>;
  triggers: Record<string, string>;
  policies: Record<string, string>;
  schemas: string[];
  /** By name: version. */
  extensions: Record<string, string>;
}

const snapshotQueries = {
  relations: `
SELECT n.nspname || '.' || c.relname AS name, c.relkind::text AS relkind, c.relpersistence::text AS persistence,
       c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
       COALESCE(array_to_string(c.reloptions, ','), '') AS options,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) ELSE '' END AS partkey,
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) ELSE '' END AS partbound,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid, true) ELSE '' END AS query,
       COALESCE((SELECT string_agg(pn.nspname || '.' || pc.relname, ',' ORDER BY pn.nspname, pc.relname)
                   FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
                   JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                  WHERE i.inhrelid = c.oid), '') AS parents
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND ${userNamespace("n")} AND ${notExtensionMember("pg_class", "c.oid")}
`,
  columns: `
SELECT n.nspname || '.' || c.relname AS relation, a.attname AS name, a.attnum AS attnum,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS "default",
       a.attidentity::text AS identity,
       CASE WHEN a.attgenerated <> '' THEN a.attgenerated::text || ':' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS generated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
   AND ${userNamespace("n")} AND ${notExtensionMember("pg_class", "c.oid")}`,
  constraints: `
SELECT n.nspname || '.' || COALESCE(c.relname, t.typname) || '.' || con.conname AS name,
       pg_catalog.pg_get_constraintdef(con.oid, true) || CASE WHEN con.convalidated THEN '' ELSE ' (not validated)' END
         || CASE WHEN con.condeferrable THEN ' DEFERRABLE' ELSE '' END
         || CASE WHEN con.condeferred THEN ' INITIALLY DEFERRED' ELSE '' END AS def
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
  LEFT JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  LEFT JOIN pg_catalog.pg_type t ON t.oid = con.contypid
 WHERE ${userNamespace("n")} AND (c.oid IS NOT NULL OR t.oid IS NOT NULL)`,
  indexes: `
SELECT n.nspname || '.' || c.relname AS name,
       pg_catalog.pg_get_indexdef(c.oid) || CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END AS def
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${userNamespace("n")} AND ${notExtensionMember("pg_class", "i.indrelid")}`,
  sequences: `
SELECT n.nspname || '.' || c.relname AS name,
       pg_catalog.format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement
         || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache
         || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END
         || COALESCE(' owned by ' || (SELECT dn.nspname || '.' || dc.relname || '.' || da.attname
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
              JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
              JOIN pg_catalog.pg_attribute da ON da.attrelid = d.refobjid AND da.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
               AND d.deptype IN ('a', 'i') LIMIT 1), '') AS def
  FROM pg_catalog.pg_sequence s
  JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${userNamespace("n")} AND ${notExtensionMember("pg_class", "c.oid")}`,
  enums: `
SELECT n.nspname || '.' || t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
  FROM pg_catalog.pg_enum e
  JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE ${userNamespace("n")} AND ${notExtensionMember("pg_type", "t.oid")}
 GROUP BY 1`,
  domains: `
SELECT n.nspname || '.' || t.typname AS name,
       pg_catalog.format_type(t.typbasetype, t.typtypmod)
         || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
         || COALESCE(' DEFAULT ' || t.typdefault, '') AS def
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'd' AND ${userNamespace("n")} AND ${notExtensionMember("pg_type", "t.oid")}`,
  functions: `
SELECT n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS name,
       p.prokind::text || ' returns ' || COALESCE(pg_catalog.pg_get_function_result(p.oid), 'void')
         || ' language ' || l.lanname || ' ' || p.provolatile::text || CASE WHEN p.proisstrict THEN ' strict' ELSE '' END
         || CASE WHEN p.prosecdef THEN ' security definer' ELSE '' END
         || ' md5:' || md5(COALESCE(p.prosrc, '') || '|' || COALESCE(p.probin, '') || '|' || COALESCE(array_to_string(p.proconfig, ','), '')) AS def
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE ${userNamespace("n")} AND ${notExtensionMember("pg_proc", "p.oid")}`,
  triggers: `
SELECT n.nspname || '.' || c.relname || '.' || tg.tgname AS name,
       pg_catalog.pg_get_triggerdef(tg.oid) || CASE tg.tgenabled WHEN 'D' THEN ' (disabled)' ELSE '' END AS def
  FROM pg_catalog.pg_trigger tg
  JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT tg.tgisinternal AND ${userNamespace("n")}`,
  policies: `
SELECT n.nspname || '.' || c.relname || '.' || pol.polname AS name,
       pol.polcmd::text || CASE WHEN pol.polpermissive THEN ' permissive' ELSE ' restrictive' END
         || ' to ' || COALESCE((SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END, ',' ORDER BY 1)
                                  FROM unnest(pol.polroles) r), '')
         || COALESCE(' using ' || pg_catalog.pg_get_expr(pol.polqual, pol.polrelid), '')
         || COALESCE(' with check ' || pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid), '') AS def
  FROM pg_catalog.pg_policy pol
  JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ${userNamespace("n")}`,
  schemas: `
SELECT n.nspname AS name FROM pg_catalog.pg_namespace n
 WHERE ${userNamespace("n")} AND ${notExtensionMember("pg_namespace", "n.oid")}`,
  extensions: `SELECT e.extname AS name, e.extversion AS version FROM pg_catalog.pg_extension e`,
} as const;

type SnapshotKey = keyof typeof snapshotQueries;
const snapshotKeys = Object.keys(snapshotQueries) as SnapshotKey[];

const relationKindNames: Record<string, string> = {
  r: "table",
  p: "partitioned table",
  f: "foreign table",
  v: "view",
  m: "materialized view",
  c: "composite type",
};

type Row = Record<string, unknown>;

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

function byName(rows: readonly Row[], value: (r: Row) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) out[text(r.name)] = value(r);
  return out;
}

/** Every section as a JSON array in one row; columns in table order. */
const snapshotSql = `SELECT ${snapshotKeys
  .map(
    (k) =>
      `(SELECT coalesce(json_agg(q${k === "columns" ? " ORDER BY q.relation, q.attnum" : ""}), '[]') FROM (${snapshotQueries[k]}) q) AS "${k}"`,
  )
  .join(",\n")}`;

/**
 * Reads the whole schema in one round trip, as a named (prepared) statement planned once per
 * connection: verify takes up to four snapshots per migration that has a down.
 */
export async function snapshotCatalog(db: Queryable): Promise<CatalogSnapshot> {
  const result = await db.query<Record<SnapshotKey, Row[]>>({ name: "shipgate_snapshot", text: snapshotSql });
  const rows = result.rows[0] as Record<SnapshotKey, Row[]>;

  const relations: Record<string, TableSnapshot> = {};
  for (const r of rows.relations) {
    const properties: Record<string, string> = {};
    if (text(r.persistence) === "u") properties.persistence = "unlogged";
    if (r.rls === true) properties.rowSecurity = r.force_rls === true ? "enabled, forced" : "enabled";
    for (const [key, column] of [
      ["options", "options"],
      ["partitionKey", "partkey"],
      ["partitionBound", "partbound"],
      ["query", "query"],
      ["inherits", "parents"],
    ] as const) {
      const v = text(r[column]).trim();
      if (v !== "") properties[key] = v;
    }
    relations[text(r.name)] = {
      kind: relationKindNames[text(r.relkind)] ?? text(r.relkind),
      columns: [],
      properties,
    };
  }
  for (const c of rows.columns) {
    relations[text(c.relation)]?.columns.push({
      name: text(c.name),
      type: text(c.type),
      notNull: c.not_null === true,
      default: c.default === null ? null : text(c.default),
      identity: text(c.identity),
      generated: c.generated === null ? null : text(c.generated),
      collation: c.collation === null ? null : text(c.collation),
    });
  }
  const enums: Record<string, string[]> = {};
  for (const e of rows.enums) enums[text(e.name)] = (e.labels as string[] | null) ?? [];
  const extensions: Record<string, string> = {};
  for (const e of rows.extensions) extensions[text(e.name)] = text(e.version);

  return {
    relations,
    constraints: byName(rows.constraints, (r) => text(r.def)),
    indexes: byName(rows.indexes, (r) => text(r.def)),
    sequences: byName(rows.sequences, (r) => text(r.def)),
    enums,
    domains: byName(rows.domains, (r) => text(r.def)),
    functions: byName(rows.functions, (r) => text(r.def)),
    triggers: byName(rows.triggers, (r) => text(r.def)),
    policies: byName(rows.policies, (r) => text(r.def)),
    schemas: rows.schemas.map((r) => text(r.name)).sort(),
    extensions,
  };
}

// ---------------------------------------------------------------------------------------------
// Comparing snapshots

export interface CatalogDifference {
  /** e.g. "table", "column", "index", "enum". */
  kind: string;
  /** Qualified name of the object. */
  name: string;
  /** What the first snapshot (the expected one) has; undefined: the object is missing there. */
  expected?: string;
  /** What the second snapshot has; undefined: the object is missing there. */
  actual?: string;
}

function describeColumn(c: ColumnSnapshot): string {
  const parts = [c.type];
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  if (c.notNull) parts.push("NOT NULL");
  if (c.default !== null) parts.push(`DEFAULT ${c.default}`);
  if (c.identity === "a") parts.push("GENERATED ALWAYS AS IDENTITY");
  if (c.identity === "d") parts.push("GENERATED BY DEFAULT AS IDENTITY");
  if (c.generated !== null) {
    const [kind, ...expr] = c.generated.split(":");
    parts.push(`GENERATED ALWAYS AS (${expr.join(":")}) ${kind === "v" ? "VIRTUAL" : "STORED"}`);
  }
  return parts.join(" ");
}

function compareRecords(
  kind: string,
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
  out: CatalogDifference[],
): void {
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[name];
    const y = b[name];
    if (x === y) continue;
    const d: CatalogDifference = { kind, name };
    if (x !== undefined) d.expected = x;
    if (y !== undefined) d.actual = y;
    out.push(d);
  }
}

function compareRelation(name: string, a: TableSnapshot, b: TableSnapshot, out: CatalogDifference[]): void {
  if (a.kind !== b.kind) {
    out.push({ kind: a.kind, name, expected: a.kind, actual: b.kind });
    return;
  }
  const ca = new Map(a.columns.map((c) => [c.name, c]));
  const cb = new Map(b.columns.map((c) => [c.name, c]));
  for (const colName of new Set([...ca.keys(), ...cb.keys()])) {
    const x = ca.get(colName);
    const y = cb.get(colName);
    const dx = x ? describeColumn(x) : undefined;
    const dy = y ? describeColumn(y) : undefined;
    if (dx === dy) continue;
    const d: CatalogDifference = { kind: "column", name: `${name}.${colName}` };
    if (dx !== undefined) d.expected = dx;
    if (dy !== undefined) d.actual = dy;
    out.push(d);
  }
  const common = (cols: ColumnSnapshot[], other: Map<string, ColumnSnapshot>) =>
    cols.filter((c) => other.has(c.name)).map((c) => c.name);
  const orderA = common(a.columns, cb);
  const orderB = common(b.columns, ca);
  if (orderA.join(",") !== orderB.join(",")) {
    out.push({ kind: "column order", name, expected: orderA.join(", "), actual: orderB.join(", ") });
  }
  compareRecords(`${a.kind} property`, prefixKeys(name, a.properties), prefixKeys(name, b.properties), out);
}

function prefixKeys(prefix: string, record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [`${prefix} ${k}`, v]));
}

/**
 * The differences between two snapshots, `expected` first: objects missing from `actual`, extra in
 * it, or defined differently. Empty when the schemas are identical. Sorted by kind and name.
 */
export function diffCatalogs(expected: CatalogSnapshot, actual: CatalogSnapshot): CatalogDifference[] {
  const out: CatalogDifference[] = [];
  for (const name of new Set([...Object.keys(expected.relations), ...Object.keys(actual.relations)])) {
    const a = expected.relations[name];
    const b = actual.relations[name];
    if (a && b) compareRelation(name, a, b, out);
    else if (a) out.push({ kind: a.kind, name, expected: `${a.kind} (${a.columns.length} columns)` });
    else if (b) out.push({ kind: b.kind, name, actual: `${b.kind} (${b.columns.length} columns)` });
  }
  compareRecords("constraint", expected.constraints, actual.constraints, out);
  compareRecords("index", expected.indexes, actual.indexes, out);
  compareRecords("sequence", expected.sequences, actual.sequences, out);
  const labels = (r: Readonly<Record<string, string[]>>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.map((l) => `'${l}'`).join(", ")]));
  compareRecords("enum", labels(expected.enums), labels(actual.enums), out);
  compareRecords("domain", expected.domains, actual.domains, out);
  compareRecords("function", expected.functions, actual.functions, out);
  compareRecords("trigger", expected.triggers, actual.triggers, out);
  compareRecords("policy", expected.policies, actual.policies, out);
  const set = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, "schema"]));
  compareRecords("schema", set(expected.schemas), set(actual.schemas), out);
  compareRecords("extension", expected.extensions, actual.extensions, out);
  return out.sort((x, y) => x.kind.localeCompare(y.kind) || x.name.localeCompare(y.name));
}

/**
 * One line per difference, with labels naming the two sides (e.g. "before the migration" / "after the
 * down"): `column public.users.nickname is extra after the down: text`.
 */
export function describeDifference(
  d: CatalogDifference,
  labels: { expected: string; actual: string } = { expected: "expected", actual: "actual" },
): string {
  if (d.actual === undefined)
    return `${d.kind} ${d.name} is missing ${labels.actual} (${labels.expected}: ${d.expected})`;
  if (d.expected === undefined) return `${d.kind} ${d.name} is extra ${labels.actual}: ${d.actual}`;
  return `${d.kind} ${d.name} differs: ${labels.expected}: ${d.expected}; ${labels.actual}: ${d.actual}`;
}
