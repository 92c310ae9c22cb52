import type { Node } from "libpg-query";
import { asKind, listName, rangeVarName } from "../ast.js";
import type { Catalog } from "../catalog.js";
import type { Rule, RuleReport } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";

const listLimit = 8;

function summarize(items: string[]): string {
  if (items.length <= listLimit) return items.join(", ");
  return `${items.slice(0, listLimit).join(", ")} and ${items.length - listLimit} more`;
}

const relationDrops = new Set(["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"]);

/** The name a DROP names: a qualified name list, a type, a function signature or a bare name. */
function droppedName(obj: Node): string | undefined {
  const list = asKind(obj, "List");
  if (list) return listName(list.items);
  const typeName = asKind(obj, "TypeName");
  if (typeName) return listName(typeName.names);
  const func = asKind(obj, "ObjectWithArgs");
  if (func) return listName(func.objname);
  return asKind(obj, "String")?.sval;
}

/** Names a statement creates (any kind of object), to exempt objects created earlier in the file. */
function createdNames(node: Node): (string | undefined)[] {
  return [
    rangeVarName(asKind(node, "CreateStmt")?.relation),
    rangeVarName(asKind(node, "CreateTableAsStmt")?.into?.rel),
    rangeVarName(asKind(node, "ViewStmt")?.view),
    rangeVarName(asKind(node, "CreateSeqStmt")?.sequence),
    rangeVarName(asKind(node, "CompositeTypeStmt")?.typevar),
    listName(asKind(node, "CreateEnumStmt")?.typeName),
    listName(asKind(node, "CreateDomainStmt")?.domainname),
    listName(asKind(node, "CreateRangeStmt")?.typeName),
    listName(asKind(node, "CreateFunctionStmt")?.funcname),
    asKind(node, "CreateSchemaStmt")?.schemaname,
    asKind(node, "CreateExtensionStmt")?.extname,
  ];
}

/** What dropping `relation` also drops: views on it (transitively), partitions, foreign keys on other tables. */
function relationDependents(catalog: Catalog, relation: string, excluded: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>([relation]);
  const queue = [relation];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const dep of catalog.dependents(current)) {
      const owner = dep.slice(dep.lastIndexOf(" ") + 1);
      if (excluded.has(owner) || out.includes(dep)) continue;
      out.push(dep);
      if ((dep.startsWith("view ") || dep.startsWith("partition ")) && !seen.has(owner)) {
        seen.add(owner);
        queue.push(owner);
      }
    }
  }
  return out;
}

/** Tables a TRUNCATE ... CASCADE of `relation` also empties: those referencing it by foreign key, recursively. */
function referencingTables(catalog: Catalog, relation: string, excluded: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const queue = [relation];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const rel of Object.values(catalog.data.relations)) {
      if (excluded.has(rel.name) || rel.name === relation || out.includes(rel.name)) continue;
      const references = Object.values(rel.constraints).some(
        (c) => c.kind === "foreign-key" && c.references === current,
      );
      if (references) {
        out.push(rel.name);
        queue.push(rel.name);
      }
    }
  }
  return out;
}

function typeDependents(catalog: Catalog, type: string): string[] {
  const bare = type.slice(type.indexOf(".") + 1).toLowerCase();
  const out: string[] = [];
  for (const rel of Object.values(catalog.data.relations)) {
    if (rel.kind === "view" || rel.kind === "materialized-view") continue;
    for (const col of Object.values(rel.columns)) {
      if (col.type.name === bare) out.push(`column ${rel.name}.${col.name}`);
    }
  }
  return out;
}

function objectLabel(removeType: string): string {
  return removeType
    .replace(/^OBJECT_/, "")
    .replace(/_/g, " ")
    .replace("MATVIEW", "MATERIALIZED VIEW");
}

function dropReport(what: string, dependents: string[], relation?: string): RuleReport {
  const report: RuleReport =
    dependents.length > 0
      ? { messageId: "drop", data: { what, dependents: summarize(dependents) } }
      : { messageId: "dropUnknown", data: { what } };
  if (relation) report.relation = relation;
  return report;
}

