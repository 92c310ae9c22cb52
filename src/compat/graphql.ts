/**
 * GraphQL compatibility: two schemas (SDL or introspection JSON) diffed by @graphql-inspector/core,
 * its changes mapped to the shared Finding shape. Criticality maps to severity (BREAKING → error,
 * DANGEROUS → warning, NON_BREAKING → info); the change type becomes the rule id
 * (FIELD_REMOVED → graphql-field-removed); the schema coordinate becomes the pointer
 * (User.email → /User/email) and, for a field of a root type, the operation (Query.user). A change on
 * another type names the root fields it is reachable from, and is placed on its line in the head SDL.
 */

import { createRequire } from "node:module";
import type { Change } from "@graphql-inspector/core";
import type {
  GraphQLField,
  GraphQLInputField,
  GraphQLNamedType,
  GraphQLSchema,
  IntrospectionQuery,
  Location,
} from "graphql";
import { ShipgateError } from "../core/errors.js";
import type { Finding, Severity } from "../core/finding.js";
import { isBlankText } from "./blank-text.js";
import type { Position } from "./locate.js";
import { toPointer } from "./pointer.js";
import { compatDocsUrl } from "./rules.js";

/**
 * graphql 16 ships CommonJS (main) and ESM (module) builds, and a schema built by one is rejected by
 * the other ("from another module or realm"). @graphql-inspector/core gets the CommonJS build when
 * Node resolves it; loading graphql the same way here keeps one instance under Node, tsx and vitest
 * (whose bundler would otherwise pick the ESM build for this file).
 */
type GraphqlModule = typeof import("graphql");
let graphqlModule: GraphqlModule | undefined;
/** Loaded on first use, so that importing src/compat costs nothing for OpenAPI runs. */
function gql(): GraphqlModule {
  graphqlModule ??= createRequire(import.meta.url)("graphql") as GraphqlModule;
  return graphqlModule;
}

export interface LoadedGraphqlSchema {
  schema: GraphQLSchema;
  /** How messages name it. */
  label: string;
  /** SDL documents carry source locations; introspection results do not. */
  kind: "sdl" | "introspection";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A schema from SDL text or an introspection result ({ data: { __schema } } or { __schema }). */
export function loadGraphqlSchema(text: string, label: string): LoadedGraphqlSchema {
  if (isBlankText(text)) {
    throw new ShipgateError("USAGE", `${label} is empty`, {
      hint: "Write the schema into the file (SDL, or an introspection result as JSON), or fix the path if you meant another file.",
    });
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ShipgateError("USAGE", `${label} is neither GraphQL SDL nor valid JSON`, {
        details: [error instanceof Error ? error.message : String(error)],
        hint: "Pass the schema as SDL (.graphql) or as the JSON result of an introspection query.",
        cause: error,
      });
    }
    const data = isRecord(json) && isRecord(json.data) ? json.data : json;
    if (!isRecord(data) || !isRecord(data.__schema)) {
      throw new ShipgateError("USAGE", `${label} is JSON but not an introspection result (no __schema)`, {
        hint: "Save the result of the standard introspection query (getIntrospectionQuery() from graphql).",
      });
    }
    try {
      return {
        schema: gql().buildClientSchema(data as unknown as IntrospectionQuery),
        label,
        kind: "introspection",
      };
    } catch (error) {
      throw new ShipgateError("USAGE", `${label}: the introspection result is incomplete`, {
        details: [error instanceof Error ? error.message : String(error)],
        hint: "Save the full result of the standard introspection query (getIntrospectionQuery() from graphql).",
        cause: error,
      });
    }
  }
  try {
    // Directives the SDL uses without defining them (federation's @key…) are not an error here.
    const { buildASTSchema, parse } = gql();
    return { schema: buildASTSchema(parse(text), { assumeValidSDL: true }), label, kind: "sdl" };
  } catch (error) {
    const e = error as { message?: string; locations?: readonly { line: number; column: number }[] };
    const where = e.locations?.[0] ? ` (line ${e.locations[0].line}, column ${e.locations[0].column})` : "";
    throw new ShipgateError("USAGE", `${label} is not a valid GraphQL schema${where}`, {
      details: [String(e.message ?? error).split("\n")[0] ?? ""],
      hint: "Fix the SDL at the line shown (or pass an introspection result as JSON).",
      cause: error,
    });
  }
}

/** graphql-inspector's CriticalityLevel values. */
const severities: Record<string, Severity> = {
  BREAKING: "error",
  DANGEROUS: "warning",
  NON_BREAKING: "info",
};

/** FIELD_REMOVED → graphql-field-removed */
export function graphqlRuleId(changeType: string): string {
  return `graphql-${changeType.toLowerCase().replace(/_/g, "-")}`;
}

function rootTypeNames(...schemas: GraphQLSchema[]): Set<string> {
  const names = new Set<string>();
  for (const s of schemas) {
    for (const t of [s.getQueryType(), s.getMutationType(), s.getSubscriptionType()])
      if (t) names.add(t.name);
  }
  return names;
}

