/**
 * The schema model: what exists before each statement. Built by replaying earlier migrations (and/or
 * a schema dump) through the same parser, so rules can tell a new table from an old one, a widening
 * type change from a rewrite, and a column a view depends on.
 */
import type { ColumnDef, Constraint, CreateStmt, IndexStmt, Node, RangeVar } from "libpg-query";
import {
  asKind,
  listName,
  type NormalizedType,
  normalizeType,
  qualify,
  rangeVarName,
  stringList,
  walk,
} from "./ast.js";
import type { ParsedStatement } from "./parse.js";

export interface ColumnInfo {
  name: string;
  type: NormalizedType;
  notNull: boolean;
  hasDefault: boolean;
}

export type ConstraintKind = "check" | "foreign-key" | "unique" | "primary-key" | "exclusion";

export interface ConstraintInfo {
  name: string;
  kind: ConstraintKind;
  validated: boolean;
  columns: string[];
  /** For CHECK (col IS NOT NULL): the column it proves not null. */
  notNullColumn?: string;
  /** For foreign keys: the referenced relation. */
  references?: string;
}

export type RelationKind = "table" | "partitioned-table" | "view" | "materialized-view";

export interface ViewDependency {
  relation: string;
  /** Column names the view reads from the relation; "*" when it selects all of them. */
  columns: string[] | "*";
}

export interface RelationInfo {
  name: string;
  kind: RelationKind;
  columns: Record<string, ColumnInfo>;
  constraints: Record<string, ConstraintInfo>;
  partitionOf?: string;
  dependsOn?: ViewDependency[];
}

export interface IndexInfo {
  name: string;
  relation: string;
  unique: boolean;
  columns: string[];
  valid: boolean;
}

/** Plain data: serialisable, so a catalog can be cached and restored. */
export interface CatalogData {
  relations: Record<string, RelationInfo>;
  indexes: Record<string, IndexInfo>;
  enums: Record<string, string[]>;
  schemas: string[];
}

export function emptyCatalogData(): CatalogData {
  return { relations: {}, indexes: {}, enums: {}, schemas: ["public"] };
}

function schemaOf(qualified: string): string {
  return qualified.slice(0, qualified.indexOf("."));
}

function bareName(qualified: string): string {
  return qualified.slice(qualified.indexOf(".") + 1);
}

/**
 * A CREATE SCHEMA element with the object it creates placed in that schema, as Postgres'
 * transformCreateSchemaStmt does.
 */
function inSchema(elt: Node, schemaname: string): Node {
  const copy = structuredClone(elt);
  const target =
    asKind(copy, "CreateStmt")?.relation ??
    asKind(copy, "ViewStmt")?.view ??
    asKind(copy, "IndexStmt")?.relation ??
    asKind(copy, "CreateSeqStmt")?.sequence ??
    asKind(copy, "CreateTrigStmt")?.relation;
  if (target && target.schemaname === undefined) target.schemaname = schemaname;
  return copy;
}

/** Whether `expr` is `col IS NOT NULL` for a single column; returns the column. */
function notNullCheckColumn(expr: Node | undefined): string | undefined {
  const test = asKind(expr, "NullTest");
  if (test?.nulltesttype !== "IS_NOT_NULL") return undefined;
  const ref = asKind(test.arg, "ColumnRef");
  const names = stringList(ref?.fields);
  return names.length === 1 ? names[0] : undefined;
}

/** Statements that can add, remove or rename a view (so the cached view list is dropped). */
const viewChangingKinds = new Set<string>([
  "ViewStmt",
  "CreateTableAsStmt",
  "DropStmt",
  "RenameStmt",
  "CreateSchemaStmt",
]);

export class Catalog {
  readonly data: CatalogData;
  /** Index names by relation: derived from data.indexes, kept in step by putIndex/deleteIndex. */
  private readonly indexNamesByRelation = new Map<string, Set<string>>();