export const dropCascade: Rule = {
  meta: {
    id: "drop-cascade",
    description:
      "DROP ... CASCADE and TRUNCATE ... CASCADE silently drop or empty objects the migration does not name.",
    severity: "error",
    messages: {
      drop: "{what} CASCADE also drops objects the migration does not name: {dependents}",
      dropUnknown:
        "{what} CASCADE also drops every object that depends on it (views, foreign keys, defaults, columns of its type, triggers), none of which the migration names",
      truncate: "TRUNCATE {table} CASCADE also empties {tables}, which reference it by foreign key",
      truncateUnknown:
        "TRUNCATE {table} CASCADE also empties every table that references it by foreign key, recursively",
    },
    help: "Drop or change the dependent objects explicitly first, each in a reviewed statement, then drop without CASCADE so Postgres refuses if anything still depends on it.",
  },
  kinds: ["DropStmt", "TruncateStmt", "AlterTableStmt"],
  check({ statement, catalog, file }) {
    const node = statement.parsed.node;
    const createdInFile = (name: string) =>
      file.previous.some((s) => createdNames(s.parsed.node).includes(name));
    const reports: RuleReport[] = [];

    const drop = asKind(node, "DropStmt");
    if (drop?.behavior === "DROP_CASCADE") {
      const type = drop.removeType ?? "";
      const names = (drop.objects ?? []).map(droppedName).filter((n): n is string => n !== undefined);
      const excluded = new Set(names);
      for (const name of names) {
        const what = `DROP ${objectLabel(type)} ${name}`;
        if (relationDrops.has(type)) {
          if (!mayBeInUse(name, file, Boolean(drop.missing_ok))) continue;
          reports.push(dropReport(what, relationDependents(catalog, name, excluded), name));
        } else if (type === "OBJECT_SCHEMA") {
          const objects = catalog.objectsInSchema(name);
          if (createdInFile(name)) continue;
          if (drop.missing_ok && objects.length === 0 && !catalog.data.schemas.includes(name)) continue;
          const inSchema = new Set(objects.filter((o) => !o.startsWith("type ")));
          const outside = [...inSchema].flatMap((r) => relationDependents(catalog, r, inSchema));
          reports.push(dropReport(what, [...new Set([...objects, ...outside])]));
        } else if (type === "OBJECT_TYPE" || type === "OBJECT_DOMAIN") {
          if (createdInFile(name)) continue;
          reports.push(dropReport(what, typeDependents(catalog, name)));
        } else {
          if (createdInFile(name)) continue;
          reports.push(dropReport(what, []));
        }
      }
      return reports;
    }

    const truncate = asKind(node, "TruncateStmt");
    if (truncate?.behavior === "DROP_CASCADE") {
      const tables = (truncate.relations ?? [])
        .map((r) => rangeVarName(asKind(r, "RangeVar")))
        .filter((n): n is string => n !== undefined);
      const excluded = new Set(tables);
      for (const table of tables) {
        if (!mayBeInUse(table, file, false)) continue;
        const also = referencingTables(catalog, table, excluded);
        reports.push(
          also.length > 0
            ? { messageId: "truncate", data: { table, tables: summarize(also) }, relation: table }
            : { messageId: "truncateUnknown", data: { table }, relation: table },
        );
      }
      return reports;
    }

    const alter = asKind(node, "AlterTableStmt");
    const table = rangeVarName(alter?.relation);
    if (!alter || !table || !mayBeInUse(table, file, Boolean(alter.missing_ok))) return [];
    const rel = catalog.relation(table);
    for (const c of alter.cmds ?? []) {
      const cmd = asKind(c, "AlterTableCmd");
      if (cmd?.behavior !== "DROP_CASCADE" || !cmd.name) continue;
      const keys = Object.values(rel?.constraints ?? {}).filter(
        (k) => k.kind === "primary-key" || k.kind === "unique",
      );
      const foreignKeysToTable = () => catalog.dependents(table).filter((d) => d.startsWith("foreign key "));
      if (cmd.subtype === "AT_DropColumn") {
        const column = cmd.name;
        const views = catalog.viewsUsing(table, column);
        const dependents = views.flatMap((v) => [`view ${v}`, ...relationDependents(catalog, v, new Set())]);
        if (keys.some((k) => k.columns.includes(column))) dependents.push(...foreignKeysToTable());
        reports.push(
          dropReport(`ALTER TABLE ${table} DROP COLUMN ${column}`, [...new Set(dependents)], table),
        );
      } else if (cmd.subtype === "AT_DropConstraint") {
        const constraint = rel?.constraints[cmd.name];
        // Nothing can depend on a CHECK or foreign key constraint: CASCADE changes nothing.
        if (constraint?.kind === "check" || constraint?.kind === "foreign-key") continue;
        const dependents = constraint ? foreignKeysToTable() : [];
        reports.push(dropReport(`ALTER TABLE ${table} DROP CONSTRAINT ${cmd.name}`, dependents, table));
      }
    }
    return reports;
  },
};
