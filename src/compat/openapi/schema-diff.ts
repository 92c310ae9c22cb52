/**
 * Direction-aware comparison of two JSON Schemas (OpenAPI's dialects: 2.0, 3.0, 3.1).
 *
 * The direction decides what breaks. In a request the old schema describes what clients send, so a
 * change breaks when some value the old schema accepted is now rejected (narrowing). In a response the
 * old schema describes what clients read, so a change breaks when the new schema allows a value the
 * old one did not (widening), or drops something readers use.
 *
 * Each compared pair (base schema, head schema, direction) becomes one DiffNode, memoised by object
 * identity: a component used by a thousand operations is compared once, and a recursive schema meets
 * its own node again instead of recursing forever (the node graph may have cycles; `collect` walks it
 * with a visited set). Findings are laid out per operation afterwards, so a change inside a component
 * is reported at every operation that reaches it, at the shortest logical path.
 */
import type { Severity } from "../../core/finding.js";
import { escapeToken } from "../pointer.js";
import type { CompatRuleId } from "../rules.js";
import type { Loc } from "./load.js";
import { isObject, type Json, type Node, type SpecView } from "./view.js";

export type Direction = "request" | "response";

export interface SchemaChange {
  rule: CompatRuleId;
  /** JSON pointer from the compared schema to the changed keyword or property. */
  rel: string;
  /** How messages name the changed value from the compared schema (".note"; "" for a keyword). */
  subject: string;
  /** What changed, e.g. "type changed from number to integer". */
  what: string;
  /** Where the change is in the head spec (a removed thing: where it was, the nearest existing node counts). */
  at: Loc;
  /** Set when the severity differs from the rule's. */
  severity?: Severity;
}

export interface DiffNode {
  changes: SchemaChange[];
  /** Each edge: the pointer and the subject fragment from this schema to the child's. */
  children: { pointer: string; subject: string; node: DiffNode }[];
  /** Set by finish(): this node or one it reaches has a change. */
  nonEmpty: boolean;
  /** The last walk of collectChanges that visited this node. */
  mark: number;
}

interface Bound {
  value: number;
  exclusive: boolean;
}

/** A place relative to the compared schema: its JSON pointer and how messages name it. */
interface Rel {
  pointer: string;
  /** ".customer.addresses[]": property names and array items, "" for the schema itself. */
  subject: string;
}

const here: Rel = { pointer: "", subject: "" };

function propRel(rel: Rel, name: string): Rel {
  return { pointer: `${rel.pointer}/properties/${escapeToken(name)}`, subject: `${rel.subject}.${name}` };
}

function keywordRel(keyword: string): Rel {
  return { pointer: `/${keyword}`, subject: "" };
}

interface Prop {
  node: Node | undefined;
  rel: Rel;
  required: boolean;
  /** readOnly: only in responses; writeOnly: only in requests. */
  readOnly: boolean;
  writeOnly: boolean;
}

interface Variant {
  node: Node;
  rel: Rel;
  key: string;
}

/** A schema with its allOf members merged in: what the comparison reads. */
interface Flat {
  /** Non-null JSON types; undefined: any type. */
  types: Set<string> | undefined;
  nullable: boolean;
  format: string | undefined;
  /** Non-null enum values by their JSON text; undefined: no enum. */
  enumValues: Map<string, unknown> | undefined;
  props: Map<string, Prop>;
  /** false: additional properties forbidden; a Node: their schema; undefined: allowed. */
  additional: false | Node | undefined;
  items: { node: Node; rel: Rel } | undefined;
  variants: Variant[] | undefined;
  upper: Partial<Record<UpperKey, Bound>>;
  lower: Partial<Record<LowerKey, Bound>>;
  pattern: string | undefined;
  multipleOf: number | undefined;
  uniqueItems: boolean;
  readOnly: boolean;
  writeOnly: boolean;
}

const upperKeys = ["maxLength", "maxItems", "maxProperties", "maximum"] as const;
const lowerKeys = ["minLength", "minItems", "minProperties", "minimum"] as const;
type UpperKey = (typeof upperKeys)[number];
type LowerKey = (typeof lowerKeys)[number];

