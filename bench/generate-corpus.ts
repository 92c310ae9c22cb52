/**
 * Generates a deterministic corpus of realistic Postgres migration files for the speed benchmark:
 * a schema that grows file by file (later files alter, index and reference tables created by
 * earlier ones), with the mix real projects have: CREATE TABLE with constraints, ADD COLUMN with and
 * without defaults, CREATE INDEX (often CONCURRENTLY), type changes, SET NOT NULL, NOT VALID +
 * VALIDATE, foreign keys, backfills, the odd DROP COLUMN, lock_timeout lines, comments, DO blocks,
 * views and enums. The same seed always produces byte-identical files.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "./lib.js";

export interface CorpusOptions {
  /** Directory to (re)create; everything in it is deleted first. */
  dir: string;
  files: number;
  seed: number;
  /** Approximate number of statements across all files. */
  targetStatements: number;
}

export interface CorpusStats {
  files: number;
  /** Top-level statements as written by the generator (BEGIN/COMMIT, SET and DO included). */
  statements: number;
  bytes: number;
  tables: number;
}

type Kind =
  | "bigint"
  | "integer"
  | "text"
  | "varchar"
  | "numeric"
  | "boolean"
  | "timestamptz"
  | "date"
  | "jsonb"
  | "uuid"
  | "enum";

interface Column {
  name: string;
  kind: Kind;
  /** The SQL type as written. */
  type: string;
  notNull: boolean;
  /** Primary key, foreign key, indexed or used by a view: never dropped, renamed or retyped. */
  pinned: boolean;
  varcharLength?: number;
  numericPrecision?: number;
}

interface Table {
  name: string;
  columns: Column[];
  /** The primary key column and its type, for foreign keys pointing here. */
  pk: { column: string; type: string };
  lookup: boolean;
}

interface Statement {
  sql: string;
  /** CREATE INDEX CONCURRENTLY and friends, or a DO block that COMMITs: the file cannot be wrapped in BEGIN. */
  nonTransactional?: boolean;
}

interface Op {
  slug: string;
  statements: Statement[];
}

const domains = [
  "",
  "",
  "",
  "billing",
  "crm",
  "catalog",
  "ops",
  "support",
  "analytics",
  "inventory",
  "hr",
  "marketing",
  "shipping",
  "identity",
  "search",
  "finance",
];
const nouns = [
  "invoices",
  "payments",
  "refunds",
  "subscriptions",
  "plans",
  "coupons",
  "carts",
  "cart_items",
  "shipments",
  "addresses",
  "warehouses",
  "suppliers",
  "purchase_orders",
  "stock_levels",
  "tickets",
  "ticket_comments",
  "agents",
  "teams",
  "memberships",
  "invitations",
  "projects",
  "tasks",
  "labels",
  "attachments",
  "notifications",
  "webhooks",
  "deliveries",
  "api_tokens",
  "sessions",
  "devices",
  "audit_entries",
  "reports",
  "dashboards",
  "widgets",
  "campaigns",
  "leads",
  "contacts",
  "companies",
  "deals",
  "notes",
  "reviews",
  "ratings",
  "categories",
  "brands",
  "variants",
  "price_lists",
  "tax_rates",
  "currencies",
  "exchange_rates",
  "payouts",
];
const statusValues = ["pending", "active", "paused", "archived", "failed", "completed", "cancelled", "draft"];

interface ColumnTemplate {
  name: string;
  kind: Kind;
  type: string;
  varcharLength?: number;
  numericPrecision?: number;
  /** A constant default, when the template has a natural one. */
  constant?: string;
}

const columnTemplates: readonly ColumnTemplate[] = [
  { name: "title", kind: "text", type: "text", constant: "''" },
  { name: "name", kind: "varchar", type: "varchar(120)", varcharLength: 120, constant: "''" },
  { name: "description", kind: "text", type: "text" },
  { name: "status", kind: "text", type: "text", constant: "'pending'" },
  { name: "amount", kind: "numeric", type: "numeric(12, 2)", numericPrecision: 12, constant: "0" },
  { name: "quantity", kind: "integer", type: "integer", constant: "1" },
  { name: "position", kind: "integer", type: "integer", constant: "0" },
  { name: "score", kind: "numeric", type: "numeric(6, 2)", numericPrecision: 6, constant: "0" },
  { name: "is_active", kind: "boolean", type: "boolean", constant: "true" },
  { name: "is_archived", kind: "boolean", type: "boolean", constant: "false" },
  { name: "starts_at", kind: "timestamptz", type: "timestamptz" },
  { name: "ends_at", kind: "timestamptz", type: "timestamptz" },
  { name: "due_on", kind: "date", type: "date" },
  { name: "metadata", kind: "jsonb", type: "jsonb", constant: "'{}'::jsonb" },
  { name: "settings", kind: "jsonb", type: "jsonb", constant: "'{}'::jsonb" },
  { name: "external_ref", kind: "varchar", type: "varchar(64)", varcharLength: 64 },
  { name: "email", kind: "varchar", type: "varchar(255)", varcharLength: 255 },
  { name: "currency", kind: "varchar", type: "varchar(3)", varcharLength: 3, constant: "'EUR'" },
  { name: "notes", kind: "text", type: "text" },
  { name: "priority", kind: "integer", type: "integer", constant: "0" },
  { name: "retry_count", kind: "integer", type: "integer", constant: "0" },
  { name: "views_count", kind: "bigint", type: "bigint", constant: "0" },
  { name: "locale", kind: "varchar", type: "varchar(10)", varcharLength: 10, constant: "'en'" },
  { name: "source", kind: "text", type: "text", constant: "'web'" },
  { name: "processed_at", kind: "timestamptz", type: "timestamptz" },
  { name: "token", kind: "uuid", type: "uuid" },
];

