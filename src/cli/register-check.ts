/**
 * `shipgate check`: the pre-deploy gate. Registered by program.ts; the checks load on demand.
 */
import type { Command } from "commander";
import { ExitCode, ShipgateError } from "../core/errors.js";
import { createProgress } from "../core/progress.js";
import { toolVersion } from "../core/version.js";
import { chooseFormat, formatOption, useColor } from "./output.js";
import type { CliIo } from "./program.js";

interface CheckCliOptions {
  base?: string;
  environment?: string;
  confirm: string[];
  overrideWindow?: boolean;
  reason?: string;
  format?: string;
  prComment?: boolean;
  /** false with --no-record. */
  record: boolean;
}

export function registerCheck(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("check")
    .description(
      "The pre-deploy gate: migrations, env, code and git hygiene, the deploy window and manual items — one checklist that explains every failure.",
    )
    .option(
      "--base <ref>",
      "the base of the change (default: the version last deployed to --environment per the ledger, else origin/main)",
    )
    .option("--environment <name>", "the target environment (env verify, deploy window)")
    .option(
      "--confirm <id>",
      "confirm a manual item (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--override-window", "deploy outside the deploy window (needs --reason)")
    .option("--reason <text>", "why the window is overridden; recorded in the report")
    .option(
      "--pr-comment",
      "also post the report as one sticky pull-request comment (GitHub Actions), updated in place",
    )
    .option(
      "--no-record",
      "do not store the report in the ledger (by default it is stored by commit, for the release built from it)",
    )
    .addOption(formatOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate check                                      the change since origin/main
  shipgate check --environment production             the change since production's last deploy (ledger)
  shipgate check --base v1.4.0 --environment production
  shipgate check --environment production --confirm team-notified --confirm on-call
  shipgate check --environment production --override-window --reason "fix for INC-42"
  shipgate check --format markdown > comment.md        a pull-request comment (under 65,536 characters)
  shipgate check --format json
  shipgate check --pr-comment                          in a pull_request job: one comment, updated on every run
  shipgate check --environment staging --no-record     do not store the report in the ledger

The report is stored in the ledger ($SHIPGATE_LEDGER_URL, else ledger.url) by commit (HEAD) and
environment; the team server shows it with the release built from that commit.

Each item is ✓ pass, ✗ fail, ? manual (confirm with --confirm <id>) or - skipped (with the reason),
grouped as Data layer, Application, Infrastructure, Observability, Rollback readiness.

Exit codes: 0 pass, 1 an item failed, 2 usage or config error.`,
    )
    .action(async (opts: CheckCliOptions) => {
      if (opts.overrideWindow && !opts.reason?.trim()) {
        throw new ShipgateError("USAGE", "--override-window needs --reason", {
          hint: 'Say why, e.g. --override-window --reason "security fix for INC-42"; the reason is recorded.',
        });
      }
      const format = chooseFormat(opts.format, io.env);
      // Checked before the run, so a job without a token fails at once.
      const comment = opts.prComment ? await import("../check/pr-comment.js") : undefined;
      const target = comment?.prTargetFromEnv(io.env);
      const [{ runCheck }, { defaultChecks }, { renderCheck }] = await Promise.all([
        import("../check/run.js"),
        import("../check/index.js"),
        import("../check/render.js"),
      ]);
      const global = program.opts<{ config?: string }>();
      const progress = createProgress("checking", io.stderr);
      const run = await runCheck({
        cwd: io.cwd,
        env: io.env,
        ...(global.config ? { configPath: global.config } : {}),
        ...(opts.base ? { base: opts.base } : {}),
        ...(opts.environment ? { environment: opts.environment } : {}),
        checks: defaultChecks({
          confirmed: new Set(opts.confirm),
          ...(opts.overrideWindow && opts.reason ? { windowOverride: { reason: opts.reason } } : {}),
        }),
        onProgress: (done, total) => progress.update(done, total),
        record: opts.record,
      });
      progress.finish();
      io.stdout.write(renderCheck(run, format, { color: useColor(io.stdout, io.env), toolVersion }));
      if (run.recorded?.recorded === false) {
        io.stderr.write(`gate report not recorded: ${run.recorded.why}\n`);
      }
      if (comment && target) {
        const [{ renderCheckMarkdown }, { markdownMarker }] = await Promise.all([
          import("../check/render.js"),
          import("../core/reporters/index.js"),
        ]);
        const done = await comment.upsertPrComment(target, markdownMarker("check"), renderCheckMarkdown(run));
        io.stderr.write(`pull-request comment ${done.action}: ${done.url}\n`);
      }
      setExit(run.failed ? ExitCode.gateFailed : ExitCode.ok);
    });
}
