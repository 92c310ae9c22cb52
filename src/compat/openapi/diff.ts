/**
 * The OpenAPI compatibility diff: matches operations across two versions of a spec (by method and
 * path template, so renaming a path parameter is not a removal), applies the operation-level rules
 * (removal and the sunset policy, parameters, bodies, statuses, media types, headers, security), and
 * compares every schema pair with the direction-aware schema differ. Returns findings without file
 * positions; `at` says where each one is in the head spec, for the caller to turn into a line.
 */
import type { Finding, Severity } from "../../core/finding.js";
import { appendPointer, fromPointer, toPointer } from "../pointer.js";
import { type CompatRuleId, compatRuleDocsUrl, compatRules } from "../rules.js";
import type { LoadedSpec, Loc } from "./load.js";
import {
  buildSpecModel,
  type MediaModel,
  type OperationModel,
  type ParamModel,
  type ResponseModel,
  type SecurityAlternative,
  type SpecModel,
} from "./model.js";
import {
  collectChanges,
  createSchemaDiffer,
  type DiffNode,
  type Direction,
  type SchemaChange,
} from "./schema-diff.js";
import { createSpecView, type Node, type SpecView } from "./view.js";

export interface OpenApiDiffOptions {
  /** Today, for the sunset policy. */
  now: Date;
  /** The extension holding an operation's sunset date. Default x-sunset. */
  sunsetField?: string;
}

/** A finding before it is placed in a file: `at` is where it is in the head spec. */
export interface LocatedFinding {
  finding: Finding;
  at: Loc | undefined;
}

interface SchemaRoot {
  node: DiffNode;
  /** "response 200 (application/json)" */
  context: string;
  /** Logical pointer of the compared schema. */
  pointer: string;
  operation: string;
}

type Pending = { kind: "finding"; value: LocatedFinding } | { kind: "schema"; value: SchemaRoot };

export function makeFinding(
  ruleId: CompatRuleId,
  message: string,
  operation: string | undefined,
  pointer: string | undefined,
  severity?: Severity,
): Finding {
  const meta = compatRules[ruleId];
  const f: Finding = {
    ruleId,
    severity: severity ?? meta.severity,
    message,
    help: meta.help,
    docsUrl: compatRuleDocsUrl(ruleId),
  };
  if (operation !== undefined) f.operation = operation;
  if (pointer !== undefined) f.pointer = pointer;
  return f;
}

/** A sunset date: YYYY-MM-DD (from the start of that day, UTC), an ISO date-time or an HTTP date. */
export function parseSunset(value: unknown): Date | "invalid" | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "invalid" : value;
  if (typeof value !== "string") return "invalid";
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (day) {
    const d = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
    return Number.isNaN(d.getTime()) ? "invalid" : d;
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? "invalid" : new Date(t);
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function isSuccessStatus(status: string): boolean {
  return /^[123]/.test(status);
}

/** "200" is covered by "2XX". */
function coveringRange(
  status: string,
  responses: ReadonlyMap<string, ResponseModel>,
): ResponseModel | undefined {
  if (!/^\d{3}$/.test(status)) return undefined;
  return responses.get(`${status[0]}XX`);
}

/** The head media type that serves a base one: the same, or a wildcard covering it. */
function servingMedia(mediaType: string, content: ReadonlyMap<string, MediaModel>): MediaModel | undefined {
  const exact = content.get(mediaType);
  if (exact) return exact;
  const [type] = mediaType.split("/");
  return content.get(`${type}/*`) ?? content.get("*/*");
}

function describeSecurity(alts: readonly SecurityAlternative[]): string {
  if (alts.length === 0) return "no authentication";
  return alts
    .map((alt) =>
      alt.size === 0
        ? "no authentication"
        : [...alt]
            .map(([scheme, scopes]) => (scopes.length > 0 ? `${scheme} [${scopes.join(", ")}]` : scheme))
            .join(" + "),
    )
    .join(" or ");
}

/** Old requirements, each of which some new alternative must accept. */
function unsatisfied(
  base: readonly SecurityAlternative[],
  head: readonly SecurityAlternative[],
): SecurityAlternative[] {
  const anonymous: SecurityAlternative[] = [new Map()];
  const olds = base.length === 0 ? anonymous : base;
  const news = head.length === 0 ? anonymous : head;
  return olds.filter(
    (old) =>
      !news.some((alt) =>
        [...alt].every(([scheme, scopes]) => {
          const had = old.get(scheme);
          return had !== undefined && scopes.every((s) => had.includes(s));
        }),
      ),
  );
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}/]*)\}/g)].map((m) => m[1] as string);
}

