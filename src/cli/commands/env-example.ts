/**
 * `shipgate env example`: writes the example file (config env.example, default .env.example) from
 * the env schema, or with --check compares it and reports the variables that differ (names only).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadConfig } from "../../config/load.js";
import { ShipgateError } from "../../core/errors.js";
import { generateEnvExample } from "../../env/example.js";
import { parseExampleFile } from "../../env-audit/audit.js";
import { loadEnvSchema } from "../../env-audit/schema-module.js";
import { configuredSchema } from "./env-audit.js";

export interface EnvExampleCommandOptions {
  cwd: string;
  configPath?: string;
  /** The schema module (relative to cwd); default: config env.schema. */
  schema?: string;
  /** Where to write (relative to cwd); default: config env.example. */
  output?: string;
  /** Compare instead of writing. */
  check?: boolean;
}

export type EnvExampleOutcome =
  | { kind: "written"; path: string; variables: number; secrets: number; unchanged: boolean }
  | { kind: "up-to-date"; path: string }
  | { kind: "stale"; path: string; missing: string[]; extra: string[]; exists: boolean };

export interface EnvExampleCommandResult {
  outcome: EnvExampleOutcome;
  /** The generated text (what was or would be written). */
  text: string;
}

export async function runEnvExample(options: EnvExampleCommandOptions): Promise<EnvExampleCommandResult> {
  const { cwd } = options;
  const loaded = loadConfig({ cwd, ...(options.configPath ? { configPath: options.configPath } : {}) });
  const schemaRef = configuredSchema(loaded, cwd, options.schema);
  if (schemaRef === undefined) {
    throw new ShipgateError("CONFIG_INVALID", "no env schema is configured", {
      hint: "Set env.schema in shipgate.yaml to the module exporting your schema (e.g. src/env.schema.ts), or pass --schema <module>.",
    });
  }
  const { schema } = await loadEnvSchema(schemaRef.baseDir, schemaRef.reference);
  const text = generateEnvExample(schema);
  const target = options.output
    ? path.resolve(cwd, options.output)
    : path.resolve(loaded.dir, loaded.config.env.example);
  const shown = path.relative(cwd, target).split(path.sep).join("/");
  if (existsSync(target) && statSync(target).isDirectory()) {
    throw new ShipgateError(
      options.output ? "USAGE" : "CONFIG_INVALID",
      `the example file ${shown} is a directory`,
      {
        hint: options.output
          ? `Name the file to write, e.g. --output ${path.posix.join(shown, ".env.example")}.`
          : "Set env.example in shipgate.yaml to the example file itself (e.g. config/.env.example).",
      },
    );
  }
  const current = existsSync(target) ? readFileSync(target, "utf8") : undefined;

  if (options.check) {
    if (current === text) return { outcome: { kind: "up-to-date", path: shown }, text };
    const names = Object.keys(schema);
    const inFile = new Set(
      current === undefined ? [] : parseExampleFile(shown, current).keys.map((k) => k.name),
    );
    return {
      outcome: {
        kind: "stale",
        path: shown,
        missing: names.filter((n) => !inFile.has(n)),
        extra: [...inFile].filter((n) => !(n in schema)),
        exists: current !== undefined,
      },
      text,
    };
  }
  if (current !== text) writeExample(target, shown, text);
  const specs = Object.values(schema);
  return {
    outcome: {
      kind: "written",
      path: shown,
      variables: specs.length,
      secrets: specs.filter((s) => s.secret).length,
      unchanged: current === text,
    },
    text,
  };
}

/** Writes the file, creating its directory (`--output config/.env.example` in a fresh checkout). */
function writeExample(target: string, shown: string, text: string): void {
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new ShipgateError("USAGE", `cannot write the example file ${shown} (${code})`, {
      cause: error,
      hint: "Check that its directory can be written to, or pass another file with --output (or --stdout to print it).",
    });
  }
}
