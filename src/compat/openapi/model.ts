/**
 * The operations of a spec in one shape for Swagger 2.0, OpenAPI 3.0 and 3.1: parameters (path-level
 * ones merged in), request body and responses by media type, response headers, effective security.
 * Every part carries two places: `pointer`, the logical JSON pointer from the operation (what findings
 * and accepted breaks name; stable when a definition moves into components), and `at`, the real file
 * and pointer where the value is written (for line numbers).
 */
import { appendPointer } from "../pointer.js";
import type { Loc, SpecVersion } from "./load.js";
import { isObject, type Node, type SpecView } from "./view.js";

export const httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export interface MediaModel {
  /** Lower case, parameters (`; charset=…`) dropped. */
  mediaType: string;
  /** Swagger 2.0: one schema serves every media type of consumes/produces. */
  shared: boolean;
  pointer: string;
  at: Loc;
  schema: Node | undefined;
  schemaPointer: string;
}

export interface ParamModel {
  name: string;
  /** path, query, header, cookie (and formData in Swagger 2.0). */
  in: string;
  required: boolean;
  pointer: string;
  at: Loc;
  schema: Node | undefined;
  schemaPointer: string;
  /** Path parameters: the index of `{name}` in the path template. */
  position?: number;
}

export interface BodyModel {
  required: boolean;
  pointer: string;
  at: Loc;
  content: Map<string, MediaModel>;
  /** Where the media types are listed (content, or consumes in Swagger 2.0). */
  contentAt: Loc;
}

export interface HeaderModel {
  name: string;
  pointer: string;
  at: Loc;
  schema: Node | undefined;
  schemaPointer: string;
}

export interface ResponseModel {
  status: string;
  pointer: string;
  at: Loc;
  content: Map<string, MediaModel>;
  /** Where the media types are listed (content, or produces in Swagger 2.0). */
  contentAt: Loc;
  /** By lower-case name. */
  headers: Map<string, HeaderModel>;
}

/** One alternative of a security requirement: every scheme in it is needed, with these scopes. */
export type SecurityAlternative = Map<string, string[]>;

export interface OperationModel {
  /** Upper case. */
  method: string;
  path: string;
  /** The path with parameter names blanked: /orders/{} — what matches operations across versions. */
  template: string;
  /** "GET /orders/{id}" */
  name: string;
  pointer: string;
  at: Loc;
  deprecated: boolean;
  /** The value of the sunset extension (x-sunset), as written. */
  sunset: unknown;
  security: SecurityAlternative[];
  securityPointer: string;
  securityAt: Loc;
  parameters: ParamModel[];
  body: BodyModel | undefined;
  responses: Map<string, ResponseModel>;
}

export interface SpecModel {
  version: SpecVersion;
  operations: OperationModel[];
}

export function normalizeMediaType(mediaType: string): string {
  return (mediaType.split(";")[0] ?? mediaType).trim().toLowerCase();
}

export function pathTemplate(path: string): string {
  return path.replace(/\{[^}/]*\}/g, "{}");
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}/]*)\}/g)].map((m) => m[1] as string);
}

function stringList(node: Node | undefined): string[] | undefined {
  if (!node || !Array.isArray(node.value)) return undefined;
  return node.value.filter((v): v is string => typeof v === "string");
}

function mediaMap(view: SpecView, content: Node | undefined, pointer: string): Map<string, MediaModel> {
  const out = new Map<string, MediaModel>();
  if (!content || !isObject(content.value)) return out;
  for (const key of Object.keys(content.value)) {
    const media = view.child(content, key);
    if (!media) continue;
    const mediaType = normalizeMediaType(key);
    if (out.has(mediaType)) continue;
    const mediaPointer = appendPointer(pointer, key);
    out.set(mediaType, {
      mediaType,
      shared: false,
      pointer: mediaPointer,
      at: media.loc,
      schema: view.child(media, "schema"),
      schemaPointer: appendPointer(mediaPointer, "schema"),
    });
  }
  return out;
}

/** Swagger 2.0: one schema for every media type in consumes/produces. */
function swaggerMediaMap(
  mediaTypes: { list: string[]; pointer: string; at: Loc },
  schema: Node | undefined,
  schemaPointer: string,
): Map<string, MediaModel> {
  const out = new Map<string, MediaModel>();
  for (const mt of mediaTypes.list) {
    const mediaType = normalizeMediaType(mt);
    if (out.has(mediaType)) continue;
    out.set(mediaType, {
      mediaType,
      shared: true,
      pointer: mediaTypes.pointer,
      at: mediaTypes.at,
      schema,
      schemaPointer,
    });
  }
  return out;
}

