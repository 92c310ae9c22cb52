/**
 * Finding environment-variable reads in Python sources (`shipgate env audit`, step 1, Python side).
 *
 * A real syntax-tree walk over @lezer/python's error-tolerant parse (never a regex scan). Recognised:
 * - `os.getenv(k[, d])`, `os.environ[k]`, `os.environ.get(k[, d])`, `k in os.environ` / `k not in os.environ`,
 *   through `import os [as o]`, `import os.path`, `from os import getenv, environ [as e]` and `from os import *`;
 *   `default=` keywords count like the positional default, and `os.getenv(k) or d` / `os.environ.get(k) or d`
 *   give `d` as the default when the call has none (a subscript raises on a missing key, so `or` is not one there);
 * - `os.environ.setdefault(k, d)`: reported as a read of `k` with default `d` (via `"os.environ"`): it returns
 *   the current value and falls back to `d` only when `k` is unset, which is exactly a read with a default;
 * - writes are not reads: `os.environ[k] = v` (also inside tuple/list targets and chained assignments),
 *   `del os.environ[k]`, `for os.environ[k] in ...`. An augmented `os.environ[k] += v` reads first, so it is a read;
 * - pydantic settings: every annotated field of a class deriving from `BaseSettings` (from `pydantic_settings` or
 *   `pydantic`, also through a settings class defined earlier in the same file) — see `settingsReads`.
 *
 * Scope is not analysed: the name `os` is always taken to be the module, and imports anywhere in the file
 * (also function-local ones) count for the whole file.
 */

import type { SyntaxNode } from "@lezer/common";
import { parser } from "@lezer/python";
import type { EnvRead, EnvReadVia, JsParseError } from "./js-reads.js";

export type PythonParseError = JsParseError;

export interface PythonEnvReadsResult {
  reads: EnvRead[];
  error?: PythonParseError;
}

/** Nodes that never carry meaning for this walk (Lezer keeps comments in the tree). */
const SKIPPED = new Set(["Comment", "⚠"]);
/** Containers a write target may sit in: `(a, os.environ["X"]) = ...`, `[os.environ["X"]] = ...`. */
const TARGET_CONTAINERS = new Set(["TupleExpression", "ParenthesizedExpression", "ArrayExpression"]);
const PYDANTIC_MODULES = new Set(["pydantic", "pydantic_settings"]);

function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (!SKIPPED.has(c.name)) out.push(c);
  return out;
}

/** `(x)` → `x`. */
function unparen(node: SyntaxNode | undefined): SyntaxNode | undefined {
  let current = node;
  while (current?.name === "ParenthesizedExpression") {
    const inner = childrenOf(current).filter((c) => c.name !== "(" && c.name !== ")");
    if (inner.length !== 1) return current;
    current = inner[0];
  }
  return current;
}

/** Decodes the body of a non-raw Python string literal (the common escapes; unknown ones stay as written). */
function decodeEscapes(body: string): string {
  const simple: Record<string, string> = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    n: "\n",
    t: "\t",
    r: "\r",
    "0": "\0",
    a: "\x07",
    b: "\b",
    f: "\f",
    v: "\v",
    "\n": "",
  };
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (ch !== "\\" || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1] as string;
    const mapped = simple[next];
    if (mapped !== undefined) {
      out += mapped;
      i++;
      continue;
    }
    const width = next === "x" ? 2 : next === "u" ? 4 : next === "U" ? 8 : 0;
    const hex = body.slice(i + 2, i + 2 + width);
    if (width > 0 && hex.length === width && Number.isInteger(Number.parseInt(hex, 16))) {
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += 1 + width;
      continue;
    }
    out += ch;
  }
  return out;
}

interface SourceView {
  text: (node: SyntaxNode) => string;
}

/** The value of a plain (non-f, non-bytes) string literal or a concatenation of them, else `undefined`. */
function literalString(view: SourceView, node: SyntaxNode | undefined): string | undefined {
  const target = unparen(node);
  if (!target) return undefined;
  if (target.name === "ContinuedString") {
    let out = "";
    for (const part of childrenOf(target)) {
      const value = literalString(view, part);
      if (value === undefined) return undefined;
      out += value;
    }
    return out;
  }
  if (target.name !== "String") return undefined;
  const raw = view.text(target);
  let p = 0;
  while (p < raw.length && raw[p] !== '"' && raw[p] !== "'") p++;
  const prefix = raw.slice(0, p).toLowerCase();
  if (prefix.includes("b") || prefix.includes("f")) return undefined;
  const quoted = raw.slice(p);
  const triple = quoted.length >= 6 && (quoted.startsWith('"""') || quoted.startsWith("'''"));
  const quote = triple ? quoted.slice(0, 3) : quoted.slice(0, 1);
  // An unterminated literal (error recovery) has no value.
  if (!quote || quoted.length < quote.length * 2 || !quoted.endsWith(quote)) return undefined;
  const body = quoted.slice(quote.length, quoted.length - quote.length);
  return prefix.includes("r") ? body : decodeEscapes(body);
}

