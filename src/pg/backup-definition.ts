/**
 * A table's definition read from the Postgres catalog and written back as DDL: columns (types,
 * collations, defaults, identity, generated), the sequences its serial columns own, constraints,
 * indexes, triggers, comments, grants, and the foreign keys of other tables that reference it.
 *
 * Every name and expression is read with an empty search_path, so the DDL is fully qualified
 * (public.users, nextval('public.users_id_seq'::regclass)) and means the same in any session.
 * What is not captured (owner, row-level security policies, column-level grants, partitioning,
 * inheritance) is listed in `notCaptured` so a backup never claims more than it holds.
 */
import type { Queryable } from "./history.js";

export interface ColumnDefinition {
  /** Quoted identifier, e.g. id or "Email". */
  name: string;
  /** format_type(), fully qualified for non-catalog types. */
  type: string;
  notNull: boolean;
  default: string | null;
  identity: "always" | "by default" | null;
  /** Expression of a generated column, and whether it is stored. */
  generated: { expression: string; stored: boolean } | null;
  collation: string | null;
}

export interface SequenceDefinition {
  /** Qualified, quoted name, e.g. public.users_id_seq. */
  name: string;
  /** The column (quoted) the sequence belongs to. */
  column: string;
  kind: "serial" | "identity";
  /** The sequence's data type, e.g. bigint. */
  type: string;
  /** INCREMENT BY … CYCLE, as CREATE SEQUENCE and identity options take them. */
  options: string;
  /** The sequence's position: setval(name, lastValue, isCalled). */
  lastValue: string;
  isCalled: boolean;
}

export interface NamedSql {
  name: string;
  sql: string;
}

export interface InboundForeignKey {
  /** Qualified name of the referencing table. */
  table: string;
  name: string;
  sql: string;
}

export interface TableDefinition {
  /** Qualified, quoted name, e.g. public.users. */
  name: string;
  schema: string;
  table: string;
  columns: ColumnDefinition[];
  /** CREATE TABLE with the columns only (constraints, indexes and the rest come after the data). */
  createTable: string;
  sequences: SequenceDefinition[];
  /** Primary key, unique, check and exclusion constraints. */
  constraints: NamedSql[];
  /** This table's own foreign keys. */
  foreignKeys: NamedSql[];
  /** Indexes that do not back a constraint. */
  indexes: NamedSql[];
  triggers: NamedSql[];
  /** COMMENT ON and GRANT statements. */
  extras: string[];
  inboundForeignKeys: InboundForeignKey[];
  /** Properties of the table this definition does not restore. */
  notCaptured: string[];
}

/**
 * Session settings for reading and writing backups (as pg_dump sets them): an empty search_path so
 * every name and expression comes out qualified, and fixed output formats so COPY prints the same
 * text for the same data in every session (dates, times in UTC, floats, bytea).
 */
export async function useCanonicalSession(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_catalog.set_config('search_path', '', false),
    pg_catalog.set_config('TimeZone', 'UTC', false), pg_catalog.set_config('DateStyle', 'ISO, MDY', false),
    pg_catalog.set_config('IntervalStyle', 'postgres', false), pg_catalog.set_config('extra_float_digits', '3', false),
    pg_catalog.set_config('bytea_output', 'hex', false), pg_catalog.set_config('client_encoding', 'UTF8', false)`);
}

export interface TableIdentity {
  oid: number;
  /** Quoted, qualified. */
  name: string;
  schema: string;
  table: string;
  kind: "table" | "partitioned-table" | "partition" | "inherited" | "other";
}

/** Resolves names (as the session's search_path resolves them) to tables; unknown names are left out. */
export async function resolveTables(db: Queryable, names: readonly string[]): Promise<TableIdentity[]> {
  if (names.length === 0) return [];
  const result = await db.query<{
    oid: number;
    name: string;
    nspname: string;
    relname: string;
    relkind: string;
    relispartition: boolean;
    inherits: boolean;
  }>(
    `SELECT DISTINCT c.oid::int8 AS oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
            n.nspname, c.relname, c.relkind::text AS relkind, c.relispartition,
            EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) AS inherits
       FROM unnest($1::text[]) AS want(name)
       JOIN pg_class c ON c.oid = to_regclass(want.name)
       JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY 2`,
    [names],
  );
  return result.rows.map((r) => ({
    oid: Number(r.oid),
    name: r.name,
    schema: r.nspname,
    table: r.relname,
    kind:
      r.relkind === "p"
        ? "partitioned-table"
        : r.relkind !== "r"
          ? "other"
          : r.relispartition
            ? "partition"
            : r.inherits
              ? "inherited"
              : "table",
  }));
}

/** Every ordinary table in the given schemas (for DROP SCHEMA). */
export async function tablesInSchemas(db: Queryable, schemas: readonly string[]): Promise<string[]> {
  if (schemas.length === 0) return [];
  const result = await db.query<{ name: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')
      ORDER BY 1`,
    [schemas],
  );
  return result.rows.map((r) => r.name);
}

