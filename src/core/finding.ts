/**
 * One Finding shape for every check in the product: migrations, env, compat, hygiene and pipeline
 * checks all return Finding[]; reporters render them; the CLI entry derives the exit code.
 */

export type Severity = "error" | "warning" | "info";

/** Postgres table-level lock modes, weakest first. */
export const lockModes = [
  "ACCESS SHARE",
  "ROW SHARE",
  "ROW EXCLUSIVE",
  "SHARE UPDATE EXCLUSIVE",
  "SHARE",
  "SHARE ROW EXCLUSIVE",
  "EXCLUSIVE",
  "ACCESS EXCLUSIVE",
] as const;
export type LockMode = (typeof lockModes)[number];

/** additive: safe. transformative: risky, needs the safe pattern. destructive: dangerous, irreversible. */
export type MigrationClass = "additive" | "transformative" | "destructive";

export const migrationClassRank: Record<MigrationClass, number> = {
  additive: 0,
  transformative: 1,
  destructive: 2,
};

export interface Finding {
  /** Stable rule id, kebab-case, e.g. "adding-not-null-column". */
  ruleId: string;
  severity: Severity;
  /** Path relative to the working directory, with forward slashes. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based, in characters. */
  column?: number;
  endLine?: number;
  endColumn?: number;
  message: string;
  /** The safe alternative. */
  help?: string;
  docsUrl?: string;
  /** Migration findings: the class of the statement. */
  class?: MigrationClass;
  /** Migration findings: the strongest lock the statement takes on a relation that existed before. */
  lock?: LockMode | null;
  /** Migration findings: whether the statement rewrites a table. */
  rewrites?: boolean;
  /** Migration findings: the relation the finding is about. */
  relation?: string;
  /** API compatibility findings: the operation affected, e.g. "GET /orders/{id}". */
  operation?: string;
  /** API compatibility findings: JSON pointer (RFC 6901) into the spec, e.g. "/paths/~1orders/get". */
  pointer?: string;
  /** Set when the finding was approved (inline or in config); approved findings never fail the gate. */
  suppression?: Suppression;
}

export interface Suppression {
  kind: "inline" | "config";
  reason: string;
}

/** Findings that count toward the exit code: not approved, and error severity. */
export function failingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === "error" && f.suppression === undefined);
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.file ?? "").localeCompare(b.file ?? "") ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    a.ruleId.localeCompare(b.ruleId)
  );
}
