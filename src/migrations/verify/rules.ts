/**
 * The findings `migrations verify` reports itself, described like lint rules (id, severity,
 * message templates, help) so that they go through the same reporters, settings (`migrations.rules`)
 * and approvals. Each id has a section in docs/migrations-verify.md.
 */
import { docsBaseUrl } from "../../core/docs.js";
import type { Finding } from "../../core/finding.js";
import type { RuleMeta } from "../rule.js";

export const verifyRuleMetas = {
  "verify-error": {
    id: "verify-error",
    description: "A migration statement failed on a real Postgres (with its SQLSTATE and position).",
    severity: "error",
    messages: {
      default: "Postgres error {code}{condition}: {message}{detail}",
      down: "the down migration fails: Postgres error {code}{condition}: {message}{detail}",
      baseline:
        "an already-applied (baseline) migration fails on the throwaway server: Postgres error {code}{condition}: {message}{detail}",
    },
    help: "Fix the statement; migrations after a failing one are not verified.",
  },
  "verify-rewrite": {
    id: "verify-rewrite",
    description:
      "Postgres rewrote an existing table (its relfilenode changed) where the static analysis did not expect it.",
    severity: "error",
    messages: {
      default:
        "Postgres rewrote {relation} (a new relfilenode: every row copied) while holding {lock}; the static analysis did not expect a rewrite",
    },
    help: "Avoid the rewrite: add the column without a volatile default and backfill in batches, or change the type through a new column.",
  },
  "verify-lock": {
    id: "verify-lock",
    description:
      "Postgres took a lock that blocks writes (or reads) on an existing table, stronger than the static analysis expected.",
    severity: "warning",
    messages: {
      default: "Postgres took {lock} on {relation}; the static analysis expected {expected}",
    },
    help: "Set lock_timeout before the statement and make sure the lock is short, or use the non-blocking form of the statement.",
  },
  "verify-not-executed": {
    id: "verify-not-executed",
    description:
      "A statement that cannot run inside a transaction block was not observed as written (rollback-only verification).",
    severity: "info",
    messages: {
      skipped: "not executed: {reason} cannot run inside verify's rollback-only transaction",
      rewritten:
        "executed without CONCURRENTLY inside verify's rollback-only transaction, so its lock was not observed",
    },
    help: "Verify on a throwaway server (no --database-url) or pass --commit to run it as written.",
  },
  "verify-down-missing": {
    id: "verify-down-missing",
    description: "A migration without a down migration (an error when migrations.requireDown is true).",
    severity: "warning",
    messages: {
      default: "no down migration: expected {expected}",
      empty: "the down migration ({where}) has no statements",
    },
    help: "Write the down migration and let `shipgate migrations verify` check that up → down → up leaves the same schema.",
  },
  "verify-down-mismatch": {
    id: "verify-down-mismatch",
    description:
      "Up → down → up does not leave an identical schema: the down does not undo the up, or the up cannot run again after it.",
    severity: "error",
    messages: {
      down: "the down does not restore the schema the migration started from ({count}): {differences}",
      redo: "running the up again after the down gives a different schema ({count}): {differences}",
      redoFails: "after the down, the up fails: Postgres error {code}{condition}: {message}",
      orderOnly: "the down restores the schema except for the column order ({count}): {differences}",
    },
    help: "Make the down undo exactly what the up does (objects, columns, types, defaults, constraints, indexes).",
  },
  "verify-down-data-loss": {
    id: "verify-down-data-loss",
    description:
      "Running the down loses data: it drops a table or column that holds rows or existed before the up.",
    severity: "warning",
    messages: {
      holdsRows: "the down drops {object}, which holds {rows} (written by the up); rolling back deletes them",
      existedBefore:
        "the down drops {object}, which existed before this migration ({rows}); rolling back deletes data the up did not create",
      notRestored:
        "the up drops {object}, which held {rows}; the down re-creates it empty, so rolling back does not bring the data back",
    },
    help: "Back up the data before the up (shipgate migrations apply does) or make the down keep it, e.g. rename instead of drop.",
  },
} as const satisfies Record<string, RuleMeta>;

export type VerifyRuleId = keyof typeof verifyRuleMetas;

export const verifyRuleIds: readonly VerifyRuleId[] = Object.keys(verifyRuleMetas) as VerifyRuleId[];

/** Verify rules are documented on one page: docs/migrations-verify.md#<id>. */
export function verifyDocsUrl(id: VerifyRuleId): string {
  return new URL(`../migrations-verify.md#${id}`, docsBaseUrl).toString();
}

export interface FindingLocation {
  file: string;
  line: number;
  column: number;
}

function formatTemplate(template: string, data: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => (key in data ? String(data[key]) : m));
}

/** A finding of one of verify's own rules. */
export function verifyFinding(
  id: VerifyRuleId,
  messageId: string,
  data: Record<string, string | number>,
  at: FindingLocation,
  extra: Partial<Finding> = {},
): Finding {
  const meta = verifyRuleMetas[id];
  const template = (meta.messages as Record<string, string>)[messageId] ?? messageId;
  return {
    ruleId: id,
    severity: meta.severity,
    file: at.file,
    line: at.line,
    column: at.column,
    message: formatTemplate(template, data),
    help: meta.help,
    docsUrl: verifyDocsUrl(id),
    ...extra,
  };
}