/** For each type, the (type, field) pairs that use it: a field's type, an argument, a member. */
function usedBy(schema: GraphQLSchema): Map<string, Set<string>> {
  const { getNamedType, isInputObjectType, isInterfaceType, isObjectType, isUnionType } = gql();
  const out = new Map<string, Set<string>>();
  const add = (used: GraphQLNamedType, by: string) => {
    let set = out.get(used.name);
    if (!set) {
      set = new Set();
      out.set(used.name, set);
    }
    set.add(by);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
        add(getNamedType(field.type), `${type.name}.${field.name}`);
        for (const arg of field.args) add(getNamedType(arg.type), `${type.name}.${field.name}`);
      }
      for (const iface of type.getInterfaces()) add(type, `${iface.name}.`);
    } else if (isUnionType(type)) {
      for (const member of type.getTypes()) add(member, `${type.name}.`);
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLInputField[]) {
        add(getNamedType(field.type), `${type.name}.${field.name}`);
      }
    }
  }
  return out;
}

/** Root fields ("Query.orders") from which a type can be reached. */
function reachableFrom(
  typeName: string,
  uses: readonly Map<string, Set<string>>[],
  roots: Set<string>,
): string[] {
  const found = new Set<string>();
  const seen = new Set<string>([typeName]);
  const queue = [typeName];
  while (queue.length > 0) {
    const t = queue.shift() as string;
    for (const u of uses) {
      for (const by of u.get(t) ?? []) {
        const [owner, field] = by.split(".") as [string, string];
        if (roots.has(owner) && field !== "") found.add(by);
        else if (!seen.has(owner)) {
          seen.add(owner);
          queue.push(owner);
        }
      }
    }
  }
  return [...found].sort();
}

function locOf(loc: Location | undefined): Position | undefined {
  return loc ? { line: loc.startToken.line, column: loc.startToken.column } : undefined;
}

/** The position of a schema coordinate (Type, Type.field, Type.field.arg, Enum.VALUE) in SDL, or of its nearest parent. */
export function locateCoordinate(schema: GraphQLSchema, path: string): Position | undefined {
  const { isEnumType, isInputObjectType, isInterfaceType, isObjectType } = gql();
  const [typeName, member, arg] = path.split(".");
  if (!typeName || typeName.startsWith("@")) {
    const directive = typeName ? schema.getDirective(typeName.slice(1)) : undefined;
    return locOf(directive?.astNode?.loc);
  }
  const type = schema.getType(typeName);
  if (!type) return undefined;
  const typeLoc = locOf(type.astNode?.loc);
  if (member === undefined) return typeLoc;
  if (isEnumType(type)) return locOf(type.getValue(member)?.astNode?.loc) ?? typeLoc;
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    const field = type.getFields()[member] as GraphQLField<unknown, unknown> | GraphQLInputField | undefined;
    if (!field) return typeLoc;
    const fieldLoc = locOf(field.astNode?.loc) ?? typeLoc;
    if (arg === undefined || !("args" in field)) return fieldLoc;
    return locOf(field.args.find((a) => a.name === arg)?.astNode?.loc) ?? fieldLoc;
  }
  return typeLoc;
}

export interface GraphqlFinding {
  finding: Finding;
  /** Position in the head SDL, when known. */
  position: Position | undefined;
}

export async function diffGraphql(
  base: LoadedGraphqlSchema,
  head: LoadedGraphqlSchema,
): Promise<GraphqlFinding[]> {
  const { diff, DiffRule } = await import("@graphql-inspector/core");
  const all: Change[] = await diff(base.schema, head.schema, [DiffRule.ignoreDescriptionChanges]);
  // @deprecated usages are reported by FIELD_DEPRECATION_* and ENUM_VALUE_DEPRECATION_* already.
  const changes = all.filter(
    (c) => !(String(c.type).startsWith("DIRECTIVE_USAGE_") && c.path?.includes("@deprecated")),
  );
  const roots = rootTypeNames(base.schema, head.schema);
  const uses = [usedBy(head.schema), usedBy(base.schema)];
  return changes.map((change) => {
    const path = change.path;
    const segments = path ? path.split(".") : [];
    const finding: Finding = {
      ruleId: graphqlRuleId(change.type),
      severity: severities[change.criticality.level] ?? "warning",
      message: change.message,
      docsUrl: `${compatDocsUrl}#graphql`,
    };
    if (change.criticality.reason) finding.help = change.criticality.reason;
    if (segments.length > 0) finding.pointer = toPointer(segments);
    const [owner, field] = segments;
    if (owner !== undefined && roots.has(owner) && field !== undefined) {
      finding.operation = `${owner}.${field}`;
    } else if (owner !== undefined && !owner.startsWith("@") && !roots.has(owner)) {
      const from = reachableFrom(owner, uses, roots);
      if (from.length > 0) {
        const shown = from.slice(0, 3).join(", ");
        finding.message += ` (reachable from ${shown}${from.length > 3 ? ` and ${from.length - 3} more` : ""})`;
      }
    }
    const position = head.kind === "sdl" && path ? locateCoordinate(head.schema, path) : undefined;
    return { finding, position };
  });
}
