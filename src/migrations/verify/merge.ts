/**
 * Merging what Postgres did with what the static lint said. Observation wins:
 *
 * - A lint finding whose lock or rewrite Postgres contradicted keeps its rule id, takes the observed
 *   lock / rewrites values, and its message ends with "(observed: …)". A rule whose whole hazard is a
 *   rewrite drops to info when Postgres did not rewrite; a rule whose hazard is blocking traffic
 *   drops to info when the observed lock blocks neither reads nor writes.
 * - verify-rewrite: Postgres rewrote an existing table where the static analysis expected no rewrite.
 * - verify-lock: Postgres took a lock that blocks writes (or reads) on an existing table, stronger than
 *   the static analysis expected, and no finding on the statement already says so.
 *
 * Only statements whose locks were read inside their transaction are compared; a lock the
 * transaction already held before the statement cannot be attributed to it, so it never contradicts.
 */
import type { Finding, LockMode } from "../../core/finding.js";
import { LineIndex } from "../../core/line-index.js";
import { blocksReads, blocksWrites, lockRank } from "../facts.js";
import type { ParsedStatement } from "../parse.js";
import { strongest } from "./locks.js";
import type { PredictedFacts } from "./predict.js";
import { verifyFinding } from "./rules.js";
import type { ExecutedStatement } from "./session.js";

/** Rules whose hazard is the table rewrite itself. */
export const rewritePremisedRules: ReadonlySet<string> = new Set([
  "adding-field-with-default",
  "adding-generated-column",
  "changing-column-type",
  "table-rewrite",
]);

/** Rules whose hazard is a lock that blocks other sessions' reads or writes. */
export const lockPremisedRules: ReadonlySet<string> = new Set([
  "require-concurrent-index-creation",
  "require-concurrent-index-deletion",
  "require-lock-timeout",
  "statement-timeout-without-lock-timeout",
  "lock-table",
  "reindex-without-concurrently",
  "refresh-materialized-view-without-concurrently",
]);

const tableLike = new Set(["table", "materialized view", "view", "foreign table"]);

export interface MergeInput {
  lintFindings: readonly Finding[];
  /** The up statements as they ran, by file path. */
  executed: ReadonlyMap<string, readonly ExecutedStatement[]>;
  /** File texts by path (for positions). */
  texts: ReadonlyMap<string, string>;
  predictions: ReadonlyMap<ParsedStatement, PredictedFacts>;
}

function blocksTraffic(mode: LockMode): boolean {
  return blocksWrites(mode) || blocksReads(mode);
}

/** The executed statement a finding points into (DO-block children point inside their DO). */
function statementAt(
  f: Finding,
  statements: readonly ExecutedStatement[],
  lines: LineIndex,
): ExecutedStatement | undefined {
  if (f.line === undefined) return undefined;
  const offset = lines.offset(f.line, f.column ?? 1);
  return (
    statements.find((e) => e.stmt.start === offset) ??
    statements.find((e) => e.stmt.start <= offset && offset < Math.max(e.stmt.end, e.stmt.start + 1))
  );
}

/** What Postgres did about a lock on `relation` in this statement; undefined when it cannot say. */
function observedLock(
  e: ExecutedStatement,
  relation: string,
  expected: LockMode,
): { contradicts: boolean; observed: LockMode | undefined } | undefined {
  if (e.trace.status !== "ok" || e.trace.locks === null) return undefined;
  const rel = e.trace.locks.find((l) => l.relation === relation);
  const acquired = rel?.acquired ?? [];
  const heldBefore = e.heldBefore.get(relation) ?? [];
  const observed = strongest(acquired);
  if (acquired.includes(expected) && observed === expected) return { contradicts: false, observed };
  if (observed === undefined) {
    // Nothing new: masked when the transaction already held it; unknown name (e.g. another schema).
    if (heldBefore.includes(expected) || !e.relationExists(relation)) return undefined;
    return { contradicts: true, observed: undefined };
  }
  if (heldBefore.includes(expected) && lockRank(observed) <= lockRank(expected)) return undefined;
  return { contradicts: true, observed };
}

