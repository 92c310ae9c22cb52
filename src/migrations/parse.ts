/**
 * Parsing with the real Postgres parser (libpg-query, WebAssembly). Never scans SQL with regexes:
 * statement boundaries, comments and quoting all come from Postgres' own scanner and grammar.
 *
 * Parsing never throws on bad input. psql meta-commands, syntax errors and non-UTF-8 bytes become
 * diagnostics with a location, and the rest of the file is still parsed statement by statement.
 */

import type { Node, ScanToken } from "libpg-query";
import { asKind, type NodeKind, nodeKind } from "./ast.js";

export interface SourceFile {
  /** Display path (relative, forward slashes). */
  path: string;
  text: string;
  /** Byte offset of the first invalid UTF-8 sequence, when the file was not valid UTF-8. */
  invalidUtf8At?: number;
}

export interface EmbeddedOrigin {
  via: "do-block" | "execute";
  /** 1-based line inside the DO body. */
  bodyLine: number;
}

export interface ParsedStatement {
  node: Node;
  kind: NodeKind;
  /** Character offsets into the file text. */
  start: number;
  end: number;
  text: string;
  /** Statements run by a DO block (directly or through EXECUTE of a literal string). */
  children: ParsedStatement[];
  /** Dynamic EXECUTE inside a DO block whose SQL is not a literal and so cannot be checked. */
  dynamicExecutes: number;
  embedded?: EmbeddedOrigin;
}

export type ParseDiagnosticId = "syntax-error" | "psql-meta-command" | "invalid-utf8";

export interface ParseDiagnostic {
  ruleId: ParseDiagnosticId;
  message: string;
  /** Character offset. */
  start: number;
}

export interface Comment {
  text: string;
  start: number;
  end: number;
}

export interface ParsedFile {
  path: string;
  text: string;
  statements: ParsedStatement[];
  diagnostics: ParseDiagnostic[];
  /** Comments that mention "shipgate:" (inline directives); other comments are not collected. */
  directiveComments: Comment[];
}

type PgQuery = typeof import("libpg-query");
let pg: PgQuery | undefined;
let loaded: Promise<void> | undefined;

/**
 * Loads the WebAssembly parser once per thread. The module is imported here, not at the top, so a
 * run answered from the cache never loads it. Every parse function requires this to have resolved.
 */
export function loadParser(): Promise<void> {
  loaded ??= import("libpg-query").then(async (module) => {
    await module.loadModule();
    pg = module;
  });
  return loaded;
}

function parser(): PgQuery {
  if (!pg) throw new Error("the Postgres parser is not loaded: await loadParser() first");
  return pg;
}

const parseSync: PgQuery["parseSync"] = (sql) => parser().parseSync(sql);
const scanSync: PgQuery["scanSync"] = (sql) => parser().scanSync(sql);
const parsePlPgSQLSync: PgQuery["parsePlPgSQLSync"] = (sql) => parser().parsePlPgSQLSync(sql);

/** Maps the parser's UTF-8 byte offsets to string offsets. Identity for ASCII text. */
export function byteToCharMapper(text: string): (byteOffset: number) => number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check.
  if (/^[\x00-\x7f]*$/.test(text)) return (b) => b;
  const buf = Buffer.from(text, "utf8");
  const map = new Uint32Array(buf.length + 1);
  let ch = 0;
  for (let i = 0; i < buf.length; i++) {
    map[i] = ch;
    const byte = buf[i] as number;
    // Count a character at each lead byte; a 4-byte sequence is two UTF-16 units.
    if ((byte & 0xc0) !== 0x80) ch += byte >= 0xf0 ? 2 : 1;
  }
  map[buf.length] = ch;
  return (b) => map[Math.min(Math.max(b, 0), buf.length)] as number;
}

/**
 * Where a parse error is, as a string offset into `text`. libpg-query reports Postgres' error
 * cursor as a 0-based count of characters (code points), not bytes and not UTF-16 units.
 */
function errorPosition(error: unknown, text: string): number {
  const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
  const codePoints = details?.cursorPosition ?? 0;
  let offset = 0;
  for (let n = 0; n < codePoints && offset < text.length; n++) {
    offset += (text.codePointAt(offset) as number) > 0xffff ? 2 : 1;
  }
  return offset;
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // "unterminated quoted string at or near" quotes the rest of the file: keep its first line.
  return message.replace(/ at or near "([^\n]*)\n[\s\S]*"$/, ' at or near "$1…"');
}

interface ScanResult {
  tokens: ScanToken[];
  /**
   * Set when the scanner stopped at an error (an unterminated quoted string, comment or
   * dollar-quoted body): its string offset and message. `tokens` then cover the text before it.
   */
  error?: { at: number; message: string };
}