function paramKey(p: ParamModel): string {
  if (p.in === "path" && p.position !== undefined) return `path#${p.position}`;
  return `${p.in}\u0000${p.in === "header" ? p.name.toLowerCase() : p.name}`;
}

function paramLabel(p: ParamModel): string {
  return `${p.in} parameter \`${p.name}\``;
}

/** Where a definition lives, when it is not written inline in the operation. */
function definedIn(view: SpecView, at: Loc): string {
  const tokens = fromPointer(at.pointer);
  if (at.file === view.spec.root) {
    if (tokens[0] === "components" && tokens.length >= 3) {
      return ` (defined in ${view.describe({ file: at.file, pointer: toPointer(tokens.slice(0, 3)) })})`;
    }
    if (
      (tokens[0] === "definitions" || tokens[0] === "parameters" || tokens[0] === "responses") &&
      tokens.length >= 2
    ) {
      return ` (defined in ${view.describe({ file: at.file, pointer: toPointer(tokens.slice(0, 2)) })})`;
    }
    return "";
  }
  const d = view.describe({ file: at.file, pointer: toPointer(tokens.slice(0, 1)) });
  return ` (defined in ${d.endsWith("#") ? d.slice(0, -1) : d})`;
}

/** Pairs operations by method and path template; a template two paths share falls back to the exact path. */
function matchOperations(
  base: readonly OperationModel[],
  head: readonly OperationModel[],
): { pairs: Map<OperationModel, OperationModel>; added: OperationModel[] } {
  const key = (o: OperationModel) => `${o.method} ${o.template}`;
  const group = (ops: readonly OperationModel[]) => {
    const m = new Map<string, OperationModel[]>();
    for (const o of ops) {
      const list = m.get(key(o));
      if (list) list.push(o);
      else m.set(key(o), [o]);
    }
    return m;
  };
  const headGroups = group(head);
  const baseGroups = group(base);
  const pairs = new Map<OperationModel, OperationModel>();
  const used = new Set<OperationModel>();
  for (const b of base) {
    const candidates = headGroups.get(key(b)) ?? [];
    const unique = candidates.length === 1 && (baseGroups.get(key(b))?.length ?? 0) === 1;
    const h = unique ? candidates[0] : candidates.find((c) => c.path === b.path);
    if (h && !used.has(h)) {
      pairs.set(b, h);
      used.add(h);
    }
  }
  return { pairs, added: head.filter((h) => !used.has(h)) };
}