interface CallArgs {
  positional: SyntaxNode[];
  keywords: Map<string, SyntaxNode>;
  /** Positions are unknowable after a `*args`; `**kwargs` may hold any keyword. */
  starred: boolean;
}

function callArgs(view: SourceView, call: SyntaxNode): CallArgs {
  const result: CallArgs = { positional: [], keywords: new Map(), starred: false };
  const list = call.getChild("ArgList");
  if (!list) return result;
  const items = childrenOf(list).filter((c) => c.name !== "(" && c.name !== ")");
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as SyntaxNode;
    if (item.name === ",") continue;
    if (item.name === "*" || item.name === "**") {
      result.starred = true;
      i++;
      continue;
    }
    const after = items[i + 1];
    if (item.name === "VariableName" && after?.name === "AssignOp") {
      const value = items[i + 2];
      if (value) result.keywords.set(view.text(item), value);
      i += 2;
      continue;
    }
    if (!result.starred && result.keywords.size === 0) result.positional.push(item);
  }
  return result;
}

function argument(args: CallArgs, index: number, keyword: string): SyntaxNode | undefined {
  return args.positional[index] ?? args.keywords.get(keyword);
}

/** `obj.name` → `{ object, property }`; `undefined` for subscripts and everything else. */
function attribute(
  view: SourceView,
  node: SyntaxNode | undefined,
): { object: SyntaxNode; property: string } | undefined {
  if (node?.name !== "MemberExpression") return undefined;
  const [object, dot, property] = childrenOf(node);
  if (!object || dot?.name !== "." || property?.name !== "PropertyName") return undefined;
  return { object, property: view.text(property) };
}

/** `obj[...]` → `{ object, index }`, with `index` undefined unless it is exactly one expression. */
function subscript(node: SyntaxNode): { object: SyntaxNode; index: SyntaxNode | undefined } | undefined {
  if (node.name !== "MemberExpression") return undefined;
  const parts = childrenOf(node);
  const [object, open] = parts;
  if (!object || open?.name !== "[") return undefined;
  const inside = parts.slice(2).filter((c) => c.name !== "]");
  return { object, index: inside.length === 1 ? inside[0] : undefined };
}

interface Bindings {
  /** Local names bound to a module: `import os` → os → "os"; `import pydantic_settings as ps` → ps → "pydantic_settings". */
  modules: Map<string, string>;
  /** Local names bound by `from m import n [as local]`: local → { module, name }. */
  names: Map<string, { module: string; name: string }>;
}

function collectBindings(view: SourceView, root: SyntaxNode): Bindings {
  const bindings: Bindings = { modules: new Map([["os", "os"]]), names: new Map() };
  const cursor = root.cursor();
  do {
    if (cursor.name !== "ImportStatement") continue;
    const parts = childrenOf(cursor.node);
    if (parts[0]?.name === "from") {
      const importAt = parts.findIndex((c) => c.name === "import");
      const modulePath = parts
        .slice(1, importAt)
        .map((c) => view.text(c))
        .join("");
      const rest = parts.slice(importAt + 1).filter((c) => c.name !== "(" && c.name !== ")");
      if (rest[0]?.name === "*" && modulePath === "os") {
        for (const name of ["getenv", "environ"]) bindings.names.set(name, { module: "os", name });
      }
      for (let i = 0; i < rest.length; i++) {
        const item = rest[i] as SyntaxNode;
        if (item.name !== "VariableName") continue;
        const hasAlias = rest[i + 1]?.name === "as" && rest[i + 2]?.name === "VariableName";
        const local = hasAlias ? view.text(rest[i + 2] as SyntaxNode) : view.text(item);
        bindings.names.set(local, { module: modulePath, name: view.text(item) });
        if (hasAlias) i += 2;
      }
    } else {
      // `import a.b as c, d.e`: split on commas; an alias binds the whole path, otherwise the first segment.
      let group: SyntaxNode[] = [];
      const flush = (): void => {
        const asAt = group.findIndex((c) => c.name === "as");
        const pathParts = (asAt === -1 ? group : group.slice(0, asAt)).filter(
          (c) => c.name === "VariableName",
        );
        const alias = asAt === -1 ? undefined : group[asAt + 1];
        const first = pathParts[0];
        if (first && alias)
          bindings.modules.set(view.text(alias), pathParts.map((c) => view.text(c)).join("."));
        else if (first) bindings.modules.set(view.text(first), view.text(first));
        group = [];
      };
      for (const part of parts.slice(1)) {
        if (part.name === ",") flush();
        else group.push(part);
      }
      flush();
    }
  } while (cursor.next());
  return bindings;
}

