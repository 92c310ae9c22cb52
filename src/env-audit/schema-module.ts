/**
 * Loads the application's env schema (a record of shipgate/env specs) from its own module, for
 * `env example`, `env verify` and `env audit`. The module may be TypeScript: jiti transpiles it on
 * the fly, so no build step is needed. The reference is `path` or `path#exportName`; without a name
 * the export `envSchema` is used, else the default export.
 *
 * The CLI reads the schema, it does not start the app: a module that also validates the environment
 * on import (`export const config = defineEnvOrExit(envSchema)`) would check the CLI's own
 * environment, which is not the app's. While the module is imported, what it writes to stdout and
 * stderr is dropped and process.exit() does not end the CLI (it returns), so such a module still
 * yields its schema and prints no report. An import that throws, or exits without exporting a
 * schema, is reported as a config error with advice instead of ending the CLI.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ShipgateError } from "../core/errors.js";
import type { EnvSchema } from "../env/define.js";
import { isEnvSpec } from "../env/specs.js";

export interface LoadedEnvSchema {
  /** The module path as written in config (for messages). */
  reference: string;
  exportName: string;
  schema: EnvSchema;
}

export function parseSchemaReference(reference: string): { file: string; exportName: string | undefined } {
  const hash = reference.lastIndexOf("#");
  if (hash <= 0) return { file: reference, exportName: undefined };
  return { file: reference.slice(0, hash), exportName: reference.slice(hash + 1) || undefined };
}

/** What importing the module produced, and whether it called process.exit() on the way. */
interface QuietImport {
  mod: Record<string, unknown> | undefined;
  error: unknown;
  exited: boolean;
}

type Write = NodeJS.WriteStream["write"];

/** A stream write that drops its chunk and still calls the caller's callback. */
const dropWrite = ((...args: unknown[]): boolean => {
  const callback = args.find((arg): arg is () => void => typeof arg === "function");
  if (callback) queueMicrotask(callback);
  return true;
}) as Write;

// Imports patch process-wide hooks, so they run one at a time.
let importQueue: Promise<unknown> = Promise.resolve();

/**
 * Imports `abs` with the app's start-up side effects neutralised: output dropped, process.exit()
 * returning instead of exiting, process.exitCode kept. The module is evaluated once: it does not
 * throw on exit, so jiti has no failed native import to retry by transpiling and evaluating again
 * (which printed a validating module's report twice).
 */
function importQuietly(importModule: (abs: string) => Promise<unknown>, abs: string): Promise<QuietImport> {
  const run = importQueue.then(async (): Promise<QuietImport> => {
    const { stdout, stderr } = process;
    const saved = { exit: process.exit, exitCode: process.exitCode, out: stdout.write, err: stderr.write };
    let exited = false;
    process.exit = (() => {
      exited = true;
    }) as unknown as typeof process.exit; // returns: the module goes on and keeps its exports
    stdout.write = dropWrite;
    stderr.write = dropWrite;
    try {
      const mod = (await importModule(abs)) as Record<string, unknown>;
      return { mod, error: undefined, exited };
    } catch (error) {
      return { mod: undefined, error, exited };
    } finally {
      process.exit = saved.exit;
      process.exitCode = saved.exitCode;
      stdout.write = saved.out;
      stderr.write = saved.err;
    }
  });
  importQueue = run;
  return run;
}

/** Imports `reference` (relative to `baseDir`) and returns its env schema. */
export async function loadEnvSchema(baseDir: string, reference: string): Promise<LoadedEnvSchema> {
  const { file, exportName } = parseSchemaReference(reference);
  const abs = path.resolve(baseDir, file);
  if (!existsSync(abs)) {
    throw new ShipgateError("FILE_NOT_FOUND", `env schema module ${file} does not exist`, {
      hint: "Check the path (--schema is relative to the current directory, env.schema in shipgate.yaml to that file): it names the module that exports your env schema, e.g. src/env.schema.ts.",
    });
  }
  if (statSync(abs).isDirectory()) {
    throw new ShipgateError("CONFIG_INVALID", `env schema module ${file} is a directory`, {
      hint: `Name the module file itself, e.g. ${path.posix.join(file.split(path.sep).join("/"), "env.schema.ts")}.`,
    });
  }
  const { createJiti } = await import("jiti");
  const jiti = createJiti(pathToFileURL(path.join(baseDir, "noop.js")).href, {
    fsCache: false,
    moduleCache: false,
    interopDefault: false,
  });
  const { mod, error, exited } = await importQuietly((id) => jiti.import(id), abs);
  const separateHint =
    "Declare the schema in a module of its own that only exports it (export const envSchema = { ... }), and call defineEnvOrExit(envSchema) in another module.";
  const exitedMessage = `env schema module ${file} exited while being imported (it validates the environment on import)`;
  if (mod === undefined) {
    throw new ShipgateError(
      "CONFIG_INVALID",
      exited
        ? exitedMessage
        : `env schema module ${file} failed to import: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
      {
        cause: error,
        hint: exited
          ? separateHint
          : `Fix the error in ${file} (import it with \`npx tsx ${file}\` to see it in full). If it throws because it validates the environment on import (defineEnv), declare the schema in a module of its own and validate in another.`,
      },
    );
  }
  const candidates = exportName ? [exportName] : ["envSchema", "default"];
  const name = candidates.find((n) => mod[n] !== undefined);
  const value = name === undefined ? undefined : mod[name];
  if (name === undefined || !isEnvSchema(value)) {
    const exported = Object.keys(mod).filter((k) => k !== "__esModule");
    const exports = `The module exports: ${exported.join(", ") || "nothing"}.`;
    // A module that exits without exporting a schema is the app's config module, not the schema's.
    if (exited) {
      throw new ShipgateError("CONFIG_INVALID", exitedMessage, { hint: `${separateHint} ${exports}` });
    }
    throw new ShipgateError(
      "CONFIG_INVALID",
      name === undefined
        ? `env schema module ${file} has no export named ${candidates.join(" or ")}`
        : `export ${name} of ${file} is not an env schema (a record of env.* specs)`,
      {
        hint: `Export the schema object (e.g. export const envSchema = { PORT: env.port() }) or name the export: env.schema: ${file}#<export>. ${exports}`,
      },
    );
  }
  return { reference, exportName: name, schema: value };
}

function isEnvSchema(value: unknown): value is EnvSchema {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const entries = Object.values(value);
  return entries.length > 0 && entries.every(isEnvSpec);
}

/** Whether a production process must be given the variable: no default and not optional. */
export function isRequiredInProduction(schema: EnvSchema, name: string): boolean {
  const spec = schema[name];
  return spec !== undefined && !spec.optional && spec.default === undefined;
}
