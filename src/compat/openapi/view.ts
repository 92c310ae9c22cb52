/**
 * A view of a loaded spec in which every value knows where it is: `deref` follows `$ref`s (chains
 * included) and remembers the name of the reference, `child` steps into a key. Results are cached,
 * so a component used by a thousand operations is resolved once.
 */
import path from "node:path";
import { ShipgateError } from "../../core/errors.js";
import { appendPointer } from "../pointer.js";
import { evaluatePointer, type LoadedSpec, type Loc, splitRef } from "./load.js";

export type Json = Record<string, unknown>;

/** A value of the spec and where it is. */
export interface Node {
  value: unknown;
  loc: Loc;
  /** Set when the value was reached through a $ref: its target, e.g. "#/components/schemas/Order". */
  ref?: string;
}

export interface SpecView {
  spec: LoadedSpec;
  /** Follows $refs until a value that is not one. */
  deref(node: Node): Node;
  /** The value under `key` (dereferenced), or undefined when absent. */
  child(node: Node, key: string | number): Node | undefined;
  /** "#/components/schemas/Order" or "common.yaml#/Order": how messages name a definition. */
  describe(loc: Loc): string;
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function createSpecView(spec: LoadedSpec): SpecView {
  const cache = new Map<string, Map<string, Node>>();
  const rootDir = path.dirname(spec.root);

  function resolveOnce(file: string, ref: string): Node {
    let byRef = cache.get(file);
    if (!byRef) {
      byRef = new Map();
      cache.set(file, byRef);
    }
    const cached = byRef.get(ref);
    if (cached) return cached;
    const target = splitRef(file, ref);
    const found = target ? evaluatePointer(spec, target) : undefined;
    if (!found) {
      // load.ts checked every $ref; this is a reference built from a chain that checkRefs cannot see.
      throw new ShipgateError("USAGE", `${spec.label}: $ref "${ref}" cannot be resolved`, {
        hint: "Fix the $ref, or add what it points to.",
      });
    }
    const node: Node = { value: found.value, loc: found.loc, ref: describe(found.loc) };
    byRef.set(ref, node);
    return node;
  }

  function deref(node: Node): Node {
    let current = node;
    for (let hops = 0; isObject(current.value) && typeof current.value.$ref === "string"; hops++) {
      if (hops > 50) {
        throw new ShipgateError("USAGE", `${spec.label}: $ref chain at ${current.loc.pointer} never ends`, {
          hint: "A $ref points (through other $refs) back to itself; point it at a definition.",
        });
      }
      current = resolveOnce(current.loc.file, current.value.$ref);
    }
    return current;
  }

  function child(node: Node, key: string | number): Node | undefined {
    const v = node.value;
    let value: unknown;
    if (Array.isArray(v) && typeof key === "number") value = v[key];
    else if (isObject(v) && Object.hasOwn(v, String(key))) value = v[String(key)];
    if (value === undefined) return undefined;
    return deref({
      value,
      loc: { file: node.loc.file, pointer: appendPointer(node.loc.pointer, String(key)) },
    });
  }

  function describe(loc: Loc): string {
    if (loc.file === spec.root) return `#${loc.pointer}`;
    const rel = path.relative(rootDir, loc.file).split(path.sep).join("/");
    return `${rel}#${loc.pointer}`;
  }

  return { spec, deref, child, describe };
}