function singular(table: string): string {
  const base = table.includes(".") ? (table.split(".").pop() as string) : table;
  if (base.endsWith("ies")) return `${base.slice(0, -3)}y`;
  if (base.endsWith("ses")) return base.slice(0, -2);
  if (base.endsWith("s")) return base.slice(0, -1);
  return base;
}

/** Postgres truncates identifiers at 63 bytes; keep generated names under it and unique. */
function identifier(name: string, taken: Set<string>): string {
  let base = name.slice(0, 60);
  let candidate = base;
  for (let i = 2; taken.has(candidate); i++) {
    base = name.slice(0, 57);
    candidate = `${base}_${i}`;
  }
  taken.add(candidate);
  return candidate;
}

function bareName(table: string): string {
  return table.replace(".", "_");
}

class SchemaModel {
  readonly tables: Table[] = [];
  readonly enums: { name: string; values: string[] }[] = [];
  readonly views: { name: string; table: string; columns: string[] }[] = [];
  readonly secondaryIndexes: { name: string; table: string }[] = [];
  readonly names = new Set<string>();
  readonly schemas = new Set<string>();

  table(name: string): Table | undefined {
    return this.tables.find((t) => t.name === name);
  }
}

class Generator {
  private readonly model = new SchemaModel();
  /** Tables created by the file being generated: ops on existing tables avoid them. */
  private createdInFile = new Set<string>();

  constructor(private readonly rng: Rng) {}

  private existingTables(filter: (t: Table) => boolean = () => true): Table[] {
    return this.model.tables.filter((t) => !this.createdInFile.has(t.name) && filter(t));
  }

  private newTableName(): string {
    for (let attempt = 0; attempt < 50; attempt++) {
      const domain = this.rng.pick(domains);
      const noun = this.rng.pick(nouns);
      const name = domain === "" ? noun : `${domain}_${noun}`;
      if (!this.model.names.has(name)) {
        this.model.names.add(name);
        return name;
      }
    }
    return identifier(`${this.rng.pick(nouns)}_${this.model.tables.length}`, this.model.names);
  }

  private columnFromTemplate(table: Table | undefined, template: ColumnTemplate): Column {
    let name = template.name;
    if (table) {
      for (let i = 2; table.columns.some((c) => c.name === name); i++) name = `${template.name}_${i}`;
    }
    const col: Column = { name, kind: template.kind, type: template.type, notNull: false, pinned: false };
    if (template.varcharLength !== undefined) col.varcharLength = template.varcharLength;
    if (template.numericPrecision !== undefined) col.numericPrecision = template.numericPrecision;
    return col;
  }

  private columnSql(c: Column, extra = ""): string {
    return `  ${c.name} ${c.type}${c.notNull ? " NOT NULL" : ""}${extra}`;
  }

  /** The initial migration: the core tables every later file builds on. */
  initial(): Op {
    const statements: Statement[] = [
      {
        sql: [
          "DO $$",
          "BEGIN",
          "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_readonly') THEN",
          "    CREATE ROLE app_readonly NOLOGIN;",
          "  END IF;",
          "END",
          "$$;",
        ].join("\n"),
      },
      { sql: "CREATE EXTENSION IF NOT EXISTS pgcrypto;" },
    ];
    const core: [string, string[]][] = [
      ["accounts", ["name varchar(120) NOT NULL", "plan text NOT NULL DEFAULT 'free'"]],
      ["users", ["email varchar(255) NOT NULL", "name varchar(120)", "status text"]],
      ["products", ["sku varchar(64) NOT NULL", "title text NOT NULL", "price numeric(10, 2) NOT NULL"]],
      [
        "orders",
        ["status text NOT NULL DEFAULT 'pending'", "total numeric(12, 2) NOT NULL DEFAULT 0", "note text"],
      ],
      ["events", ["kind text NOT NULL", "payload jsonb"]],
    ];
    const refs: Record<string, string> = { users: "accounts", orders: "users", events: "users" };
    for (const [name, cols] of core) {
      this.model.names.add(name);
      const table: Table = { name, columns: [], pk: { column: "id", type: "bigint" }, lookup: false };
      table.columns.push({ name: "id", kind: "bigint", type: "bigint", notNull: true, pinned: true });
      const lines = ["  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"];
      const ref = refs[name];
      if (ref) {
        const col = `${singular(ref)}_id`;
        lines.push(`  ${col} bigint NOT NULL REFERENCES ${ref} (id)`);
        table.columns.push({ name: col, kind: "bigint", type: "bigint", notNull: true, pinned: true });
      }
      for (const def of cols) {
        lines.push(`  ${def}`);
        const [colName, type] = def.split(" ") as [string, string];
        const kind: Kind = type.startsWith("varchar")
          ? "varchar"
          : type.startsWith("numeric")
            ? "numeric"
            : type === "jsonb"
              ? "jsonb"
              : "text";
        const col: Column = { name: colName, kind, type, notNull: def.includes("NOT NULL"), pinned: true };
        table.columns.push(col);
      }
      lines.push("  created_at timestamptz NOT NULL DEFAULT now()");
      table.columns.push({
        name: "created_at",
        kind: "timestamptz",
        type: "timestamptz",
        notNull: true,
        pinned: true,
      });
      statements.push({ sql: `CREATE TABLE ${name} (\n${lines.join(",\n")}\n);` });
      if (ref) {
        const idx = identifier(`${name}_${singular(ref)}_id_idx`, this.model.names);
        statements.push({ sql: `CREATE INDEX ${idx} ON ${name} (${singular(ref)}_id);` });
      }
      this.model.tables.push(table);
    }
    statements.push({ sql: "CREATE UNIQUE INDEX users_email_key ON users (email);" });
    this.model.names.add("users_email_key");
    return { slug: "initial_schema", statements };
  }

