/**
 * The shipgate.yaml schema, defined once. The JSON Schema in schema/shipgate.schema.json and the
 * config reference in docs/config.md are generated from it (`npm run schema`); a test fails when
 * either is stale.
 */
import { z } from "zod";
import { alertsSchema, analysisSchema, watchSchema } from "./analysis-schema.js";
import { environmentDeployFields, ledgerConfigSchema, releaseConfigSchema } from "./deploy-schema.js";
import { flagsConfigSchema } from "./flags-schema.js";
import { notificationsSchema } from "./notify-schema.js";
import { serverConfigSchema } from "./server-schema.js";

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

/** A Postgres duration setting, e.g. 500ms, 2s, 15min, 1h (a bare number is milliseconds). */
const duration = z
  .string()
  .regex(
    /^\s*\d+(?:\.\d+)?\s*(?:ms|s|min|h|d)?\s*$/i,
    'expected a duration such as "500ms", "2s", "15min" or "1h"',
  );

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
    requireDown: z
      .boolean()
      .default(false)
      .describe(
        "`migrations verify`: a migration without a down migration is an error (verify-down-missing), not a warning.",
      ),
    lockTimeout: duration
      .default("2s")
      .describe(
        "`migrations apply`: lock_timeout for every migration statement (e.g. 2s, 500ms), so a migration waiting for a lock never queues the application's queries behind it. 0 waits forever.",
      ),
    statementTimeout: duration
      .default("15min")
      .describe(
        "`migrations apply`: statement_timeout for every migration statement. Raise it for long index builds or backfills; 0 disables it.",
      ),
    lockRetries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe(
        "`migrations apply`: how many times a file is retried, with exponential backoff, after a lock timeout (SQLSTATE 55P03).",
      ),
    advisoryLockWait: duration
      .default("5min")
      .describe(
        "`migrations apply` and `restore`: how long to wait for another run holding the migration lock (a Postgres advisory lock) before failing with LOCKED. 0 fails at once.",
      ),
    backups: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Back up the tables the pending migrations alter, drop, update, delete from or truncate before applying them.",
          ),
        dir: z
          .string()
          .min(1)
          .default(".shipgate/backups")
          .describe(
            "Directory of the backup store, relative to the config file. Backups hold production data: keep the directory out of git and on storage you trust.",
          ),
      })
      .strict()
      .default({ enabled: true, dir: ".shipgate/backups" })
      .describe(
        "`migrations apply`: backups of the tables a migration touches, restorable with `migrations restore`.",
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
    schema: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The module exporting the env schema (a record of shipgate/env `env.*` specs), relative to the config file, e.g. src/env.schema.ts or src/env.ts#envSchema. Without #name: the export named envSchema, else the default export. What the module prints on import is ignored. Used by env example, env verify and env audit.",
      ),
  })
  .strict();

const environmentEnvSource = z
  .object({
    dotenv: z
      .string()
      .min(1)
      .optional()
      .describe("A dotenv file holding the environment's variables, relative to the config file."),
    command: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A command printing the environment's variables as KEY=VALUE lines, e.g. a secret manager's CLI. Run through the shell in the config file's directory; its output is never printed.",
      ),
    process: z
      .literal(true)
      .optional()
      .describe("The environment of the process running shipgate (e.g. the CI runner's)."),
  })
  .strict()
  .refine((s) => [s.dotenv, s.command, s.process].filter((v) => v !== undefined).length === 1, {
    message: "set exactly one of dotenv, command or process",
  });

export const environmentConfigSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: "expected an http(s) URL such as https://shop.example.com" })
      .optional()
      .describe(
        "The environment's public base URL; `shipgate check` checks its TLS certificate and health endpoints.",
      ),
    health: z
      .array(z.string().regex(/^\//, "expected a path starting with /"))
      .default(["/health"])
      .describe("Health endpoint paths under url; each must answer 2xx."),
    env: environmentEnvSource
      .optional()
      .describe("Where the environment's variables come from, for `shipgate env verify <environment>`."),
    requireDown: z
      .boolean()
      .optional()
      .describe(
        "A migration without a down migration is an error when verifying for this environment (`migrations verify --environment`, `check --environment`); default: migrations.requireDown.",
      ),
    ...environmentDeployFields,
    analysis: analysisSchema,
    watch: watchSchema,
    alerts: alertsSchema,
    notifications: notificationsSchema,
  })
  .strict()
  .superRefine((environment, ctx) => {
    const target = environment.target;
    if (target?.type === "command" && environment.url === undefined && target.previewUrl === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message:
          "required with a command target: its readiness probes and smoke tests run against url (or target.previewUrl before the release gets traffic)",
      });
    }
  });

export const compatConfigSchema = z
  .object({
    openapi: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "OpenAPI 3.0/3.1 or Swagger 2.0 spec files, relative to the config file, that `shipgate compat openapi --since <ref>` checks when no file is named.",
      ),
    graphql: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "GraphQL schemas (SDL or introspection JSON), relative to the config file, that `shipgate compat graphql --since <ref>` checks when no file is named.",
      ),
    acceptFile: z
      .string()
      .min(1)
      .default(".shipgate-compat.yaml")
      .describe(
        "The file listing accepted breaking changes (rule, operation, pointer, reason, expires), relative to the config file.",
      ),
    sunsetField: z
      .string()
      .regex(/^x-/, "an OpenAPI extension name, starting with x-")
      .default("x-sunset")
      .describe(
        "The operation extension holding the date from which a deprecated operation may be removed (YYYY-MM-DD, ISO date-time or HTTP date).",
      ),
  })
  .strict();

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day such as "15:00"');
const weekday = z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);