  constructor(data: CatalogData = emptyCatalogData()) {
    this.data = data;
    for (const i of Object.values(data.indexes)) this.link(i);
  }

  private link(index: IndexInfo): void {
    const names = this.indexNamesByRelation.get(index.relation) ?? new Set<string>();
    names.add(index.name);
    this.indexNamesByRelation.set(index.relation, names);
  }

  private putIndex(index: IndexInfo): void {
    this.deleteIndex(index.name);
    this.data.indexes[index.name] = index;
    this.link(index);
  }

  private deleteIndex(name: string): void {
    const index = this.data.indexes[name];
    if (!index) return;
    delete this.data.indexes[name];
    this.indexNamesByRelation.get(index.relation)?.delete(name);
  }

  /** Views and materialized views: the relations with dependencies (derived, cached until the next change). */
  private viewList: RelationInfo[] | undefined;
  private views(): RelationInfo[] {
    this.viewList ??= Object.values(this.data.relations).filter((r) => r.dependsOn !== undefined);
    return this.viewList;
  }

  /** The indexes on a relation (including those behind PRIMARY KEY, UNIQUE and EXCLUDE). */
  indexesOn(relation: string): IndexInfo[] {
    const names = this.indexNamesByRelation.get(relation);
    return names ? [...names].map((n) => this.data.indexes[n] as IndexInfo) : [];
  }

  clone(): Catalog {
    return new Catalog(structuredClone(this.data));
  }

  relation(name: string | undefined): RelationInfo | undefined {
    return name === undefined ? undefined : this.data.relations[name];
  }

  column(relation: string | undefined, column: string | undefined): ColumnInfo | undefined {
    if (column === undefined) return undefined;
    return this.relation(relation)?.columns[column];
  }

  index(name: string | undefined): IndexInfo | undefined {
    return name === undefined ? undefined : this.data.indexes[name];
  }

  enumValues(name: string | undefined): string[] | undefined {
    return name === undefined ? undefined : this.data.enums[name];
  }

  /** A validated CHECK (col IS NOT NULL) exists, so SET NOT NULL needs no table scan (PG 12+). */
  hasValidatedNotNullCheck(relation: string, column: string): boolean {
    const rel = this.relation(relation);
    if (rel === undefined) return false;
    return Object.values(rel.constraints).some((c) => c.validated && c.notNullColumn === column);
  }

  /** Views and materialized views that read `column` of `relation` (or every column, with `*`). */
  viewsUsing(relation: string, column?: string): string[] {
    const out: string[] = [];
    for (const rel of this.views()) {
      for (const dep of rel.dependsOn ?? []) {
        if (dep.relation !== relation) continue;
        if (column === undefined || dep.columns === "*" || dep.columns.includes(column)) out.push(rel.name);
      }
    }
    return out;
  }

  /** Objects a DROP ... CASCADE of `relation` would also drop or alter. */
  dependents(relation: string): string[] {
    const out = new Set<string>(this.viewsUsing(relation).map((v) => `view ${v}`));
    for (const rel of Object.values(this.data.relations)) {
      if (rel.partitionOf === relation) out.add(`partition ${rel.name}`);
      for (const c of Object.values(rel.constraints)) {
        if (c.kind === "foreign-key" && c.references === relation && rel.name !== relation) {
          out.add(`foreign key ${c.name} on ${rel.name}`);
        }
      }
    }
    return [...out];
  }

  /** Relations and types that live in `schema`. */
  objectsInSchema(schema: string): string[] {
    const prefix = `${schema}.`;
    return [
      ...Object.keys(this.data.relations).filter((n) => n.startsWith(prefix)),
      ...Object.keys(this.data.enums)
        .filter((n) => n.startsWith(prefix))
        .map((n) => `type ${n}`),
    ];
  }