function safeScan(text: string): ScanResult {
  try {
    return { tokens: scanSync(text).tokens };
  } catch (scanError) {
    // scanSync reports scanner errors as unreadable JSON errors without a position; the parser
    // reports the same error with its message and position.
    let error = { at: 0, message: errorMessage(scanError) };
    try {
      parseSync(text);
    } catch (parseError) {
      error = { at: errorPosition(parseError, text), message: errorMessage(parseError) };
    }
    let tokens: ScanToken[] = [];
    try {
      if (error.at > 0) tokens = scanSync(text.slice(0, error.at)).tokens;
    } catch {
      // Nothing before the error can be scanned either.
    }
    return { tokens, error };
  }
}

const metaCommandLine = /^[ \t]*\\/m;
const directiveMarker = "shipgate:";

/**
 * Blanks psql meta-command lines (a backslash token outside any string) with spaces, keeping every
 * offset and line number intact, and reports each one.
 */
function blankMetaCommands(text: string, diagnostics: ParseDiagnostic[]): string {
  if (!metaCommandLine.test(text)) return text;
  let out = text;
  const candidates = /^[ \t]*\\/gm;
  for (let m = candidates.exec(text); m !== null; m = candidates.exec(text)) {
    const start = m.index + m[0].length - 1;
    // A backslash line is a meta-command only at top level: Postgres' scanner must get through
    // everything before it (earlier meta-commands already blanked) without an open string, quoted
    // identifier or dollar quote. psql's own arguments (e.g. \restrict keys) are not SQL tokens, so
    // the line itself is never scanned.
    const before = out.slice(0, m.index);
    if (before.trim() !== "") {
      try {
        scanSync(before);
      } catch {
        continue;
      }
    }
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const command = text.slice(start, end).trim().split(/\s+/)[0] ?? "\\";
    diagnostics.push({
      ruleId: "psql-meta-command",
      message: `psql meta-command ${command} is not SQL: migration runners other than psql will fail on it`,
      start,
    });
    out = out.slice(0, start) + " ".repeat(end - start) + out.slice(end);
  }
  return out;
}

function collectDirectiveComments(text: string): Comment[] {
  if (!text.includes(directiveMarker)) return [];
  const { tokens } = safeScan(text);
  const toChar = byteToCharMapper(text);
  const out: Comment[] = [];
  for (const t of tokens) {
    if ((t.tokenName === "SQL_COMMENT" || t.tokenName === "C_COMMENT") && t.text.includes(directiveMarker)) {
      out.push({ text: t.text, start: toChar(t.start), end: toChar(t.end) });
    }
  }
  return out;
}

interface Chunk {
  start: number;
  end: number;
}

/** Splits text into statements at top-level semicolons, using Postgres' scanner. */
function splitStatements(text: string, diagnostics: ParseDiagnostic[]): Chunk[] {
  const { tokens, error } = safeScan(text);
  const toChar = byteToCharMapper(text);
  const chunks: Chunk[] = [];
  let start = 0;
  for (const t of tokens) {
    if (t.tokenName === "ASCII_59") {
      const end = toChar(t.end);
      chunks.push({ start, end });
      start = end;
    }
  }
  if (error) {
    // The scanner cannot go past this error: the complete statements before it are still checked,
    // the rest of the file (from the start of the statement it is in) is one syntax error.
    diagnostics.push({
      ruleId: "syntax-error",
      message: `${error.message}; nothing from here to the end of the file was linted`,
      start: error.at,
    });
    return chunks;
  }
  if (text.slice(start).trim() !== "") chunks.push({ start, end: text.length });
  return chunks;
}

function buildStatements(text: string, offset: number, sourceText: string): ParsedStatement[] {
  const result = parseSync(text);
  const toChar = byteToCharMapper(text);
  const out: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    if (raw.stmt === undefined) continue;
    const bStart = raw.stmt_location ?? 0;
    const start = toChar(bStart) + offset;
    const end = (raw.stmt_len ? toChar(bStart + raw.stmt_len) : text.length) + offset;
    // Skip leading whitespace/comments so locations point at the statement keyword.
    let s = start;
    while (s < end && /\s/.test(sourceText[s] as string)) s++;
    const node = raw.stmt;
    const stmt: ParsedStatement = {
      node,
      kind: nodeKind(node),
      start: s,
      end,
      text: sourceText.slice(s, end),
      children: [],
      dynamicExecutes: 0,
    };
    if (stmt.kind === "DoStmt") expandDoBlock(stmt);
    out.push(stmt);
  }
  return out;
}

/** The SQL of a string literal expression like 'ALTER TABLE ...', or undefined when it is dynamic. */
function literalSql(expr: string): string | undefined {
  const trimmed = expr.trim();
  try {
    const parsed = parseSync(`SELECT ${trimmed}`);
    const target = asKind(parsed.stmts?.[0]?.stmt, "SelectStmt")?.targetList?.[0];
    const value = asKind(target, "ResTarget")?.val;
    const sval = asKind(value, "A_Const")?.sval?.sval;
    return sval;
  } catch {
    return undefined;
  }
}

