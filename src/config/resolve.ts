/**
 * Precedence, written once: defaults < shipgate.yaml < environment < command-line flags.
 */
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ShipgateError } from "../core/errors.js";
import type { MigrationsConfig } from "./schema.js";

export interface MigrationsFlags {
  paths?: string[];
  schema?: string;
  since?: string;
  sqlFrom?: string;
  pgVersion?: string;
  framework?: string;
  transaction?: string;
}

export interface ResolvedMigrations {
  /** Absolute paths; empty: auto-detect under cwd. */
  paths: string[];
  framework: MigrationsConfig["framework"];
  transaction: MigrationsConfig["transaction"];
  pgVersion: number;
  /** Absolute path of a schema dump. */
  schema: string | undefined;
  sqlFrom: string | undefined;
  since: string | undefined;
  rules: MigrationsConfig["rules"];
  approvals: MigrationsConfig["approvals"];
}

function parsePgVersion(value: string, source: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 18) {
    throw new ShipgateError(
      "USAGE",
      `${source} must be a Postgres major version between 10 and 18, got "${value}"`,
      {
        hint: "Pass the major version of production, e.g. --pg-version 15.",
      },
    );
  }
  return n;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], source: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ShipgateError("USAGE", `${source} must be one of ${allowed.join(", ")}; got "${value}"`, {
    hint: `Use one of: ${allowed.join(", ")}.`,
  });
}

export function resolveMigrations(
  config: MigrationsConfig,
  configDir: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  flags: MigrationsFlags,
  frameworkChoices: readonly MigrationsConfig["framework"][],
): ResolvedMigrations {
  const fromConfig = (p: string) => (isAbsolute(p) ? p : join(configDir, p));
  let pgVersion = config.pgVersion;
  if (env.SHIPGATE_PG_VERSION) pgVersion = parsePgVersion(env.SHIPGATE_PG_VERSION, "SHIPGATE_PG_VERSION");
  if (flags.pgVersion !== undefined) pgVersion = parsePgVersion(flags.pgVersion, "--pg-version");
  const flagPaths = flags.paths !== undefined && flags.paths.length > 0;
  if (flagPaths && flags.sqlFrom) {
    throw new ShipgateError("USAGE", "pass either migration paths or --sql-from, not both", {
      hint: 'Lint files with `shipgate migrations lint db/migrations`, or the SQL a command prints with `shipgate migrations lint --sql-from "..."`.',
    });
  }
  const paths = flagPaths ? (flags.paths ?? []).map((p) => resolve(cwd, p)) : config.paths.map(fromConfig);
  return {
    paths,
    framework: flags.framework ? oneOf(flags.framework, frameworkChoices, "--framework") : config.framework,
    transaction: flags.transaction
      ? oneOf(flags.transaction, ["auto", "per-file", "implicit", "none"] as const, "--transaction")
      : config.transaction,
    pgVersion,
    schema: flags.schema ? resolve(cwd, flags.schema) : config.schema ? fromConfig(config.schema) : undefined,
    // Paths on the command line override a configured sqlFrom, as flags override the file.
    sqlFrom: flags.sqlFrom ?? (flagPaths ? undefined : config.sqlFrom),
    since: flags.since,
    rules: config.rules,
    // Approvals name files relative to the config file; findings name them relative to cwd.
    approvals: config.approvals.map((a) => ({
      ...a,
      file: relative(cwd, fromConfig(a.file)).split(sep).join("/"),
    })),
  };
}