function sequenceOptions(r: {
  increment: string;
  min: string;
  max: string;
  start: string;
  cache: string;
  cycle: boolean;
}): string {
  return `INCREMENT BY ${r.increment} MINVALUE ${r.min} MAXVALUE ${r.max} START WITH ${r.start} CACHE ${r.cache} ${r.cycle ? "CYCLE" : "NO CYCLE"}`;
}

/** Reads the definition of an ordinary table. Run it in a session prepared by useCanonicalSession. */
export async function readTableDefinition(db: Queryable, table: TableIdentity): Promise<TableDefinition> {
  const oid = table.oid;
  const rel = await db.query<{
    persistence: string;
    options: string | null;
    rls: boolean;
    owner_is_me: boolean;
  }>(
    `SELECT c.relpersistence::text AS persistence, array_to_string(c.reloptions, ', ') AS options,
            c.relrowsecurity AS rls, pg_get_userbyid(c.relowner) = current_user AS owner_is_me
       FROM pg_class c WHERE c.oid = $1`,
    [oid],
  );
  const relRow = rel.rows[0];
  const columns = await db.query<{
    name: string;
    type: string;
    notnull: boolean;
    def: string | null;
    identity: string;
    generated: string;
    collation: string | null;
  }>(
    `SELECT quote_ident(a.attname) AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def,
            a.attidentity::text AS identity, a.attgenerated::text AS generated,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                 THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
       LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [oid],
  );
  const sequences = await db.query<{
    name: string;
    column: string;
    deptype: string;
    type: string;
    increment: string;
    min: string;
    max: string;
    start: string;
    cache: string;
    cycle: boolean;
  }>(
    `SELECT s.oid::regclass::text AS name, quote_ident(a.attname) AS column, d.deptype::text AS deptype,
            format_type(q.seqtypid, NULL) AS type, q.seqincrement::text AS increment,
            q.seqmin::text AS min, q.seqmax::text AS max, q.seqstart::text AS start,
            q.seqcache::text AS cache, q.seqcycle AS cycle
       FROM pg_depend d
       JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       JOIN pg_sequence q ON q.seqrelid = s.oid
       JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
        AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
        AND d.refobjid = $1 AND d.deptype IN ('a', 'i')
      ORDER BY a.attnum`,
    [oid],
  );
  const seqDefs: SequenceDefinition[] = [];
  for (const s of sequences.rows) {
    const pos = await db.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text AS last_value, is_called FROM ${s.name}`,
    );
    seqDefs.push({
      name: s.name,
      column: s.column,
      kind: s.deptype === "i" ? "identity" : "serial",
      type: s.type,
      options: sequenceOptions(s),
      lastValue: pos.rows[0]?.last_value ?? s.start,
      isCalled: pos.rows[0]?.is_called ?? false,
    });
  }
  const cols: ColumnDefinition[] = columns.rows.map((c) => ({
    name: c.name,
    type: c.type,
    notNull: c.notnull,
    default: c.generated === "" && c.identity === "" ? c.def : null,
    identity: c.identity === "a" ? "always" : c.identity === "d" ? "by default" : null,
    generated: c.generated === "" ? null : { expression: c.def ?? "NULL", stored: c.generated === "s" },
    collation: c.collation,
  }));
  const columnSql = cols.map((c) => {
    let sql = `  ${c.name} ${c.type}`;
    if (c.collation) sql += ` COLLATE ${c.collation}`;
    if (c.identity) {
      const seq = seqDefs.find((s) => s.kind === "identity" && s.column === c.name);
      const options = seq ? ` (SEQUENCE NAME ${seq.name} ${seq.options})` : "";
      sql += ` GENERATED ${c.identity === "always" ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY${options}`;
    }
    if (c.generated)
      sql += ` GENERATED ALWAYS AS (${c.generated.expression}) ${c.generated.stored ? "STORED" : "VIRTUAL"}`;
    if (c.default !== null) sql += ` DEFAULT ${c.default}`;
    if (c.notNull && !c.identity) sql += " NOT NULL";
    return sql;
  });
  const unlogged = relRow?.persistence === "u" ? "UNLOGGED " : "";
  const withOptions = relRow?.options ? ` WITH (${relRow.options})` : "";
  const createTable = `CREATE ${unlogged}TABLE ${table.name} (\n${columnSql.join(",\n")}\n)${withOptions}`;

  const constraints = await db.query<{ name: string; contype: string; def: string }>(
    `SELECT quote_ident(conname) AS name, contype::text AS contype, pg_get_constraintdef(oid) AS def
       FROM pg_constraint
      WHERE conrelid = $1 AND contype IN ('p', 'u', 'c', 'x', 'f')
      ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2 WHEN 'c' THEN 3 ELSE 4 END, conname`,
    [oid],
  );
  const addConstraint = (c: { name: string; def: string }) =>
    `ALTER TABLE ${table.name} ADD CONSTRAINT ${c.name} ${c.def}`;
  const indexes = await db.query<{ name: string; def: string }>(
    `SELECT quote_ident(ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = $1
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                          AND c.contype IN ('p', 'u', 'x'))
      ORDER BY ic.relname`,
    [oid],
  );
  const triggers = await db.query<{ name: string; def: string }>(
    `SELECT quote_ident(tgname) AS name, pg_get_triggerdef(oid) AS def
       FROM pg_trigger WHERE tgrelid = $1 AND NOT tgisinternal ORDER BY tgname`,
    [oid],
  );
  const comments = await db.query<{ column: string | null; text: string }>(
    `SELECT CASE WHEN d.objsubid = 0 THEN NULL ELSE quote_ident(a.attname) END AS column,
            quote_literal(d.description) AS text
       FROM pg_description d
       LEFT JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
      WHERE d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objoid = $1
      ORDER BY d.objsubid`,
    [oid],
  );
  const grants = await db.query<{ grantee: string; privilege: string; grantable: boolean }>(
    `SELECT CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END AS grantee,
            g.privilege_type AS privilege, g.is_grantable AS grantable
       FROM pg_class c, aclexplode(c.relacl) g
      WHERE c.oid = $1 AND g.grantee <> c.relowner
      ORDER BY 1, 2`,
    [oid],
  );
  const inbound = await db.query<{ table: string; name: string; def: string }>(
    `SELECT conrelid::regclass::text AS table, quote_ident(conname) AS name, pg_get_constraintdef(oid) AS def
       FROM pg_constraint WHERE contype = 'f' AND confrelid = $1 AND conrelid <> $1
      ORDER BY 1, 2`,
    [oid],
  );
  const extras: string[] = [];
  for (const c of comments.rows) {
    extras.push(
      c.column === null
        ? `COMMENT ON TABLE ${table.name} IS ${c.text}`
        : `COMMENT ON COLUMN ${table.name}.${c.column} IS ${c.text}`,
    );
  }
  for (const g of grants.rows) {
    extras.push(
      `GRANT ${g.privilege} ON TABLE ${table.name} TO ${g.grantee}${g.grantable ? " WITH GRANT OPTION" : ""}`,
    );
  }
  const notCaptured: string[] = [];
  if (relRow?.rls) notCaptured.push("row-level security (ENABLE ROW LEVEL SECURITY and its policies)");
  if (relRow && !relRow.owner_is_me)
    notCaptured.push("the owner (a recreated table is owned by the restoring role)");
  const colGrants = await db.query<{ n: string }>(
    "SELECT count(*)::text AS n FROM pg_attribute WHERE attrelid = $1 AND attacl IS NOT NULL AND attnum > 0",
    [oid],
  );
  if (Number(colGrants.rows[0]?.n ?? 0) > 0) notCaptured.push("column-level grants");

  return {
    name: table.name,
    schema: table.schema,
    table: table.table,
    columns: cols,
    createTable,
    sequences: seqDefs,
    constraints: constraints.rows
      .filter((c) => c.contype !== "f")
      .map((c) => ({ name: c.name, sql: addConstraint(c) })),
    foreignKeys: constraints.rows
      .filter((c) => c.contype === "f")
      .map((c) => ({ name: c.name, sql: addConstraint(c) })),
    indexes: indexes.rows.map((i) => ({ name: i.name, sql: i.def })),
    triggers: triggers.rows.map((t) => ({ name: t.name, sql: t.def })),
    extras,
    inboundForeignKeys: inbound.rows.map((f) => ({
      table: f.table,
      name: f.name,
      sql: `ALTER TABLE ${f.table} ADD CONSTRAINT ${f.name} ${f.def}`,
    })),
    notCaptured,
  };
}

/** The parts of a definition that decide whether a table can be refilled in place (truncate + copy). */
export function definitionShape(d: TableDefinition): string {
  return JSON.stringify({
    createTable: d.createTable,
    constraints: d.constraints,
    foreignKeys: d.foreignKeys,
    indexes: d.indexes,
    triggers: d.triggers,
  });
}

/** The columns COPY reads and writes: every column except generated ones (Postgres computes those). */
export function copyColumns(d: TableDefinition): string {
  return d.columns
    .filter((c) => c.generated === null)
    .map((c) => c.name)
    .join(", ");
}