  /** Replays one statement (and the statements a DO block runs) into the model. */
  apply(stmt: ParsedStatement): void {
    if (viewChangingKinds.has(stmt.kind)) this.viewList = undefined;
    this.applyNode(stmt.node);
    for (const child of stmt.children) this.apply(child);
  }

  private applyNode(node: Node): void {
    const create = asKind(node, "CreateStmt");
    if (create) {
      this.applyCreate(create);
      return;
    }
    const alter = asKind(node, "AlterTableStmt");
    if (alter) {
      const name = rangeVarName(alter.relation);
      for (const cmd of alter.cmds ?? []) this.applyAlterCmd(name, asKind(cmd, "AlterTableCmd"));
      return;
    }
    const index = asKind(node, "IndexStmt");
    if (index) {
      this.applyIndex(index);
      return;
    }
    const drop = asKind(node, "DropStmt");
    if (drop) {
      this.applyDrop(drop.removeType, drop.objects ?? []);
      return;
    }
    const rename = asKind(node, "RenameStmt");
    if (rename) {
      this.applyRename(node);
      return;
    }
    const view = asKind(node, "ViewStmt");
    if (view) {
      const name = rangeVarName(view.view);
      if (name) this.addView(name, "view", view.query);
      return;
    }
    const ctas = asKind(node, "CreateTableAsStmt");
    if (ctas) {
      const name = rangeVarName(ctas.into?.rel);
      if (!name) return;
      if (ctas.objtype === "OBJECT_MATVIEW") this.addView(name, "materialized-view", ctas.query);
      else this.data.relations[name] = { name, kind: "table", columns: {}, constraints: {} };
      return;
    }
    const en = asKind(node, "CreateEnumStmt");
    if (en) {
      const name = listName(en.typeName);
      if (name) this.data.enums[name] = stringList(en.vals);
      return;
    }
    const alterEnum = asKind(node, "AlterEnumStmt");
    if (alterEnum) {
      const name = listName(alterEnum.typeName);
      const values = name ? this.data.enums[name] : undefined;
      if (!values) return;
      if (alterEnum.oldVal !== undefined && alterEnum.newVal !== undefined) {
        const i = values.indexOf(alterEnum.oldVal);
        if (i >= 0) values[i] = alterEnum.newVal;
      } else if (alterEnum.newVal !== undefined && !values.includes(alterEnum.newVal)) {
        const at = alterEnum.newValNeighbor === undefined ? -1 : values.indexOf(alterEnum.newValNeighbor);
        if (at === -1) values.push(alterEnum.newVal);
        else values.splice(alterEnum.newValIsAfter ? at + 1 : at, 0, alterEnum.newVal);
      }
      return;
    }
    const schema = asKind(node, "CreateSchemaStmt");
    if (schema?.schemaname && !this.data.schemas.includes(schema.schemaname)) {
      this.data.schemas.push(schema.schemaname);
      for (const elt of schema.schemaElts ?? []) this.applyNode(inSchema(elt, schema.schemaname));
    }
  }

  private applyCreate(create: CreateStmt): void {
    const name = rangeVarName(create.relation);
    if (!name) return;
    if (create.if_not_exists && this.data.relations[name]) return;
    const rel: RelationInfo = {
      name,
      kind: create.partspec ? "partitioned-table" : "table",
      columns: {},
      constraints: {},
    };
    const parent = create.inhRelations?.map((r) => rangeVarName(asKind(r, "RangeVar")))[0];
    if (create.partbound && parent) {
      rel.partitionOf = parent;
      const parentRel = this.data.relations[parent];
      if (parentRel) rel.columns = structuredClone(parentRel.columns);
    }
    this.data.relations[name] = rel;
    for (const elt of create.tableElts ?? []) {
      const col = asKind(elt, "ColumnDef");
      if (col) this.addColumn(name, col);
      const con = asKind(elt, "Constraint");
      if (con) this.addConstraint(name, con, undefined);
    }
  }

