/**
 * The gate's "a rollback plan exists for the change" item (Rollback readiness). It passes when the
 * change can be rolled back: the ledger has a release to go back to, or this is the environment's
 * first deploy; every migration the change adds has a down migration or is additive; and every
 * destructive one is covered by the backups `migrations apply` takes. Otherwise each gap is a
 * finding that names what to add, and `shipgate plan rollback` prints the whole plan.
 */
import type { Finding } from "../core/finding.js";
import { lintChangeMigrationsOnce } from "./change-migrations.js";
import type { RollbackPlan } from "./rollback-plan.js";
import type { Check, CheckContext, CheckItem } from "./types.js";

export const rollbackPlanItem = {
  id: "rollback.plan",
  group: "rollback" as const,
  title: "A rollback plan exists for the change",
};

function planCommand(plan: RollbackPlan): string {
  return `shipgate plan rollback${plan.environment ? ` --environment ${plan.environment}` : ""}`;
}

/** The checklist item for a plan. Pure. */
export function rollbackReadinessItem(plan: RollbackPlan): Omit<CheckItem, "durationMs"> {
  const findings: Finding[] = plan.gaps.map((gap) => ({
    ruleId: `rollback-${gap.id}`,
    severity: gap.severity,
    ...(gap.file ? { file: gap.file } : {}),
    message: gap.message,
    help: gap.help,
  }));
  const errors = plan.gaps.filter((g) => g.severity === "error");
  if (errors.length > 0) {
    const missing = [
      ...errors.filter((g) => g.id === "down-missing").map((g) => `a down migration for ${g.file}`),
      ...errors.filter((g) => g.id === "no-backup").map((g) => `a backup before ${g.file}`),
    ];
    return {
      ...rollbackPlanItem,
      status: "fail",
      detail: `missing ${missing.join("; ")} — see \`${planCommand(plan)}\``,
      findings,
    };
  }

  const parts: string[] = [];
  if (plan.environment === null) parts.push("no --environment: the release to roll back to is not checked");
  else if (plan.traffic.rollsBackTo) {
    const time =
      plan.estimate.warm || plan.estimate.seconds !== null
        ? `~${plan.estimate.seconds} s`
        : `up to ${plan.estimate.atMostSeconds} s`;
    parts.push(`rolls back to ${plan.traffic.rollsBackTo.version} (${time}, \`${plan.commands.rollback}\`)`);
  } else parts.push(`first deploy of ${plan.environment}: no earlier release (${plan.history})`);
  if (!plan.schema.assessed) parts.push(`migrations ${plan.schema.text}`);
  else if (plan.schema.migrations.length > 0) {
    const n = plan.schema.migrations.length;
    const downs = plan.schema.migrations.filter((m) => m.down !== null).length;
    parts.push(
      `${n} migration${n === 1 ? "" : "s"}: ${downs === n ? `${n === 1 ? "it has" : "each has"} a down` : downs === 0 ? "additive, without downs" : `${downs} with a down, the others additive`}${plan.data.required ? ", backed up before they run" : ""}`,
    );
  }
  return { ...rollbackPlanItem, status: "pass", detail: parts.join("; "), findings };
}

export const rollbackReadinessCheck: Check = {
  id: "rollback",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const { assembleRollbackPlan, gatherRollbackFacts } = await import("./rollback-plan.js");
    const facts = await gatherRollbackFacts({
      cwd: ctx.cwd,
      configDir: ctx.configDir,
      configPath: ctx.configPath,
      config: ctx.config,
      env: ctx.env,
      environment: ctx.environment ?? null,
      base: ctx.base,
      baseLabel: ctx.baseLabel,
      whyNoBase: ctx.whyNoBase,
      // The migrations item's lint run, shared.
      lint: () => lintChangeMigrationsOnce(ctx),
    });
    return [rollbackReadinessItem(assembleRollbackPlan(facts))];
  },
};