  private createTable(): Op {
    const name = this.newTableName();
    const statements: Statement[] = [];
    const lookup = this.rng.chance(0.12);
    if (lookup) {
      const table: Table = { name, columns: [], pk: { column: "code", type: "text" }, lookup: true };
      table.columns.push(
        { name: "code", kind: "text", type: "text", notNull: true, pinned: true },
        { name: "label", kind: "text", type: "text", notNull: true, pinned: false },
        { name: "position", kind: "integer", type: "integer", notNull: true, pinned: false },
      );
      statements.push({
        sql: `CREATE TABLE ${name} (\n  code text PRIMARY KEY,\n  label text NOT NULL,\n  position integer NOT NULL DEFAULT 0\n);`,
      });
      const values = this.rng.int(2, 6);
      const rows: string[] = [];
      for (let i = 0; i < values; i++)
        rows.push(`  ('${statusValues[i % statusValues.length]}_${i}', 'Label ${i}', ${i})`);
      statements.push({
        sql: `INSERT INTO ${name} (code, label, position) VALUES\n${rows.join(",\n")}\nON CONFLICT (code) DO NOTHING;`,
      });
      this.model.tables.push(table);
      this.createdInFile.add(name);
      return { slug: `create_${bareName(name)}`, statements };
    }

    const idStyle = this.rng.weighted([
      ["identity", 5],
      ["bigserial", 3],
      ["uuid", 2],
    ] as const);
    const table: Table = {
      name,
      columns: [],
      pk: { column: "id", type: idStyle === "uuid" ? "uuid" : "bigint" },
      lookup: false,
    };
    const lines: string[] = [];
    if (idStyle === "identity") lines.push("  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
    else if (idStyle === "bigserial") lines.push("  id bigserial PRIMARY KEY");
    else lines.push("  id uuid PRIMARY KEY DEFAULT gen_random_uuid()");
    table.columns.push({
      name: "id",
      kind: idStyle === "uuid" ? "uuid" : "bigint",
      type: table.pk.type,
      notNull: true,
      pinned: true,
    });

    const indexed: string[] = [];
    const parents = this.model.tables.filter((t) => t.name !== name);
    const fkCount =
      parents.length === 0
        ? 0
        : this.rng.weighted([
            [0, 2],
            [1, 6],
            [2, 2],
          ] as const);
    for (let i = 0; i < fkCount; i++) {
      const parent = this.rng.pick(parents);
      const col = `${singular(parent.name).replace(".", "_")}_${parent.pk.column}`;
      if (table.columns.some((c) => c.name === col)) continue;
      const onDelete = this.rng.weighted([
        ["", 5],
        [" ON DELETE CASCADE", 3],
        [" ON DELETE SET NULL", 1],
      ] as const);
      const notNull = onDelete !== " ON DELETE SET NULL" && this.rng.chance(0.7);
      lines.push(
        `  ${col} ${parent.pk.type}${notNull ? " NOT NULL" : ""} REFERENCES ${parent.name} (${parent.pk.column})${onDelete}`,
      );
      table.columns.push({
        name: col,
        kind: parent.pk.type === "uuid" ? "uuid" : parent.pk.type === "text" ? "text" : "bigint",
        type: parent.pk.type,
        notNull,
        pinned: true,
      });
      indexed.push(col);
    }

    const extra = this.rng.int(2, 6);
    for (let i = 0; i < extra; i++) {
      const template = this.rng.pick(columnTemplates);
      const col = this.columnFromTemplate(table, template);
      col.notNull = template.constant !== undefined && this.rng.chance(0.5);
      const def = col.notNull && template.constant !== undefined ? ` DEFAULT ${template.constant}` : "";
      lines.push(this.columnSql(col, def));
      table.columns.push(col);
    }
    if (this.model.enums.length > 0 && this.rng.chance(0.25)) {
      const e = this.rng.pick(this.model.enums);
      const col: Column = {
        name: `${singular(e.name)}_value`,
        kind: "enum",
        type: e.name,
        notNull: true,
        pinned: true,
      };
      if (!table.columns.some((c) => c.name === col.name)) {
        lines.push(this.columnSql(col, ` DEFAULT '${e.values[0]}'`));
        table.columns.push(col);
      }
    }
    lines.push(
      "  created_at timestamptz NOT NULL DEFAULT now()",
      "  updated_at timestamptz NOT NULL DEFAULT now()",
    );
    table.columns.push(
      { name: "created_at", kind: "timestamptz", type: "timestamptz", notNull: true, pinned: false },
      { name: "updated_at", kind: "timestamptz", type: "timestamptz", notNull: true, pinned: false },
    );
    const numeric = table.columns.find((c) => c.kind === "numeric" && c.name.startsWith("amount"));
    if (numeric && this.rng.chance(0.6)) {
      const cname = identifier(`${bareName(name)}_${numeric.name}_nonnegative`, this.model.names);
      lines.push(`  CONSTRAINT ${cname} CHECK (${numeric.name} >= 0)`);
    }
    const ext = table.columns.find((c) => c.name === "external_ref");
    if (ext && this.rng.chance(0.7)) {
      const cname = identifier(`${bareName(name)}_external_ref_key`, this.model.names);
      lines.push(`  CONSTRAINT ${cname} UNIQUE (external_ref)`);
      ext.pinned = true;
    }
    statements.push({ sql: `CREATE TABLE ${name} (\n${lines.join(",\n")}\n);` });
    for (const col of indexed) {
      if (!this.rng.chance(0.8)) continue;
      const idx = identifier(`${bareName(name)}_${col}_idx`, this.model.names);
      statements.push({ sql: `CREATE INDEX ${idx} ON ${name} (${col});` });
      this.model.secondaryIndexes.push({ name: idx, table: name });
    }
    if (this.rng.chance(0.3)) {
      const idx = identifier(`${bareName(name)}_created_at_idx`, this.model.names);
      statements.push({ sql: `CREATE INDEX ${idx} ON ${name} (created_at DESC);` });
      this.model.secondaryIndexes.push({ name: idx, table: name });
      for (const c of table.columns) if (c.name === "created_at") c.pinned = true;
    }
    if (this.rng.chance(0.15)) {
      statements.push({ sql: `GRANT SELECT ON ${name} TO app_readonly;` });
    }
    this.model.tables.push(table);
    this.createdInFile.add(name);
    return { slug: `create_${bareName(name)}`, statements };
  }

  private addColumn(): Op | undefined {
    const candidates = this.existingTables((t) => !t.lookup);
    if (candidates.length === 0) return undefined;
    const table = this.rng.pick(candidates);
    const count = this.rng.chance(0.12) ? this.rng.int(2, 3) : 1;
    const parts: string[] = [];
    const added: Column[] = [];
    for (let i = 0; i < count; i++) {
      const template = this.rng.pick(columnTemplates);
      const col = this.columnFromTemplate(table, template);
      if (added.some((c) => c.name === col.name)) continue;
      const variant = this.rng.weighted([
        ["nullable", 45],
        ["constant", template.constant === undefined ? 0 : 30],
        ["now", template.kind === "timestamptz" ? 15 : 0],
        ["volatile", template.kind === "uuid" ? 20 : 0],
        ["required", 2],
      ] as const);
      let def = "";
      if (variant === "constant") {
        col.notNull = this.rng.chance(0.7);
        def = ` DEFAULT ${template.constant}`;
      } else if (variant === "now") {
        col.notNull = true;
        def = " DEFAULT now()";
      } else if (variant === "volatile") {
        col.notNull = true;
        def = " DEFAULT gen_random_uuid()";
      } else if (variant === "required") {
        col.notNull = true;
      }
      const ifNotExists = this.rng.chance(0.2) ? "IF NOT EXISTS " : "";
      parts.push(`ADD COLUMN ${ifNotExists}${col.name} ${col.type}${col.notNull ? " NOT NULL" : ""}${def}`);
      added.push(col);
    }
    table.columns.push(...added);
    const sql =
      parts.length === 1
        ? `ALTER TABLE ${table.name} ${parts[0]};`
        : `ALTER TABLE ${table.name}\n  ${parts.join(",\n  ")};`;
    return {
      slug: `add_${added.map((c) => c.name).join("_and_")}_to_${bareName(table.name)}`,
      statements: [{ sql }],
    };
  }

  private createIndex(): Op | undefined {
    const table = this.pickExisting((t) => t.columns.some((c) => c.kind !== "jsonb"));
    if (!table) return undefined;
    const cols = table.columns.filter((c) => c.kind !== "jsonb" && c.name !== table.pk.column);
    if (cols.length === 0) return undefined;
    const first = this.rng.pick(cols);
    const keys = [first.name];
    if (this.rng.chance(0.3)) {
      const second = this.rng.pick(cols);
      if (second.name !== first.name) keys.push(second.name);
    }
    const concurrently = this.rng.chance(0.65);
    const idx = identifier(`${bareName(table.name)}_${keys.join("_")}_idx`, this.model.names);
    const partial = !first.notNull && this.rng.chance(0.2) ? ` WHERE ${first.name} IS NOT NULL` : "";
    const ifNotExists = this.rng.chance(0.4) ? "IF NOT EXISTS " : "";
    for (const c of table.columns) if (keys.includes(c.name)) c.pinned = true;
    this.model.secondaryIndexes.push({ name: idx, table: table.name });
    const sql = `CREATE INDEX ${concurrently ? "CONCURRENTLY " : ""}${ifNotExists}${idx} ON ${table.name} (${keys.join(", ")})${partial};`;
    return {
      slug: `index_${bareName(table.name)}_on_${keys.join("_and_")}`,
      statements: [{ sql, nonTransactional: concurrently }],
    };
  }

  private pickExisting(filter: (t: Table) => boolean): Table | undefined {
    const candidates = this.existingTables(filter);
    return candidates.length === 0 ? undefined : this.rng.pick(candidates);
  }

  private changeType(): Op | undefined {
    const retypable = (c: Column) =>
      !c.pinned &&
      (c.kind === "varchar" ||
        c.kind === "integer" ||
        (c.kind === "numeric" && c.numericPrecision !== undefined));
    const table = this.pickExisting((t) => t.columns.some(retypable));
    if (!table) return undefined;
    const col = this.rng.pick(table.columns.filter(retypable));
    let to: string;
    if (col.kind === "varchar") {
      if (this.rng.chance(0.35)) {
        to = "text";
        col.kind = "text";
        delete col.varcharLength;
      } else {
        const len = (col.varcharLength ?? 100) * 2;
        to = `varchar(${len})`;
        col.varcharLength = len;
      }
    } else if (col.kind === "integer") {
      to = "bigint";
      col.kind = "bigint";
    } else {
      const scale = /,\s*(\d+)\)/.exec(col.type)?.[1] ?? "2";
      const precision = (col.numericPrecision ?? 10) + 4;
      to = `numeric(${precision}, ${scale})`;
      col.numericPrecision = precision;
    }
    col.type = to;
    const verb = this.rng.chance(0.3) ? "SET DATA TYPE" : "TYPE";
    return {
      slug: `change_${bareName(table.name)}_${col.name}_type`,
      statements: [{ sql: `ALTER TABLE ${table.name} ALTER COLUMN ${col.name} ${verb} ${to};` }],
    };
  }

