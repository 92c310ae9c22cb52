/**
 * Verify's findings from a run: the observations merged with the static lint's findings on the same
 * files, then verify's rule settings, `requireDown` and approvals applied. The one place
 * `shipgate migrations verify` and the deploy's migrate step turn a verify run into findings.
 */
import type { Finding } from "../../core/finding.js";
import { engineRuleMetas } from "../engine-rules.js";
import type { ConfigApproval, RuleSetting } from "../lint.js";
import type { ParsedFile } from "../parse.js";
import { allRules } from "../rules/index.js";
import { applyVerifyApprovals, applyVerifySettings } from "./approvals.js";
import { mergeObservations } from "./merge.js";
import { type PredictInput, predictFacts } from "./predict.js";
import type { PendingMigration, VerifyRunResult } from "./verify.js";

/** Lint and engine rule ids: an inline allow naming anything else (and not verify's) is invalid. */
const lintRuleIds: ReadonlySet<string> = new Set([
  ...allRules.map((r) => r.meta.id),
  ...Object.keys(engineRuleMetas),
]);

export interface VerifyFindingsInput {
  /** The static lint's findings on the same files. */
  lintFindings: readonly Finding[];
  /** What runVerify observed. */
  run: VerifyRunResult;
  /** The migrations verify ran: their texts place the findings, their directives (and their downs') count. */
  pending: readonly PendingMigration[];
  /**
   * The files the static prediction reads, in migration order: the schema dump and the files applied
   * before as "replay", the pending files as "predict".
   */
  predict: readonly PredictInput[];
  /** The Postgres major version the prediction assumes. */
  pgVersion: number;
  /** `migrations.rules`: "off" or a severity per rule id. */
  rules: Readonly<Record<string, RuleSetting>>;
  /** `migrations.approvals`. */
  approvals: readonly ConfigApproval[];
  /** A missing down is an error. */
  requireDown: boolean;
}

/** The run's observations merged with the lint, settings and approvals applied (unsorted). */
export function verifyFindings(input: VerifyFindingsInput): Finding[] {
  const { pending, run } = input;
  let findings = mergeObservations({
    lintFindings: input.lintFindings,
    executed: run.executed,
    texts: new Map(pending.map((p) => [p.source.path, p.source.text])),
    predictions: predictFacts(input.predict, input.pgVersion),
  });
  findings.push(...run.findings);
  findings = applyVerifySettings(findings, input.rules);
  if (input.requireDown) {
    findings = findings.map((f) =>
      f.ruleId === "verify-down-missing" && f.severity !== "error" ? { ...f, severity: "error" } : f,
    );
  }
  const directiveFiles = new Map<string, ParsedFile>();
  for (const p of pending) {
    directiveFiles.set(p.source.path, p.parsed);
    if (p.down && !p.down.migration.section) directiveFiles.set(p.down.source.path, p.down.parsed);
  }
  return applyVerifyApprovals({
    findings,
    files: directiveFiles,
    approvals: input.approvals,
    lintRuleIds,
  });
}
