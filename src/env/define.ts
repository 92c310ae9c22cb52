/**
 * defineEnv: validates every variable of a schema at once and returns a frozen, fully typed object.
 * All problems are collected into one EnvValidationError; its message never contains the value of a
 * secret variable, and passwords inside URLs are masked in every value it shows.
 *
 * This module is independent of the CLI (no import from src/core), so an application importing
 * `shipgate/env` loads only this folder and zod.
 */
import { masked, maskUrlPasswords } from "./mask.js";
import { type AnyEnvSpec, type InferSpec, isEnvSpec, type ParseOutcome } from "./specs.js";

/** The specs of an environment, keyed by variable name. */
export type EnvSchema = Readonly<Record<string, AnyEnvSpec>>;

/** The validated environment: each variable's parsed type, read-only. */
export type InferEnv<S extends EnvSchema> = { readonly [K in keyof S]: InferSpec<S[K]> };

export interface EnvProblem {
  /** The variable's name. */
  readonly name: string;
  readonly kind: "missing" | "invalid";
  /** One line, safe to print: no secret value, URL passwords masked. */
  readonly message: string;
}

/**
 * The failure of defineEnv: every missing or invalid variable, one per line in `message`. It carries
 * no raw value of any variable, so logging it (message, stack, JSON) cannot leak a secret.
 */
export class EnvValidationError extends Error {
  readonly problems: readonly EnvProblem[];
  /** The process exit code defineEnvOrExit uses by default. */
  readonly exitCode: number;

  constructor(problems: readonly EnvProblem[], exitCode = 1) {
    super(
      [
        `Invalid environment: ${problems.length} ${problems.length === 1 ? "problem" : "problems"}`,
        ...problems.map((problem) => `  - ${problem.message}`),
      ].join("\n"),
    );
    this.name = "EnvValidationError";
    this.problems = Object.freeze(problems.map((problem) => Object.freeze({ ...problem })));
    this.exitCode = exitCode;
  }
}

export interface DefineEnvOptions {
  /** Where the variables are read from. Default: process.env. */
  source?: Readonly<Record<string, string | undefined>>;
  /**
   * The environment mode. "development" and "test" enable devDefault and the unknown-key check.
   * Default: source.NODE_ENV.
   */
  nodeEnv?: string | undefined;
}

export interface DefineEnvOrExitOptions extends DefineEnvOptions {
  /** Exit code on invalid environment. Default: 1. */
  exitCode?: number;
}

const developmentModes = new Set(["development", "test"]);

/** Value text shown in errors: masked, shortened, quoted. Only for non-secret variables. */
function showValue(raw: string): string {
  const text = maskUrlPasswords(raw);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

function describeNodeEnv(nodeEnv: string | undefined): string {
  return nodeEnv === undefined ? "NODE_ENV is not set" : `NODE_ENV is ${JSON.stringify(nodeEnv)}`;
}

function missingMessage(
  name: string,
  spec: AnyEnvSpec,
  raw: string | undefined,
  nodeEnv: string | undefined,
) {
  const parts = [`Missing required environment variable: ${name}`];
  if (spec.description) parts.push(` (${spec.description})`);
  if (raw === "") parts.push(" - it is set but empty, and an empty value counts as missing");
  parts.push(`; expected ${spec.expected}`);
  if (spec.example !== undefined) parts.push(`, e.g. ${spec.example}`);
  if (spec.devDefault !== undefined) {
    parts.push(
      `; its development default applies only when NODE_ENV is development or test (${describeNodeEnv(nodeEnv)})`,
    );
  }
  return parts.join("");
}

function invalidMessage(name: string, spec: AnyEnvSpec, raw: string, outcome: ParseOutcome<unknown>) {
  const parts = [`Invalid environment variable ${name}`];
  if (spec.description) parts.push(` (${spec.description})`);
  parts.push(`: expected ${spec.expected}`);
  parts.push(spec.secret ? ", got a hidden value (secret)" : `, got ${showValue(raw)}`);
  if (!outcome.ok && outcome.detail) parts.push(`: ${outcome.detail}`);
  return parts.join("");
}

/** Hides every secret's raw value and every URL password, whatever produced the text. */
function scrub(text: string, secretValues: readonly string[]): string {
  let out = text;
  for (const value of secretValues) out = out.split(value).join(masked);
  return maskUrlPasswords(out);
}

// Keys that tools read on any object (await, JSON.stringify, test matchers, React, util.inspect).
const probedKeys = new Set([
  "then",
  "toJSON",
  "inspect",
  "asymmetricMatch",
  "$$typeof",
  "nodeType",
  "tagName",
  "_isMockFunction",
  "@@__IMMUTABLE_ITERABLE__@@",
  "@@__IMMUTABLE_RECORD__@@",
  "@@__IMMUTABLE_ORDERED__@@",
  "@@__IMMUTABLE_KEYED__@@",
]);

function guardUnknownKeys<T extends object>(target: T, names: readonly string[]): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key === "symbol" || key in object || probedKeys.has(key)) {
        return Reflect.get(object, key, receiver);
      }
      throw new Error(
        `Unknown environment variable ${key}: it is not in the schema passed to defineEnv ` +
          `(declared: ${names.join(", ") || "none"}). Add it to the schema. ` +
          "(This check runs when NODE_ENV is development or test.)",
      );
    },
  });
}