  private setNotNull(): Op | undefined {
    const fillable = (c: Column) =>
      !c.notNull &&
      (c.kind === "text" || c.kind === "integer" || c.kind === "boolean" || c.kind === "numeric");
    const table = this.pickExisting((t) => t.columns.some(fillable));
    if (!table) return undefined;
    const col = this.rng.pick(table.columns.filter(fillable));
    const value = col.kind === "text" ? "''" : col.kind === "boolean" ? "false" : "0";
    const statements: Statement[] = [];
    if (this.rng.chance(0.3)) {
      statements.push({ sql: `UPDATE ${table.name} SET ${col.name} = ${value} WHERE ${col.name} IS NULL;` });
    }
    if (this.rng.chance(0.6)) {
      const check = identifier(`${bareName(table.name)}_${col.name}_not_null`, this.model.names);
      statements.push(
        {
          sql: `ALTER TABLE ${table.name} ADD CONSTRAINT ${check} CHECK (${col.name} IS NOT NULL) NOT VALID;`,
        },
        { sql: `ALTER TABLE ${table.name} VALIDATE CONSTRAINT ${check};` },
        { sql: `ALTER TABLE ${table.name} ALTER COLUMN ${col.name} SET NOT NULL;` },
        { sql: `ALTER TABLE ${table.name} DROP CONSTRAINT ${check};` },
      );
    } else {
      statements.push({ sql: `ALTER TABLE ${table.name} ALTER COLUMN ${col.name} SET NOT NULL;` });
    }
    col.notNull = true;
    return { slug: `require_${bareName(table.name)}_${col.name}`, statements };
  }