interface SettingsConfig {
  prefix: string;
  caseSensitive: boolean;
}

/** 1-based line/column for UTF-16 offsets. */
function lineIndex(source: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  };
}

/**
 * Every environment-variable read in one Python source file. Never throws on bad syntax: the first
 * error node of Lezer's recovering parse is returned in `error`, along with every read still recognised.
 */
export function findPythonEnvReads(file: string, source: string): PythonEnvReadsResult {
  const tree = parser.parse(source);
  const root = tree.topNode;
  const view: SourceView = { text: (node) => source.slice(node.from, node.to) };
  const locate = lineIndex(source);
  const bindings = collectBindings(view, root);
  const reads: EnvRead[] = [];
  const settingsClasses = new Map<string, SettingsConfig>();

  const add = (
    at: SyntaxNode,
    via: EnvReadVia,
    name: string | undefined,
    defaultNode?: SyntaxNode,
    presenceCheck = false,
  ): void => {
    const { line, column } = locate(at.from);
    const read: EnvRead = { name, file, line, column, via };
    if (defaultNode) read.defaultText = view.text(defaultNode);
    if (name === undefined) read.dynamic = true;
    if (presenceCheck) read.presenceCheck = true;
    reads.push(read);
  };

  const isOsModule = (node: SyntaxNode | undefined): boolean =>
    node?.name === "VariableName" && bindings.modules.get(view.text(node)) === "os";

  const isFromOs = (node: SyntaxNode | undefined, name: string): boolean => {
    if (node?.name !== "VariableName") return false;
    const bound = bindings.names.get(view.text(node));
    return bound?.module === "os" && bound.name === name;
  };

  /** `os.environ` or a name imported as `environ` from os. */
  const isEnviron = (node: SyntaxNode | undefined): boolean => {
    const target = unparen(node);
    const attr = attribute(view, target);
    if (attr) return attr.property === "environ" && isOsModule(unparen(attr.object));
    return isFromOs(target, "environ");
  };

  const isGetenv = (callee: SyntaxNode | undefined): boolean => {
    const attr = attribute(view, callee);
    if (attr) return attr.property === "getenv" && isOsModule(unparen(attr.object));
    return isFromOs(callee, "getenv");
  };

  /** `x or d` with the read as `x`: the `d`. */
  const orDefault = (node: SyntaxNode): SyntaxNode | undefined => {
    let current = node;
    while (current.parent?.name === "ParenthesizedExpression") current = current.parent;
    const parent = current.parent;
    if (parent?.name !== "BinaryExpression") return undefined;
    const [left, operator, right] = childrenOf(parent);
    return left?.from === current.from && operator?.name === "or" ? right : undefined;
  };

  /** `os.environ[k]` as (part of) an assignment, `del` or `for` target. */
  const isWriteTarget = (node: SyntaxNode): boolean => {
    let current = node;
    while (current.parent && TARGET_CONTAINERS.has(current.parent.name)) current = current.parent;
    const statement = current.parent;
    if (!statement) return false;
    if (statement.name === "DeleteStatement") return true;
    if (statement.name === "AssignStatement") {
      const ops = childrenOf(statement).filter((c) => c.name === "AssignOp");
      const last = ops[ops.length - 1];
      return last !== undefined && current.to <= last.from;
    }
    if (statement.name === "ForStatement") {
      const inKeyword = childrenOf(statement).find((c) => c.name === "in");
      return inKeyword !== undefined && current.to <= inKeyword.from;
    }
    return false;
  };

  const visitCall = (call: SyntaxNode): void => {
    const callee = unparen(call.firstChild ?? undefined);
    if (!callee) return;
    const args = callArgs(view, call);
    const key = argument(args, 0, "key");
    const name = literalString(view, key);
    if (isGetenv(callee)) {
      add(call, "os.getenv", name, argument(args, 1, "default") ?? orDefault(call));
      return;
    }
    const attr = attribute(view, callee);
    if (!attr || !isEnviron(attr.object)) return;
    if (attr.property === "get") {
      add(call, "os.environ.get", name, argument(args, 1, "default") ?? orDefault(call));
    } else if (attr.property === "setdefault") {
      add(call, "os.environ", name, argument(args, 1, "default"));
    }
  };

  const visitSubscript = (node: SyntaxNode): void => {
    const access = subscript(node);
    if (!access || !isEnviron(access.object) || isWriteTarget(node)) return;
    add(node, "os.environ", literalString(view, access.index));
  };

  const visitBinary = (node: SyntaxNode): void => {
    const parts = childrenOf(node);
    const right = parts[parts.length - 1];
    const operator = parts[parts.length - 2];
    if (operator?.name !== "in" || !isEnviron(right)) return;
    add(node, "os.environ", literalString(view, parts[0]), undefined, true);
  };

  /** `BaseSettings`, `pydantic_settings.BaseSettings`, an alias of it, or a settings class defined above. */
  const settingsBase = (node: SyntaxNode): SettingsConfig | "root" | undefined => {
    const target = unparen(node);
    if (!target) return undefined;
    if (target.name === "VariableName") {
      const local = view.text(target);
      const known = settingsClasses.get(local);
      if (known) return known;
      const bound = bindings.names.get(local);
      if (bound)
        return PYDANTIC_MODULES.has(bound.module) && bound.name === "BaseSettings" ? "root" : undefined;
      return local === "BaseSettings" ? "root" : undefined;
    }
    const attr = attribute(view, target);
    if (attr?.property !== "BaseSettings" || attr.object.name !== "VariableName") return undefined;
    const module = bindings.modules.get(view.text(attr.object));
    return module !== undefined && PYDANTIC_MODULES.has(module) ? "root" : undefined;
  };

  /** One `env_prefix` / `case_sensitive` setting. */
  const applySetting = (key: string, node: SyntaxNode | undefined, into: Partial<SettingsConfig>): void => {
    if (key === "env_prefix") {
      const prefix = literalString(view, node);
      if (prefix !== undefined) into.prefix = prefix;
    } else if (key === "case_sensitive" && node?.name === "Boolean") {
      into.caseSensitive = view.text(node) === "True";
    }
  };

  /** `env_prefix` / `case_sensitive` from a `SettingsConfigDict(...)` call or a dict literal. */
  const readConfigValue = (value: SyntaxNode | undefined, into: Partial<SettingsConfig>): void => {
    const target = unparen(value);
    if (target?.name === "CallExpression") {
      for (const [key, node] of callArgs(view, target).keywords) applySetting(key, node, into);
    } else if (target?.name === "DictionaryExpression") {
      const items = childrenOf(target).filter((c) => !["{", "}", ","].includes(c.name));
      for (let i = 0; i + 2 < items.length; i += 3) {
        const key = literalString(view, items[i]);
        if (key !== undefined && items[i + 1]?.name === ":") applySetting(key, items[i + 2], into);
      }
    }
  };

  const isNamed = (node: SyntaxNode | undefined, name: string): boolean => {
    const target = unparen(node);
    if (target?.name === "VariableName") return view.text(target) === name;
    return attribute(view, target)?.property === name;
  };

  /** The `Field(...)` call of a field: its value, or inside `Annotated[T, Field(...)]`. */
  const fieldCall = (value: SyntaxNode | undefined, typeDef: SyntaxNode): SyntaxNode | undefined => {
    const direct = unparen(value);
    if (direct?.name === "CallExpression" && isNamed(direct.firstChild ?? undefined, "Field")) return direct;
    const annotation = childrenOf(typeDef).find((c) => c.name !== ":");
    if (annotation?.name !== "MemberExpression") return undefined;
    const access = subscript(annotation);
    if (!access || !isNamed(access.object, "Annotated")) return undefined;
    const inside = childrenOf(annotation).slice(2);
    return inside.find((c) => c.name === "CallExpression" && isNamed(c.firstChild ?? undefined, "Field"));
  };

  /**
   * Pydantic settings: each annotated field is a read of `env_prefix + FIELD` (upper-cased, as pydantic
   * matches case-insensitively, unless `case_sensitive=True`). `validation_alias` / `alias` / v1 `env` name the
   * variable instead, without the prefix (as pydantic does); a non-literal alias (`AliasChoices(...)`) is a dynamic
   * read. The default is the assigned value, or `Field`'s first argument / `default=` (`...` means required);
   * `default_factory=f` gives `f` as the default text. `_private`, `ClassVar[...]` and `model_config` are skipped.
   */
  const visitClass = (node: SyntaxNode): void => {
    const nameNode = node.getChild("VariableName");
    const body = node.getChild("Body");
    const bases = node.getChild("ArgList");
    if (!nameNode || !body || !bases) return;
    let inherited: SettingsConfig | undefined;
    for (const base of childrenOf(bases)) {
      const kind = settingsBase(base);
      if (kind === "root") inherited ??= { prefix: "", caseSensitive: false };
      else if (kind) inherited = kind;
    }
    if (!inherited) return;
    const own: Partial<SettingsConfig> = {};
    const statements = childrenOf(body);
    for (const statement of statements) {
      if (
        statement.name === "AssignStatement" &&
        isNamed(statement.firstChild ?? undefined, "model_config")
      ) {
        const parts = childrenOf(statement);
        readConfigValue(parts[parts.findIndex((c) => c.name === "AssignOp") + 1], own);
      } else if (
        statement.name === "ClassDefinition" &&
        isNamed(statement.getChild("VariableName") ?? undefined, "Config")
      ) {
        // pydantic v1 style: `class Config: env_prefix = "APP_"`.
        for (const inner of childrenOf(statement.getChild("Body") ?? statement)) {
          if (inner.name !== "AssignStatement") continue;
          const [target, op, value] = childrenOf(inner);
          if (target?.name === "VariableName" && op?.name === "AssignOp")
            applySetting(view.text(target), value, own);
        }
      }
    }
    const config: SettingsConfig = {
      prefix: own.prefix ?? inherited.prefix,
      caseSensitive: own.caseSensitive ?? inherited.caseSensitive,
    };
    settingsClasses.set(view.text(nameNode), config);
    const envName = (name: string): string => (config.caseSensitive ? name : name.toUpperCase());

    for (const statement of statements) {
      if (statement.name !== "AssignStatement") continue;
      const parts = childrenOf(statement);
      const [target, typeDef] = parts;
      if (target?.name !== "VariableName" || typeDef?.name !== "TypeDef") continue;
      const field = view.text(target);
      if (field.startsWith("_") || field === "model_config") continue;
      const annotation = childrenOf(typeDef).find((c) => c.name !== ":");
      if (
        isNamed(annotation, "ClassVar") ||
        (annotation && isNamed(subscript(annotation)?.object, "ClassVar"))
      ) {
        continue;
      }
      const ops = parts.filter((c) => c.name === "AssignOp");
      if (ops.length > 1) continue;
      const value = ops.length === 1 ? parts[parts.indexOf(ops[0] as SyntaxNode) + 1] : undefined;
      const call = fieldCall(value, typeDef);
      const args = call ? callArgs(view, call) : undefined;
      const aliasNode = args
        ? (args.keywords.get("validation_alias") ?? args.keywords.get("alias") ?? args.keywords.get("env"))
        : undefined;
      let name: string | undefined = envName(config.prefix + field);
      if (aliasNode) {
        const alias = literalString(view, aliasNode);
        name = alias === undefined ? undefined : envName(alias);
      }
      let defaultNode: SyntaxNode | undefined;
      if (call && call === unparen(value) && args) {
        defaultNode = argument(args, 0, "default") ?? args.keywords.get("default_factory");
        if (defaultNode?.name === "Ellipsis") defaultNode = undefined;
      } else if (value && value.name !== "Ellipsis") {
        defaultNode = value;
      }
      add(target, "pydantic", name, defaultNode);
    }
  };

  let firstError: SyntaxNode | undefined;
  const cursor = root.cursor();
  do {
    switch (cursor.name) {
      case "CallExpression":
        visitCall(cursor.node);
        break;
      case "MemberExpression":
        visitSubscript(cursor.node);
        break;
      case "BinaryExpression":
        visitBinary(cursor.node);
        break;
      case "ClassDefinition":
        visitClass(cursor.node);
        break;
      default:
        if (cursor.type.isError && !firstError) firstError = cursor.node;
    }
  } while (cursor.next());

  reads.sort((a, b) => a.line - b.line || a.column - b.column);
  if (!firstError) return { reads };
  return { reads, error: { ...locate(firstError.from), message: errorMessage(source, firstError) } };
}

function errorMessage(source: string, node: SyntaxNode): string {
  const text = source.slice(node.from, node.to).split("\n")[0]?.trim() ?? "";
  if (text) return `Syntax error: unexpected ${JSON.stringify(text.slice(0, 30))}`;
  const rest = source.slice(node.from).trimStart();
  if (!rest) return "Syntax error: unexpected end of input";
  return `Syntax error before ${JSON.stringify((rest.split("\n")[0] ?? "").slice(0, 30))}`;
}
