/**
 * The CLI program: declares every command, renders what commands return, and maps errors to exit
 * codes. src/cli/main.ts is the process entry; tests call runCli() directly.
 */
import { Command, CommanderError, Option, type ParseOptionsResult } from "commander";
import { ExitCode, isShipgateError } from "../core/errors.js";
import { plural } from "../core/plural.js";
import { createProgress } from "../core/progress.js";
import { toolVersion } from "../core/version.js";
import { chooseDataFormat, chooseFormat, formatOption, takesDataFormat, useColor } from "./output.js";
import { registerAgent } from "./register-agent.js";
import { registerApprove } from "./register-approve.js";
import { registerAudit } from "./register-audit.js";
import { registerCheck } from "./register-check.js";
import { registerCompat } from "./register-compat.js";
import { registerDeploy } from "./register-deploy.js";
import { registerFlags } from "./register-flags.js";
import { registerInit } from "./register-init.js";
import { registerMigrationsApply } from "./register-migrations-apply.js";
import { registerMigrationsVerify } from "./register-migrations-verify.js";
import { registerPipeline } from "./register-pipeline.js";
import { registerPlan } from "./register-plan.js";
import { registerServe } from "./register-serve.js";

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** commander's own unknown-option error (with its "Did you mean …?"); a method its typings leave out. */
interface ReportsUnknownOption {
  /** Throws a CommanderError, or returns when the command allows unknown options. */
  unknownOption(flag: string): void;
}

/**
 * A command that reports an unknown option before a missing required one. commander checks required
 * options first, so `flags enable x --enviroment production` said "required option '--environment'
 * not specified" instead of naming the typo. The check runs where a command that runs an action (one
 * without subcommands) parses its own options, unless help is asked for (help wins, as in commander).
 */
class ShipgateCommand extends Command {
  override createCommand(name?: string): Command {
    return new ShipgateCommand(name);
  }

  override parseOptions(args: string[]): ParseOptionsResult {
    const parsed = super.parseOptions(args);
    const [first] = parsed.unknown;
    const helpRequested = parsed.unknown.some((arg) => arg === "--help" || arg === "-h");
    if (this.commands.length === 0 && first !== undefined && !helpRequested) {
      (this as unknown as ReportsUnknownOption).unknownOption(first);
    }
    return parsed;
  }
}

/**
 * Builds the program; `setExit` receives the exit code a command decided. `argv`, the command line
 * being run, keys the saved answer of `migrations lint` (src/cli/lint-replay.ts); without it none is saved.
 */
export function buildProgram(io: CliIo, setExit: (code: number) => void, argv?: readonly string[]): Command {
  const program = new ShipgateCommand("shipgate")
    .description("Safe production deploys: migration safety, config and API compatibility, releases, flags.")
    // `-v, -V, --version` is handled by runCli when it is the first argument, not as a program option:
    // commander would otherwise take `deploy <env> --version v2` as the program's version flag.
    .addHelpText("after", "\nshipgate -v, -V, --version prints the version.")
    .option(
      "-c, --config <path>",
      "shipgate.yaml to use (default: found by walking up from the current directory)",
    )
    .option(
      "--server <url>",
      "run release, flags, audit and tokens commands on a team server (shipgate serve); token from $SHIPGATE_TOKEN (default: $SHIPGATE_SERVER)",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    // A data command's --format pretty|json: the flag, else $SHIPGATE_FORMAT, else pretty (output.ts),
    // decided once here, before the action does anything.
    .hook("preAction", (_program, command) => {
      if (!takesDataFormat(command.options)) return;
      const given = command.getOptionValueSource("format") === "cli" ? command.opts().format : undefined;
      command.setOptionValue("format", chooseDataFormat(given as string | undefined, io.env));
    });

  const migrations = program
    .command("migrations")
    .description("Migration safety: lint, verify on a real Postgres, apply with backups, restore.");

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
      const [{ runMigrationsLint }, { renderReport }, { Disk }, { saveLintAnswer }] = await Promise.all([
        import("./commands/migrations-lint.js"),
        import("../core/reporters/index.js"),
        import("../core/disk.js"),
        import("./lint-replay.js"),
      ]);
      const progress = createProgress("linting migrations", io.stderr);
      const global = program.opts<{ config?: string }>();
      // The answer is saved for replay only when every input is a file (not git, not a command).
      const replayable = argv !== undefined && opts.cache !== false && !opts.since && !opts.sqlFrom;
      const disk = replayable ? Disk.recording() : Disk.plain();
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
        disk,
      });
      progress.finish();
      const stdout = renderReport(result.report, format, { color: useColor(io.stdout, io.env), toolVersion });
      const exitCode = result.failed ? ExitCode.gateFailed : ExitCode.ok;
      io.stdout.write(stdout);
      setExit(exitCode);
      const recording = disk.recording();
      if (argv !== undefined && recording) saveLintAnswer(argv, io, { disk: recording, exitCode, stdout });
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
    .description(
      "Environment variables: audit the reads in code, verify an environment, write .env.example.",
    );

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
    .option("--schema <module>", "the env schema module, also declaring variables (default: env.schema)")
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
env-dynamic-read, env-unvalidated-read, env-read-outside-config (with env.configModules),
env-example-stale (with env.schema), env-parity, env-parse-error (warnings). With --since, only env-newly-required (error: read without a default now, not at the
ref) and env-parse-error. Only variable names are read and printed, never a value.

