/**
 * Finding environment-variable reads in JavaScript/TypeScript sources (`shipgate env audit`, step 1).
 *
 * A real AST walk over @babel/parser's output (no @babel/traverse): a small iterative visitor records
 * each node's parent, then recognises reads through `process.env`, `globalThis.process.env`,
 * `import.meta.env`, `Bun.env` and `Deno.env.get(...)`. Scope is not analysed: a local variable named
 * `process` is taken to be the global, and aliases (`const env = process.env; env.X`) are not followed.
 */

import {
  type AstNode,
  child,
  children,
  isIdentifier,
  isMember,
  isNode,
  literalString,
  memberKey,
  parseBest,
  SKIPPED_KEYS,
  TRANSPARENT_WRAPPERS,
  unwrap,
} from "../core/js-ast.js";

export type EnvReadVia =
  | "process.env"
  | "import.meta.env"
  | "Deno.env.get"
  | "Bun.env"
  // Python (python-reads.ts).
  | "os.getenv"
  | "os.environ"
  | "os.environ.get"
  | "pydantic";

export interface EnvRead {
  /** `undefined` when the key is dynamic (unknowable). */
  name: string | undefined;
  /** The file path, as given. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  via: EnvReadVia;
  /** The default written at the read site, as source text, when there is one: `process.env.X ?? "a"`, `|| "a"`, destructuring `{ X = "a" } = process.env`. */
  defaultText?: string;
  /** Set for `process.env[key]`, `Deno.env.get(name)`, `...rest` of a destructuring, ... */
  dynamic?: true;
  /** Set for `"X" in process.env`, `"X" in os.environ`: a test whether it is set, which handles its absence. */
  presenceCheck?: true;
}

/**
 * Whether the read needs the variable to be set: a literal name, no default at the read site, and not
 * a presence test (`"X" in process.env` is how code handles an unset variable, not a use of its value).
 */
export function requiresValue(read: EnvRead): read is EnvRead & { name: string } {
  return read.name !== undefined && read.defaultText === undefined && read.presenceCheck !== true;
}