const jsonTypes = new Set(["string", "number", "integer", "boolean", "array", "object"]);

function valueType(v: unknown): string | undefined {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (Array.isArray(v)) return "array";
  if (isObject(v)) return "object";
  return undefined;
}

function numberOr(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Does a type set accept values of type t? (number accepts integers.) */
function accepts(types: ReadonlySet<string>, t: string): boolean {
  return types.has(t) || (t === "integer" && types.has("number"));
}

/** The types both sets accept ({number} and {integer}: {integer}). */
function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  return new Set([...[...a].filter((t) => accepts(b, t)), ...[...b].filter((t) => accepts(a, t))]);
}

function formatTypes(types: ReadonlySet<string> | undefined, nullable: boolean): string {
  if (types === undefined) return "any";
  const list = [...types];
  if (nullable) list.push("null");
  if (list.length === 0) return "none";
  return list.length === 1 ? (list[0] as string) : `[${list.join(", ")}]`;
}

function formatValues(values: Iterable<unknown>): string {
  const list = [...values].map((v) => JSON.stringify(v));
  return list.length > 6 ? `${list.slice(0, 6).join(", ")} and ${list.length - 6} more` : list.join(", ");
}

/** Is format `inner` included in format `outer`? (int32 values are int64 values.) */
function formatWithin(inner: string | undefined, outer: string | undefined): boolean {
  if (outer === undefined) return true;
  if (inner === outer) return true;
  return (inner === "int32" && outer === "int64") || (inner === "float" && outer === "double");
}

function tighterUpper(b: Bound | undefined, h: Bound | undefined): boolean {
  if (h === undefined) return false;
  if (b === undefined) return true;
  return h.value < b.value || (h.value === b.value && h.exclusive && !b.exclusive);
}

function tighterLower(b: Bound | undefined, h: Bound | undefined): boolean {
  if (h === undefined) return false;
  if (b === undefined) return true;
  return h.value > b.value || (h.value === b.value && h.exclusive && !b.exclusive);
}

function formatBound(b: Bound | undefined): string {
  if (b === undefined) return "none";
  return b.exclusive ? `${b.value} (exclusive)` : String(b.value);
}

function isMultiple(of: number, base: number): boolean {
  const q = of / base;
  return Math.abs(q - Math.round(q)) < 1e-9;
}

export interface SchemaDiffer {
  /** The node for a pair of schemas (either may be missing: nothing to compare). */
  compare(base: Node, head: Node, direction: Direction): DiffNode;
  /** Marks the nodes that have or reach a change; call once after every compare(). */
  finish(): void;
}

export const emptyNode: DiffNode = { changes: [], children: [], nonEmpty: false, mark: 0 };

/** Keys that never change what a schema accepts: an edit to them alone is not compared. */
const ignoredKeys = new Set(["description", "summary", "example", "examples", "externalDocs", "$comment"]);

