/**
 * Error signatures from an instance's output: one line of stdout/stderr in, the normalized signature of
 * the error it reports out (or null when the line is not an error). The local target counts signatures
 * per release, and "a signature the canary has that the baseline never had" is a new error type.
 *
 * Which lines are errors:
 * - JSON object lines (pino, bunyan, winston, ECS, Google Cloud): an error when the level (`level`,
 *   `severity`, `lvl`, `levelname`, `log.level`) is error/err/fatal/critical/crit/alert/emerg/panic
 *   (any case) or a pino/bunyan numeric level ≥ 50 (50 error, 60 fatal), or when the line carries an
 *   `err` or `error` object. Signature: the error's type (`err.type` (pino), `err.name` (bunyan), a
 *   top-level `type`/`name` only when it names an error class (`…Error`, `…Exception`: bunyan's `name`
 *   is the logger's), or the head of a `stack`) + ": " + the message (`err.message`, else `msg`, else
 *   `message`); without a type, the message alone.
 * - Plain text: an error when
 *   - the line (after an optional leading timestamp) starts a JS error report, `TypeError: …`,
 *     `Error [ERR_CODE]: …`, `Uncaught RangeError: …`, any `<Name>Error:`/`<Name>Exception:`;
 *   - on stderr only, `: <Name>Error: ` appears inside the line (console.error("Failed:", err));
 *   - it reports an unhandled rejection or uncaught exception (`Unhandled rejection`,
 *     `UnhandledPromiseRejection`, `uncaughtException`); Node's `[UnhandledPromiseRejection: This error
 *     originated … with the reason "x".]` becomes `UnhandledPromiseRejection: <str>` (the reason);
 *   - it carries a level marker: an upper-case word ERROR/FATAL/CRITICAL/CRIT/PANIC/SEVERE/ERR!,
 *     `[error]` (any case), `level=error` (logfmt), or a line starting with `error:`/`fatal:` (winston's
 *     simple format, node-postgres errors).
 *   Signature: the text from the error type or after the marker (logfmt: the `msg=` value).
 * - Never errors: blank lines; indented stack frames (`    at foo (file.js:1:2)`) and the other
 *   continuation lines of a report (an indented `[cause]: …` or nested error); Node's process warnings
 *   (`(node:123) Warning: …`, DeprecationWarning, ExperimentalWarning) except
 *   UnhandledPromiseRejectionWarning; any line without one of the markers above, on either stream.
 *
 * Normalization, so one error from different requests has one signature: ANSI colours removed, URL
 * credentials and query strings dropped, then quoted strings → <str>, ISO timestamps → <time>,
 * UUIDs → <uuid>, emails → <email>, IPv4/IPv6 addresses → <ip>, hex ids of 8+ characters with a digit
 * (and 0x… numbers) → <hex>, numbers not glued to a preceding letter (so `v2`, `utf8`, `ERR_HTTP2`
 * stay; `150ms` → `<n>ms`) → <n>; whitespace collapsed; cut to 200 characters.
 * The sample is the line without ANSI colours and with URL credentials and query strings removed (they
 * can hold tokens), cut to 500 characters.
 */
import { stripVTControlCharacters } from "node:util";

export interface ErrorSignature {
  /** Normalized, at most 200 characters. */
  signature: string;
  /** The line, cut to 500 characters. */
  sample: string;
}

const maxSignature = 200;
const maxSample = 500;

export function errorSignature(stream: "out" | "err", line: string): ErrorSignature | null {
  const clean = redactUrls(stripVTControlCharacters(line).replace(/[\r\n]+$/, ""));
  if (clean.trim() === "") return null;
  const raw = clean.trimStart().startsWith("{") ? jsonSignature(clean) : undefined;
  const found = raw === undefined ? textSignature(stream, clean) : raw;
  if (found === null) return null;
  const signature = normalize(found).slice(0, maxSignature);
  return { signature: signature === "" ? "(no message)" : signature, sample: clean.slice(0, maxSample) };
}

// ---------------------------------------------------------------------------------------------------
// JSON lines

const errorLevels = new Set([
  "error",
  "err",
  "fatal",
  "critical",
  "crit",
  "alert",
  "emerg",
  "emergency",
  "panic",
]);

/** The raw (unnormalized) signature text, null when not an error, undefined when the line is not a JSON object. */
function jsonSignature(line: string): string | null | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const err = isRecord(parsed.err) ? parsed.err : isRecord(parsed.error) ? parsed.error : undefined;
  if (err === undefined && !isErrorLevel(parsed)) return null;
  // At the top level `name`/`type` are often the logger's name (bunyan) or an event kind: only take
  // them when they name an error class.
  const type =
    (err === undefined ? undefined : errorType(err, /^[A-Za-z_$][\w$.]*$/)) ?? errorType(parsed, errorClass);
  const message = firstString(err?.message, parsed.msg, parsed.message) ?? "";
  return type === undefined ? message : `${type}: ${message}`;
}

function isErrorLevel(entry: Record<string, unknown>): boolean {
  const log = isRecord(entry.log) ? entry.log : {};
  for (const level of [
    entry.level,
    entry.severity,
    entry.lvl,
    entry.levelname,
    entry["log.level"],
    log.level,
  ]) {
    if (typeof level === "number" && level >= 50) return true;
    if (typeof level === "string") {
      const value = level.trim().toLowerCase();
      if (errorLevels.has(value)) return true;
      if (/^\d+$/.test(value) && Number(value) >= 50) return true;
    }
  }
  return false;
}

