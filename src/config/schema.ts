/**
 * The shipgate.yaml schema, defined once. The JSON Schema in schema/shipgate.schema.json and the
 * config reference in docs/config.md are generated from it (`npm run schema`); a test fails when
 * either is stale.
 */
import { z } from "zod";

export const frameworks = [
  "sql",
  "prisma",
  "drizzle",
  "flyway",
  "golang-migrate",
  "dbmate",
  "node-pg-migrate",
] as const;

const ruleSetting = z
  .enum(["off", "info", "warning", "error"])
  .describe("off disables the rule; a severity enables it (opt-in rules too) at that severity.");

const approval = z
  .object({
    rule: z.string().min(1).describe("The rule id the approval covers, e.g. ban-drop-column."),
    file: z
      .string()
      .min(1)
      .describe("The migration file, as shown in findings (relative to the config file)."),
    reason: z.string().min(3).describe("Why this is safe; recorded with the finding."),
  })
  .strict();

export const migrationsConfigSchema = z
  .object({
    paths: z
      .array(z.string())
      .default([])
      .describe(
        "Migration files or directories, relative to the config file. Empty: the framework's conventional place.",
      ),
    framework: z
      .enum([...frameworks, "auto"])
      .default("auto")
      .describe("How migration files are laid out, ordered and applied. auto detects it from the files."),
    transaction: z
      .enum(["auto", "per-file", "implicit", "none"])
      .default("auto")
      .describe(
        "Does the runner wrap each file in a transaction? per-file: explicit transaction; implicit: one multi-statement query; none: autocommit. auto: the framework's behaviour.",
      ),
    pgVersion: z
      .number()
      .int()
      .min(10)
      .max(18)
      .default(15)
      .describe("Postgres major version of production; rules whose hazard depends on the version use it."),
    schema: z
      .string()
      .optional()
      .describe(
        "A schema-only dump (pg_dump --schema-only) to start the catalog from, relative to the config file.",
      ),
    sqlFrom: z
      .string()
      .optional()
      .describe(
        "A command that prints the migration SQL (e.g. `alembic upgrade head --sql`), linted as one file.",
      ),
    rules: z
      .record(z.string(), ruleSetting)
      .default({})
      .describe("Per-rule settings keyed by rule id: off, info, warning or error."),
    approvals: z
      .array(approval)
      .default([])
      .describe(
        "Approved findings (e.g. a destructive statement) with the reason, instead of an inline shipgate:allow.",
      ),
  })
  .strict();

export const envConfigSchema = z
  .object({
    example: z
      .string()
      .min(1)
      .default(".env.example")
      .describe(
        "The file declaring the application's environment variables (dotenv syntax), relative to the config file. Only its keys are read, never its values.",
      ),
    configModules: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Globs (relative to the config file, e.g. src/config/**) of the modules allowed to read the environment; a read elsewhere is reported by env-read-outside-config. Empty: that check is off.",
      ),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional().describe("Path or URL of the JSON Schema, for editors."),
    version: z.literal(1).default(1).describe("Config format version."),
    migrations: migrationsConfigSchema
      .default(migrationsConfigSchema.parse({}))
      .describe("Migration safety."),
    env: envConfigSchema
      .default(envConfigSchema.parse({}))
      .describe("Environment variables: `shipgate env audit`."),
  })
  .strict();

export type ShipgateConfig = z.output<typeof configSchema>;
export type MigrationsConfig = z.output<typeof migrationsConfigSchema>;
export type EnvConfig = z.output<typeof envConfigSchema>;

/** The JSON Schema of shipgate.yaml (input side: every key with a default is optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12" }),
    $id: "https://github.com/shipgate/shipgate/blob/main/schema/shipgate.schema.json",
    title: "shipgate.yaml",
  };
}
