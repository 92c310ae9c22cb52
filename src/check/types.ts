/**
 * The pre-deploy gate's model. `shipgate check` runs checks; each check yields one or more checklist
 * items, grouped as in the deployment checklist, each with a status, the findings behind it and the
 * time it took. Findings use the shared Finding shape so every reporter renders them.
 */
import type { ShipgateConfig } from "../config/schema.js";
import type { Finding } from "../core/finding.js";

export const checkGroups = ["data", "application", "infrastructure", "observability", "rollback"] as const;
export type CheckGroup = (typeof checkGroups)[number];

export const checkGroupTitles: Record<CheckGroup, string> = {
  data: "Data layer",
  application: "Application",
  infrastructure: "Infrastructure",
  observability: "Observability",
  rollback: "Rollback readiness",
};

/**
 * pass: checked and fine. fail: checked and not fine (its findings say why; error findings fail the
 * gate). manual: a person must confirm it (--confirm <id> or config). skipped: not checked, with the
 * reason (never reported as passing). A fail item whose findings are all warnings (or approved)
 * does not fail the gate: it shows as ⚠ (item-mark.ts) and the report's counts (the team API's
 * CheckCounts) count it as warn, not as fail.
 */
export type CheckStatus = "pass" | "fail" | "manual" | "skipped";

export interface CheckItem {
  /** Stable id, e.g. "migrations.lint", "pipeline.tests", "hygiene.debug-leftovers". */
  id: string;
  group: CheckGroup;
  /** What the item asserts, as a checklist line: "Migrations pass the linter". */
  title: string;
  status: CheckStatus;
  /** One line: why it was skipped, what failed, or how to confirm a manual item. */
  detail?: string;
  findings: Finding[];
  /** Milliseconds the check took (filled in by the runner when the check does not set it). */
  durationMs?: number;
}

export interface CheckContext {
  /** Where the command runs; finding paths are relative to it. */
  cwd: string;
  /** Directory of shipgate.yaml (relative config paths resolve against it). */
  configDir: string;
  /** The config file, when there is one (commands the check runs load the same file). */
  configPath: string | undefined;
  config: ShipgateConfig;
  env: NodeJS.ProcessEnv;
  /** The base commit of the change (resolved), when there is one. */
  base: string | undefined;
  /** How the base was chosen, for messages, e.g. "origin/main" or "last deploy to production". */
  baseLabel: string | undefined;
  /**
   * Why there is no base, when `base` is undefined: the detail of every item that needs one
   * (outside a git repository --base cannot help, so the text must not suggest it). Default:
   * {@link noBaseReason}.
   */
  whyNoBase?: string | undefined;
  /** Files changed between base and the working tree (relative to cwd); all files when no base. */
  changedFiles: readonly string[];
  /** The target environment (--environment), if any. */
  environment: string | undefined;
  /** The time the check runs at (injected for tests). */
  now: Date;
}

export interface Check {
  /** Id prefix of its items, e.g. "pipeline". */
  id: string;
  run(context: CheckContext): Promise<CheckItem[]>;
}

/** Why the diff-based items are skipped without a base, when nothing more precise is known. */
export const noBaseReason = "no base to diff against (pass --base <ref>)";

/** The detail of an item skipped for want of a base. */
export function whyNoBase(ctx: Pick<CheckContext, "whyNoBase">): string {
  return ctx.whyNoBase ?? noBaseReason;
}