export const checkConfigSchema = z
  .object({
    criticalPaths: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Globs (relative to the config file, e.g. src/payments/**) of critical code: a TODO/FIXME added there fails `shipgate check`.",
      ),
    requireSignedCommits: z
      .boolean()
      .default(false)
      .describe(
        "Fail `shipgate check` when a commit in the range is not signed (or its signature does not verify).",
      ),
    window: z
      .object({
        timezone: z
          .string()
          .default("UTC")
          .refine(
            (tz) => {
              try {
                new Intl.DateTimeFormat("en-US", { timeZone: tz });
                return true;
              } catch {
                return false;
              }
            },
            { message: "expected an IANA time zone such as Europe/Berlin or America/New_York" },
          )
          .describe("The team's time zone (IANA name, e.g. Europe/Berlin)."),
        environments: z
          .array(z.string().min(1))
          .default(["production"])
          .describe("The environments the window applies to."),
        blocked: z
          .array(
            z
              .object({
                days: z.array(weekday).min(1).describe("Days the rule applies to: mon … sun."),
                from: hhmm.optional().describe("Blocked from this time of day (default: midnight)."),
                until: hhmm.optional().describe("Blocked until this time of day (default: end of day)."),
              })
              .strict(),
          )
          .default([{ days: ["fri"], from: "15:00" }, { days: ["sat", "sun"] }])
          .describe("When deploys are blocked. Default: Friday from 15:00, and weekends."),
        holidays: z
          .array(
            z
              .object({
                date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date such as 2026-12-25"),
                name: z.string().optional(),
              })
              .strict(),
          )
          .default([])
          .describe("Dates (yyyy-mm-dd, in the time zone) when deploys are blocked all day."),
      })
      .strict()
      .default({
        timezone: "UTC",
        environments: ["production"],
        blocked: [{ days: ["fri"], from: "15:00" }, { days: ["sat", "sun"] }],
        holidays: [],
      })
      .describe("The deploy window; `shipgate check --override-window --reason …` overrides it once."),
    dependencyAudit: z
      .object({
        failAt: z
          .enum(["low", "moderate", "high", "critical"])
          .default("high")
          .describe("Vulnerabilities at or above this severity fail the check; lower ones are warnings."),
      })
      .strict()
      .default({ failAt: "high" })
      .describe(
        "The dependency audit (npm audit; pip-audit when installed). One that cannot run is reported as not run.",
      ),
    tlsMinDays: z
      .number()
      .int()
      .min(1)
      .default(14)
      .describe("The environment's TLS certificate must stay valid at least this many more days."),
    manual: z
      .array(
        z
          .object({
            id: z
              .string()
              .regex(/^[a-z0-9][a-z0-9-]*$/, "use lowercase letters, digits and -")
              .describe("Stable id, used by --confirm <id>."),
            title: z
              .string()
              .min(1)
              .describe("What a person must confirm, e.g. On-call engineer identified."),
            group: z
              .enum(["data", "application", "infrastructure", "observability", "rollback"])
              .default("rollback")
              .describe("The checklist group it is shown in."),
            confirmed: z
              .boolean()
              .default(false)
              .describe("Confirmed in config (e.g. a standing arrangement) instead of per run."),
          })
          .strict(),
      )
      .default([
        {
          id: "team-notified",
          title: "The team knows this deploy is going out",
          group: "rollback",
          confirmed: false,
        },
        {
          id: "on-call",
          title: "An on-call engineer is identified for the deploy window",
          group: "observability",
          confirmed: false,
        },
      ])
      .describe(
        "Items a machine cannot verify; each is reported as manual until confirmed with --confirm <id> or confirmed: true.",
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
    compat: compatConfigSchema
      .default(compatConfigSchema.parse({}))
      .describe("API compatibility: `shipgate compat openapi | graphql`."),
    check: checkConfigSchema
      .default(checkConfigSchema.parse({}))
      .describe("The pre-deploy gate: `shipgate check`."),
    environments: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "use lowercase letters, digits, - and _ (e.g. production)"),
        environmentConfigSchema,
      )
      .default({})
      .describe("Deploy targets by name (e.g. staging, production)."),
    release: releaseConfigSchema
      .default(releaseConfigSchema.parse({}))
      .describe("How a release is built, stored and started: `shipgate deploy`."),
    ledger: ledgerConfigSchema
      .default(ledgerConfigSchema.parse({}))
      .describe("The release ledger: releases, deploys and their steps, locks, approvals, backups, tags."),
    flags: flagsConfigSchema
      .prefault({})
      .describe("Feature flags: the lifecycle checks of `shipgate check` (stale flags, flag keys in code)."),
    server: serverConfigSchema
      .prefault({})
      .describe(
        "`shipgate serve`: the team server (dashboard, team API, approvals) and the flags API for SDKs.",
      ),
  })
  .strict();

export type ShipgateConfig = z.output<typeof configSchema>;
export type MigrationsConfig = z.output<typeof migrationsConfigSchema>;
export type EnvConfig = z.output<typeof envConfigSchema>;
export type CompatConfig = z.output<typeof compatConfigSchema>;
export type EnvironmentConfig = z.output<typeof environmentConfigSchema>;

/** The JSON Schema of shipgate.yaml (input side: every key with a default is optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12" }),
    $id: "https://github.com/shipgate/shipgate/blob/main/schema/shipgate.schema.json",
    title: "shipgate.yaml",
  };
}