interface PlStatementVisitor {
  sql(query: string, line: number, via: EmbeddedOrigin["via"]): void;
  dynamic(): void;
}

function visitPlpgsql(value: unknown, visitor: PlStatementVisitor): void {
  if (Array.isArray(value)) {
    for (const v of value) visitPlpgsql(v, visitor);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  const exec = obj.PLpgSQL_stmt_execsql as
    | { lineno?: number; sqlstmt?: { PLpgSQL_expr?: { query?: string } } }
    | undefined;
  if (exec?.sqlstmt?.PLpgSQL_expr?.query !== undefined) {
    visitor.sql(exec.sqlstmt.PLpgSQL_expr.query, exec.lineno ?? 1, "do-block");
  }
  const dyn = obj.PLpgSQL_stmt_dynexecute as
    | { lineno?: number; query?: { PLpgSQL_expr?: { query?: string } } }
    | undefined;
  if (dyn !== undefined) {
    const sql = literalSql(dyn.query?.PLpgSQL_expr?.query ?? "");
    if (sql === undefined) visitor.dynamic();
    else visitor.sql(sql, dyn.lineno ?? 1, "execute");
  }
  for (const k of Object.keys(obj)) visitPlpgsql(obj[k], visitor);
}

/** Parses the plpgsql body of a DO block and attaches the SQL statements it runs as children. */
function expandDoBlock(stmt: ParsedStatement): void {
  const language = asKind(stmt.node, "DoStmt")
    ?.args?.map((a) => asKind(a, "DefElem"))
    .find((d) => d?.defname === "language");
  const lang = asKind(language?.arg, "String")?.sval;
  if (lang !== undefined && lang.toLowerCase() !== "plpgsql") return;
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(stmt.text.endsWith(";") ? stmt.text : `${stmt.text};`);
  } catch {
    return;
  }
  visitPlpgsql(tree, {
    sql(query, line, via) {
      try {
        for (const child of buildStatements(query, 0, query)) {
          child.start = stmt.start;
          child.end = stmt.end;
          child.embedded = { via, bodyLine: line };
          stmt.children.push(child);
        }
      } catch {
        // A plpgsql expression that is not a full statement (e.g. PERFORM's target); nothing to check.
      }
    },
    dynamic() {
      stmt.dynamicExecutes++;
    },
  });
}

/** Parses one statement's text; locations in the tree are UTF-8 byte offsets into `text`. */
export function parseStatementSync(text: string): Node | undefined {
  try {
    return parseSync(text).stmts?.[0]?.stmt;
  } catch {
    return undefined;
  }
}

/** Postgres' tokens of `text` (byte offsets); empty when the scanner fails. */
export function scanTokens(text: string): ScanToken[] {
  return safeScan(text).tokens;
}

/** Parses one migration file. Never throws for bad SQL; problems become diagnostics. */
export function parseFile(source: SourceFile): ParsedFile {
  const diagnostics: ParseDiagnostic[] = [];
  if (source.invalidUtf8At !== undefined) {
    diagnostics.push({
      ruleId: "invalid-utf8",
      message:
        "the file is not valid UTF-8 from here on; Postgres rejects it under a UTF8 server encoding. Re-save the file as UTF-8",
      start: Math.min(source.invalidUtf8At, source.text.length),
    });
  }
  const text = blankMetaCommands(source.text, diagnostics);
  const directiveComments = collectDirectiveComments(text);
  let statements: ParsedStatement[];
  try {
    statements = buildStatements(text, 0, source.text);
  } catch {
    // Recover: parse statement by statement so one bad statement hides nothing else.
    statements = [];
    for (const chunk of splitStatements(text, diagnostics)) {
      const piece = text.slice(chunk.start, chunk.end);
      try {
        statements.push(...buildStatements(piece, chunk.start, source.text));
      } catch (error) {
        const pos = errorPosition(error, piece);
        let start = chunk.start + pos;
        if (pos === 0) while (start < chunk.end && /\s/.test(text[start] as string)) start++;
        diagnostics.push({ ruleId: "syntax-error", message: errorMessage(error), start });
      }
    }
  }
  return { path: source.path, text: source.text, statements, diagnostics, directiveComments };
}

/** Decodes file bytes as UTF-8, noting where invalid bytes start instead of failing. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeSource(path: string, bytes: Uint8Array): SourceFile {
  try {
    return { path, text: strictUtf8.decode(bytes) };
  } catch {
    // Binary search for the longest valid prefix (streaming mode tolerates a cut sequence at the end).
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
        lo = mid + 1;
      } catch {
        hi = mid;
      }
    }
    const text = new TextDecoder("utf-8").decode(bytes);
    // Streaming, so that an incomplete sequence at the end of the valid prefix (the start of the
    // invalid one) is not counted as a replacement character.
    const valid = new TextDecoder("utf-8").decode(bytes.subarray(0, lo), { stream: true });
    return { path, text, invalidUtf8At: valid.length };
  }
}
