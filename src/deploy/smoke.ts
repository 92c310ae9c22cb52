/**
 * Smoke tests: the HTTP checks of an environment's `smoke` list (status, body text, a JSON field,
 * latency), run against a release's URL before it gets traffic and again after, plus the optional
 * `smokeCommand` (e.g. a Playwright suite) run with SHIPGATE_TARGET_URL. Results are data; every
 * problem says what was expected and what came back, bodies cut to ~200 characters, never an env
 * value. Each HTTP test carries the proxy's smoke header, so the local target's proxy does not count
 * it as the release's traffic on the preview port.
 */
import type { Agent } from "undici";
import type { SmokeTest } from "../config/deploy-schema.js";
// The header's own module, not proxy/index.js: that loads undici, which this module loads lazily.
import { smokeRequestHeader } from "../proxy/smoke-request.js";
import { redactText, streamCommand } from "./artifact.js";

export interface SmokeResult {
  /** The test's name, default "METHOD path"; for the command: "command `…`". */
  name: string;
  ok: boolean;
  /** The response status (HTTP tests that got a response). */
  status?: number;
  /** Time until the whole response arrived (or the command ended). */
  latencyMs: number;
  /** What was expected and what came back; set when ok is false. */
  problem?: string;
}

export interface RunSmokeTestsOptions {
  /** The release's URL, e.g. the preview port; test paths are appended to it. */
  baseUrl: string;
  tests: SmokeTest[];
  /** `smokeCommand`: run through the shell in cwd with SHIPGATE_TARGET_URL=baseUrl; exit 0 passes. */
  command?: string;
  cwd: string;
  /** Extra environment for the command; its values are redacted from every problem. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Time limit of the command (default 10 minutes). */
  commandTimeoutMs?: number;
  /** Each output line of the command, redacted. */
  onLine?: (line: string) => void;
  /**
   * Values never to show (e.g. the release's env values, which a failing app may print in an error
   * page): masked in problems and command output without being passed to the command.
   */
  redact?: string[];
}

const defaultRequestTimeoutMs = 10_000;
const defaultCommandTimeoutMs = 10 * 60_000;
const maxBodyBytes = 4 * 1024 * 1024;
const snippetChars = 200;

