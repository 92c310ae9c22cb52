/**
 * The `env.*` builders. Each returns an EnvSpec: the metadata of one variable (kind, description,
 * example, secret, default, devDefault, optional, choices), the zod schema of its parsed value, and a
 * strict parser from the raw string. Parsing is strict where zod's coercion is lax: "" is never 0,
 * "3x" is never 3, "30" is never a duration; anything not in the documented format is an error.
 *
 * A parse failure carries a `detail` that never repeats the raw value, so it is safe to print for
 * secret variables too.
 */
import { z } from "zod";

export type EnvKind =
  | "string"
  | "number"
  | "boolean"
  | "url"
  | "port"
  | "enum"
  | "json"
  | "duration"
  | "list";

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; detail?: string };

export interface EnvSpec<T> {
  readonly kind: EnvKind;
  /** zod schema of the parsed value (after the strict string parsing). */
  readonly schema: z.ZodType<T>;
  readonly description: string | undefined;
  /** The example value as written in a .env file. */
  readonly example: string | undefined;
  readonly secret: boolean;
  /** Whether the variable may be missing (without a default: the value is undefined). */
  readonly optional: boolean;
  /** The parsed default value; undefined when there is none. */
  readonly default: T | undefined;
  /** The parsed default used only when NODE_ENV is development or test. */
  readonly devDefault: T | undefined;
  /** The allowed values of an enum. */
  readonly choices: readonly string[] | undefined;
  /** The expected format in words, as shown in error messages and .env.example. */
  readonly expected: string;
  /** Parses a raw (non-empty) value strictly. */
  parse(raw: string): ParseOutcome<T>;
  /** Writes a parsed value the way it would be written in a .env file. */
  format(value: T): string;
}

/** Any spec, as accepted by defineEnv and generateEnvExample. */
export type AnyEnvSpec = EnvSpec<unknown>;

/** The value type a spec produces. */
export type InferSpec<S> = S extends EnvSpec<infer T> ? T : never;

/** Options every builder accepts. D is the type of `default`/`devDefault`. */
export interface EnvOptions<D> {
  /** What the variable is for; shown in errors and as a comment in .env.example. */
  description?: string;
  /** An example value as written in a .env file; must be valid. Used in .env.example. */
  example?: string;
  /** Never show the value (errors, .env.example). */
  secret?: boolean;
  /** Used when the variable is missing or empty. */
  default?: D;
  /** Used when the variable is missing or empty and NODE_ENV is development or test; wins over default there. */
  devDefault?: D;
  /** The variable may be missing; without a default its value is undefined. */
  optional?: boolean;
}

export interface JsonOptions<T> extends EnvOptions<T> {
  /** A zod schema the parsed JSON must match; the type is inferred from it. */
  schema?: z.ZodType<T>;
}

/**
 * A builder's overloads: optional without default → T | undefined; with a default or not optional →
 * T; a non-literal `optional` flag → T | undefined.
 */
export interface Builder<T, D = T> {
  (options: EnvOptions<D> & { optional: true; default?: undefined }): EnvSpec<T | undefined>;
  (options: EnvOptions<D> & { default: D }): EnvSpec<T>;
  (options?: EnvOptions<D> & { optional?: false }): EnvSpec<T>;
  (options: EnvOptions<D>): EnvSpec<T | undefined>;
}

export interface EnvBuilders {
  /** Any non-empty string. */
  string: Builder<string>;
  /** A finite decimal number: 3, -1.5, 2e3. Not "", " ", "3x", "0x10", "Infinity". */
  number: Builder<number>;
  /** true/false, 1/0, yes/no, case-insensitive. */
  boolean: Builder<boolean>;
  /** An absolute URL with `scheme://`. */
  url: Builder<string>;
  /** An integer 1–65535. */
  port: Builder<number>;
  /** One of the given strings, exactly. */
  enum<const C extends readonly [string, ...string[]]>(
    choices: C,
    options: EnvOptions<C[number]> & { optional: true; default?: undefined },
  ): EnvSpec<C[number] | undefined>;
  enum<const C extends readonly [string, ...string[]]>(
    choices: C,
    options: EnvOptions<C[number]> & { default: C[number] },
  ): EnvSpec<C[number]>;
  enum<const C extends readonly [string, ...string[]]>(
    choices: C,
    options?: EnvOptions<C[number]> & { optional?: false },
  ): EnvSpec<C[number]>;
  enum<const C extends readonly [string, ...string[]]>(
    choices: C,
    options: EnvOptions<C[number]>,
  ): EnvSpec<C[number] | undefined>;
  /** JSON text, parsed; with `schema`, validated against it. */
  json<T = unknown>(
    options: JsonOptions<T> & { optional: true; default?: undefined },
  ): EnvSpec<T | undefined>;
  json<T = unknown>(options: JsonOptions<T> & { default: T }): EnvSpec<T>;
  json<T = unknown>(options?: JsonOptions<T> & { optional?: false }): EnvSpec<T>;
  json<T = unknown>(options: JsonOptions<T>): EnvSpec<T | undefined>;
  /** A duration such as 500ms, 30s, 5m, 2h, 1d, in milliseconds. Defaults may be "30s" or 30000. */
  duration: Builder<number, string | number>;
  /** Comma-separated strings, each trimmed: "a,b, c" → ["a", "b", "c"]. */
  list: Builder<readonly string[]>;
}