  private addColumn(relation: string, def: ColumnDef): void {
    const rel = this.data.relations[relation];
    if (!rel || def.colname === undefined) return;
    const type = normalizeType(def.typeName);
    const constraints = (def.constraints ?? [])
      .map((c) => asKind(c, "Constraint"))
      .filter((c) => c !== undefined);
    const kinds = new Set(constraints.map((c) => c.contype));
    rel.columns[def.colname] = {
      name: def.colname,
      type,
      notNull: kinds.has("CONSTR_NOTNULL") || kinds.has("CONSTR_PRIMARY") || kinds.has("CONSTR_IDENTITY"),
      hasDefault:
        kinds.has("CONSTR_DEFAULT") ||
        kinds.has("CONSTR_IDENTITY") ||
        kinds.has("CONSTR_GENERATED") ||
        type.name.endsWith("serial"),
    };
    for (const c of constraints) this.addConstraint(relation, c, def.colname);
  }

  private addConstraint(relation: string, con: Constraint, column: string | undefined): void {
    const rel = this.data.relations[relation];
    if (!rel) return;
    const kindMap: Partial<Record<NonNullable<Constraint["contype"]>, ConstraintKind>> = {
      CONSTR_CHECK: "check",
      CONSTR_FOREIGN: "foreign-key",
      CONSTR_UNIQUE: "unique",
      CONSTR_PRIMARY: "primary-key",
      CONSTR_EXCLUSION: "exclusion",
    };
    const kind = con.contype ? kindMap[con.contype] : undefined;
    if (!kind) return;
    const columns = column
      ? [column]
      : stringList(kind === "foreign-key" ? con.fk_attrs : con.keys).concat(
          con.indexname ? (this.data.indexes[qualify(con.indexname, schemaOf(relation))]?.columns ?? []) : [],
        );
    const table = bareName(relation);
    const suffix = {
      check: "check",
      "foreign-key": "fkey",
      unique: "key",
      "primary-key": "pkey",
      exclusion: "excl",
    }[kind];
    // USING INDEX without a constraint name names the constraint after the index.
    const name =
      con.conname ??
      con.indexname ??
      (kind === "primary-key" ? `${table}_pkey` : `${table}_${columns.join("_") || "expr"}_${suffix}`);
    const info: ConstraintInfo = { name, kind, validated: !con.skip_validation, columns };
    const nn = kind === "check" ? notNullCheckColumn(con.raw_expr) : undefined;
    if (nn) info.notNullColumn = nn;
    if (kind === "foreign-key") {
      const ref = rangeVarName(con.pktable);
      if (ref) info.references = ref;
    }
    if (kind === "primary-key") {
      for (const c of columns) {
        const col = rel.columns[c];
        if (col) col.notNull = true;
      }
    }
    rel.constraints[name] = info;
    if (kind === "primary-key" || kind === "unique" || kind === "exclusion") {
      // USING INDEX renames the existing index to the constraint's name.
      if (con.indexname) this.deleteIndex(qualify(con.indexname, schemaOf(relation)));
      const indexName = qualify(name, schemaOf(relation));
      this.putIndex({ name: indexName, relation, unique: kind !== "exclusion", columns, valid: true });
    }
  }