const errorClass = /^[A-Z][\w$]*(?:Error|Exception)$/;

/** The error's class: pino's `type`, bunyan's `name` (when they match `accept`), or the type heading a `stack`. */
function errorType(entry: Record<string, unknown>, accept: RegExp): string | undefined {
  for (const candidate of [entry.type, entry.name]) {
    if (typeof candidate === "string" && accept.test(candidate)) return candidate;
  }
  if (typeof entry.stack === "string") {
    const head = /^\s*([A-Z][\w$]*(?:Error|Exception))\b/.exec(entry.stack);
    if (head) return head[1];
  }
  return undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && value.trim() !== "") return value;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// Plain text

const leadingTimestamp =
  /^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s*/;
const nodeProcessMessage = /^\(node:\d+\)\s/;
const jsErrorHead = /^(?:Uncaught\s+)?((?:[A-Z][\w$]*)?(?:Error|Exception)(?:\s\[[\w.-]+\])?:.*)$/;
const jsErrorInside = /:\s((?:Uncaught\s+)?[A-Z][\w$]*(?:Error|Exception)(?:\s\[[\w.-]+\])?:.*)$/;
const unhandled = /(?:unhandled\s?(?:promise\s?)?rejection|uncaught\s?exception)/i;
const logfmtLevel = /(?:^|\s)(?:level|lvl)=["']?(?:error|err|fatal|critical|crit|panic|emerg|alert)\b["']?/i;
const logfmtMessage = /(?:^|\s)(?:msg|message)=(?:"((?:[^"\\]|\\.)*)"|(\S+))/;
const upperMarker = /(?:^|[\s[(|<])(?:ERROR|FATAL|CRITICAL|CRIT|PANIC|SEVERE|ERR!)(?=$|[\s\]):|,>-])/;
const bracketMarker = /[[<](?:error|err|fatal|critical|crit|panic|emerg|alert)[\]>]/i;
const leadingLevelWord = /^(?:error|fatal|critical)(?=\s*[:|]|\s+-\s)/i;

function textSignature(stream: "out" | "err", line: string): string | null {
  // Continuation lines of a report: stack frames, [cause]: …, nested errors — all indented.
  if (
    /^\s+at\s/.test(line) ||
    /^at\s.*(?::\d+(?::\d+)?\)?|\(<anonymous>\)|\(native\)|\(index \d+\))$/.test(line)
  ) {
    return null;
  }
  const indented = /^\s/.test(line);
  const text = line.trim().replace(leadingTimestamp, "");
  if (nodeProcessMessage.test(text)) {
    const rejection = /UnhandledPromiseRejectionWarning:\s*(.*)$/.exec(text);
    return rejection ? `UnhandledPromiseRejection: ${rejection[1]}` : null;
  }
  if (!indented) {
    const head = jsErrorHead.exec(text);
    if (head) return head[1] as string;
    if (stream === "err" && jsErrorInside.test(text)) return text;
  }
  // Node ≥ 15 rejecting with a non-Error: the boilerplate would fill the 200 characters, keep the reason.
  const reason = /^\[UnhandledPromiseRejection:.*The promise rejected with the reason (.*?)\.?\]/.exec(text);
  if (reason) return `UnhandledPromiseRejection: ${reason[1]}`;
  const rejection = unhandled.exec(text);
  if (rejection) return text.slice(rejection.index);
  if (logfmtLevel.test(text)) {
    const message = logfmtMessage.exec(text);
    return message
      ? ((message[1] ?? message[2]) as string).replace(/\\(.)/g, "$1")
      : text.replace(logfmtLevel, " ");
  }
  const level =
    (indented ? null : leadingLevelWord.exec(text)) ?? upperMarker.exec(text) ?? bracketMarker.exec(text);
  if (level) return text.slice(level.index + level[0].length).replace(/^[\s:\]|>-]+/, "");
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Normalization

/** Drops credentials and query strings from URLs (they can hold secrets, and vary per request). */
function redactUrls(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'`]+@/gi, "$1")
    .replace(/((?:\b[a-z][a-z0-9+.-]*:\/\/|(?<![\w)])\/)[^\s?#"'`]*)\?[^\s#"'`]+/gi, "$1");
}

const patterns: [RegExp, string][] = [
  [/"(?:[^"\\]|\\.)*"|(?<!\w)'(?:[^'\\]|\\.)*'(?!\w)|`(?:[^`\\]|\\.)*`/g, "<str>"],
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  [/[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b/gi, "<email>"],
  [/(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])/g, "<ip>"],
  [/\b0x[0-9a-f]+\b/gi, "<hex>"],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, "<hex>"],
  [/(?<![\w.])\d+(?:\.\d+)?/g, "<n>"],
  [/\s+/g, " "],
];

/** IPv6, full or compressed (`::1`, `fe80::1`, `::ffff:10.0.0.1`); only with a hex digit, so `a :: b` stays. */
const ipv6 =
  /(?<![\w:.])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}(?:\d{1,3}(?:\.\d{1,3}){3})?)(?![\w:])/gi;

/** Replaces the volatile parts of an error message with placeholders (see the file header). */
function normalize(text: string): string {
  let out = redactUrls(text);
  for (const [index, [pattern, placeholder]] of patterns.entries()) {
    // Addresses go after e-mails (`a@b.io`) and before hex ids and numbers (`fe80::1`, `10.0.0.1`).
    if (index === 4) out = out.replace(ipv6, (match) => (/[0-9a-f]/i.test(match) ? "<ip>" : match));
    out = out.replace(pattern, placeholder);
  }
  return out.trim();
}
