/**
 * `shipgate env audit --since <ref>`: the variables that became required between a ref and the
 * working tree. Pure: the command module reads both versions of the files and extracts their reads.
 *
 * A variable is required in a version when at least one read of it (by literal name) has no default
 * written at the read site. Reads with a dynamic name are ignored.
 */
import { compareFindings, type Finding } from "../core/finding.js";
import { describeRead, envAuditDocsUrl } from "./audit.js";
import { type EnvRead, requiresValue } from "./js-reads.js";

function isNamed(read: EnvRead): read is EnvRead & { name: string } {
  return read.name !== undefined && read.dynamic !== true;
}

function comparePosition(a: EnvRead, b: EnvRead): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
}

/**
 * Each variable read without a default in `after` that no read without a default in `before`
 * covered, with its first such read (by file, line, column) in `after`.
 */
export function firstNewlyRequiredReads(
  before: readonly EnvRead[],
  after: readonly EnvRead[],
): Map<string, EnvRead & { name: string }> {
  const requiredBefore = new Set(before.filter(requiresValue).map((r) => r.name));
  const firstRequired = new Map<string, EnvRead & { name: string }>();
  for (const r of after) {
    if (!requiresValue(r) || requiredBefore.has(r.name)) continue;
    const seen = firstRequired.get(r.name);
    if (seen === undefined || comparePosition(r, seen) < 0) firstRequired.set(r.name, r);
  }
  return firstRequired;
}

/**
 * `env-newly-required` findings: each variable read without a default in `after` that no read
 * without a default in `before` covered, at its first such read (by file, line, column) in `after`.
 * `ref` names the old version in messages.
 */
export function newlyRequired(before: readonly EnvRead[], after: readonly EnvRead[], ref: string): Finding[] {
  const readBefore = new Set(before.filter(isNamed).map((r) => r.name));
  const firstRequired = firstNewlyRequiredReads(before, after);
  const findings: Finding[] = [];
  for (const [name, r] of firstRequired) {
    const what = describeRead(r);
    const message = readBefore.has(name)
      ? `${what} reads ${name} without a default; at ${ref} every read of it had one (a default was removed)`
      : `${what} reads ${name} without a default; the code did not read it at ${ref} (a new required variable)`;
    findings.push({
      ruleId: "env-newly-required",
      severity: "error",
      file: r.file,
      line: r.line,
      column: r.column,
      message,
      help: `Set ${name} in every target environment before this deploy (and declare it in the example file), or give the read a default.`,
      docsUrl: envAuditDocsUrl,
    });
  }
  findings.sort(compareFindings);
  return findings;
}