  private applyAlterCmd(relation: string | undefined, cmd: ReturnType<typeof asKind<"AlterTableCmd">>): void {
    if (!relation || !cmd) return;
    const rel = this.data.relations[relation];
    if (!rel) return;
    const col = cmd.name ? rel.columns[cmd.name] : undefined;
    switch (cmd.subtype) {
      case "AT_AddColumn": {
        const def = asKind(cmd.def, "ColumnDef");
        if (def) this.addColumn(relation, def);
        break;
      }
      case "AT_DropColumn":
        if (cmd.name) {
          delete rel.columns[cmd.name];
          for (const [k, c] of Object.entries(rel.constraints))
            if (c.columns.includes(cmd.name)) delete rel.constraints[k];
          for (const i of this.indexesOn(relation))
            if (i.columns.includes(cmd.name)) this.deleteIndex(i.name);
        }
        break;
      case "AT_AlterColumnType": {
        const def = asKind(cmd.def, "ColumnDef");
        if (col && def?.typeName) col.type = normalizeType(def.typeName);
        break;
      }
      case "AT_SetNotNull":
        if (col) col.notNull = true;
        break;
      case "AT_DropNotNull":
        if (col) col.notNull = false;
        break;
      case "AT_ColumnDefault":
        if (col) col.hasDefault = cmd.def !== undefined;
        break;
      case "AT_AddConstraint": {
        const con = asKind(cmd.def, "Constraint");
        if (con) this.addConstraint(relation, con, undefined);
        // PG 18: ADD CONSTRAINT name NOT NULL col marks the columns not null.
        if (con?.contype === "CONSTR_NOTNULL" && !con.skip_validation) {
          for (const c of stringList(con.keys)) {
            const column = rel.columns[c];
            if (column) column.notNull = true;
          }
        }
        break;
      }
      case "AT_ValidateConstraint":
        if (cmd.name && rel.constraints[cmd.name])
          (rel.constraints[cmd.name] as ConstraintInfo).validated = true;
        break;
      case "AT_DropConstraint":
        if (cmd.name) {
          delete rel.constraints[cmd.name];
          this.deleteIndex(qualify(cmd.name, schemaOf(relation)));
        }
        break;
      case "AT_AttachPartition": {
        const part = rangeVarName(asKind(cmd.def, "PartitionCmd")?.name);
        const partRel = part ? this.data.relations[part] : undefined;
        if (partRel) partRel.partitionOf = relation;
        break;
      }
      case "AT_DetachPartition": {
        const part = rangeVarName(asKind(cmd.def, "PartitionCmd")?.name);
        const partRel = part ? this.data.relations[part] : undefined;
        if (partRel) delete partRel.partitionOf;
        break;
      }
      default:
        break;
    }
  }

  private applyIndex(index: IndexStmt): void {
    const relation = rangeVarName(index.relation);
    if (!relation) return;
    const columns = (index.indexParams ?? [])
      .map((p) => asKind(p, "IndexElem")?.name)
      .filter((n): n is string => n !== undefined);
    const bare = index.idxname ?? `${bareName(relation)}_${columns.join("_") || "expr"}_idx`;
    const name = qualify(bare, schemaOf(relation));
    if (index.if_not_exists && this.data.indexes[name]) return;
    this.putIndex({ name, relation, unique: Boolean(index.unique), columns, valid: true });
  }

  private applyDrop(removeType: string | undefined, objects: Node[]): void {
    for (const obj of objects) {
      const list = asKind(obj, "List")?.items;
      const typeName = asKind(obj, "TypeName");
      const name = list ? listName(list) : typeName ? listName(typeName.names) : undefined;
      const str = asKind(obj, "String")?.sval;
      switch (removeType) {
        case "OBJECT_TABLE":
        case "OBJECT_VIEW":
        case "OBJECT_MATVIEW":
          if (name) {
            delete this.data.relations[name];
            for (const i of this.indexesOn(name)) this.deleteIndex(i.name);
          }
          break;
        case "OBJECT_INDEX":
          if (name) this.deleteIndex(name);
          break;
        case "OBJECT_TYPE":
          if (name) delete this.data.enums[name];
          break;
        case "OBJECT_SCHEMA":
          if (str) {
            this.data.schemas = this.data.schemas.filter((s) => s !== str);
            for (const k of Object.keys(this.data.relations))
              if (schemaOf(k) === str) delete this.data.relations[k];
            for (const [k, i] of Object.entries(this.data.indexes))
              if (schemaOf(k) === str || schemaOf(i.relation) === str) this.deleteIndex(k);
            for (const k of Object.keys(this.data.enums)) if (schemaOf(k) === str) delete this.data.enums[k];
          }
          break;
        default:
          break;
      }
    }
  }

