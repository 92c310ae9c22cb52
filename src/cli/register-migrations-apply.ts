/**
 * Declares `shipgate migrations apply | restore | backups | status` under the `migrations` command.
 * Commands load on demand (lazy imports) so `--help` stays instant; long steps show progress on a
 * TTY and one line per step otherwise; only stderr carries progress, so `--format json` output on
 * stdout stays parseable.
 */
import { type Command, Option } from "commander";
import { ExitCode } from "../core/errors.js";
import { createProgress, type Progress } from "../core/progress.js";
import { toolVersion } from "../core/version.js";
import type { ApplyEvent } from "../migrations/apply/execute.js";
import { prettyOrJsonOption } from "./output.js";
import type { CliIo } from "./program.js";

type Opts = Record<string, string | boolean | string[] | undefined>;

const str = (v: Opts[string]): string | undefined => (typeof v === "string" ? v : undefined);

function databaseUrlOption(): Option {
  return new Option(
    "--database-url <url>",
    "Postgres URL, e.g. postgres://deploy@db:5432/app (default: $SHIPGATE_DATABASE_URL; prefer the variable, so the password stays off the command line)",
  );
}

/** Shared flags: config, migration layout and apply settings. */
function projectFlags(global: { config?: string }, opts: Opts, io: CliIo) {
  return {
    cwd: io.cwd,
    env: io.env,
    ...(global.config ? { configPath: global.config } : {}),
    ...(str(opts.framework) ? { framework: str(opts.framework) as string } : {}),
    ...(str(opts.transaction) ? { transaction: str(opts.transaction) as string } : {}),
    ...(str(opts.lockTimeout) ? { lockTimeout: str(opts.lockTimeout) as string } : {}),
    ...(str(opts.statementTimeout) ? { statementTimeout: str(opts.statementTimeout) as string } : {}),
    ...(str(opts.lockRetries) ? { lockRetries: str(opts.lockRetries) as string } : {}),
    ...(str(opts.lockRetryDelay) ? { lockRetryDelay: str(opts.lockRetryDelay) as string } : {}),
    ...(str(opts.lockWait) ? { lockWait: str(opts.lockWait) as string } : {}),
    ...(str(opts.backupDir) ? { backupDir: str(opts.backupDir) as string } : {}),
  };
}

/**
 * Turns apply events into stderr output: on a terminal, a live progress line for the backup and the
 * files; otherwise (CI logs, pipes) one line per step. Waits, retries and cleanups are always lines.
 */
function eventPrinter(io: CliIo): { onEvent: (e: ApplyEvent) => void; finish: () => void } {
  const tty = Boolean(io.stderr.isTTY);
  let lastWaitLine = -1;
  let progress: Progress | undefined;
  const line = (text: string) => {
    progress?.finish(); // clears the live line; the next update draws it again
    io.stderr.write(`${text}\n`);
  };
  const step = (label: string, done: number, total: number, text: string) => {
    if (!tty) {
      line(text);
      return;
    }
    if (done === 0) {
      progress?.finish();
      progress = createProgress(label, io.stderr);
    }
    progress?.update(done, total);
  };
  return {
    onEvent(e) {
      switch (e.type) {
        case "lock-wait":
          if (lastWaitLine < 0 || e.waitedMs - lastWaitLine >= 10_000) {
            lastWaitLine = e.waitedMs;
            line(
              `waiting for the migration lock, held by ${e.holder} (${Math.round(e.waitedMs / 1000)} s so far)`,
            );
          }
          break;
        case "lock-acquired":
          if (lastWaitLine >= 0) line(`got the migration lock after ${Math.round(e.waitedMs / 1000)} s`);
          break;
        case "backup":
          if (e.done < e.total)
            step("backing up tables", e.done, e.total, `backing up ${e.table} (${e.done + 1}/${e.total})`);
          else progress?.update(e.done, e.total);
          break;
        case "backup-retry": {
          const who = e.blockers.length > 0 ? `; ${e.blockers.join("; ")}` : "";
          line(`lock timeout while backing up: retry ${e.attempt}/${e.retries} in ${e.delayMs} ms${who}`);
          break;
        }
        case "file-start":
          step(
            "applying migrations",
            e.index,
            e.total,
            `applying ${e.index + 1}/${e.total} ${e.file} (${e.mode === "transaction" ? "one transaction" : "autocommit"})`,
          );
          break;
        case "retry": {
          const who = e.blockers.length > 0 ? `; ${e.blockers.join("; ")}` : "";
          line(
            `lock timeout in ${e.file} at line ${e.line}: retry ${e.attempt}/${e.retries} in ${e.delayMs} ms${who}`,
          );
          break;
        }
        case "invalid-index-dropped":
          line(`dropped the invalid index ${e.index} left by the timed-out CREATE INDEX CONCURRENTLY`);
          break;
        case "file-done":
          break;
        case "command-start":
          line(`running \`${e.command}\``);
          break;
      }
    },
    finish() {
      progress?.finish();
    },
  };
}