/** The lint findings adjusted by observation, plus verify-rewrite and verify-lock findings. */
export function mergeObservations(input: MergeInput): Finding[] {
  const out: Finding[] = [];
  const lineIndexes = new Map<string, LineIndex>();
  const linesOf = (file: string) => {
    let l = lineIndexes.get(file);
    if (!l) {
      l = new LineIndex(input.texts.get(file) ?? "");
      lineIndexes.set(file, l);
    }
    return l;
  };
  /** Findings (after merge) per executed statement. */
  const byStatement = new Map<ExecutedStatement, Finding[]>();

  for (const original of input.lintFindings) {
    const statements = original.file ? input.executed.get(original.file) : undefined;
    const e = statements ? statementAt(original, statements, linesOf(original.file as string)) : undefined;
    if (e?.trace.status !== "ok") {
      out.push(original);
      continue;
    }
    const f: Finding = { ...original };
    const notes: string[] = [];
    if (typeof f.lock === "string" && f.relation) {
      const seen = observedLock(e, f.relation, f.lock);
      if (seen?.contradicts) {
        const expected = f.lock;
        notes.push(
          seen.observed
            ? `${seen.observed} on ${f.relation}, not ${expected}`
            : `no ${expected} lock on ${f.relation}`,
        );
        f.lock = seen.observed ?? null;
        if (
          lockPremisedRules.has(f.ruleId) &&
          blocksTraffic(expected) &&
          (seen.observed === undefined || !blocksTraffic(seen.observed))
        ) {
          f.severity = "info";
        }
      }
    }
    if (e.trace.locks !== null || e.trace.ranAs === "autocommit") {
      const rewrote = e.trace.rewrites.filter((r) => r.existing);
      if (f.rewrites === true && rewrote.length === 0) {
        notes.push(`no table rewrite${f.relation ? ` of ${f.relation}` : ""}`);
        f.rewrites = false;
        if (rewritePremisedRules.has(f.ruleId)) f.severity = "info";
      } else if (f.rewrites === false && rewrote.length > 0) {
        const which = rewrote.find((r) => r.relation === f.relation) ?? rewrote[0];
        notes.push(`Postgres rewrote ${which?.relation}`);
        f.rewrites = true;
      }
    }
    if (notes.length > 0) f.message = `${f.message} (observed: ${notes.join("; ")})`;
    out.push(f);
    const list = byStatement.get(e) ?? [];
    list.push(f);
    byStatement.set(e, list);
  }

  for (const statements of input.executed.values()) {
    for (const e of statements) {
      if (e.trace.status !== "ok") continue;
      const predicted = input.predictions.get(e.stmt);
      const merged = byStatement.get(e) ?? [];
      const at = { file: e.trace.file, line: e.trace.line, column: e.trace.column };
      for (const r of e.trace.rewrites) {
        if (!r.existing || predicted?.rewrites.has(r.relation)) continue;
        const lock = strongest(e.trace.locks?.find((l) => l.relation === r.relation)?.acquired ?? []);
        out.push(
          verifyFinding(
            "verify-rewrite",
            "default",
            { relation: r.relation, lock: lock ?? "ACCESS EXCLUSIVE" },
            at,
            {
              lock: lock ?? "ACCESS EXCLUSIVE",
              rewrites: true,
              relation: r.relation,
              class: "transformative",
            },
          ),
        );
      }
      for (const l of e.trace.locks ?? []) {
        if (!l.existing || !tableLike.has(l.kind)) continue;
        const mode = strongest(l.acquired);
        if (!mode || !blocksTraffic(mode)) continue;
        const expected = predicted?.locks.get(l.relation);
        if (expected !== undefined && lockRank(expected) >= lockRank(mode)) continue;
        if (merged.some((f) => f.lock === mode && f.relation === l.relation)) continue;
        out.push(
          verifyFinding(
            "verify-lock",
            "default",
            { lock: mode, relation: l.relation, expected: expected ?? "no lock on it" },
            at,
            { lock: mode, relation: l.relation },
          ),
        );
      }
    }
  }
  return out;
}
