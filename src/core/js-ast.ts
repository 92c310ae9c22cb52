/**
 * The structural view of @babel/parser's output that shipgate's code scanners walk (the env audit's
 * reads, flag references): node tests, TypeScript wrappers seen through, literal keys, and parsing
 * with both decorator flavours and error recovery. No @babel/traverse: scanners walk the plain tree.
 */

import { type ParserPlugin, parse } from "@babel/parser";

/** The few parts of a babel node this module looks at; every other property is reached generically. */
export interface AstNode {
  type: string;
  start?: number | null;
  end?: number | null;
  loc?: { start: { line: number; column: number } } | null;
  [key: string]: unknown;
}

export const SKIPPED_KEYS = new Set([
  "type",
  "start",
  "end",
  "loc",
  "range",
  "extra",
  "leadingComments",
  "trailingComments",
  "innerComments",
  "comments",
  "tokens",
  "errors",
]);

/** TypeScript wrappers that do not change the value: `(x as T)`, `x!`, `x satisfies T`, `<T>x`. */
export const TRANSPARENT_WRAPPERS = new Set([
  "TSAsExpression",
  "TSNonNullExpression",
  "TSSatisfiesExpression",
  "TSTypeAssertion",
  "ParenthesizedExpression",
]);

export function isNode(value: unknown): value is AstNode {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}

export function child(node: AstNode, key: string): AstNode | undefined {
  const value = node[key];
  return isNode(value) ? value : undefined;
}

export function children(node: AstNode, key: string): AstNode[] {
  const value = node[key];
  return Array.isArray(value) ? value.filter(isNode) : [];
}

export function unwrap(node: AstNode | undefined): AstNode | undefined {
  let current = node;
  while (current && TRANSPARENT_WRAPPERS.has(current.type)) current = child(current, "expression");
  return current;
}

export function isMember(node: AstNode | undefined): node is AstNode {
  return node?.type === "MemberExpression" || node?.type === "OptionalMemberExpression";
}

export function isIdentifier(node: AstNode | undefined, name: string): boolean {
  return node?.type === "Identifier" && node.name === name;
}

/** The literal key of a `StringLiteral` or an expression-free template literal, else `undefined`. */
export function literalString(node: AstNode | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "StringLiteral" && typeof node.value === "string") return node.value;
  if (node.type === "TemplateLiteral" && children(node, "expressions").length === 0) {
    const quasi = children(node, "quasis")[0];
    const value = quasi?.value as { cooked?: unknown } | undefined;
    if (typeof value?.cooked === "string") return value.cooked;
  }
  return undefined;
}

/** The static property name of `obj.name` / `obj["name"]` / ``obj[`name`]``, or `undefined` when computed from an expression. */
export function memberKey(member: AstNode): string | undefined {
  const property = child(member, "property");
  if (member.computed === true) return literalString(property);
  if (property?.type === "Identifier" && typeof property.name === "string") return property.name;
  return undefined;
}

/**
 * Parser plugin sets to try, in order. TypeScript code in the wild uses both decorator flavours:
 * `experimentalDecorators` (parameter decorators, NestJS/Angular) parse only with "decorators-legacy",
 * while `export @dec class` parses only with the standard "decorators" plugin.
 */
export function parserPluginSets(file: string): ParserPlugin[][] {
  const lower = file.toLowerCase();
  // `<T>value` type assertions are valid in .ts but clash with JSX, so plain TypeScript files get no JSX.
  const base: ParserPlugin[] = /\.[cm]?ts$/.test(lower) ? ["typescript"] : ["typescript", "jsx"];
  return [
    [...base, "decorators-legacy"],
    [...base, ["decorators", {}]],
  ];
}

export type ParseAttempt = { ast: AstNode; firstError: unknown } | { ast?: undefined; thrown: unknown };

export function tryParse(source: string, plugins: ParserPlugin[]): ParseAttempt {
  try {
    const result = parse(source, {
      sourceType: "unambiguous",
      errorRecovery: true,
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowUndeclaredExports: true,
      plugins,
    });
    // Babel's File node, seen through the structural AstNode view this module walks.
    return { ast: result as unknown as AstNode, firstError: result.errors?.[0] };
  } catch (thrown) {
    return { thrown };
  }
}

/** The first clean parse, else the first one that recovered, else the first failure. */
export function parseBest(file: string, source: string): ParseAttempt {
  const attempts: ParseAttempt[] = [];
  for (const plugins of parserPluginSets(file)) {
    const attempt = tryParse(source, plugins);
    if (attempt.ast && attempt.firstError === undefined) return attempt;
    attempts.push(attempt);
  }
  return attempts.find((attempt) => attempt.ast) ?? (attempts[0] as ParseAttempt);
}

/** A node's child nodes, in source order (for iterative walks). */
export function childNodes(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (SKIPPED_KEYS.has(key)) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) out.push(value);
  }
  return out;
}
