/**
 * Flag keys referenced in code, for the lifecycle checks of `shipgate check` (flags used but not
 * defined, archived flags still referenced). A reference is a call of one of the configured
 * functions — as a method (`flags.isEnabled("new-checkout", ctx)`, `client?.getBooleanValue(…)`) or
 * a plain call (`isEnabled("new-checkout")`) — whose first argument is a string literal or a
 * template without substitutions. Dynamic keys are not references. Sources are parsed with
 * @babel/parser (TypeScript, JSX, both decorator flavours); files are listed as the env audit lists
 * them (git's tracked and untracked-not-ignored files, else a walk) and filtered by the scan globs.
 */
import path from "node:path";
import picomatch from "picomatch";
import { gatherSources } from "../cli/commands/env-audit.js";
import {
  type AstNode,
  child,
  childNodes,
  children,
  isMember,
  literalString,
  memberKey,
  parseBest,
  unwrap,
} from "../core/js-ast.js";

export interface FlagReference {
  key: string;
  /** The file, as given (the scan: relative to its directory, with forward slashes). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** The called function's name: `f(…)`, `x.f(…)`, `x?.f(…)`, `x["f"](…)`. */
function calleeName(callee: AstNode | undefined): string | undefined {
  if (callee?.type === "Identifier") return callee.name as string;
  return isMember(callee) ? memberKey(callee) : undefined;
}

/**
 * The flag references in one JS/TS source. A file that does not parse yields what babel's error
 * recovery still found (nothing when it cannot recover): the scan never fails on one bad file.
 */
export function findFlagReferences(
  file: string,
  source: string,
  functions: readonly string[],
): FlagReference[] {
  const names = new Set(functions);
  // Cheap pre-filter: most files call none of the functions.
  if (![...names].some((name) => source.includes(name))) return [];
  const { ast } = parseBest(file, source);
  if (!ast) return [];
  const found: FlagReference[] = [];
  const stack: AstNode[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop() as AstNode;
    if (node.type === "CallExpression" || node.type === "OptionalCallExpression") {
      const name = calleeName(unwrap(child(node, "callee")));
      if (name !== undefined && names.has(name)) {
        const first = children(node, "arguments")[0];
        const key = literalString(unwrap(first));
        const start = first?.loc?.start;
        if (key !== undefined && start) found.push({ key, file, line: start.line, column: start.column + 1 });
      }
    }
    stack.push(...childNodes(node));
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}

export interface ScanFlagReferencesOptions {
  /** The directory the globs are relative to (the config file's). */
  dir: string;
  include: readonly string[];
  exclude: readonly string[];
  functions: readonly string[];
}

/** Every flag reference in the files under `dir` the globs select (paths relative to `dir`). */
export async function scanFlagReferences(options: ScanFlagReferencesOptions): Promise<FlagReference[]> {
  const included = picomatch([...options.include], { dot: true });
  const excluded = options.exclude.length > 0 ? picomatch([...options.exclude], { dot: true }) : () => false;
  const { sources } = await gatherSources(options.dir, []);
  const references: FlagReference[] = [];
  for (const source of sources) {
    const rel = source.path.split(path.sep).join("/");
    if (!included(rel) || excluded(rel)) continue;
    references.push(...findFlagReferences(rel, source.text, options.functions));
  }
  return references;
}
