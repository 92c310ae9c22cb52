/**
 * JSON pointer → line and column in a spec file, so that findings point at the line to look at (and
 * GitHub annotations land on it). A pointer that does not exist (a removed property) gives the
 * position of its deepest existing ancestor. JSON files are scanned once with a small hand-written
 * scanner that only descends into the requested paths; YAML files are parsed with `yaml`.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { fromPointer } from "./pointer.js";

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export type Locator = (pointer: string) => Position | undefined;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function positionAt(starts: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
}

interface Trie {
  children: Map<string, Trie>;
  /** Offset of the key (object member) or the value (array element) of this path. */
  offset?: number;
}

/** Positions in JSON text of every prefix of the wanted pointers. */
function scanJson(text: string, root: Trie): void {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const skipString = () => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 92) i += 2;
      else if (c === 34) {
        i++;
        return;
      } else i++;
    }
  };
  const readString = (): string => {
    const start = i;
    skipString();
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  const skipValue = () => {
    ws();
    const c = text.charCodeAt(i);
    if (c === 34) {
      skipString();
      return;
    }
    if (c === 123 || c === 91) {
      let depth = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 34) {
          skipString();
          continue;
        }
        if (d === 123 || d === 91) depth++;
        else if (d === 125 || d === 93) {
          depth--;
          if (depth === 0) {
            i++;
            return;
          }
        }
        i++;
      }
      return;
    }
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) return;
      i++;
    }
  };
  const value = (node: Trie | undefined): void => {
    ws();
    if (node === undefined || node.children.size === 0) {
      skipValue();
      return;
    }
    const c = text.charCodeAt(i);
    if (c === 123) {
      i++;
      for (;;) {
        ws();
        if (text.charCodeAt(i) === 125) {
          i++;
          return;
        }
        if (text.charCodeAt(i) !== 34) return; // not JSON: stop quietly
        const keyStart = i;
        const key = readString();
        ws();
        i++; // colon
        const child = node.children.get(key);
        if (child) child.offset = keyStart;
        value(child);
        ws();
        if (text.charCodeAt(i) === 44) i++;
        else if (text.charCodeAt(i) === 125) {
          i++;
          return;
        } else return;
      }
    }
    if (c === 91) {
      i++;
      for (let index = 0; ; index++) {
        ws();
        if (text.charCodeAt(i) === 93) {
          i++;
          return;
        }
        const child = node.children.get(String(index));
        if (child) {
          ws();
          child.offset = i;
        }
        value(child);
        ws();
        if (text.charCodeAt(i) === 44) i++;
        else if (text.charCodeAt(i) === 93) {
          i++;
          return;
        } else return;
      }
    }
    skipValue();
  };
  value(root);
}

function deepest(root: Trie, tokens: readonly string[]): number | undefined {
  let node = root;
  let offset = root.offset;
  for (const t of tokens) {
    const next = node.children.get(t);
    if (!next || next.offset === undefined) break;
    node = next;
    offset = next.offset;
  }
  return offset;
}

/** A locator for JSON text, answering the given pointers (others: undefined). */
function jsonLocator(text: string, pointers: readonly string[]): Locator {
  const root: Trie = { children: new Map(), offset: 0 };
  for (const p of pointers) {
    let node = root;
    for (const t of fromPointer(p)) {
      let next = node.children.get(t);
      if (!next) {
        next = { children: new Map() };
        node.children.set(t, next);
      }
      node = next;
    }
  }
  scanJson(text, root);
  const starts = lineStarts(text);
  return (pointer) => {
    const offset = deepest(root, fromPointer(pointer));
    return offset === undefined ? undefined : positionAt(starts, offset);
  };
}

function yamlLocator(text: string): Locator {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, keepSourceTokens: false, uniqueKeys: false });
  return (pointer) => {
    let node: unknown = doc.contents;
    let offset: number | undefined = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
    for (const t of fromPointer(pointer)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === t);
        if (!pair) break;
        offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = /^\d+$/.test(t) ? node.items[Number(t)] : undefined;
        if (item === undefined) break;
        offset = (item as YamlNode).range?.[0] ?? offset;
        node = item;
      } else break;
    }
    if (offset === undefined) return undefined;
    const { line, col } = counter.linePos(offset);
    return { line, column: col };
  };
}

/** A locator for a spec file's text; `pointers` are the ones that will be asked (JSON needs them up front). */
export function createLocator(text: string, pointers: readonly string[]): Locator {
  const first = /\S/.exec(text)?.[0];
  const locate = first === "{" || first === "[" ? jsonLocator(text, pointers) : yamlLocator(text);
  // A definition shared by many operations is asked for once per operation.
  const memo = new Map<string, Position | undefined>();
  return (pointer) => {
    if (memo.has(pointer)) return memo.get(pointer);
    const position = locate(pointer);
    memo.set(pointer, position);
    return position;
  };
}