export function createSchemaDiffer(baseView: SpecView, headView: SpecView): SchemaDiffer {
  const ids = new WeakMap<object, number>();
  let nextId = 1;
  const idOf = (v: unknown): number => {
    if (typeof v !== "object" || v === null) return v === true ? -1 : v === false ? -2 : -3;
    let id = ids.get(v);
    if (id === undefined) {
      id = nextId++;
      ids.set(v, id);
    }
    return id;
  };
  const memo = new Map<number, DiffNode>();
  const all: DiffNode[] = [];
  const flats = new WeakMap<object, Flat>();

  /** `seen`: the schemas being merged further up (allOf/oneOf cycles); absent at the top. */
  function flatten(view: SpecView, node: Node, seenAbove?: Set<unknown>): Flat {
    const raw = node.value;
    if (isObject(raw) && seenAbove === undefined) {
      const cached = flats.get(raw);
      if (cached) return cached;
    }
    const seen = seenAbove ?? new Set<unknown>();
    const flat: Flat = {
      types: undefined,
      nullable: false,
      format: undefined,
      enumValues: undefined,
      props: new Map(),
      additional: undefined,
      items: undefined,
      variants: undefined,
      upper: {},
      lower: {},
      pattern: undefined,
      multipleOf: undefined,
      uniqueItems: false,
      readOnly: false,
      writeOnly: false,
    };
    if (raw === false) {
      flat.types = new Set();
      return flat;
    }
    // Not an object (true: any value), or a schema that contains itself through allOf/oneOf: any.
    if (!isObject(raw) || seen.has(raw)) return flat;
    seen.add(raw);
    mergeInto(view, flat, node, here, seen);
    seen.delete(raw);
    if (seen.size === 0) flats.set(raw, flat);
    return flat;
  }

  /** Merges a schema (and, recursively, its allOf members) into `flat`; earlier definitions win. */
  function mergeInto(view: SpecView, flat: Flat, node: Node, rel: Rel, seen: Set<unknown>): void {
    const s = node.value as Json;
    // Types and nullability.
    let types: Set<string> | undefined;
    let nullable = s.nullable === true || s["x-nullable"] === true;
    const t = s.type;
    if (typeof t === "string" || Array.isArray(t)) {
      types = new Set();
      for (const x of Array.isArray(t) ? t : [t]) {
        if (x === "null") nullable = true;
        else if (typeof x === "string" && jsonTypes.has(x)) types.add(x);
      }
    }
    let enumList: unknown[] | undefined;
    if (Array.isArray(s.enum)) enumList = s.enum;
    else if (Object.hasOwn(s, "const")) enumList = [s.const];
    if (enumList) {
      const values = new Map<string, unknown>();
      for (const v of enumList) {
        if (v === null) nullable = true;
        else values.set(JSON.stringify(v), v);
      }
      flat.enumValues ??= values;
      if (types === undefined) {
        types = new Set([...values.values()].map(valueType).filter((x): x is string => x !== undefined));
      }
    }
    if (types === undefined) {
      if (isObject(s.properties) || s.additionalProperties !== undefined || Array.isArray(s.required)) {
        types = new Set(["object"]);
      } else if (s.items !== undefined) {
        types = new Set(["array"]);
      }
    }
    if (types !== undefined) flat.types = flat.types === undefined ? types : intersect(flat.types, types);
    if (rel === here) flat.nullable = nullable;
    if (typeof s.format === "string") flat.format ??= s.format;
    if (s.readOnly === true) flat.readOnly = true;
    if (s.writeOnly === true) flat.writeOnly = true;

    // Constraints: the strictest of the merged definitions.
    for (const key of upperKeys) {
      let bound: Bound | undefined;
      const v = numberOr(s[key]);
      if (v !== undefined) bound = { value: v, exclusive: key === "maximum" && s.exclusiveMaximum === true };
      if (key === "maximum" && numberOr(s.exclusiveMaximum) !== undefined) {
        const ex = { value: s.exclusiveMaximum as number, exclusive: true };
        if (tighterUpper(bound, ex)) bound = ex;
      }
      if (bound && tighterUpper(flat.upper[key], bound)) flat.upper[key] = bound;
    }
    for (const key of lowerKeys) {
      let bound: Bound | undefined;
      const v = numberOr(s[key]);
      if (v !== undefined && !(v === 0 && key !== "minimum")) {
        bound = { value: v, exclusive: key === "minimum" && s.exclusiveMinimum === true };
      }
      if (key === "minimum" && numberOr(s.exclusiveMinimum) !== undefined) {
        const ex = { value: s.exclusiveMinimum as number, exclusive: true };
        if (tighterLower(bound, ex)) bound = ex;
      }
      if (bound && tighterLower(flat.lower[key], bound)) flat.lower[key] = bound;
    }
    if (typeof s.pattern === "string") flat.pattern ??= s.pattern;
    const multipleOf = numberOr(s.multipleOf);
    if (multipleOf !== undefined && multipleOf > 0) flat.multipleOf ??= multipleOf;
    if (s.uniqueItems === true) flat.uniqueItems = true;

    // Object shape.
    const properties = view.child(node, "properties");
    if (properties && isObject(properties.value)) {
      for (const name of Object.keys(properties.value)) {
        if (flat.props.has(name)) continue;
        const node = view.child(properties, name);
        const raw = node?.value;
        let readOnly = false;
        let writeOnly = false;
        if (isObject(raw)) {
          // allOf/oneOf wrappers (allOf: [$ref], readOnly: true) need the merged view.
          const f = Array.isArray(raw.allOf) && node ? flatten(view, node) : undefined;
          readOnly = raw.readOnly === true || f?.readOnly === true;
          writeOnly = raw.writeOnly === true || f?.writeOnly === true;
        }
        flat.props.set(name, { node, rel: propRel(rel, name), required: false, readOnly, writeOnly });
      }
    }
    const required = Array.isArray(s.required) ? s.required.filter((r) => typeof r === "string") : [];
    if (s.additionalProperties === false) flat.additional = false;
    else if (flat.additional === undefined && isObject(s.additionalProperties)) {
      flat.additional = view.child(node, "additionalProperties");
    }
    if (flat.items === undefined && s.items !== undefined && !Array.isArray(s.items)) {
      const items = view.child(node, "items");
      if (items)
        flat.items = { node: items, rel: { pointer: `${rel.pointer}/items`, subject: `${rel.subject}[]` } };
    }

    // Composition: allOf members are merged; oneOf/anyOf become variants.
    if (Array.isArray(s.allOf)) {
      s.allOf.forEach((_, i) => {
        const member = view.child(view.child(node, "allOf") as Node, i);
        if (!member || !isObject(member.value) || seen.has(member.value)) return;
        seen.add(member.value);
        mergeInto(view, flat, member, { pointer: `${rel.pointer}/allOf/${i}`, subject: rel.subject }, seen);
        seen.delete(member.value);
      });
    }
    if (flat.variants === undefined) {
      for (const keyword of ["oneOf", "anyOf"] as const) {
        const list = view.child(node, keyword);
        if (!list || !Array.isArray(list.value)) continue;
        flat.variants ??= [];
        list.value.forEach((_, i) => {
          const member = view.child(list, i);
          const variantRel = {
            pointer: `${rel.pointer}/${keyword}/${i}`,
            subject: `${rel.subject}[${keyword} ${i}]`,
          };
          if (member) flat.variants?.push({ node: member, rel: variantRel, key: "" });
        });
      }
      if (flat.variants) {
        // A variant that is only null makes the union nullable; it is not a shape of its own.
        const shapes: Variant[] = [];
        for (const v of flat.variants) {
          const f = flatten(view, v.node, seen);
          if (f.types !== undefined && f.types.size === 0 && f.nullable) flat.nullable = true;
          else shapes.push(v);
        }
        flat.variants = keyVariants(view, shapes, seen);
      }
    }
    // `required` applies to properties from every member, so it is applied last.
    for (const name of required) {
      const prop = flat.props.get(name);
      if (prop) prop.required = true;
      else {
        flat.props.set(name, {
          node: undefined,
          rel: propRel(rel, name),
          required: true,
          readOnly: false,
          writeOnly: false,
        });
      }
    }
  }

  /** Names variants so that they can be matched across versions: by $ref, title, else shape. */
  function keyVariants(view: SpecView, variants: Variant[], seen: Set<unknown>): Variant[] {
    const counts = new Map<string, number>();
    return variants.map((v) => {
      let key: string;
      const title =
        isObject(v.node.value) && typeof v.node.value.title === "string" ? v.node.value.title : "";
      if (v.node.ref) key = `ref ${v.node.ref.replace(/^.*#/, "#")}`;
      else if (title) key = `title ${title}`;
      else key = `type ${formatTypes(flatten(view, v.node, seen).types, false)}`;
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      return { ...v, key: n === 0 ? key : `${key} #${n + 1}` };
    });
  }

  function describeVariant(v: Variant): string {
    if (v.key.startsWith("ref ")) return v.key.slice(4);
    if (v.key.startsWith("title ")) return `"${v.key.slice(6)}"`;
    return v.key.slice(5);
  }

  /** Proven results of sameSchema, by pair key (direction bit 0). */
  const same = new Map<number, boolean>();
  /** Pairs being compared by sameSchema, with their depth: assumed equal until shown otherwise. */
  const assumed = new Map<number, number>();

  const pairKey = (b: unknown, h: unknown): number => (idOf(b) + 4) * 2 ** 27 + (idOf(h) + 4) * 2;

  /**
   * Are two schemas the same, $ref targets included (by value, whatever the files)? Most of a spec
   * does not change between versions: an identical pair needs no comparison in either direction.
   * Cycles are assumed equal while being checked (a bisimulation); a result that leaned on such an
   * assumption further up is not remembered, unless it is a difference (always sound).
   */
  function sameSchema(base: Node, head: Node): boolean {
    return sameAt(base, head, 0).equal;
  }

  function sameAt(base: Node, head: Node, depth: number): { equal: boolean; low: number } {
    const key = pairKey(base.value, head.value);
    const known = same.get(key);
    if (known !== undefined) return { equal: known, low: Number.POSITIVE_INFINITY };
    const onStack = assumed.get(key);
    if (onStack !== undefined) return { equal: true, low: onStack };
    assumed.set(key, depth);
    let low = Number.POSITIVE_INFINITY;
    const visit = (b: unknown, h: unknown, bFile: string, hFile: string): boolean => {
      if (b === h) return true;
      if (typeof b !== "object" || typeof h !== "object" || b === null || h === null) return false;
      if (Array.isArray(b)) {
        if (!Array.isArray(h) || b.length !== h.length) return false;
        for (let i = 0; i < b.length; i++) if (!visit(b[i], h[i], bFile, hFile)) return false;
        return true;
      }
      if (Array.isArray(h)) return false;
      const bo = b as Json;
      const ho = h as Json;
      if (typeof bo.$ref === "string" || typeof ho.$ref === "string") {
        if (bo.$ref !== ho.$ref) return false;
        const bt = baseView.deref({ value: bo, loc: { file: bFile, pointer: "" } });
        const ht = headView.deref({ value: ho, loc: { file: hFile, pointer: "" } });
        const r = sameAt(bt, ht, depth + 1);
        if (r.low < low) low = r.low;
        return r.equal;
      }
      let count = 0;
      for (const k in bo) {
        if (ignoredKeys.has(k)) continue;
        count++;
        if (!(k in ho) || !visit(bo[k], ho[k], bFile, hFile)) return false;
      }
      for (const k in ho) if (!ignoredKeys.has(k)) count--;
      return count === 0;
    };
    const equal = visit(base.value, head.value, base.loc.file, head.loc.file);
    assumed.delete(key);
    if (!equal || low >= depth) same.set(key, equal);
    return { equal, low: low >= depth ? Number.POSITIVE_INFINITY : low };
  }

  function compare(base: Node, head: Node, direction: Direction): DiffNode {
    // One number per pair: ids stay far below 2^26, so the key is exact.
    const key =
      (idOf(base.value) + 4) * 2 ** 27 + (idOf(head.value) + 4) * 2 + (direction === "request" ? 0 : 1);
    const known = memo.get(key);
    if (known) return known;
    if (sameSchema(base, head)) return emptyNode;
    const node: DiffNode = { changes: [], children: [], nonEmpty: false, mark: 0 };
    memo.set(key, node);
    all.push(node);
    fill(node, base, head, direction);
    return node;
  }

  function fill(out: DiffNode, base: Node, head: Node, dir: Direction): void {
    const B = flatten(baseView, base);
    const H = flatten(headView, head);
    /** A change at `rel` (a keyword: keywordRel; a property: its rel, which names it in the message). */
    const change = (rule: CompatRuleId, rel: Rel, what: string, severity?: Severity): void => {
      const c: SchemaChange = {
        rule,
        rel: rel.pointer,
        subject: rel.subject,
        what,
        at: { file: head.loc.file, pointer: head.loc.pointer + rel.pointer },
      };
      if (severity) c.severity = severity;
      out.changes.push(c);
    };
    const child = (rel: Rel, b: Node, h: Node): void => {
      const node = compare(b, h, dir);
      if (node !== out && node !== emptyNode)
        out.children.push({ pointer: rel.pointer, subject: rel.subject, node });
    };

    const composed = B.variants !== undefined || H.variants !== undefined;
    const constrained = (f: Flat) => f.types !== undefined || f.variants !== undefined;

    // Nullability, judged by direction.
    if (dir === "request" && B.nullable && !H.nullable && constrained(H)) {
      change("request-nullable-removed", here, "no longer accepts null");
    }
    if (dir === "response" && H.nullable && !B.nullable && constrained(B)) {
      change("response-nullable-added", here, "may now be null");
    }

    if (composed) {
      compareVariants(B, H, base, head, dir, change, child);
      // A side without variants was compared as a single variant, its properties included.
      if (B.variants && H.variants) compareProperties(B, H, dir, change, child);
    } else {
      compareTypes(B, H, dir, change);
      compareEnums(B, H, dir, change);
      compareConstraints(B, H, dir, change);
      if (B.items && H.items) child(H.items.rel, B.items.node, H.items.node);
      compareProperties(B, H, dir, change, child);
    }
    if (B.additional && H.additional) {
      child({ pointer: "/additionalProperties", subject: ".*" }, B.additional, H.additional);
    }
  }

  type ChangeFn = (rule: CompatRuleId, rel: Rel, what: string, severity?: Severity) => void;
  type ChildFn = (rel: Rel, b: Node, h: Node) => void;

  function compareTypes(B: Flat, H: Flat, dir: Direction, change: ChangeFn): void {
    const what = () => `type changed from ${formatTypes(B.types, false)} to ${formatTypes(H.types, false)}`;
    if (dir === "request") {
      const lost =
        B.types === undefined
          ? H.types !== undefined
          : H.types !== undefined && [...B.types].some((t) => !accepts(H.types as Set<string>, t));
      if (lost) change("request-type-narrowed", keywordRel("type"), what());
    } else {
      const gained =
        H.types === undefined
          ? B.types !== undefined
          : B.types !== undefined && [...H.types].some((t) => !accepts(B.types as Set<string>, t));
      if (gained) change("response-type-widened", keywordRel("type"), what());
    }
    // Formats matter for strings and numbers that both versions share.
    if (B.format === H.format) return;
    const shared = [...(B.types ?? [])].some(
      (t) =>
        (t === "string" || t === "number" || t === "integer") && H.types !== undefined && accepts(H.types, t),
    );
    if (!shared) return;
    const format = `format changed from ${B.format ?? "none"} to ${H.format ?? "none"}`;
    if (dir === "request" && H.format !== undefined && !formatWithin(B.format, H.format)) {
      change("request-type-narrowed", keywordRel("format"), format);
    }
    if (
      dir === "response" &&
      B.format !== undefined &&
      !(H.format !== undefined && formatWithin(H.format, B.format))
    ) {
      change("response-type-widened", keywordRel("format"), format);
    }
  }

  function compareEnums(B: Flat, H: Flat, dir: Direction, change: ChangeFn): void {
    const b = B.enumValues;
    const h = H.enumValues;
    if (b === undefined && h === undefined) return;
    if (dir === "request") {
      if (h === undefined) return;
      if (b === undefined) {
        change("request-enum-narrowed", keywordRel("enum"), `is now limited to ${formatValues(h.values())}`);
        return;
      }
      const lost = [...b].filter(([k]) => !h.has(k)).map(([, v]) => v);
      if (lost.length > 0)
        change("request-enum-narrowed", keywordRel("enum"), `no longer accepts ${formatValues(lost)}`);
      return;
    }
    if (b === undefined) return;
    if (h === undefined) {
      change("response-enum-widened", keywordRel("enum"), "is no longer limited to an enum");
      return;
    }
    const lost = [...b].filter(([k]) => !h.has(k)).map(([, v]) => v);
    const gained = [...h].filter(([k]) => !b.has(k)).map(([, v]) => v);
    if (lost.length > 0)
      change("response-enum-value-removed", keywordRel("enum"), `no longer returns ${formatValues(lost)}`);
    if (gained.length > 0)
      change("response-enum-widened", keywordRel("enum"), `may now return ${formatValues(gained)}`);
  }

  function compareConstraints(B: Flat, H: Flat, dir: Direction, change: ChangeFn): void {
    // In a request a tighter constraint rejects old values; in a response a looser one returns new ones.
    const [older, newer] = dir === "request" ? [B, H] : [H, B];
    const rule: CompatRuleId =
      dir === "request" ? "request-constraint-tightened" : "response-constraint-loosened";
    const say = (key: string, from: string, to: string) => `${key} changed from ${from} to ${to}`;
    for (const key of upperKeys) {
      if (tighterUpper(older.upper[key], newer.upper[key])) {
        change(rule, keywordRel(key), say(key, formatBound(B.upper[key]), formatBound(H.upper[key])));
      }
    }
    for (const key of lowerKeys) {
      if (tighterLower(older.lower[key], newer.lower[key])) {
        change(rule, keywordRel(key), say(key, formatBound(B.lower[key]), formatBound(H.lower[key])));
      }
    }
    if (newer.pattern !== undefined && newer.pattern !== older.pattern) {
      change(rule, keywordRel("pattern"), say("pattern", B.pattern ?? "none", H.pattern ?? "none"));
    }
    if (
      newer.multipleOf !== undefined &&
      !(older.multipleOf !== undefined && isMultiple(older.multipleOf, newer.multipleOf))
    ) {
      change(
        rule,
        keywordRel("multipleOf"),
        say("multipleOf", String(B.multipleOf ?? "none"), String(H.multipleOf ?? "none")),
      );
    }
    if (newer.uniqueItems && !older.uniqueItems) {
      change(
        rule,
        keywordRel("uniqueItems"),
        say("uniqueItems", String(B.uniqueItems), String(H.uniqueItems)),
      );
    }
    if (dir === "request" && H.additional === false && B.additional !== false && H.types?.has("object")) {
      change(
        rule,
        keywordRel("additionalProperties"),
        "additionalProperties changed to false: unknown properties are rejected",
      );
    }
  }

  function visible(prop: Prop | undefined, dir: Direction): boolean {
    if (!prop) return false;
    return dir === "request" ? !prop.readOnly : !prop.writeOnly;
  }

  function compareProperties(B: Flat, H: Flat, dir: Direction, change: ChangeFn, child: ChildFn): void {
    if (B.props.size === 0 && H.props.size === 0) return;
    for (const [name, bp] of B.props) {
      if (!visible(bp, dir)) continue;
      const hp = H.props.get(name);
      const rel = bp.rel;
      if (!visible(hp, dir)) {
        const hidden = hp !== undefined;
        if (dir === "request") {
          if (!bp.node && !hp) continue;
          const strict = H.additional === false;
          change(
            "request-property-removed",
            rel,
            hidden
              ? "became readOnly: no longer accepted in requests"
              : strict
                ? "was removed, and additional properties are rejected: requests that send it fail"
                : "was removed: clients still send it",
            strict || hidden ? "error" : undefined,
          );
        } else {
          change(
            "response-property-removed",
            rel,
            hidden ? "became writeOnly: no longer returned" : "was removed",
          );
        }
        continue;
      }
      const h = hp as Prop;
      if (dir === "request" && !bp.required && h.required) {
        change("request-property-became-required", h.rel, "became required");
      }
      if (dir === "response" && bp.required && !h.required) {
        change("response-property-became-optional", h.rel, "is no longer required");
      }
      if (bp.node && h.node) child(h.rel, bp.node, h.node);
    }
    if (dir === "request") {
      for (const [name, hp] of H.props) {
        if (!hp.required || !visible(hp, dir)) continue;
        const bp = B.props.get(name);
        if (bp && visible(bp, dir)) continue;
        change("request-property-added-required", hp.rel, "is a new required property");
      }
    }
  }

  function compareVariants(
    B: Flat,
    H: Flat,
    base: Node,
    head: Node,
    dir: Direction,
    change: ChangeFn,
    child: ChildFn,
  ): void {
    const self = (view: SpecView, node: Node): Variant[] =>
      keyVariants(view, [{ node, rel: here, key: "" }], new Set());
    const bv = B.variants ?? self(baseView, base);
    const hv = H.variants ?? self(headView, head);
    const headByKey = new Map(hv.map((v) => [v.key, v]));
    const matched = new Set<string>();
    for (const b of bv) {
      const h = headByKey.get(b.key);
      if (h) {
        matched.add(b.key);
        if (h.node.value !== head.value || b.node.value !== base.value) child(h.rel, b.node, h.node);
        continue;
      }
      if (dir === "request") {
        change(
          "request-variant-removed",
          { pointer: b.rel.pointer, subject: "" },
          `variant ${describeVariant(b)} is no longer accepted`,
        );
      }
    }
    if (dir === "response") {
      for (const h of hv) {
        if (!matched.has(h.key)) {
          change(
            "response-variant-added",
            { pointer: h.rel.pointer, subject: "" },
            `may now be variant ${describeVariant(h)}`,
          );
        }
      }
    }
  }

  function finish(): void {
    const parents = new Map<DiffNode, DiffNode[]>();
    for (const node of all) {
      for (const c of node.children) {
        const list = parents.get(c.node);
        if (list) list.push(node);
        else parents.set(c.node, [node]);
      }
    }
    const queue = all.filter((n) => n.changes.length > 0);
    for (const n of queue) n.nonEmpty = true;
    while (queue.length > 0) {
      const n = queue.pop() as DiffNode;
      for (const p of parents.get(n) ?? []) {
        if (!p.nonEmpty) {
          p.nonEmpty = true;
          queue.push(p);
        }
      }
    }
  }

  return { compare, finish };
}

