/**
 * The PromQL metric provider for canary analysis: fills a query template's `{{name}}` placeholders
 * (release, version, environment, interval …), runs it as an instant query against a Prometheus
 * server (GET /api/v1/query) and reduces the answer to one number. No series, NaN or ±Inf is
 * `value: null` — too little data, which analysis treats as inconclusive, never as a pass. A query
 * that returns several series is a config error: it must aggregate to one (e.g. with sum()).
 */
import { ShipgateError } from "../core/errors.js";

export interface PromQueryOptions {
  /** Prometheus base URL, e.g. http://prometheus:9090 (a path prefix is kept; user:pass@ becomes Basic auth). */
  url: string;
  /** PromQL with `{{name}}` placeholders. */
  query: string;
  /** Placeholder values, e.g. { release: "r-ab12", version: "v2", environment: "production", interval: "60s" }. */
  vars: Record<string, string>;
  /** Request timeout (default 10 s); also sent to Prometheus as the query timeout. */
  timeoutMs?: number;
  /** Evaluation time (default: now). */
  at?: Date;
  /** The fetch to use (default: undici's). */
  fetch?: typeof fetch;
  /** Extra request headers, e.g. Authorization. Never echoed in errors. */
  headers?: Record<string, string>;
}

export interface PromQueryResult {
  /** The value; null when the query returned no series or a NaN/±Inf value (inconclusive). */
  value: number | null;
  /** How many series the query returned (0 or 1; a scalar counts as 1). */
  series: number;
  /** The query sent, placeholders filled. */
  query: string;
  /** Why value is null, e.g. "the query returned no series". */
  reason?: string;
  /** Warnings Prometheus attached to the answer. */
  warnings?: string[];
}

const defaultTimeoutMs = 10_000;
const placeholderPattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/**
 * Replaces each `{{name}}` with vars[name], escaped for use inside a PromQL double-quoted string
 * (label matchers): backslash, double quote and line breaks. An unknown name is a CONFIG_INVALID error.
 */
export function fillPromQuery(template: string, vars: Record<string, string>): string {
  const known = Object.keys(vars).sort();
  const unknown = new Set<string>();
  const filled = template.replace(placeholderPattern, (match, name: string) => {
    if (!Object.hasOwn(vars, name)) {
      unknown.add(name);
      return match;
    }
    return escapePromString(vars[name] ?? "");
  });
  if (unknown.size > 0) {
    const names = [...unknown].map((n) => `{{${n}}}`).join(", ");
    const knownText = known.length > 0 ? known.map((n) => `{{${n}}}`).join(", ") : "none";
    throw new ShipgateError("CONFIG_INVALID", `Unknown placeholder ${names} in the PromQL query`, {
      details: [`query: ${template}`, `known placeholders: ${knownText}`],
      hint: `Use only ${knownText} in the metric's PromQL query in shipgate.yaml.`,
    });
  }
  return filled;
}

function escapePromString(value: string): string {
  return value.replace(/[\\"\n\r]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    return `\\${c}`;
  });
}

/** Runs the filled query as an instant query and reduces the answer to one number (or null). */
export async function queryPrometheus(options: PromQueryOptions): Promise<PromQueryResult> {
  const query = fillPromQuery(options.query, options.vars);
  const target = parseBaseUrl(options.url);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const at = options.at ?? new Date();

  const endpoint = new URL("api/v1/query", target.base);
  endpoint.search = new URLSearchParams({
    query,
    time: (at.getTime() / 1000).toFixed(3),
    timeout: `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`,
  }).toString();

  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (target.authorization && !hasHeader(headers, "authorization"))
    headers.authorization = target.authorization;

  const doFetch = options.fetch ?? (await loadUndiciFetch());
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await doFetch(endpoint, { method: "GET", headers, signal });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw connectionError(target.display, timeoutMs, signal.aborted, error);
  }
  return interpret(target.display, query, status, text);
}

interface BaseUrl {
  /** The URL without credentials, with a trailing slash so relative paths append. */
  base: URL;
  /** origin + path, for messages: no credentials, no query string. */
  display: string;
  authorization?: string;
}

function parseBaseUrl(raw: string): BaseUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ShipgateError("CONFIG_INVALID", "The Prometheus URL is not a valid URL", {
      hint: "Set the metric's prometheus url in shipgate.yaml to e.g. http://prometheus:9090.",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ShipgateError("CONFIG_INVALID", `The Prometheus URL must be http(s), got ${url.protocol}`, {
      hint: "Set the metric's prometheus url in shipgate.yaml to e.g. http://prometheus:9090.",
    });
  }
  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`;
  const display = `${url.origin}${url.pathname.replace(/\/$/, "")}`;
  return authorization ? { base: url, display, authorization } : { base: url, display };
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

async function loadUndiciFetch(): Promise<typeof fetch> {
  // Loaded on first use: undici costs ~100–400 ms to import and most commands never query Prometheus.
  const undici = await import("undici");
  // undici's fetch and the global fetch type are the same implementation with nominally different
  // Request/Response types; the cast only bridges those declarations.
  return undici.fetch as unknown as typeof fetch;
}

function connectionError(
  display: string,
  timeoutMs: number,
  timedOut: boolean,
  error: unknown,
): ShipgateError {
  const hint = `Check that Prometheus runs and answers \`curl ${display}/-/ready\`, or fix the metric's prometheus url in shipgate.yaml.`;
  if (timedOut) {
    return new ShipgateError(
      "TARGET_FAILED",
      `Prometheus at ${display} did not answer within ${timeoutMs} ms`,
      {
        hint,
      },
    );
  }
  return new ShipgateError(
    "TARGET_FAILED",
    `Could not reach Prometheus at ${display}: ${describeCause(error)}`,
    {
      hint,
    },
  );
}