/** A body cut for a message: one line, at most ~200 characters. */
function snippet(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  if (flat === "") return "(empty body)";
  return flat.length > snippetChars ? `${flat.slice(0, snippetChars)}… (${body.length} chars)` : flat;
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(value);
  return text.length > snippetChars ? `${text.slice(0, snippetChars)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// A small JSON path subset: $, .name, [0], ["key"], ['key']

export type JsonPathSegment = string | number;

/** Parses `$.a.b`, `$.a[0].b`, `$["key"]`; undefined when the path is outside the subset. */
export function parseJsonPath(path: string): JsonPathSegment[] | undefined {
  const p = path.trim();
  if (!p.startsWith("$")) return undefined;
  const out: JsonPathSegment[] = [];
  let i = 1;
  while (i < p.length) {
    const c = p[i];
    if (c === ".") {
      const m = /^[A-Za-z_$][\w$-]*/.exec(p.slice(i + 1));
      if (!m) return undefined;
      out.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === "[") {
      const rest = p.slice(i);
      const index = /^\[(\d+)\]/.exec(rest);
      if (index) {
        out.push(Number(index[1]));
        i += index[0].length;
        continue;
      }
      const quoted = /^\[(["'])((?:\\.|(?!\1).)*)\1\]/.exec(rest);
      if (!quoted) return undefined;
      out.push((quoted[2] as string).replace(/\\(.)/g, "$1"));
      i += quoted[0].length;
    } else {
      return undefined;
    }
  }
  return out;
}

/** Follows a parsed path; `found` is false when a segment is missing. */
export function evaluateJsonPath(
  value: unknown,
  segments: readonly JsonPathSegment[],
): { found: boolean; value?: unknown } {
  let current: unknown = value;
  for (const s of segments) {
    if (typeof s === "number") {
      if (!Array.isArray(current) || s >= current.length) return { found: false };
      current = current[s];
    } else {
      if (current === null || typeof current !== "object" || Array.isArray(current)) return { found: false };
      if (!Object.hasOwn(current, s)) return { found: false };
      current = (current as Record<string, unknown>)[s];
    }
  }
  return { found: true, value: current };
}

// ---------------------------------------------------------------------------------------------

function joinUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, "") + path;
}

/** An error as a short reason, without stack or request details. */
function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET")
    return "the connection was closed before a response";
  if (code === "ENOTFOUND") return "the host name did not resolve";
  const message = e.message ?? String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

async function readBody(
  body: AsyncIterable<Buffer | Uint8Array>,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    if (size + chunk.length > maxBodyBytes) {
      truncated = true;
      chunks.push(Buffer.from(chunk).subarray(0, maxBodyBytes - size));
      size = maxBodyBytes;
      break;
    }
    chunks.push(Buffer.from(chunk));
    size += chunk.length;
  }
  return { text: Buffer.concat(chunks, size).toString("utf8"), truncated };
}

async function runHttpTest(
  test: SmokeTest,
  options: RunSmokeTestsOptions,
  dispatcher: Agent,
  request: typeof import("undici").request,
): Promise<SmokeResult> {
  const name = test.name ?? `${test.method} ${test.path}`;
  const timeoutMs = test.maxLatency ?? defaultRequestTimeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  let status: number;
  let body: string;
  try {
    const response = await request(joinUrl(options.baseUrl, test.path), {
      method: test.method,
      headers: { ...test.headers, [smokeRequestHeader]: "1" },
      ...(test.body !== undefined ? { body: test.body } : {}),
      dispatcher,
      signal,
    });
    status = response.statusCode;
    body = (await readBody(response.body)).text;
  } catch (error) {
    const latencyMs = elapsed();
    let problem: string;
    if (options.signal?.aborted) problem = "stopped before a response (the deploy was aborted)";
    else if (timeout.aborted) {
      problem =
        test.maxLatency !== undefined
          ? `expected a response within maxLatency ${test.maxLatency} ms, got none after ${latencyMs} ms`
          : `expected a response within ${timeoutMs} ms, got none`;
    } else problem = `expected a response, but the request failed: ${describeError(error)}`;
    return { name, ok: false, latencyMs, problem };
  }
  const latencyMs = elapsed();

  const problems: string[] = [];
  if (status !== test.status) {
    problems.push(`expected status ${test.status}, got ${status}: ${snippet(body)}`);
  }
  if (test.bodyContains !== undefined && !body.includes(test.bodyContains)) {
    problems.push(`expected the body to contain ${show(test.bodyContains)}, got: ${snippet(body)}`);
  }
  if (test.json !== undefined) {
    const segments = parseJsonPath(test.json.path);
    if (!segments) {
      problems.push(
        `cannot read the JSON path ${show(test.json.path)}: use $.a.b, $.a[0].b or $["key"] (in shipgate.yaml smoke)`,
      );
    } else {
      let parsed: unknown;
      let isJson = true;
      try {
        parsed = JSON.parse(body);
      } catch {
        isJson = false;
      }
      if (!isJson) {
        problems.push(`expected a JSON body with ${test.json.path}, got: ${snippet(body)}`);
      } else {
        const at = evaluateJsonPath(parsed, segments);
        if (!at.found) {
          problems.push(
            `expected ${test.json.path} to equal ${show(test.json.equals)}, but the body has no ${test.json.path}: ${snippet(body)}`,
          );
        } else if (at.value !== test.json.equals) {
          problems.push(
            `expected ${test.json.path} to equal ${show(test.json.equals)}, got ${show(at.value)}`,
          );
        }
      }
    }
  }
  if (test.maxLatency !== undefined && latencyMs > test.maxLatency) {
    problems.push(`expected a response within maxLatency ${test.maxLatency} ms, it took ${latencyMs} ms`);
  }
  return {
    name,
    ok: problems.length === 0,
    status,
    latencyMs,
    ...(problems.length > 0 ? { problem: problems.join("; ") } : {}),
  };
}

async function runCommandTest(command: string, options: RunSmokeTestsOptions): Promise<SmokeResult> {
  const name = `command \`${command}\``;
  const started = performance.now();
  const result = await streamCommand({
    command,
    cwd: options.cwd,
    env: { ...process.env, ...options.env, SHIPGATE_TARGET_URL: options.baseUrl },
    timeoutMs: options.commandTimeoutMs ?? defaultCommandTimeoutMs,
    redact: [...Object.values(options.env ?? {}), ...(options.redact ?? [])],
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  const latencyMs = Math.round(performance.now() - started);
  if (result.code === 0) return { name, ok: true, latencyMs };
  const last = result.tail.slice(-3).join(" | ");
  let got: string;
  if (result.spawnError) got = `it could not start: ${result.spawnError.message}`;
  else if (result.aborted) got = "it was stopped (the deploy was aborted)";
  else if (result.timedOut)
    got = `it did not finish within ${options.commandTimeoutMs ?? defaultCommandTimeoutMs} ms`;
  else if (result.code === null) got = `it was killed by ${result.signal ?? "a signal"}`;
  else got = `it exited with code ${result.code}`;
  return {
    name,
    ok: false,
    latencyMs,
    problem: `expected exit code 0, ${got}${last === "" ? "" : `; last output: ${snippet(last)}`}`,
  };
}

/**
 * Runs the HTTP smoke tests in order against `baseUrl`, then the command when given. Every test
 * runs (a failure does not skip the rest) unless `signal` aborts; the results say which failed.
 */
export async function runSmokeTests(options: {
  baseUrl: string;
  tests: SmokeTest[];
  command?: string;
  cwd: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  commandTimeoutMs?: number;
  onLine?: (line: string) => void;
  redact?: string[];
}): Promise<SmokeResult[]> {
  const secrets = [...Object.values(options.env ?? {}), ...(options.redact ?? [])].sort(
    (a, b) => b.length - a.length,
  );
  const results: SmokeResult[] = [];
  // undici loads here, not at import: it costs ~100–400 ms and a rollback's traffic switch runs first.
  const { Agent: UndiciAgent, request } = await import("undici");
  const dispatcher = new UndiciAgent({ connections: 4 });
  try {
    for (const test of options.tests) {
      if (options.signal?.aborted) {
        results.push({
          name: test.name ?? `${test.method} ${test.path}`,
          ok: false,
          latencyMs: 0,
          problem: "not run: the deploy was aborted",
        });
        continue;
      }
      results.push(await runHttpTest(test, options, dispatcher, request));
    }
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
  if (options.command !== undefined) results.push(await runCommandTest(options.command, options));
  return results.map((r) =>
    r.problem === undefined ? r : { ...r, problem: redactText(redactUrl(r.problem), secrets) },
  );
}

/** Drops the user:password part of URLs in a message. */
function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1****@");
}