interface KindDefinition<T> {
  kind: EnvKind;
  schema: z.ZodType<T>;
  expected: string;
  /** Strict string → candidate value; the schema then checks the candidate. */
  read(raw: string): ParseOutcome<unknown>;
  format(value: T): string;
  /** Checks a default given in code (default: through the schema; duration also accepts "30s"). */
  fromDefault?(value: unknown): ParseOutcome<T>;
  /** Explains schema issues without the received value (default: no detail). */
  describeIssues?(issues: readonly z.core.$ZodIssue[]): string;
  choices?: readonly string[];
}

function ok<T>(value: T): ParseOutcome<T> {
  return { ok: true, value };
}

const fail: ParseOutcome<never> = { ok: false };

function check<T>(definition: KindDefinition<T>, candidate: ParseOutcome<unknown>): ParseOutcome<T> {
  if (!candidate.ok) return candidate;
  const result = definition.schema.safeParse(candidate.value);
  if (result.success) return ok(result.data);
  const detail = definition.describeIssues?.(result.error.issues);
  return detail ? { ok: false, detail } : fail;
}

function makeSpec<T>(definition: KindDefinition<T>, options: EnvOptions<unknown> = {}): EnvSpec<T> {
  const parse = (raw: string): ParseOutcome<T> => {
    const outcome = check(definition, definition.read(raw));
    return outcome.ok ? ok(deepFreeze(outcome.value)) : outcome;
  };
  const where = (option: string): string =>
    `env.${definition.kind}: invalid ${option}${options.description ? ` (${options.description})` : ""}`;
  const fromCode = (option: "default" | "devDefault"): T | undefined => {
    const given = options[option];
    if (given === undefined) return undefined;
    const outcome = definition.fromDefault ? definition.fromDefault(given) : check(definition, ok(given));
    if (!outcome.ok) {
      throw new TypeError(`${where(option)}: expected ${definition.expected}${detailSuffix(outcome)}`);
    }
    return deepFreeze(outcome.value);
  };
  const defaultValue = fromCode("default");
  const devDefault = fromCode("devDefault");
  if (options.example !== undefined) {
    const outcome = parse(options.example);
    if (options.example === "" || !outcome.ok) {
      throw new TypeError(`${where("example")}: expected ${definition.expected}${detailSuffix(outcome)}`);
    }
  }
  return Object.freeze({
    kind: definition.kind,
    schema: definition.schema,
    description: options.description,
    example: options.example,
    secret: options.secret === true,
    optional: options.optional === true,
    default: defaultValue,
    devDefault,
    choices: definition.choices,
    expected: definition.expected,
    parse,
    format: definition.format,
  });
}

function detailSuffix(outcome: ParseOutcome<unknown>): string {
  return !outcome.ok && outcome.detail ? ` (${outcome.detail})` : "";
}