/**
 * Validates all variables of `specs` against `options.source` (default process.env) at once.
 * Returns a frozen object typed by inference; throws EnvValidationError listing every problem.
 * When NODE_ENV is development or test, reading an undeclared key of the result throws.
 */
export function defineEnv<const S extends EnvSchema>(specs: S, options: DefineEnvOptions = {}): InferEnv<S> {
  const source = options.source ?? process.env;
  const nodeEnv = options.nodeEnv ?? source.NODE_ENV;
  const development = nodeEnv !== undefined && developmentModes.has(nodeEnv);

  const names = Object.keys(specs);
  const values: Record<string, unknown> = {};
  const problems: EnvProblem[] = [];
  const secretValues: string[] = [];

  for (const name of names) {
    const spec: unknown = specs[name];
    if (!isEnvSpec(spec)) {
      throw new TypeError(
        `defineEnv: ${name} is not a variable spec; declare it with env.string(), env.port(), ...`,
      );
    }
    // Own string values only: an inherited property (e.g. "constructor") is not a variable.
    const given = Object.hasOwn(source, name) ? source[name] : undefined;
    const raw = typeof given === "string" ? given : undefined;
    if (spec.secret && raw !== undefined && raw.length >= 4) secretValues.push(raw);

    if (raw === undefined || raw === "") {
      if (development && spec.devDefault !== undefined) values[name] = spec.devDefault;
      else if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.optional) values[name] = undefined;
      else problems.push({ name, kind: "missing", message: missingMessage(name, spec, raw, nodeEnv) });
      continue;
    }
    const outcome = spec.parse(raw);
    if (outcome.ok) values[name] = outcome.value;
    else problems.push({ name, kind: "invalid", message: invalidMessage(name, spec, raw, outcome) });
  }

  if (problems.length > 0) {
    // Longest first, so a secret containing another is hidden whole.
    secretValues.sort((a, b) => b.length - a.length);
    throw new EnvValidationError(
      problems.map((problem) => ({ ...problem, message: scrub(problem.message, secretValues) })),
    );
  }

  const result: Record<string, unknown> = {};
  for (const name of names) {
    // defineProperty: a variable named like __proto__ stays a plain property.
    Object.defineProperty(result, name, { value: values[name], enumerable: true });
  }
  Object.freeze(result);
  return (development ? guardUnknownKeys(result, names) : result) as InferEnv<S>;
}

/**
 * defineEnv for a process entry: on an invalid environment it writes the error message to stderr
 * and exits with `exitCode` (default 1). Other errors (e.g. a malformed schema) are rethrown.
 */
export function defineEnvOrExit<const S extends EnvSchema>(
  specs: S,
  options: DefineEnvOrExitOptions = {},
): InferEnv<S> {
  try {
    return defineEnv(specs, options);
  } catch (error) {
    if (!(error instanceof EnvValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return process.exit(options.exitCode ?? error.exitCode);
  }
}
