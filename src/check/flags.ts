/**
 * The gate's feature-flag lifecycle item (`shipgate check`, Application): flags must leave the code
 * when their time is up. Errors: a flag past its removal date, and an archived flag still
 * referenced in code. Warnings: a (non-permanent) flag that has sat at 100% or 0% in an environment
 * for longer than flags.staleAfter, and a flag key used in code that the ledger does not define.
 * The judgement (`flagLifecycleFindings`) is pure; the check reads the ledger without creating it
 * and skips, saying why, when there is no ledger yet.
 */
import path from "node:path";
import { isShipgateError } from "../core/errors.js";
import { type Finding, failingFindings } from "../core/finding.js";
import type { FlagReference } from "../flags/references.js";
import { type FlagDefinition, type FlagEnvironmentState, permanentFlagTypes } from "../flags/types.js";
import type { Check, CheckContext, CheckItem } from "./types.js";

export const flagsLifecycleItem = {
  id: "flags.lifecycle",
  group: "application" as const,
  title: "Feature flags are within their lifecycle",
};

export const flagLifecycleRules = {
  removalDatePassed: "flag-removal-date-passed",
  archivedReferenced: "flag-archived-referenced",
  staleRollout: "flag-stale-rollout",
  undefinedInCode: "flag-undefined-in-code",
} as const;

export interface FlagLifecycleInput {
  /** Every flag, archived ones included. */
  flags: readonly FlagDefinition[];
  /** States in the environments judged. */
  states: readonly FlagEnvironmentState[];
  /** Flag keys in code (file relative to the working directory). */
  references: readonly FlagReference[];
  now: Date;
  /** flags.staleAfter, in milliseconds. */
  staleAfterMs: number;
}

const dayMs = 86_400_000;

function days(ms: number): number {
  return Math.floor(ms / dayMs);
}

/**
 * The findings of the lifecycle item, in a stable order. A flag at 0% with targeting rules still
 * serves the users its rules pick, and a killed one is held off on purpose: neither is stale.
 * Permanent types (kill-switch, ops, permission) stay by design and are never stale.
 */
export function flagLifecycleFindings(input: FlagLifecycleInput): Finding[] {
  const today = input.now.toISOString().slice(0, 10);
  const byKey = new Map(input.flags.map((f) => [f.key, f]));
  const findings: Finding[] = [];

  for (const flag of input.flags) {
    if (flag.archivedAt !== null || flag.removalDate === null || flag.removalDate >= today) continue;
    findings.push({
      ruleId: flagLifecycleRules.removalDatePassed,
      severity: "error",
      message: `flag "${flag.key}" (owner: ${flag.owner}) passed its removal date ${flag.removalDate}`,
      help: `Remove the flag from code, then run \`shipgate flags archive ${flag.key}\`.`,
    });
  }

  for (const state of input.states) {
    const flag = byKey.get(state.flagKey);
    if (!flag || flag.archivedAt !== null || permanentFlagTypes.includes(flag.type)) continue;
    const fullyOn = state.rollout === 100 && state.enabled && !state.killed;
    const fullyOff = state.rollout === 0 && state.rules.length === 0 && !state.killed;
    if (!fullyOn && !fullyOff) continue;
    const since = Date.parse(state.rolloutChangedAt);
    const age = input.now.getTime() - since;
    if (Number.isNaN(since) || age <= input.staleAfterMs) continue;
    findings.push({
      ruleId: flagLifecycleRules.staleRollout,
      severity: "warning",
      message: `flag "${flag.key}" (owner: ${flag.owner}) has been at ${state.rollout}% in ${state.environment} for ${days(age)} days (since ${state.rolloutChangedAt.slice(0, 10)})`,
      help: fullyOn
        ? `The rollout is done: remove the flag from code and run \`shipgate flags archive ${flag.key}\` (or make it a permanent type).`
        : `Nobody gets it: roll it out (\`shipgate flags rollout ${flag.key} <pct> --environment ${state.environment}\`) or remove it and archive it.`,
    });
  }

  for (const ref of input.references) {
    const flag = byKey.get(ref.key);
    const at = { file: ref.file, line: ref.line, column: ref.column };
    if (flag === undefined) {
      findings.push({
        ruleId: flagLifecycleRules.undefinedInCode,
        severity: "warning",
        ...at,
        message: `flag "${ref.key}" is used in code but not defined in the ledger (${ref.file}:${ref.line})`,
        help: `Create it (\`shipgate flags create ${ref.key} --owner <team> --type release --removal-date YYYY-MM-DD\`) or fix the key; until then it evaluates to off.`,
      });
    } else if (flag.archivedAt !== null) {
      findings.push({
        ruleId: flagLifecycleRules.archivedReferenced,
        severity: "error",
        ...at,
        message: `archived flag "${ref.key}" (owner: ${flag.owner}) is still referenced at ${ref.file}:${ref.line}`,
        help: "Archived flags are off everywhere: remove the reference and the code it guards.",
      });
    }
  }
  return findings;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function summary(flags: number, references: number, findings: readonly Finding[]): string {
  const errors = failingFindings(findings).length;
  const warnings = findings.length - errors;
  const counts = [errors > 0 ? count(errors, "error") : "", warnings > 0 ? count(warnings, "warning") : ""]
    .filter(Boolean)
    .join(", ");
  return `${count(flags, "flag")}, ${count(references, "reference")} in code${counts ? `: ${counts}` : ""}`;
}

export const flagsCheck: Check = {
  id: "flags",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    // Loaded on demand: the SQLite driver and babel cost nothing to a run that never gets here.
    const [{ openLedgerForReading }, { scanFlagReferences }] = await Promise.all([
      import("./ledger-read.js"),
      import("../flags/references.js"),
    ]);
    let access: Awaited<ReturnType<typeof openLedgerForReading>>;
    try {
      access = await openLedgerForReading(ctx.config, ctx.configDir, ctx.env);
    } catch (error) {
      // An unreachable shared ledger skips the item (never a pass), saying why.
      if (!isShipgateError(error) || error.code !== "LEDGER_FAILED") throw error;
      return [
        {
          ...flagsLifecycleItem,
          status: "skipped",
          detail: `the ledger could not be opened: ${error.message}`,
          findings: [],
        },
      ];
    }
    if (access.ledger === null) {
      return [
        {
          ...flagsLifecycleItem,
          status: "skipped",
          detail: `${access.why}: no flags to check`,
          findings: [],
        },
      ];
    }
    let flags: FlagDefinition[];
    const states: FlagEnvironmentState[] = [];
    try {
      flags = await access.ledger.listFlags({ includeArchived: true });
      const environments =
        ctx.environment !== undefined ? [ctx.environment] : Object.keys(ctx.config.environments);
      for (const environment of environments)
        states.push(...(await access.ledger.listFlagStates(environment)));
    } finally {
      await access.ledger.close();
    }
    const { scan, functions, staleAfter } = ctx.config.flags;
    const references = (
      await scanFlagReferences({
        dir: ctx.configDir,
        include: scan.include,
        exclude: scan.exclude,
        functions,
      })
    ).map((ref) => ({
      ...ref,
      file: path.relative(ctx.cwd, path.join(ctx.configDir, ref.file)).split(path.sep).join("/"),
    }));
    const findings = flagLifecycleFindings({
      flags,
      states,
      references,
      now: ctx.now,
      staleAfterMs: staleAfter,
    });
    return [
      {
        ...flagsLifecycleItem,
        status: failingFindings(findings).length > 0 ? "fail" : "pass",
        detail: summary(flags.filter((f) => f.archivedAt === null).length, references.length, findings),
        findings,
      },
    ];
  },
};