Exit codes: 0 pass, 1 an error finding, 2 usage or config error, 70 internal error.`,
    )
    .action(
      async (
        paths: string[],
        opts: { example?: string; schema?: string; since?: string; format?: string },
      ) => {
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
          ...(opts.schema ? { schema: opts.schema } : {}),
          ...(opts.since !== undefined ? { since: opts.since } : {}),
        });
        io.stdout.write(
          renderReport(result.report, format, { color: useColor(io.stdout, io.env), toolVersion }),
        );
        setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
      },
    );

  envGroup
    .command("verify")
    .description(
      "Check that an environment defines every variable this version requires (names only, never values).",
    )
    .argument("<environment>", "an environment declared in shipgate.yaml (environments.<name>.env)")
    .argument("[paths...]", "code to take env reads from (default: the repository's files)")
    .option("--dotenv <file>", "read the environment from this dotenv file instead of its configured source")
    .option("--command <command>", "read the environment from a command printing KEY=VALUE lines")
    .option("--process-env", "read the environment of this process (e.g. the CI runner's)")
    .option("--schema <module>", "the env schema module (default: env.schema in shipgate.yaml)")
    .addOption(formatOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate env verify production                     the source declared in environments.production.env
  shipgate env verify staging --dotenv .env.staging
  shipgate env verify production --command "doppler secrets download --no-file --format env"
  shipgate env verify ci --process-env --format github

Required: variables the env schema declares without a default (not optional), and variables the code
(outside test files) reads without a default. Values set in the environment are also checked against
the schema's formats. Only names are printed.

Exit codes: 0 every required variable is defined and valid, 1 something is missing or invalid,
2 usage or config error (e.g. the source command failed).`,
    )
    .action(
      async (
        environment: string,
        paths: string[],
        opts: { dotenv?: string; command?: string; processEnv?: boolean; schema?: string; format?: string },
      ) => {
        const given = [opts.dotenv, opts.command, opts.processEnv].filter((v) => v !== undefined);
        if (given.length > 1) {
          const { ShipgateError } = await import("../core/errors.js");
          throw new ShipgateError("USAGE", "--dotenv, --command and --process-env are exclusive", {
            hint: "Pass one source, or none to use the environment's configured source.",
          });
        }
        const format = chooseFormat(opts.format, io.env);
        const [{ runEnvVerify }, { renderReport }] = await Promise.all([
          import("./commands/env-verify.js"),
          import("../core/reporters/index.js"),
        ]);
        const global = program.opts<{ config?: string }>();
        const source = opts.dotenv
          ? { dotenv: opts.dotenv }
          : opts.command
            ? { command: opts.command }
            : opts.processEnv
              ? ({ process: true } as const)
              : undefined;
        const result = await runEnvVerify({
          cwd: io.cwd,
          env: io.env,
          environment,
          paths,
          ...(global.config ? { configPath: global.config } : {}),
          ...(source ? { source } : {}),
          ...(opts.schema ? { schema: opts.schema } : {}),
        });
        io.stdout.write(
          renderReport(result.report, format, { color: useColor(io.stdout, io.env), toolVersion }),
        );
        if (format === "pretty") {
          const { summary: s } = result;
          const verdict =
            s.missing.length + s.invalid.length === 0
              ? "every required variable is defined"
              : [
                  ...(s.missing.length > 0 ? [`missing: ${s.missing.join(", ")}`] : []),
                  ...(s.invalid.length > 0 ? [`invalid: ${s.invalid.join(", ")}`] : []),
                ].join("; ");
          io.stdout.write(`${s.environment} (${s.source}): ${s.required} required; ${verdict}\n`);
        }
        setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
      },
    );

  envGroup
    .command("example")
    .description("Write the example file (.env.example) from the env schema, or check that it is current.")
    .option("--schema <module>", "the env schema module (default: env.schema in shipgate.yaml)")
    .option("--output <file>", "where to write (default: env.example in shipgate.yaml, else .env.example)")
    .option("--check", "do not write: exit 1 when the file differs from what the schema generates")
    .option("--stdout", "print the generated file instead of writing it")
    .addHelpText(
      "after",
      `
Examples:
  shipgate env example                               writes .env.example from env.schema
  shipgate env example --schema src/env.schema.ts --output config/.env.example
  shipgate env example --check                       in CI: fail when .env.example is stale

The schema module exports a record of shipgate/env specs (export const envSchema = { ... }); what it
prints on import is ignored. Secrets are written empty; descriptions become comments.

Exit codes: 0 written or up to date, 1 --check found it stale, 2 usage or config error.`,
    )
    .action(async (opts: { schema?: string; output?: string; check?: boolean; stdout?: boolean }) => {
      if (opts.check && opts.stdout) {
        // --stdout prints and succeeds, so with both a stale file would pass a CI check unnoticed.
        const { ShipgateError } = await import("../core/errors.js");
        throw new ShipgateError("USAGE", "--check and --stdout are exclusive", {
          hint: "Use --check in CI to fail on a stale example file, or --stdout to print the generated text.",
        });
      }
      const { runEnvExample } = await import("./commands/env-example.js");
      const global = program.opts<{ config?: string }>();
      const { outcome, text } = await runEnvExample({
        cwd: io.cwd,
        ...(global.config ? { configPath: global.config } : {}),
        ...(opts.schema ? { schema: opts.schema } : {}),
        ...(opts.output ? { output: opts.output } : {}),
        check: opts.check === true || opts.stdout === true,
      });
      if (opts.stdout) {
        io.stdout.write(text);
        return;
      }
      switch (outcome.kind) {
        case "written":
          io.stdout.write(
            `${outcome.unchanged ? "unchanged" : "wrote"} ${outcome.path}: ${plural(outcome.variables, "variable")}, ${plural(outcome.secrets, "secret")} left empty\n`,
          );
          break;
        case "up-to-date":
          io.stdout.write(`${outcome.path} is up to date with the env schema\n`);
          break;
        case "stale": {
          const parts = [
            ...(outcome.exists ? [] : ["it does not exist"]),
            ...(outcome.missing.length > 0 ? [`missing: ${outcome.missing.join(", ")}`] : []),
            ...(outcome.extra.length > 0 ? [`not in the schema: ${outcome.extra.join(", ")}`] : []),
          ];
          io.stdout.write(
            `${outcome.path} is out of date with the env schema${parts.length > 0 ? ` (${parts.join("; ")})` : " (comments, order or values differ)"}\nrun: shipgate env example\n`,
          );
          setExit(ExitCode.gateFailed);
          break;
        }
      }
    });

  registerMigrationsVerify(migrations, io, setExit);
  registerMigrationsApply(migrations, io, setExit);
  registerCompat(program, io, setExit);
  registerCheck(program, io, setExit);
  registerPipeline(program, io, setExit);
  registerInit(program, io, setExit);
  registerAgent(program, io, setExit);
  registerDeploy(program, io, setExit);
  registerApprove(program, io, setExit);
  registerPlan(program, io, setExit);
  registerFlags(program, io, setExit);
  registerAudit(program, io, setExit);
  registerServe(program, io, setExit);

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
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    argv,
  );
  if (argv[0] === "--version" || argv[0] === "-v" || argv[0] === "-V") {
    io.stdout.write(`${toolVersion}\n`);
    return ExitCode.ok;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    return reportError(error, io);
  }
}
