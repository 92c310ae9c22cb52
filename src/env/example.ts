/**
 * .env.example from a schema: per variable, in declaration order, comment lines (description,
 * expected format, choices, default, development default, required/optional/secret) and then
 * `NAME=value`. The value is the example, else the default, else empty; a secret's value is always
 * empty (its example, if any, goes into a comment). Values are quoted the way dotenv reads them back.
 */
import type { EnvSchema } from "./define.js";
import { type AnyEnvSpec, isEnvSpec } from "./specs.js";

export interface EnvExampleOptions {
  /** Comment lines at the top of the file (without "# "). Default: a note that the file is generated. */
  header?: readonly string[];
}

const defaultHeader = [
  "Generated from the environment schema (shipgate/env). Copy to .env and fill in the empty values.",
  "Secrets are left empty: set them in your deployment, never commit them.",
];

const bare = /^[^\s#"'`\\=$]*$/;

/** A value as dotenv reads it back unchanged: bare when safe, else quoted. */
export function quoteDotenvValue(value: string): string {
  if (bare.test(value)) return value;
  // Single quotes: dotenv takes the content literally (no escapes, no expansion).
  if (!value.includes("'") && !value.includes("\n")) return `'${value}'`;
  if (!value.includes("`") && !value.includes("\n")) return `\`${value}\``;
  if (!value.includes('"') && !value.includes("\\")) return `"${value.replaceAll("\n", "\\n")}"`;
  throw new TypeError(
    `generateEnvExample: cannot write ${JSON.stringify(value)} so that dotenv reads it back`,
  );
}

function comment(text: string): string[] {
  return text.split(/\r?\n/).map((line) => (line === "" ? "#" : `# ${line}`));
}

/** A default as written in a comment; an empty one (e.g. an empty list) says so. */
function shown(spec: AnyEnvSpec, value: unknown): string {
  const text = spec.format(value);
  return text === "" ? "(empty)" : text;
}

function variableBlock(name: string, spec: AnyEnvSpec): string[] {
  const lines: string[] = [];
  if (spec.description) lines.push(...comment(spec.description));
  const flags = [
    spec.default !== undefined || spec.optional ? "optional" : "required",
    ...(spec.secret ? ["secret"] : []),
  ];
  lines.push(`# ${flags.join(", ")}; ${spec.expected}`);
  if (spec.default !== undefined) lines.push(...comment(`default: ${shown(spec, spec.default)}`));
  if (spec.devDefault !== undefined) {
    lines.push(...comment(`default in development and test: ${shown(spec, spec.devDefault)}`));
  }
  let value = "";
  if (spec.secret) {
    if (spec.example !== undefined) lines.push(...comment(`example: ${spec.example}`));
  } else if (spec.example !== undefined) {
    value = spec.example;
  } else if (spec.default !== undefined) {
    value = spec.format(spec.default);
  }
  lines.push(`${name}=${quoteDotenvValue(value)}`);
  return lines;
}

/** The text of a .env.example for `specs`, in declaration order, ending with a newline. */
export function generateEnvExample(specs: EnvSchema, options: EnvExampleOptions = {}): string {
  const blocks: string[][] = [];
  const header = options.header ?? defaultHeader;
  if (header.length > 0) blocks.push(header.flatMap(comment));
  for (const [name, spec] of Object.entries(specs)) {
    if (!isEnvSpec(spec)) {
      throw new TypeError(`generateEnvExample: ${name} is not a variable spec; declare it with env.*()`);
    }
    blocks.push(variableBlock(name, spec));
  }
  return `${blocks.map((block) => block.join("\n")).join("\n\n")}\n`;
}