  private addCheck(): Op | undefined {
    const checkable = (c: Column) => c.kind === "numeric" || c.kind === "integer" || c.kind === "bigint";
    const table = this.pickExisting((t) => t.columns.some((c) => checkable(c) && c.name !== t.pk.column));
    if (!table) return undefined;
    const col = this.rng.pick(table.columns.filter((c) => checkable(c) && c.name !== table.pk.column));
    const name = identifier(`${bareName(table.name)}_${col.name}_check`, this.model.names);
    const expr = `${col.name} >= 0`;
    if (this.rng.chance(0.7)) {
      return {
        slug: `check_${bareName(table.name)}_${col.name}`,
        statements: [
          { sql: `ALTER TABLE ${table.name} ADD CONSTRAINT ${name} CHECK (${expr}) NOT VALID;` },
          { sql: `ALTER TABLE ${table.name} VALIDATE CONSTRAINT ${name};` },
        ],
      };
    }
    return {
      slug: `check_${bareName(table.name)}_${col.name}`,
      statements: [{ sql: `ALTER TABLE ${table.name} ADD CONSTRAINT ${name} CHECK (${expr});` }],
    };
  }

  private addForeignKey(): Op | undefined {
    const child = this.pickExisting((t) => !t.lookup);
    if (!child) return undefined;
    const parents = this.model.tables.filter((t) => t.name !== child.name);
    if (parents.length === 0) return undefined;
    const parent = this.rng.pick(parents);
    const colName = `${singular(parent.name).replace(".", "_")}_${parent.pk.column}`;
    if (child.columns.some((c) => c.name === colName)) return undefined;
    const fk = identifier(`${bareName(child.name)}_${colName}_fkey`, this.model.names);
    const statements: Statement[] = [
      { sql: `ALTER TABLE ${child.name} ADD COLUMN ${colName} ${parent.pk.type};` },
    ];
    if (this.rng.chance(0.7)) {
      statements.push(
        {
          sql: `ALTER TABLE ${child.name}\n  ADD CONSTRAINT ${fk} FOREIGN KEY (${colName}) REFERENCES ${parent.name} (${parent.pk.column}) NOT VALID;`,
        },
        { sql: `ALTER TABLE ${child.name} VALIDATE CONSTRAINT ${fk};` },
      );
    } else {
      statements.push({
        sql: `ALTER TABLE ${child.name}\n  ADD CONSTRAINT ${fk} FOREIGN KEY (${colName}) REFERENCES ${parent.name} (${parent.pk.column});`,
      });
    }
    const concurrently = this.rng.chance(0.6);
    const idx = identifier(`${bareName(child.name)}_${colName}_idx`, this.model.names);
    statements.push({
      sql: `CREATE INDEX ${concurrently ? "CONCURRENTLY " : ""}${idx} ON ${child.name} (${colName});`,
      nonTransactional: concurrently,
    });
    this.model.secondaryIndexes.push({ name: idx, table: child.name });
    child.columns.push({
      name: colName,
      kind: parent.pk.type === "uuid" ? "uuid" : parent.pk.type === "text" ? "text" : "bigint",
      type: parent.pk.type,
      notNull: false,
      pinned: true,
    });
    return { slug: `add_${colName}_to_${bareName(child.name)}`, statements };
  }