export interface CollectedChange {
  change: SchemaChange;
  /** JSON pointer from the root schema to the change. */
  pointer: string;
  /** The changed value's path for messages ("customer.addresses[].city"; "" for the root). */
  subject: string;
}

const collected = new WeakMap<DiffNode, CollectedChange[]>();
let walk = 0;

/**
 * Every change a root node reaches, each once, at its shortest path (breadth first). Call after
 * finish(); subtrees without changes are skipped. Cached per node: operations sharing a schema share
 * the walk. A visit costs a mark and two numbers; paths are built only for nodes with changes.
 */
export function collectChanges(root: DiffNode): CollectedChange[] {
  const cached = collected.get(root);
  if (cached) return cached;
  const out: CollectedChange[] = [];
  collected.set(root, out);
  if (!root.nonEmpty) return out;
  const id = ++walk;
  const nodes: DiffNode[] = [root];
  const parents: number[] = [-1];
  const edges: number[] = [-1];
  root.mark = id;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as DiffNode;
    if (node.changes.length > 0) {
      let pointer = "";
      let subject = "";
      for (let j = i; j > 0; j = parents[j] as number) {
        const edge = (nodes[parents[j] as number] as DiffNode).children[edges[j] as number];
        if (edge) {
          pointer = edge.pointer + pointer;
          subject = edge.subject + subject;
        }
      }
      for (const change of node.changes) {
        const s = subject + change.subject;
        out.push({ change, pointer: pointer + change.rel, subject: s.startsWith(".") ? s.slice(1) : s });
      }
    }
    const children = node.children;
    for (let k = 0; k < children.length; k++) {
      const c = (children[k] as DiffNode["children"][number]).node;
      if (!c.nonEmpty || c.mark === id) continue;
      c.mark = id;
      nodes.push(c);
      parents.push(i);
      edges.push(k);
    }
  }
  return out;
}