/** The most specific reason in an error chain (e.g. "connect ECONNREFUSED 127.0.0.1:9090"). */
function describeCause(error: unknown): string {
  let current: unknown = error;
  let message = "unknown error";
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as NodeJS.ErrnoException).code;
    message = code && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
    current = current.cause;
  }
  return message;
}

/** The documented /api/v1 envelope (https://prometheus.io/docs/prometheus/latest/querying/api/). */
interface ApiBody {
  status?: unknown;
  data?: { resultType?: unknown; result?: unknown };
  errorType?: unknown;
  error?: unknown;
  warnings?: unknown;
}

function interpret(display: string, query: string, status: number, text: string): PromQueryResult {
  let body: ApiBody | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") body = parsed as ApiBody;
  } catch {
    body = undefined;
  }

  if (body?.status === "error" || status < 200 || status >= 300) {
    throw apiError(display, query, status, body, text);
  }
  if (body?.status !== "success" || !body.data) {
    throw new ShipgateError(
      "TARGET_FAILED",
      `Prometheus at ${display} sent an answer that is not a query result`,
      {
        details: [`HTTP ${status}: ${snippet(text)}`],
        hint: `Check that ${display} is a Prometheus server (its /api/v1/query answers JSON).`,
      },
    );
  }

  const warnings = Array.isArray(body.warnings) ? body.warnings.map(String) : [];
  const extra = warnings.length > 0 ? { warnings } : {};
  const { resultType, result } = body.data;

  if (resultType === "scalar") {
    return { ...toValue(sampleValue(result), query), series: 1, ...extra };
  }
  if (resultType === "vector" && Array.isArray(result)) {
    if (result.length === 0) {
      return { value: null, series: 0, query, reason: "the query returned no series", ...extra };
    }
    if (result.length > 1) {
      const shown = result.slice(0, 5).map((s) => formatLabels((s as { metric?: unknown }).metric));
      throw new ShipgateError(
        "CONFIG_INVALID",
        `The PromQL query returned ${result.length} series; it must aggregate to one series`,
        {
          details: [`query: ${query}`, ...shown.map((labels) => `series: ${labels}`)],
          hint: "Wrap the query in an aggregation such as sum(...) or max(...) in the metric's query in shipgate.yaml.",
        },
      );
    }
    return { ...toValue(sampleValue((result[0] as { value?: unknown }).value), query), series: 1, ...extra };
  }
  throw new ShipgateError(
    "CONFIG_INVALID",
    `The PromQL query returned a ${String(resultType)}; analysis needs one number (an instant vector or a scalar)`,
    {
      details: [`query: ${query}`],
      hint: "Turn a range selector into a number, e.g. sum(rate(metric[{{interval}}])), in the metric's query in shipgate.yaml.",
    },
  );
}

/** Prometheus encodes a sample as [unixSeconds, "value"], the value as a Go float string. */
function sampleValue(sample: unknown): string | undefined {
  if (Array.isArray(sample) && typeof sample[1] === "string") return sample[1];
  return undefined;
}

function toValue(
  raw: string | undefined,
  query: string,
): { value: number | null; query: string; reason?: string } {
  if (raw === undefined) return { value: null, query, reason: "the answer held no sample value" };
  // Go formats infinities as "+Inf"/"-Inf", which Number() does not read.
  if (/^[+-]?Inf$/i.test(raw)) {
    return { value: null, query, reason: `the query returned ${raw} (e.g. a division by zero)` };
  }
  const value = Number(raw);
  if (Number.isNaN(value)) {
    return { value: null, query, reason: "the query returned NaN (e.g. 0/0: no requests in the interval)" };
  }
  if (!Number.isFinite(value)) {
    return { value: null, query, reason: `the query returned ${raw} (e.g. a division by zero)` };
  }
  return { value, query };
}

function apiError(
  display: string,
  query: string,
  status: number,
  body: ApiBody | undefined,
  text: string,
): ShipgateError {
  const errorType = typeof body?.errorType === "string" ? body.errorType : undefined;
  const errorText = typeof body?.error === "string" ? body.error : undefined;
  const details = [`query: ${query}`, `HTTP ${status}${errorType ? `, errorType ${errorType}` : ""}`];
  if (!errorText) details.push(`body: ${snippet(text)}`);
  const what = errorText ? `${errorType ?? "error"}: ${errorText}` : `HTTP ${status}`;

  // bad_data is Prometheus' answer to a query it cannot parse or run as written: the user's config.
  if (errorType === "bad_data") {
    return new ShipgateError("CONFIG_INVALID", `Prometheus rejected the PromQL query (${what})`, {
      details,
      hint: `Fix the metric's query in shipgate.yaml; try it first with \`curl ${display}/api/v1/query --data-urlencode 'query=...'\`.`,
    });
  }
  const hint =
    status === 401 || status === 403
      ? "Prometheus refused the credentials: set the metric's prometheus headers (e.g. Authorization) in shipgate.yaml."
      : `Check Prometheus at ${display} (\`curl ${display}/-/ready\`) and its logs, then retry.`;
  return new ShipgateError("TARGET_FAILED", `Prometheus at ${display} failed the query (${what})`, {
    details,
    hint,
  });
}

function formatLabels(metric: unknown): string {
  if (!metric || typeof metric !== "object") return "{}";
  const pairs = Object.entries(metric as Record<string, unknown>).map(([k, v]) => `${k}="${String(v)}"`);
  return `{${pairs.join(", ")}}`;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || "(empty)";
}