function securityOf(node: Node | undefined): SecurityAlternative[] {
  if (!node || !Array.isArray(node.value)) return [];
  const out: SecurityAlternative[] = [];
  for (const alt of node.value) {
    if (!isObject(alt)) continue;
    const m: SecurityAlternative = new Map();
    for (const [scheme, scopes] of Object.entries(alt)) {
      m.set(scheme, Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : []);
    }
    out.push(m);
  }
  return out;
}

export function buildSpecModel(view: SpecView, options: { sunsetField: string }): SpecModel {
  const spec = view.spec;
  const version = spec.version;
  const rootNode: Node = { value: spec.docs.get(spec.root), loc: { file: spec.root, pointer: "" } };
  const paths = view.child(rootNode, "paths");
  const operations: OperationModel[] = [];
  if (!paths || !isObject(paths.value)) return { version, operations };
  const rootSecurity = view.child(rootNode, "security");
  const swagger = version === "2.0";
  const rootConsumes = view.child(rootNode, "consumes");
  const rootProduces = view.child(rootNode, "produces");

  for (const path of Object.keys(paths.value)) {
    if (!path.startsWith("/")) continue;
    const item = view.child(paths, path);
    if (!item || !isObject(item.value)) continue;
    const itemPointer = appendPointer("/paths", path);
    const template = pathTemplate(path);
    const positions = new Map(pathParamNames(path).map((n, i) => [n, i]));
    const itemParams = view.child(item, "parameters");

    for (const method of httpMethods) {
      const op = view.child(item, method);
      if (!op || !isObject(op.value)) continue;
      const opPointer = appendPointer(itemPointer, method);
      const params = new Map<string, ParamModel>();
      let bodyParam: { node: Node; pointer: string } | undefined;
      let hasFormData = false;
      const addParams = (list: Node | undefined, listPointer: string): void => {
        if (!list || !Array.isArray(list.value)) return;
        for (let i = 0; i < list.value.length; i++) {
          const p = view.child(list, i);
          if (!p || !isObject(p.value)) continue;
          const name = typeof p.value.name === "string" ? p.value.name : "";
          const where = typeof p.value.in === "string" ? p.value.in : "";
          const pointer = appendPointer(listPointer, String(i));
          if (swagger && where === "body") {
            bodyParam = { node: p, pointer };
            continue;
          }
          if (where === "formData") hasFormData = true;
          let schema: Node | undefined;
          let schemaPointer = appendPointer(pointer, "schema");
          if (swagger) {
            // Swagger 2.0: a non-body parameter is its own schema (type, format, enum, maxLength…).
            schema = p;
            schemaPointer = pointer;
          } else {
            schema = view.child(p, "schema");
            const content = view.child(p, "content");
            if (!schema && content && isObject(content.value)) {
              const first = Object.keys(content.value)[0];
              const media = first === undefined ? undefined : view.child(content, first);
              if (first !== undefined && media) {
                schema = view.child(media, "schema");
                schemaPointer = appendPointer(pointer, "content", first, "schema");
              }
            }
          }
          const key = `${where}\u0000${where === "header" ? name.toLowerCase() : name}`;
          const param: ParamModel = {
            name,
            in: where,
            required: where === "path" || p.value.required === true,
            pointer,
            at: p.loc,
            schema,
            schemaPointer,
          };
          const position = where === "path" ? positions.get(name) : undefined;
          if (position !== undefined) param.position = position;
          params.set(key, param);
        }
      };
      addParams(itemParams, appendPointer(itemPointer, "parameters"));
      addParams(view.child(op, "parameters"), appendPointer(opPointer, "parameters"));

      const opSecurity = view.child(op, "security");
      const security = opSecurity ?? rootSecurity;
      const securityPointer = opSecurity ? appendPointer(opPointer, "security") : "/security";

      let body: BodyModel | undefined;
      let responses: Map<string, ResponseModel>;
      if (swagger) {
        const consumesNode = view.child(op, "consumes") ?? rootConsumes;
        const consumes = {
          list:
            stringList(consumesNode) ??
            (hasFormData ? ["application/x-www-form-urlencoded"] : ["application/json"]),
          pointer: view.child(op, "consumes") ? appendPointer(opPointer, "consumes") : "/consumes",
          at: consumesNode?.loc ?? op.loc,
        };
        const bp = bodyParam as { node: Node; pointer: string } | undefined;
        if (bp) {
          body = {
            required: isObject(bp.node.value) && bp.node.value.required === true,
            pointer: bp.pointer,
            at: bp.node.loc,
            content: swaggerMediaMap(
              consumes,
              view.child(bp.node, "schema"),
              appendPointer(bp.pointer, "schema"),
            ),
            contentAt: consumes.at,
          };
        } else if (hasFormData) {
          body = {
            required: false,
            pointer: opPointer,
            at: op.loc,
            content: swaggerMediaMap(consumes, undefined, ""),
            contentAt: consumes.at,
          };
        }
        const producesNode = view.child(op, "produces") ?? rootProduces;
        const produces = {
          list: stringList(producesNode) ?? ["application/json"],
          pointer: view.child(op, "produces") ? appendPointer(opPointer, "produces") : "/produces",
          at: producesNode?.loc ?? op.loc,
        };
        responses = buildResponses(view, op, opPointer, (resp, respPointer) => {
          const schema = view.child(resp, "schema");
          return {
            content: schema
              ? swaggerMediaMap(produces, schema, appendPointer(respPointer, "schema"))
              : new Map<string, MediaModel>(),
            at: produces.at,
          };
        });
      } else {
        const rb = view.child(op, "requestBody");
        if (rb && isObject(rb.value)) {
          const pointer = appendPointer(opPointer, "requestBody");
          body = {
            required: rb.value.required === true,
            pointer,
            at: rb.loc,
            content: mediaMap(view, view.child(rb, "content"), appendPointer(pointer, "content")),
            contentAt: { file: rb.loc.file, pointer: appendPointer(rb.loc.pointer, "content") },
          };
        }
        responses = buildResponses(view, op, opPointer, (resp, respPointer) => ({
          content: mediaMap(view, view.child(resp, "content"), appendPointer(respPointer, "content")),
          at: { file: resp.loc.file, pointer: appendPointer(resp.loc.pointer, "content") },
        }));
      }

      const upper = method.toUpperCase();
      operations.push({
        method: upper,
        path,
        template,
        name: `${upper} ${path}`,
        pointer: opPointer,
        at: op.loc,
        deprecated: op.value.deprecated === true,
        sunset: op.value[options.sunsetField],
        security: securityOf(security),
        securityPointer,
        securityAt: security?.loc ?? op.loc,
        parameters: [...params.values()],
        body,
        responses,
      });
    }
  }
  return { version, operations };

  function buildResponses(
    v: SpecView,
    op: Node,
    opPointer: string,
    content: (resp: Node, respPointer: string) => { content: Map<string, MediaModel>; at: Loc },
  ): Map<string, ResponseModel> {
    const out = new Map<string, ResponseModel>();
    const responses = v.child(op, "responses");
    if (!responses || !isObject(responses.value)) return out;
    for (const status of Object.keys(responses.value)) {
      if (status.startsWith("x-")) continue;
      const resp = v.child(responses, status);
      if (!resp || !isObject(resp.value)) continue;
      const pointer = appendPointer(opPointer, "responses", status);
      const headers = new Map<string, HeaderModel>();
      const headersNode = v.child(resp, "headers");
      if (headersNode && isObject(headersNode.value)) {
        for (const name of Object.keys(headersNode.value)) {
          const h = v.child(headersNode, name);
          if (!h) continue;
          const hp = appendPointer(pointer, "headers", name);
          const swaggerHeader = version === "2.0";
          headers.set(name.toLowerCase(), {
            name,
            pointer: hp,
            at: h.loc,
            schema: swaggerHeader ? h : v.child(h, "schema"),
            schemaPointer: swaggerHeader ? hp : appendPointer(hp, "schema"),
          });
        }
      }
      const key = status.toLowerCase() === "default" ? "default" : status.toUpperCase();
      const media = content(resp, pointer);
      out.set(key, {
        status: key,
        pointer,
        at: resp.loc,
        content: media.content,
        contentAt: media.at,
        headers,
      });
    }
    return out;
  }
}