  private backfill(): Op | undefined {
    const fillable = (c: Column) =>
      !c.notNull && (c.kind === "text" || c.kind === "boolean" || c.kind === "integer");
    const table = this.pickExisting((t) => t.columns.some(fillable));
    if (!table) return undefined;
    const col = this.rng.pick(table.columns.filter(fillable));
    const value =
      col.kind === "text" ? `'${this.rng.pick(statusValues)}'` : col.kind === "boolean" ? "false" : "0";
    const style = this.rng.weighted([
      ["single", 5],
      ["loop", 3],
      ["bounded", 2],
    ] as const);
    const pk = table.pk.column;
    if (style === "single") {
      return {
        slug: `backfill_${bareName(table.name)}_${col.name}`,
        statements: [{ sql: `UPDATE ${table.name} SET ${col.name} = ${value} WHERE ${col.name} IS NULL;` }],
      };
    }
    if (style === "bounded") {
      return {
        slug: `backfill_${bareName(table.name)}_${col.name}`,
        statements: [
          {
            sql: `UPDATE ${table.name} SET ${col.name} = ${value}\nWHERE ${pk} IN (SELECT ${pk} FROM ${table.name} WHERE ${col.name} IS NULL LIMIT 1000);`,
          },
        ],
      };
    }
    const sql = [
      "DO $$",
      "DECLARE",
      "  n integer;",
      "BEGIN",
      "  LOOP",
      `    UPDATE ${table.name} SET ${col.name} = ${value}`,
      `    WHERE ${pk} IN (SELECT ${pk} FROM ${table.name} WHERE ${col.name} IS NULL LIMIT 5000);`,
      "    GET DIAGNOSTICS n = ROW_COUNT;",
      "    EXIT WHEN n = 0;",
      "    COMMIT;",
      "  END LOOP;",
      "END",
      "$$;",
    ].join("\n");
    return {
      slug: `backfill_${bareName(table.name)}_${col.name}_in_batches`,
      statements: [{ sql, nonTransactional: true }],
    };
  }

  private dropColumn(): Op | undefined {
    const droppable = (t: Table) => (c: Column) => !c.pinned && c.name !== t.pk.column;
    const table = this.pickExisting((t) => t.columns.length > 4 && t.columns.some(droppable(t)));
    if (!table) return undefined;
    const col = this.rng.pick(table.columns.filter(droppable(table)));
    table.columns.splice(table.columns.indexOf(col), 1);
    const ifExists = this.rng.chance(0.5) ? "IF EXISTS " : "";
    return {
      slug: `drop_${bareName(table.name)}_${col.name}`,
      statements: [
        {
          sql: `-- ${col.name} is no longer read by any release.\nALTER TABLE ${table.name} DROP COLUMN ${ifExists}${col.name};`,
        },
      ],
    };
  }

  private renameColumn(): Op | undefined {
    const renamable = (t: Table) => (c: Column) => !c.pinned && c.name !== t.pk.column;
    const table = this.pickExisting((t) => t.columns.some(renamable(t)));
    if (!table) return undefined;
    const col = this.rng.pick(table.columns.filter(renamable(table)));
    let to = `${col.name}_old`;
    for (let i = 2; table.columns.some((c) => c.name === to); i++) to = `${col.name}_old${i}`;
    const from = col.name;
    col.name = to;
    return {
      slug: `rename_${bareName(table.name)}_${from}`,
      statements: [{ sql: `ALTER TABLE ${table.name} RENAME COLUMN ${from} TO ${to};` }],
    };
  }