  private applyRename(node: Node): void {
    const r = asKind(node, "RenameStmt");
    if (!r?.newname) return;
    const relation = rangeVarName(r.relation);
    switch (r.renameType) {
      case "OBJECT_TABLE":
      case "OBJECT_VIEW":
      case "OBJECT_MATVIEW": {
        const rel = relation ? this.data.relations[relation] : undefined;
        if (!rel || !relation) return;
        const to = qualify(r.newname, schemaOf(relation));
        delete this.data.relations[relation];
        rel.name = to;
        this.data.relations[to] = rel;
        for (const i of this.indexesOn(relation)) this.putIndex({ ...i, relation: to });
        return;
      }
      case "OBJECT_COLUMN": {
        const rel = relation ? this.data.relations[relation] : undefined;
        const col = rel && r.subname ? rel.columns[r.subname] : undefined;
        if (!rel || !col || !r.subname) return;
        delete rel.columns[r.subname];
        col.name = r.newname;
        rel.columns[r.newname] = col;
        // Views keep reading the column under its new name.
        for (const view of Object.values(this.data.relations)) {
          for (const dep of view.dependsOn ?? []) {
            if (dep.relation !== relation || dep.columns === "*") continue;
            dep.columns = dep.columns.map((c) => (c === r.subname ? (r.newname as string) : c));
          }
        }
        return;
      }
      case "OBJECT_INDEX": {
        const idx = relation ? this.data.indexes[relation] : undefined;
        if (!idx || !relation) return;
        this.deleteIndex(relation);
        this.putIndex({ ...idx, name: qualify(r.newname, schemaOf(relation)) });
        return;
      }
      default:
        return;
    }
  }

  private addView(name: string, kind: RelationKind, query: Node | undefined): void {
    /** The relations the query reads, and the name or alias each is referred to by. */
    const relations: string[] = [];
    const byReference = new Map<string, string>();
    walk(query, (k, body) => {
      if (k !== "RangeVar") return;
      const rv = body as RangeVar;
      const n = rangeVarName(rv);
      if (!n || !this.data.relations[n]) return;
      if (!relations.includes(n)) relations.push(n);
      byReference.set(rv.alias?.aliasname ?? rv.relname ?? n, n);
    });
    const deps = new Map<string, Set<string> | "*">(relations.map((r) => [r, new Set<string>()]));
    const use = (relation: string, column: string) => {
      const cols = deps.get(relation);
      if (cols === undefined || cols === "*") return;
      const own = Object.keys(this.data.relations[relation]?.columns ?? {});
      if (column === "*") {
        // Postgres expands * when the view is created: the view depends on the columns of that moment.
        if (own.length > 0) for (const c of own) cols.add(c);
        else deps.set(relation, "*");
        return;
      }
      if (own.length === 0 || own.includes(column)) cols.add(column);
    };
    walk(query, (k, body) => {
      if (k !== "ColumnRef") return;
      const fields = (body.fields as Node[] | undefined) ?? [];
      const last = fields[fields.length - 1];
      const column = last && asKind(last, "A_Star") ? "*" : stringList(fields.slice(-1))[0];
      if (!column) return;
      // A qualified reference (alias.col, table.col) reads that relation only; an unqualified one, or
      // one through a subquery or CTE alias, may read any of them.
      const qualifier = fields.length > 1 ? asKind(fields[fields.length - 2], "String")?.sval : undefined;
      const target = qualifier === undefined ? undefined : byReference.get(qualifier);
      for (const r of target ? [target] : relations) use(r, column);
    });
    this.data.relations[name] = {
      name,
      kind,
      columns: {},
      constraints: {},
      dependsOn: [...deps].map(([relation, cols]) => ({ relation, columns: cols === "*" ? "*" : [...cols] })),
    };
  }
}
