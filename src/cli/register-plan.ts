/**
 * `shipgate plan rollback`: the rollback plan of the change, written from facts. Registered by
 * program.ts; the plan loads on demand.
 */
import { type Command, Option } from "commander";
import { ExitCode } from "../core/errors.js";
import { useColor } from "./output.js";
import type { CliIo } from "./program.js";

interface PlanRollbackCliOptions {
  environment?: string;
  base?: string;
  format: "pretty" | "json" | "markdown";
}

export function registerPlan(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const plan = program
    .command("plan")
    .description(
      "Plans written from facts (config, the release ledger, git): the rollback plan of a change.",
    );

  plan
    .command("rollback")
    .description(
      "The rollback plan of the change: time and command, schema and data rollback, traffic, who to notify, when to roll back.",
    )
    .option(
      "--environment <name>",
      "the environment deployed to (default: production when declared, else the only environment)",
    )
    .option(
      "--base <ref>",
      "the base of the change (default: the version last deployed to the environment per the ledger, else origin/main)",
    )
    .addOption(
      new Option("--format <format>", "output format")
        .choices(["pretty", "json", "markdown"])
        .default("pretty"),
    )
    .addHelpText(
      "after",
      `
Examples:
  shipgate plan rollback                                   production, the change since its last deploy
  shipgate plan rollback --environment staging --base v1.4.0
  shipgate plan rollback --format markdown > rollback-plan.md
  shipgate plan rollback --format json | jq .estimate

Read-only: the ledger is read, never created or changed, and nothing is started. Without a ledger
(nothing deployed yet, or memory:) the plan comes from git and shipgate.yaml and says there is no
deploy history. \`shipgate check\` fails its "rollback plan" item on the plan's gaps.

Exit codes: 0 the plan was written, 2 usage or config error.`,
    )
    .action(async (opts: PlanRollbackCliOptions) => {
      const [{ runPlanRollback }, { renderRollbackPlan }] = await Promise.all([
        import("../check/rollback-plan.js"),
        import("../check/rollback-plan-render.js"),
      ]);
      const global = program.opts<{ config?: string }>();
      const result = await runPlanRollback({
        cwd: io.cwd,
        env: io.env,
        ...(global.config ? { configPath: global.config } : {}),
        ...(opts.environment ? { environment: opts.environment } : {}),
        ...(opts.base ? { base: opts.base } : {}),
      });
      io.stdout.write(renderRollbackPlan(result, opts.format, { color: useColor(io.stdout, io.env) }));
      setExit(ExitCode.ok);
    });
}