  private view(): Op | undefined {
    if (this.model.views.length > 0 && this.rng.chance(0.35)) {
      const v = this.rng.pick(this.model.views);
      const table = this.model.table(v.table);
      const extra = table?.columns.find((c) => !v.columns.includes(c.name));
      if (table && extra) {
        v.columns.push(extra.name);
        extra.pinned = true;
        return {
          slug: `extend_${v.name}`,
          statements: [
            {
              sql: `CREATE OR REPLACE VIEW ${v.name} AS\n  SELECT ${v.columns.join(", ")}\n  FROM ${table.name};`,
            },
          ],
        };
      }
    }
    const table = this.pickExisting((t) => t.columns.length >= 3);
    if (!table) return undefined;
    const cols = [table.pk.column];
    for (const c of table.columns) {
      if (c.name !== table.pk.column && cols.length < 4 && this.rng.chance(0.5)) cols.push(c.name);
    }
    for (const c of table.columns) if (cols.includes(c.name)) c.pinned = true;
    const name = identifier(`${bareName(table.name)}_overview`, this.model.names);
    this.model.views.push({ name, table: table.name, columns: cols });
    return {
      slug: `create_${name}`,
      statements: [{ sql: `CREATE VIEW ${name} AS\n  SELECT ${cols.join(", ")}\n  FROM ${table.name};` }],
    };
  }

  private enumOp(): Op | undefined {
    if (this.model.enums.length > 0 && this.rng.chance(0.4)) {
      const e = this.rng.pick(this.model.enums);
      const value = `${this.rng.pick(statusValues)}_${e.values.length}`;
      e.values.push(value);
      return {
        slug: `add_${value}_to_${e.name}`,
        statements: [{ sql: `ALTER TYPE ${e.name} ADD VALUE IF NOT EXISTS '${value}';` }],
      };
    }
    const name = identifier(`${singular(this.rng.pick(nouns))}_state`, this.model.names);
    const values = statusValues.slice(0, this.rng.int(3, 6));
    this.model.enums.push({ name, values: [...values] });
    return {
      slug: `create_${name}`,
      statements: [{ sql: `CREATE TYPE ${name} AS ENUM (${values.map((v) => `'${v}'`).join(", ")});` }],
    };
  }

  private doBlock(): Op | undefined {
    const table = this.pickExisting((t) => !t.lookup);
    if (!table) return undefined;
    const template = this.rng.pick(columnTemplates);
    const col = this.columnFromTemplate(table, template);
    table.columns.push(col);
    const schemaName = table.name.includes(".") ? (table.name.split(".")[0] as string) : "public";
    const tableName = table.name.split(".").pop() as string;
    const sql = [
      "DO $$",
      "BEGIN",
      "  IF NOT EXISTS (",
      "    SELECT 1 FROM information_schema.columns",
      `    WHERE table_schema = '${schemaName}' AND table_name = '${tableName}' AND column_name = '${col.name}'`,
      "  ) THEN",
      `    ALTER TABLE ${table.name} ADD COLUMN ${col.name} ${col.type};`,
      "  END IF;",
      "END",
      "$$;",
    ].join("\n");
    return { slug: `ensure_${bareName(table.name)}_${col.name}`, statements: [{ sql }] };
  }

  private comment(): Op | undefined {
    const table = this.pickExisting(() => true);
    if (!table) return undefined;
    const col = this.rng.pick(table.columns);
    return {
      slug: `document_${bareName(table.name)}`,
      statements: [
        {
          sql: `COMMENT ON TABLE ${table.name} IS 'Owned by the ${this.rng.pick(domains) || "core"} team.';`,
        },
        { sql: `COMMENT ON COLUMN ${table.name}.${col.name} IS 'See the data dictionary.';` },
      ],
    };
  }

  private dropIndex(): Op | undefined {
    const candidates = this.model.secondaryIndexes.filter((i) => !this.createdInFile.has(i.table));
    if (candidates.length === 0) return undefined;
    const idx = this.rng.pick(candidates);
    this.model.secondaryIndexes.splice(this.model.secondaryIndexes.indexOf(idx), 1);
    // An index lives in its table's schema.
    const qualified = idx.table.includes(".") ? `${idx.table.split(".")[0]}.${idx.name}` : idx.name;
    return {
      slug: `drop_${idx.name}`,
      statements: [{ sql: `DROP INDEX CONCURRENTLY IF EXISTS ${qualified};`, nonTransactional: true }],
    };
  }