/** Freezes objects and arrays recursively (parsed lists, JSON values, defaults). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

// --- kinds ------------------------------------------------------------------------------------------

const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function readNumber(raw: string): ParseOutcome<unknown> {
  if (!decimal.test(raw)) return fail;
  const value = Number(raw);
  return Number.isFinite(value) ? ok(value) : { ok: false, detail: "out of range" };
}

const stringKind: KindDefinition<string> = {
  kind: "string",
  schema: z.string().min(1),
  expected: "a non-empty string",
  read: ok,
  format: (value) => value,
};

const numberKind: KindDefinition<number> = {
  kind: "number",
  schema: z.number(),
  expected: "a number (decimal, e.g. 3, -1.5 or 2e3)",
  read: readNumber,
  format: (value) => String(value),
};

const booleanWords: Record<string, boolean> = {
  true: true,
  false: false,
  "1": true,
  "0": false,
  yes: true,
  no: false,
};

const booleanKind: KindDefinition<boolean> = {
  kind: "boolean",
  schema: z.boolean(),
  expected: "a boolean: true, false, 1, 0, yes or no",
  read: (raw) => {
    const value = booleanWords[raw.toLowerCase()];
    return value === undefined ? fail : ok(value);
  },
  format: (value) => String(value),
};

const schemeAndSlashes = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

const urlKind: KindDefinition<string> = {
  kind: "url",
  schema: z.url().refine((value) => schemeAndSlashes.test(value)),
  expected: "an absolute URL (scheme://host...)",
  read: ok,
  format: (value) => value,
};

const portKind: KindDefinition<number> = {
  kind: "port",
  schema: z.number().int().min(1).max(65535),
  expected: "a port number 1–65535",
  read: (raw) => (/^\d+$/.test(raw) ? ok(Number(raw)) : fail),
  format: (value) => String(value),
};

function enumKind<C extends readonly [string, ...string[]]>(choices: C): KindDefinition<C[number]> {
  return {
    kind: "enum",
    schema: z.enum(choices as unknown as [C[number], ...C[number][]]),
    expected: `one of: ${choices.join(", ")}`,
    read: ok,
    format: (value) => value,
    choices: Object.freeze([...choices]),
  };
}

function jsonKind<T>(schema: z.ZodType<T> | undefined, secret: boolean): KindDefinition<T> {
  return {
    kind: "json",
    schema: schema ?? (z.unknown() as z.ZodType<T>),
    expected: schema ? "JSON matching the schema" : "valid JSON",
    read: (raw) => {
      try {
        return ok(JSON.parse(raw));
      } catch {
        // JSON.parse's message quotes the input; never pass it on.
        return { ok: false, detail: "not valid JSON" };
      }
    },
    format: (value) => JSON.stringify(value),
    // A default is already the schema's output (a transform must not run twice).
    fromDefault: (value) => ok(value as T),
    describeIssues: (issues) => {
      if (secret) return "does not match the schema";
      // zod 4 issue messages name the expectation, not the received value.
      return issues
        .slice(0, 3)
        .map(
          (issue) =>
            `${issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ` : ""}${issue.message}`,
        )
        .join("; ");
    },
  };
}

const durationUnits = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type DurationUnit = keyof typeof durationUnits;
const durationText = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

function readDuration(raw: string): ParseOutcome<unknown> {
  const match = durationText.exec(raw);
  if (!match) return fail;
  const amount = Number(match[1]);
  const value = amount * durationUnits[match[2] as DurationUnit];
  if (!Number.isSafeInteger(value)) return { ok: false, detail: "not a whole number of milliseconds" };
  return ok(value);
}

function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms !== 0 && ms % durationUnits[unit] === 0) return `${ms / durationUnits[unit]}${unit}`;
  }
  return `${ms}ms`;
}

const durationKind: KindDefinition<number> = {
  kind: "duration",
  schema: z.number().int().nonnegative(),
  expected: "a duration: a number with a unit ms, s, m, h or d (e.g. 500ms, 30s, 5m)",
  read: readDuration,
  format: formatDuration,
  fromDefault: (value) => check(durationKind, typeof value === "string" ? readDuration(value) : ok(value)),
};

const listKind: KindDefinition<readonly string[]> = {
  kind: "list",
  schema: z.array(z.string().min(1)).readonly(),
  expected: "a comma-separated list (e.g. a,b,c)",
  read: (raw) => {
    const items = raw.split(",").map((item) => item.trim());
    const empty = items.indexOf("");
    if (empty !== -1) return { ok: false, detail: `item ${empty + 1} is empty` };
    return ok(deepFreeze(items));
  },
  format: (value) => value.join(","),
};

// --- builders ---------------------------------------------------------------------------------------

function builder<T, D = T>(definition: KindDefinition<T>): Builder<T, D> {
  return ((options?: EnvOptions<D>) => makeSpec(definition, options)) as Builder<T, D>;
}

/** The builders of variable specs: `env.string()`, `env.port({ default: 3000 })`, ... */
export const env: EnvBuilders = {
  string: builder(stringKind),
  number: builder(numberKind),
  boolean: builder(booleanKind),
  url: builder(urlKind),
  port: builder(portKind),
  enum: ((choices: readonly [string, ...string[]], options?: EnvOptions<string>) => {
    if (!Array.isArray(choices) || choices.length === 0 || choices.some((c) => typeof c !== "string")) {
      throw new TypeError("env.enum: choices must be a non-empty array of strings");
    }
    return makeSpec(enumKind(choices), options);
  }) as EnvBuilders["enum"],
  json: ((options?: JsonOptions<unknown>) =>
    makeSpec(jsonKind(options?.schema, options?.secret === true), options)) as EnvBuilders["json"],
  duration: builder<number, string | number>(durationKind),
  list: builder(listKind),
};

/** Whether a value is a spec made by the env builders. */
export function isEnvSpec(value: unknown): value is AnyEnvSpec {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { parse?: unknown }).parse === "function" &&
    typeof (value as { kind?: unknown }).kind === "string"
  );
}