export function registerMigrationsApply(
  migrations: Command,
  io: CliIo,
  setExit: (code: number) => void,
): void {
  const globalOpts = () => (migrations.parent ?? migrations).opts<{ config?: string }>();

  migrations
    .command("apply")
    .description(
      "Apply pending migrations safely: migration lock, lint gate, backup of the tables they touch, lock_timeout with retries, one transaction per file where possible.",
    )
    .argument("[paths...]", "migration files or directories (default: migrations.paths, else auto-detected)")
    .addOption(databaseUrlOption())
    .option(
      "--dry-run",
      "print the plan (files, statements, expected locks, tables to back up) and change nothing",
    )
    .option(
      "--command <runner>",
      'let the framework\'s runner apply the files (e.g. "npx prisma migrate deploy"); shipgate still locks, lints, backs up and records',
    )
    .option(
      "--lock-timeout <duration>",
      "lock_timeout for every statement (default: migrations.lockTimeout, 2s)",
    )
    .option(
      "--statement-timeout <duration>",
      "statement_timeout for every statement (default: migrations.statementTimeout, 15min; 0: none)",
    )
    .option("--lock-retries <n>", "retries after a lock timeout (default: migrations.lockRetries, 3)")
    .option(
      "--lock-retry-delay <duration>",
      "first backoff delay after a lock timeout, doubled each retry (default 1s)",
    )
    .option(
      "--lock-wait <duration>",
      "how long to wait for another run holding the migration lock (default: migrations.advisoryLockWait, 5min)",
    )
    .option(
      "--backup-dir <dir>",
      "backup store directory (default: migrations.backups.dir, .shipgate/backups)",
    )
    .option(
      "--framework <name>",
      "migration layout: sql, prisma, drizzle, flyway, golang-migrate, dbmate, node-pg-migrate",
    )
    .option(
      "--transaction <model>",
      "none: run every file in autocommit (default: a transaction per file where possible)",
    )
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  export SHIPGATE_DATABASE_URL=postgres://deploy:***@db.internal:5432/shop
  shipgate migrations apply --dry-run                       the plan: files, statements, locks, tables to back up
  shipgate migrations apply                                 lock, lint, back up, apply, record
  shipgate migrations apply --lock-timeout 5s --lock-retries 5
  shipgate migrations apply --command "npx prisma migrate deploy"
  shipgate migrations apply --format json > apply.json

Two deploys never migrate at once: the second waits for the migration lock (--lock-wait), then
finds nothing pending, or fails with LOCKED. A failed file in a transaction leaves the database as it
was before the file; the error names the backup to restore otherwise.

Exit codes: 0 applied or nothing to do, 1 refused (lint, edited file), failed or LOCKED,
2 usage, config or connection error, 70 internal error.`,
    )
    .action(async (paths: string[], opts: Opts) => {
      const [{ runMigrationsApply }, { renderApplyResult, toJson }, { renderReport }, { useColor }] =
        await Promise.all([
          import("./commands/migrations-apply.js"),
          import("../migrations/apply/render.js"),
          import("../core/reporters/index.js"),
          import("./output.js"),
        ]);
      const printer = eventPrinter(io);
      const { result } = await runMigrationsApply({
        ...projectFlags(globalOpts(), opts, io),
        paths,
        ...(str(opts.databaseUrl) ? { databaseUrl: str(opts.databaseUrl) as string } : {}),
        dryRun: opts.dryRun === true,
        ...(str(opts.command) !== undefined ? { command: str(opts.command) as string } : {}),
        commandOutput: io.stderr,
        onEvent: printer.onEvent,
      });
      printer.finish();
      if (opts.format === "json") io.stdout.write(toJson(result));
      else {
        const failingLint = result.findings.some(
          (f) => f.severity === "error" && f.suppression === undefined,
        );
        if (result.status === "refused" && failingLint && result.lintReport) {
          io.stdout.write(
            renderReport(result.lintReport, "pretty", { color: useColor(io.stdout, io.env), toolVersion }),
          );
        }
        io.stdout.write(renderApplyResult(result));
      }
      if (result.error) throw result.error;
      setExit(ExitCode.ok);
    });

  migrations
    .command("status")
    .description(
      "Applied migrations (from shipgate.schema_migrations) and pending ones; flags files edited after apply.",
    )
    .argument("[paths...]", "migration files or directories (default: migrations.paths, else auto-detected)")
    .addOption(databaseUrlOption())
    .option("--framework <name>", "migration layout (default: migrations.framework, else auto-detected)")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate migrations status --database-url "$DATABASE_URL"
  shipgate migrations status --format json

Exit codes: 0 ok, 1 an applied migration was edited after it was applied, 2 usage or connection error.`,
    )
    .action(async (paths: string[], opts: Opts) => {
      const [{ runMigrationsStatus }, { renderStatus, toJson }] = await Promise.all([
        import("./commands/migrations-status.js"),
        import("../migrations/apply/render.js"),
      ]);
      const result = await runMigrationsStatus({
        ...projectFlags(globalOpts(), opts, io),
        paths,
        ...(str(opts.databaseUrl) ? { databaseUrl: str(opts.databaseUrl) as string } : {}),
      });
      io.stdout.write(opts.format === "json" ? toJson(result) : renderStatus(result));
      if (result.failed) {
        for (const a of result.applied.filter((x) => x.state === "edited")) {
          io.stderr.write(
            `error: ${a.path ?? a.name} was edited after it was applied (its checksum differs)\n`,
          );
        }
        io.stderr.write(
          "hint: revert the edit and put the change in a new migration; `shipgate migrations apply` refuses to run until then.\n",
        );
      }
      setExit(result.failed ? ExitCode.gateFailed : ExitCode.ok);
    });

  migrations
    .command("backups")
    .description("List the backups taken by `migrations apply`: id, when, tables, rows, size.")
    .option(
      "--backup-dir <dir>",
      "backup store directory (default: migrations.backups.dir, .shipgate/backups)",
    )
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate migrations backups
  shipgate migrations backups --format json | jq -r '.backups[-1].id'`,
    )
    .action(async (opts: Opts) => {
      const [{ runMigrationsBackups }, { renderBackups, toJson }] = await Promise.all([
        import("./commands/migrations-backups.js"),
        import("../migrations/apply/render.js"),
      ]);
      const result = await runMigrationsBackups(projectFlags(globalOpts(), opts, io));
      io.stdout.write(
        opts.format === "json" ? toJson(result) : renderBackups(result.backups, result.location),
      );
      setExit(ExitCode.ok);
    });

  migrations
    .command("restore")
    .description(
      "Restore tables from a backup (definition and data, in one transaction), then verify row counts and checksums.",
    )
    .argument("<backup-id>", "a backup id from `shipgate migrations backups`")
    .addOption(databaseUrlOption())
    .option("--tables <names>", "only these tables, comma-separated (e.g. public.users,orders)")
    .option(
      "--backup-dir <dir>",
      "backup store directory (default: migrations.backups.dir, .shipgate/backups)",
    )
    .option(
      "--lock-wait <duration>",
      "how long to wait for a running apply (default: migrations.advisoryLockWait)",
    )
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate migrations restore 20261122T091500Z-3fa2c1 --database-url "$DATABASE_URL"
  shipgate migrations restore 20261122T091500Z-3fa2c1 --tables public.users

A table whose definition is unchanged is refilled in place (TRUNCATE + COPY); one that was dropped or
altered is recreated. Foreign keys of other tables pointing at it are dropped and added back.
Any difference in row counts or checksums rolls the whole restore back.

Exit codes: 0 restored and verified, 1 restore failed (nothing changed), 2 usage or connection error.`,
    )
    .action(async (id: string, opts: Opts) => {
      const [{ runMigrationsRestore }, { renderRestore, toJson }] = await Promise.all([
        import("./commands/migrations-restore.js"),
        import("../migrations/apply/render.js"),
      ]);
      const printer = eventPrinter(io);
      const progress = createProgress("restoring", io.stderr);
      const result = await runMigrationsRestore({
        ...projectFlags(globalOpts(), opts, io),
        id,
        ...(str(opts.databaseUrl) ? { databaseUrl: str(opts.databaseUrl) as string } : {}),
        ...(str(opts.tables) ? { tables: [str(opts.tables) as string] } : {}),
        onEvent: printer.onEvent,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.finish();
      io.stdout.write(opts.format === "json" ? toJson(result) : renderRestore(result));
      setExit(result.ok ? ExitCode.ok : ExitCode.gateFailed);
    });
}