export function diffOpenApi(
  base: LoadedSpec | undefined,
  head: LoadedSpec,
  options: OpenApiDiffOptions,
): LocatedFinding[] {
  const sunsetField = options.sunsetField ?? "x-sunset";
  const headView = createSpecView(head);
  const baseView = base ? createSpecView(base) : headView;
  const baseModel: SpecModel = base
    ? buildSpecModel(baseView, { sunsetField })
    : { version: head.version, operations: [] };
  const headModel = buildSpecModel(headView, { sunsetField });
  const differ = createSchemaDiffer(baseView, headView);
  const pending: Pending[] = [];
  const push = (
    ruleId: CompatRuleId,
    message: string,
    operation: string,
    pointer: string,
    at: Loc,
    severity?: Severity,
  ) =>
    pending.push({
      kind: "finding",
      value: { finding: makeFinding(ruleId, message, operation, pointer, severity), at },
    });
  const pathsAt = (path: string): Loc => ({ file: head.root, pointer: appendPointer("/paths", path) });

  const { pairs, added } = matchOperations(baseModel.operations, headModel.operations);
  for (const b of baseModel.operations) {
    const h = pairs.get(b);
    if (h) compareOperation(b, h);
    else removed(b);
  }
  for (const h of added) {
    push("operation-added", `${h.name} was added`, h.name, h.pointer, h.at);
  }

  differ.finish();
  const definitions = new Map<SchemaChange, string>();
  const out: LocatedFinding[] = [];
  const seen = new Set<string>();
  for (const p of pending) {
    const items: LocatedFinding[] = p.kind === "finding" ? [p.value] : schemaFindings(p.value);
    for (const item of items) {
      const f = item.finding;
      // Swagger 2.0 shares one schema between media types: the same change at the same pointer once.
      const k = `${f.ruleId}\u0000${f.operation}\u0000${f.pointer}${f.ruleId === "path-parameter-renamed" ? f.message : ""}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(item);
    }
  }
  return out;

  function schemaFindings(root: SchemaRoot): LocatedFinding[] {
    // A change in a shared definition is reported at many operations: describe its place once.
    return collectChanges(root.node).map(({ change, pointer, subject }) => {
      let where = definitions.get(change);
      if (where === undefined) {
        where = definedIn(headView, change.at);
        definitions.set(change, where);
      }
      const message = `${root.context}: ${subject ? `\`${subject}\` ` : ""}${change.what}${where}`;
      return {
        finding: makeFinding(change.rule, message, root.operation, root.pointer + pointer, change.severity),
        at: change.at,
      };
    });
  }

  function schema(
    b: Node | undefined,
    h: Node | undefined,
    dir: Direction,
    context: string,
    pointer: string,
    operation: string,
  ) {
    if (!b || !h) return;
    pending.push({ kind: "schema", value: { node: differ.compare(b, h, dir), context, pointer, operation } });
  }

  function removed(b: OperationModel): void {
    const at = pathsAt(b.path);
    const sunset = parseSunset(b.sunset);
    if (b.deprecated && sunset instanceof Date && sunset.getTime() <= options.now.getTime()) {
      push(
        "operation-removed-after-sunset",
        `deprecated ${b.name} was removed after its ${sunsetField} date ${isoDay(sunset)}`,
        b.name,
        b.pointer,
        at,
      );
      return;
    }
    let why: string;
    if (!b.deprecated) why = "without being deprecated first";
    else if (sunset === undefined) why = `while deprecated but with no ${sunsetField} date`;
    else if (sunset === "invalid")
      why = `while deprecated, but its ${sunsetField} ${JSON.stringify(b.sunset)} is not a date`;
    else why = `before its ${sunsetField} date ${isoDay(sunset)}`;
    push("operation-removed", `${b.name} was removed ${why}`, b.name, b.pointer, at);
  }

  function compareOperation(b: OperationModel, h: OperationModel): void {
    const op = h.name;
    if (!b.deprecated && h.deprecated) {
      const sunset = parseSunset(h.sunset);
      const when =
        sunset instanceof Date
          ? ` (${sunsetField} ${isoDay(sunset)})`
          : `; add an ${sunsetField} date to allow its removal`;
      push(
        "operation-deprecated",
        `${op} is now deprecated${when}`,
        op,
        appendPointer(h.pointer, "deprecated"),
        {
          file: h.at.file,
          pointer: appendPointer(h.at.pointer, "deprecated"),
        },
      );
    }

    // Path parameters are matched by position: a new name for the same segment is not a break.
    const bNames = pathParamNames(b.path);
    const hNames = pathParamNames(h.path);
    bNames.forEach((name, i) => {
      const to = hNames[i];
      if (to === undefined || to === name) return;
      const param = h.parameters.find((p) => p.in === "path" && p.position === i);
      push(
        "path-parameter-renamed",
        `path parameter {${name}} was renamed to {${to}} (${b.path} → ${h.path}): the URLs are the same, not a break`,
        op,
        param ? param.pointer : h.pointer,
        param ? param.at : h.at,
      );
    });

    // Security: every old way to call the operation must still be accepted.
    const lost = unsatisfied(b.security, h.security);
    if (lost.length > 0) {
      push(
        "security-requirement-added",
        `${op} now requires ${describeSecurity(h.security)}; clients using ${describeSecurity(lost)} are rejected`,
        op,
        h.securityPointer,
        h.securityAt,
      );
    }

    compareParameters(b, h);
    compareBody(b, h);
    compareResponses(b, h);
  }

  function compareParameters(b: OperationModel, h: OperationModel): void {
    const op = h.name;
    const headByKey = new Map(h.parameters.map((p) => [paramKey(p), p]));
    const matched = new Set<ParamModel>();
    for (const bp of b.parameters) {
      const hp = headByKey.get(paramKey(bp));
      if (hp) {
        matched.add(hp);
        if (!bp.required && hp.required) {
          push("request-parameter-became-required", `${paramLabel(hp)} became required`, op, hp.pointer, {
            file: hp.at.file,
            pointer: appendPointer(hp.at.pointer, "required"),
          });
        }
        schema(bp.schema, hp.schema, "request", paramLabel(hp), hp.schemaPointer, op);
        continue;
      }
      const same = (p: ParamModel) =>
        p.in === "header" || bp.in === "header"
          ? p.name.toLowerCase() === bp.name.toLowerCase()
          : p.name === bp.name;
      const moved = h.parameters.find(
        (p) => p.in !== bp.in && same(p) && !b.parameters.some((x) => paramKey(x) === paramKey(p)),
      );
      if (moved) {
        matched.add(moved);
        push(
          "request-parameter-moved",
          `parameter \`${bp.name}\` moved from ${bp.in} to ${moved.in}: clients still send it in the ${bp.in}`,
          op,
          moved.pointer,
          moved.at,
        );
        schema(bp.schema, moved.schema, "request", paramLabel(moved), moved.schemaPointer, op);
        continue;
      }
      push(
        "request-parameter-removed",
        `${paramLabel(bp)} was removed: clients still send it`,
        op,
        bp.pointer,
        {
          file: h.at.file,
          pointer: appendPointer(h.at.pointer, "parameters"),
        },
      );
    }
    for (const hp of h.parameters) {
      if (matched.has(hp) || !hp.required) continue;
      push(
        "request-parameter-added-required",
        `${paramLabel(hp)} is new and required`,
        op,
        hp.pointer,
        hp.at,
      );
    }
  }

  function compareBody(b: OperationModel, h: OperationModel): void {
    const op = h.name;
    const hb = h.body;
    const bb = b.body;
    if (hb?.required && !bb?.required) {
      push(
        "request-body-became-required",
        bb ? "the request body became required" : "a required request body was added",
        op,
        hb.pointer,
        hb.at,
      );
    }
    if (!bb || !hb) return;
    for (const [mediaType, bm] of bb.content) {
      const hm = servingMedia(mediaType, hb.content);
      if (!hm) {
        push(
          "request-media-type-removed",
          `request body media type ${mediaType} is no longer accepted (accepted: ${[...hb.content.keys()].join(", ") || "none"})`,
          op,
          bm.pointer,
          hb.contentAt,
        );
        continue;
      }
      schema(
        bm.schema,
        hm.schema,
        "request",
        hm.shared ? "request body" : `request body (${mediaType})`,
        hm.schemaPointer,
        op,
      );
    }
  }

  function compareResponses(b: OperationModel, h: OperationModel): void {
    const op = h.name;
    for (const [status, br] of b.responses) {
      const hr = h.responses.get(status) ?? coveringRange(status, h.responses);
      if (!hr) {
        const success = isSuccessStatus(status);
        push(
          success ? "response-status-removed" : "response-error-status-removed",
          `response ${status} was removed${success ? ": clients expecting it get another status" : ""}`,
          op,
          br.pointer,
          { file: h.at.file, pointer: appendPointer(h.at.pointer, "responses") },
        );
        continue;
      }
      compareResponse(op, status, br, hr);
    }
    for (const [status, hr] of h.responses) {
      if (b.responses.has(status) || !isSuccessStatus(status)) continue;
      // Covered before: 201 by a documented 2XX; a new 2XX by the 2xx codes it replaces.
      if (/^\d{3}$/.test(status) && b.responses.has(`${status[0]}XX`)) continue;
      if (/^\dXX$/.test(status) && [...b.responses.keys()].some((s) => s[0] === status[0])) continue;
      push(
        "response-success-status-added",
        `response ${status} was added: clients may not treat it as success`,
        op,
        hr.pointer,
        hr.at,
      );
    }
  }

  function compareResponse(op: string, status: string, br: ResponseModel, hr: ResponseModel): void {
    for (const [mediaType, bm] of br.content) {
      const hm = servingMedia(mediaType, hr.content);
      if (!hm) {
        push(
          "response-media-type-removed",
          `response ${status} media type ${mediaType} was removed (now: ${[...hr.content.keys()].join(", ") || "no body"})`,
          op,
          bm.pointer,
          hr.contentAt,
        );
        continue;
      }
      const context = hm.shared ? `response ${status}` : `response ${status} (${mediaType})`;
      schema(bm.schema, hm.schema, "response", context, hm.schemaPointer, op);
    }
    for (const [name, bh] of br.headers) {
      const hh = hr.headers.get(name);
      if (!hh) {
        push(
          "response-header-removed",
          `response ${status} header \`${bh.name}\` was removed`,
          op,
          bh.pointer,
          {
            file: hr.at.file,
            pointer: appendPointer(hr.at.pointer, "headers"),
          },
        );
        continue;
      }
      schema(
        bh.schema,
        hh.schema,
        "response",
        `response ${status} header \`${hh.name}\``,
        hh.schemaPointer,
        op,
      );
    }
  }
}