  private createSchema(): Op | undefined {
    const free = domains.filter((d) => d !== "" && !this.model.schemas.has(d));
    if (free.length === 0) return undefined;
    const domain = this.rng.pick(free);
    this.model.schemas.add(domain);
    const noun = this.rng.pick(nouns);
    const name = `${domain}.${noun}`;
    this.model.names.add(name);
    const table: Table = { name, columns: [], pk: { column: "id", type: "bigint" }, lookup: false };
    table.columns.push(
      { name: "id", kind: "bigint", type: "bigint", notNull: true, pinned: true },
      { name: "title", kind: "text", type: "text", notNull: true, pinned: false },
      { name: "created_at", kind: "timestamptz", type: "timestamptz", notNull: true, pinned: false },
    );
    this.model.tables.push(table);
    this.createdInFile.add(name);
    return {
      slug: `create_schema_${domain}`,
      statements: [
        { sql: `CREATE SCHEMA IF NOT EXISTS ${domain};` },
        {
          sql: `CREATE TABLE ${name} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  title text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);`,
        },
      ],
    };
  }

  private operation(): Op | undefined {
    const kind = this.rng.weighted([
      ["createTable", 9],
      ["addColumn", 20],
      ["createIndex", 13],
      ["changeType", 5],
      ["setNotNull", 5],
      ["addCheck", 5],
      ["addForeignKey", 7],
      ["backfill", 6],
      ["dropColumn", 2],
      ["renameColumn", 1],
      ["view", 4],
      ["enum", 4],
      ["doBlock", 2],
      ["comment", 4],
      ["dropIndex", 2],
      ["createSchema", 1],
    ] as const);
    switch (kind) {
      case "createTable":
        return this.createTable();
      case "addColumn":
        return this.addColumn();
      case "createIndex":
        return this.createIndex();
      case "changeType":
        return this.changeType();
      case "setNotNull":
        return this.setNotNull();
      case "addCheck":
        return this.addCheck();
      case "addForeignKey":
        return this.addForeignKey();
      case "backfill":
        return this.backfill();
      case "dropColumn":
        return this.dropColumn();
      case "renameColumn":
        return this.renameColumn();
      case "view":
        return this.view();
      case "enum":
        return this.enumOp();
      case "doBlock":
        return this.doBlock();
      case "comment":
        return this.comment();
      case "dropIndex":
        return this.dropIndex();
      case "createSchema":
        return this.createSchema();
    }
  }

  /** One migration file: its name and text, and its number of top-level statements. */
  file(index: number, statementsWanted: number): { name: string; text: string; statements: number } {
    this.createdInFile = new Set();
    const ops: Op[] = [];
    let count = 0;
    if (index === 1) {
      const op = this.initial();
      ops.push(op);
      count = op.statements.length;
    }
    for (let guard = 0; count < statementsWanted && guard < 50; guard++) {
      const op = this.operation();
      if (!op) continue;
      ops.push(op);
      count += op.statements.length;
    }
    const first = ops[0] as Op;
    const nonTransactional = ops.some((op) => op.statements.some((s) => s.nonTransactional));
    const wrap = !nonTransactional && index > 1 && this.rng.chance(0.15);
    const lines: string[] = [
      `-- Migration ${String(index).padStart(4, "0")}: ${first.slug.replace(/_/g, " ")}`,
    ];
    if (this.rng.chance(0.3))
      lines.push("-- Reviewed in the weekly schema review; safe to run during business hours.");
    lines.push("");
    let statements = 0;
    if (this.rng.chance(0.75)) {
      lines.push(`SET lock_timeout = '${this.rng.pick(["2s", "3s", "5s", "10s"])}';`);
      statements++;
    }
    if (this.rng.chance(0.25)) {
      lines.push(`SET statement_timeout = '${this.rng.pick(["30s", "60s", "5min"])}';`);
      statements++;
    }
    if (statements > 0) lines.push("");
    if (wrap) {
      lines.push("BEGIN;", "");
      statements++;
    }
    for (const op of ops) {
      if (this.rng.chance(0.2)) lines.push(`-- ${op.slug.replace(/_/g, " ")}`);
      for (const s of op.statements) {
        lines.push(s.sql);
        statements++;
      }
      lines.push("");
    }
    if (wrap) {
      lines.push("COMMIT;", "");
      statements++;
    }
    const name = `${String(index).padStart(4, "0")}_${first.slug}`.slice(0, 80);
    return { name: `${name}.sql`, text: lines.join("\n"), statements };
  }

  tableCount(): number {
    return this.model.tables.length;
  }
}

export function generateCorpus(options: CorpusOptions): CorpusStats {
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const rng = new Rng(options.seed);
  const generator = new Generator(rng);
  // Statements wanted per file, on top of the preamble (SET, BEGIN/COMMIT): spread 1..N around the
  // mean that hits the target.
  const preambleMean = 0.75 + 0.25 + 0.15 * 2 * 0.8;
  const mean = Math.max(1, options.targetStatements / options.files - preambleMean);
  const spread = mean * 0.6;
  // Operations come in groups of statements, so files end a little past what they asked for.
  const overshoot = 0.45;
  let statements = 0;
  let bytes = 0;
  for (let i = 1; i <= options.files; i++) {
    const wanted = Math.max(1, Math.round(mean - overshoot + (rng.next() * 2 - 1) * spread));
    const file = generator.file(i, wanted);
    writeFileSync(join(options.dir, file.name), file.text);
    statements += file.statements;
    bytes += Buffer.byteLength(file.text);
  }
  return { files: options.files, statements, bytes, tables: generator.tableCount() };
}
