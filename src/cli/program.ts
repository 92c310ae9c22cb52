/**
 * The CLI program: declares every command, renders what commands return, and maps errors to exit
 * codes. src/cli/main.ts is the process entry; tests call runCli() directly.
 */
import { Command, CommanderError, Option } from "commander";
import { ExitCode, isShipgateError } from "../core/errors.js";
import { createProgress } from "../core/progress.js";
import { reportFormats } from "../core/report.js";
import { toolVersion } from "../core/version.js";
import { chooseFormat, useColor } from "./output.js";

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function formatOption(): Option {
  return new Option(
    "--format <format>",
    "output format (default: github under GitHub Actions, else pretty)",
  ).choices(reportFormats);
}

/** Builds the program; `setExit` receives the exit code a command decided. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command("shipgate")
    .description("Safe production deploys: migration safety, config and API compatibility, releases, flags.")
    .version(toolVersion, "-v, --version")
    .option(
      "-c, --config <path>",
      "shipgate.yaml to use (default: found by walking up from the current directory)",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  const migrations = program
    .command("migrations")
    .description("Migration safety: lint SQL migrations before they run.");

  migrations
    .command("lint")
    .description("Lint migrations: the lock each statement takes, rewrites, class, and unsafe patterns.")
    .argument("[paths...]", "migration files or directories (default: migrations.paths, else auto-detected)")
    .option("--schema <file>", "schema-only dump (pg_dump --schema-only) to start the catalog from")
    .option(
      "--since <ref>",
      "lint only migrations added or changed since this git ref; earlier ones are the baseline",
    )
    .option("--sql-from <command>", 'lint the SQL a command prints (e.g. "alembic upgrade head --sql")')
    .option("--pg-version <n>", "Postgres major version of production (default 15)")
    .option(
      "--framework <name>",
      "migration layout: sql, prisma, drizzle, flyway, golang-migrate, dbmate, node-pg-migrate",
    )
    .option(
      "--transaction <model>",
      "runner transaction model: per-file, implicit, none (default: the framework's)",
    )
    .option("--cache-dir <dir>", "where to keep the content-hash cache")
    .option("--no-cache", "do not read or write the cache")
    .addOption(formatOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate migrations lint                                  migrations.paths from shipgate.yaml, else auto-detected
  shipgate migrations lint db/migrations --pg-version 14
  shipgate migrations lint --since origin/main --format github
  shipgate migrations lint --sql-from "alembic upgrade head --sql" --schema schema.sql
  shipgate migrations lint --format sarif > shipgate.sarif

Approve a risky statement with a reason on the line before it:
  -- shipgate:allow ban-drop-column reason: unused since v41, backed up

Exit codes: 0 pass, 1 an unapproved error finding, 2 usage or config error, 70 internal error.`,
    )
    .action(async (paths: string[], opts: Record<string, string | boolean | undefined>) => {
      const format = chooseFormat(opts.format as string | undefined, io.env);
      // Commands load on demand so that `--help` and `--version` stay instant.
      const [{ runMigrationsLint }, { renderReport }] = await Promise.all([
        import("./commands/migrations-lint.js"),
        import("../core/reporters/index.js"),
      ]);
      const progress = createProgress("linting migrations", io.stderr);
      const global = program.opts<{ config?: string }>();
      const result = await runMigrationsLint({
        cwd: io.cwd,
        env: io.env,
        paths,
        ...(global.config ? { configPath: global.config } : {}),
        ...(opts.schema ? { schema: opts.schema as string } : {}),
        ...(opts.since ? { since: opts.since as string } : {}),
        ...(opts.sqlFrom ? { sqlFrom: opts.sqlFrom as string } : {}),
        ...(opts.pgVersion ? { pgVersion: opts.pgVersion as string } : {}),
        ...(opts.framework ? { framework: opts.framework as string } : {}),
        ...(opts.transaction ? { transaction: opts.transaction as string } : {}),
        cacheDir: opts.cache === false ? false : (opts.cacheDir as string | undefined),
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.finish();
      io.stdout.write(
        renderReport(result.report, format, { color: useColor(io.stdout, io.env), toolVersion }),
      );
      setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
    });

  migrations
    .command("rules")
    .description("List the migration rules: id, severity, Postgres versions, description.")
    .addOption(
      new Option("--format <format>", "pretty or json").choices(["pretty", "json"]).default("pretty"),
    )
    .action(async (opts: { format: string }) => {
      const { runMigrationsRules } = await import("./commands/migrations-rules.js");
      const rules = runMigrationsRules();
      if (opts.format === "json") {
        io.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
        return;
      }
      const width = Math.max(...rules.map((r) => r.id.length));
      for (const r of rules) {
        const tag = r.optIn ? `${r.severity}, opt-in` : r.severity;
        io.stdout.write(`${r.id.padEnd(width)}  ${tag.padEnd(16)} ${r.description}\n`);
      }
    });

  const envGroup = program
    .command("env")
    .description("Environment variables: audit the reads in code against the example file.");

  envGroup
    .command("audit")
    .description(
      "Audit env var reads in JS/TS and Python against .env.example; find committed env files and example drift.",
    )
    .argument(
      "[paths...]",
      "files or directories (default: the repository's files from git, else every file under the current directory)",
    )
    .option("--example <file>", "the file declaring the variables (default: env.example, else .env.example)")
    .option(
      "--since <ref>",
      "diff mode: report only the variables read without a default now that were not at <ref> (env-newly-required)",
    )
    .addOption(formatOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate env audit                                 every JS/TS/Python file git knows, against .env.example
  shipgate env audit src app --example config/.env.example
  shipgate env audit --format github
  shipgate env audit --format sarif > env-audit.sarif
  shipgate env audit --since origin/main             variables that must exist before this deploy

Rules: env-undeclared-read (error), env-file-committed (error), env-unused-declaration,
env-dynamic-read, env-read-outside-config (with env.configModules), env-parity, env-parse-error
(warnings). With --since, only env-newly-required (error: read without a default now, not at the
ref) and env-parse-error. Only variable names are read and printed, never a value.

Exit codes: 0 pass, 1 an error finding, 2 usage or config error, 70 internal error.`,
    )
    .action(async (paths: string[], opts: { example?: string; since?: string; format?: string }) => {
      const format = chooseFormat(opts.format, io.env);
      const [{ runEnvAudit }, { renderReport }] = await Promise.all([
        import("./commands/env-audit.js"),
        import("../core/reporters/index.js"),
      ]);
      const global = program.opts<{ config?: string }>();
      const result = await runEnvAudit({
        cwd: io.cwd,
        paths,
        ...(global.config ? { configPath: global.config } : {}),
        ...(opts.example ? { example: opts.example } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
      });
      io.stdout.write(
        renderReport(result.report, format, { color: useColor(io.stdout, io.env), toolVersion }),
      );
      setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
    });

  return program;
}

function reportError(error: unknown, io: CliIo): number {
  if (isShipgateError(error)) {
    io.stderr.write(`error: ${error.message}\n`);
    for (const d of error.details) io.stderr.write(`  - ${d}\n`);
    if (error.hint) io.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    // commander already printed the message; help and version are successful exits.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  io.stderr.write(
    [
      `shipgate ${toolVersion} crashed: this is a bug.`,
      `Please open an issue with the command you ran, this output, and \`node --version\` (${process.version}).`,
      "",
      e.stack ?? e.message,
      "",
    ].join("\n"),
  );
  return ExitCode.internal;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    return reportError(error, io);
  }
}
