/**
 * Reading CI YAML with positions: parse (errors become findings with line and column), then walk
 * the node tree with small helpers that never throw on an unexpected shape (a CI file that is valid
 * YAML but not a valid workflow is the validator's business, not the parser's).
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import type { Finding } from "../../core/finding.js";
import type { Position } from "./model.js";

export const pipelineDocsUrl = "https://github.com/shipgate/shipgate/blob/main/docs/pipeline-audit.md";

export interface ParsedYaml {
  /** The root node, when the file parsed (a map for every CI format shipgate reads). */
  root: Node | undefined;
  problems: Finding[];
  /** Position of a node (its first character). */
  at(node: Node | undefined | null): Position;
}

export function parseYaml(file: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const problems: Finding[] = doc.errors.map((e) => {
    const start = e.linePos?.[0];
    return {
      ruleId: "pipeline-yaml",
      severity: "error",
      file,
      ...(start ? { line: start.line, column: start.col } : {}),
      message: `not valid YAML: ${(e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "")}`,
      help: "Fix the YAML syntax at this position; the CI system rejects the file as it is.",
      docsUrl: `${pipelineDocsUrl}#validation`,
    };
  });
  const at = (node: Node | undefined | null): Position => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { file, line: 1, column: 1 };
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  return { root: problems.length > 0 ? undefined : (doc.contents ?? undefined), problems, at };
}

export interface Entry {
  key: string;
  keyNode: Node | undefined;
  value: Node | undefined;
}

/** The entries of a map node (keys as strings); [] for anything else. */
export function entries(node: Node | undefined | null): Entry[] {
  if (!isMap(node)) return [];
  const out: Entry[] = [];
  for (const pair of (node as YAMLMap).items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
    if (key === undefined) continue;
    out.push({ key, keyNode: keyNode ?? undefined, value: (pair.value as Node | null) ?? undefined });
  }
  return out;
}

/** The value node of `key` in a map node. */
export function get(node: Node | undefined | null, key: string): Node | undefined {
  return entries(node).find((e) => e.key === key)?.value;
}

/** The node at a path of map keys. */
export function getIn(node: Node | undefined | null, ...keys: string[]): Node | undefined {
  let current: Node | undefined = node ?? undefined;
  for (const k of keys) current = get(current, k);
  return current;
}

/** A scalar's value as a string (numbers and booleans too); undefined for collections and null. */
export function str(node: Node | undefined | null): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  return String(node.value);
}

/** A scalar, or a sequence's scalars, as strings. */
export function strings(node: Node | undefined | null): string[] {
  if (isSeq(node)) return node.items.flatMap((i) => strings(i as Node));
  const s = str(node);
  return s === undefined ? [] : [s];
}

/** The items of a sequence node; [] for anything else. */
export function items(node: Node | undefined | null): Node[] {
  return isSeq(node) ? (node.items as Node[]) : [];
}

/**
 * The line where a scalar's text starts: a block scalar (`run: |`) starts on the line after its
 * indicator; any other scalar on its own line.
 */
export function textStart(parsed: ParsedYaml, node: Node | undefined): Position {
  const at = parsed.at(node);
  if (isScalar(node) && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED")) {
    return { ...at, line: at.line + 1, column: 1 };
  }
  return at;
}

/** A boolean scalar (true, or the string "true"). */
export function isTrue(node: Node | undefined | null): boolean {
  return isScalar(node) && (node.value === true || node.value === "true");
}
