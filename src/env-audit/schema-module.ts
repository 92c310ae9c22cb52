/**
 * Loads the application's env schema (a record of shipgate/env specs) from its own module, for
 * `env example`, `env verify` and `env audit`. The module may be TypeScript: jiti transpiles it on
 * the fly, so no build step is needed. The reference is `path` or `path#exportName`; without a name
 * the export `envSchema` is used, else the default export.
 *
 * The module must declare the schema without validating the environment on import (keep
 * `defineEnvOrExit(envSchema)` in another module). An import that exits or throws is reported as a
 * config error with that advice instead of ending the CLI.
 */
import { existsSync } from "node:fs";
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

class ExitDuringImport extends Error {
  constructor(readonly code: unknown) {
    super("process.exit() called while importing the env schema module");
  }
}

/** Imports `reference` (relative to `baseDir`) and returns its env schema. */
export async function loadEnvSchema(baseDir: string, reference: string): Promise<LoadedEnvSchema> {
  const { file, exportName } = parseSchemaReference(reference);
  const abs = path.resolve(baseDir, file);
  if (!existsSync(abs)) {
    throw new ShipgateError("FILE_NOT_FOUND", `env schema module ${file} does not exist`, {
      hint: "Set env.schema in shipgate.yaml to the module that exports your env schema (e.g. src/env.schema.ts), or pass --schema.",
    });
  }
  const { createJiti } = await import("jiti");
  const jiti = createJiti(pathToFileURL(path.join(baseDir, "noop.js")).href, {
    fsCache: false,
    moduleCache: false,
    interopDefault: false,
  });
  const realExit = process.exit;
  let mod: Record<string, unknown>;
  try {
    process.exit = ((code?: unknown) => {
      throw new ExitDuringImport(code);
    }) as typeof process.exit;
    mod = (await jiti.import(abs)) as Record<string, unknown>;
  } catch (error) {
    const exited = error instanceof ExitDuringImport;
    throw new ShipgateError(
      "CONFIG_INVALID",
      exited
        ? `env schema module ${file} exited while being imported (it validates the environment on import)`
        : `env schema module ${file} failed to import: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
      {
        cause: error,
        hint: "Declare the schema in a module of its own that only exports it (export const envSchema = { ... }), and call defineEnvOrExit(envSchema) in another module.",
      },
    );
  } finally {
    process.exit = realExit;
  }
  const candidates = exportName ? [exportName] : ["envSchema", "default"];
  const name = candidates.find((n) => mod[n] !== undefined);
  const value = name === undefined ? undefined : mod[name];
  if (name === undefined || !isEnvSchema(value)) {
    const exports = Object.keys(mod).filter((k) => k !== "__esModule");
    throw new ShipgateError(
      "CONFIG_INVALID",
      name === undefined
        ? `env schema module ${file} has no export named ${candidates.join(" or ")}`
        : `export ${name} of ${file} is not an env schema (a record of env.* specs)`,
      {
        hint: `Export the schema object (e.g. export const envSchema = { PORT: env.port() }) or name the export: env.schema: ${file}#<export>. The module exports: ${exports.join(", ") || "nothing"}.`,
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