export interface JsParseError {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

export interface JsEnvReadsResult {
  reads: EnvRead[];
  error?: JsParseError;
}

interface ParentLink {
  parent: AstNode;
  key: string;
}

function isMemberNamed(node: AstNode | undefined, name: string): node is AstNode {
  return isMember(node) && memberKey(node) === name;
}

/** Which environment object `node` is (`process.env`, `import.meta.env`, `Bun.env`), if any. */
function envObjectKind(node: AstNode | undefined): EnvReadVia | undefined {
  const target = unwrap(node);
  if (!isMemberNamed(target, "env")) return undefined;
  const owner = unwrap(child(target, "object"));
  if (!owner) return undefined;
  if (isIdentifier(owner, "process")) return "process.env";
  if (isMemberNamed(owner, "process") && isIdentifier(unwrap(child(owner, "object")), "globalThis")) {
    return "process.env";
  }
  if (owner.type === "MetaProperty" && isIdentifier(child(owner, "meta"), "import")) {
    return isIdentifier(child(owner, "property"), "meta") ? "import.meta.env" : undefined;
  }
  if (isIdentifier(owner, "Bun")) return "Bun.env";
  return undefined;
}

/** `Deno.env.get` (also through optional chaining). */
function isDenoEnvGet(callee: AstNode | undefined): boolean {
  const target = unwrap(callee);
  if (!isMemberNamed(target, "get")) return false;
  const env = unwrap(child(target, "object"));
  return isMemberNamed(env, "env") && isIdentifier(unwrap(child(env, "object")), "Deno");
}

/**
 * When babel cannot recover, parse ever shorter prefixes (cut at the start of the failing line) so the
 * reads above the error are still found. Bounded: a handful of attempts per file.
 */
function salvagePrefix(file: string, source: string, errorOffset: number): AstNode | undefined {
  let end = errorOffset;
  for (let attempt = 0; attempt < 8 && end > 0; attempt++) {
    const cut = source.lastIndexOf("\n", Math.min(end, source.length) - 1);
    if (cut <= 0) return undefined;
    const prefix = source.slice(0, cut + 1);
    const result = parseBest(file, prefix);
    if (result.ast) return result.ast;
    const pos = (result.thrown as { pos?: unknown }).pos;
    end = typeof pos === "number" && pos < cut ? pos : cut;
  }
  return undefined;
}

/** Babel appends " (line:column)" to its messages; the location is reported separately. */
function cleanMessage(message: string): string {
  return message.replace(/ \(\d+:\d+\)$/, "");
}

function errorFrom(value: unknown): JsParseError {
  const error = value as { message?: unknown; loc?: { line?: unknown; column?: unknown } };
  const line = typeof error.loc?.line === "number" ? error.loc.line : 1;
  const column = typeof error.loc?.column === "number" ? error.loc.column + 1 : 1;
  const message = typeof error.message === "string" ? cleanMessage(error.message) : String(value);
  return { line, column, message };
}

/**
 * Every environment-variable read in one JS/TS source file. Never throws on bad syntax: the first parse
 * error is returned in `error`, along with the reads babel's error recovery still found.
 */
export function findJsEnvReads(file: string, source: string): JsEnvReadsResult {
  let ast: AstNode | undefined;
  let error: JsParseError | undefined;
  const result = parseBest(file, source);
  if (result.ast) {
    ast = result.ast;
    if (result.firstError !== undefined) error = errorFrom(result.firstError);
  } else {
    error = errorFrom(result.thrown);
    // Only a located syntax error is worth salvaging (not, say, the parser running out of stack).
    const pos = (result.thrown as { pos?: unknown }).pos;
    ast = typeof pos === "number" ? salvagePrefix(file, source, pos) : undefined;
    if (!ast) return { reads: [], error };
  }

  const parents = new WeakMap<AstNode, ParentLink>();
  const reads: EnvRead[] = [];

  const textOf = (node: AstNode): string | undefined =>
    typeof node.start === "number" && typeof node.end === "number"
      ? source.slice(node.start, node.end)
      : undefined;

  const add = (
    node: AstNode,
    via: EnvReadVia,
    name: string | undefined,
    defaultNode?: AstNode | undefined,
    presenceCheck = false,
  ): void => {
    const start = node.loc?.start;
    const read: EnvRead = {
      name,
      file,
      line: start?.line ?? 1,
      column: (start?.column ?? 0) + 1,
      via,
    };
    const defaultText = defaultNode ? textOf(defaultNode) : undefined;
    if (defaultText !== undefined) read.defaultText = defaultText;
    if (name === undefined) read.dynamic = true;
    if (presenceCheck) read.presenceCheck = true;
    reads.push(read);
  };

  /** The node's context once TS wrappers around it are climbed out of. */
  const outerContext = (node: AstNode): { node: AstNode; link: ParentLink | undefined } => {
    let current = node;
    let link = parents.get(current);
    while (link && TRANSPARENT_WRAPPERS.has(link.parent.type) && link.key === "expression") {
      current = link.parent;
      link = parents.get(current);
    }
    return { node: current, link };
  };

  /** The right-hand side of `read ?? x`, `read || x`, `read ??= x`, `read ||= x`. */
  const defaultOf = (node: AstNode): AstNode | undefined => {
    const { link } = outerContext(node);
    if (link?.key !== "left") return undefined;
    const { parent } = link;
    const operator = parent.operator;
    if (parent.type === "LogicalExpression" && (operator === "??" || operator === "||")) {
      return child(parent, "right");
    }
    if (parent.type === "AssignmentExpression" && (operator === "??=" || operator === "||=")) {
      return child(parent, "right");
    }
    return undefined;
  };

  /** `env.X = v`, `delete env.X`, and `env.X` as a destructuring or for-in/of target are writes. */
  const isWrite = (node: AstNode): boolean => {
    let { node: current, link } = outerContext(node);
    while (link) {
      const { parent, key } = link;
      if (parent.type === "AssignmentExpression") return key === "left" && parent.operator === "=";
      if (parent.type === "UnaryExpression") return parent.operator === "delete";
      if (parent.type === "ForInStatement" || parent.type === "ForOfStatement") return key === "left";
      if (parent.type === "AssignmentPattern") {
        if (key !== "left") return false;
      } else if (parent.type === "ObjectProperty") {
        // Only a property *value* inside an ObjectPattern is a target.
        if (key !== "value" || parents.get(parent)?.parent.type !== "ObjectPattern") return false;
      } else if (
        parent.type !== "ArrayPattern" &&
        parent.type !== "ObjectPattern" &&
        parent.type !== "RestElement"
      ) {
        return false;
      }
      current = parent;
      link = parents.get(current);
    }
    return false;
  };

  const visitDestructuring = (pattern: AstNode, via: EnvReadVia): void => {
    for (const property of children(pattern, "properties")) {
      if (property.type === "RestElement") {
        add(property, via, undefined);
        continue;
      }
      if (property.type !== "ObjectProperty") continue;
      const key = child(property, "key");
      const name =
        property.computed === true
          ? literalString(key)
          : key?.type === "Identifier" && typeof key.name === "string"
            ? key.name
            : literalString(key);
      const value = child(property, "value");
      const defaultNode = value?.type === "AssignmentPattern" ? child(value, "right") : undefined;
      add(property, via, name, defaultNode);
    }
  };

  const visit = (node: AstNode): void => {
    switch (node.type) {
      case "MemberExpression":
      case "OptionalMemberExpression": {
        const via = envObjectKind(child(node, "object"));
        if (via && !isWrite(node)) add(node, via, memberKey(node), defaultOf(node));
        return;
      }
      case "CallExpression":
      case "OptionalCallExpression": {
        if (!isDenoEnvGet(child(node, "callee"))) return;
        const first = children(node, "arguments")[0];
        add(node, "Deno.env.get", literalString(first), defaultOf(node));
        return;
      }
      case "BinaryExpression": {
        if (node.operator !== "in") return;
        const via = envObjectKind(child(node, "right"));
        if (via) add(node, via, literalString(child(node, "left")), undefined, true);
        return;
      }
      case "VariableDeclarator":
      case "AssignmentExpression":
      case "AssignmentPattern": {
        if (node.type === "AssignmentExpression" && node.operator !== "=") return;
        const target = child(node, node.type === "VariableDeclarator" ? "id" : "left");
        const value = child(node, node.type === "VariableDeclarator" ? "init" : "right");
        const via = envObjectKind(value);
        if (via && target?.type === "ObjectPattern") visitDestructuring(target, via);
        return;
      }
      default:
        return;
    }
  };

  // Iterative pre-order walk: a node's parent link is recorded before the node is visited.
  const stack: AstNode[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop() as AstNode;
    visit(node);
    const keys = Object.keys(node);
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k] as string;
      if (SKIPPED_KEYS.has(key)) continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) {
          const item: unknown = value[i];
          if (isNode(item)) {
            parents.set(item, { parent: node, key });
            stack.push(item);
          }
        }
      } else if (isNode(value)) {
        parents.set(value, { parent: node, key });
        stack.push(value);
      }
    }
  }

  reads.sort((a, b) => a.line - b.line || a.column - b.column);
  return error ? { reads, error } : { reads };
}
