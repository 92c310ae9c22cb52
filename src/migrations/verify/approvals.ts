/**
 * Settings and approvals for verify's own findings, the same way the linter treats its rules:
 * `migrations.rules.<id>` (off or a severity), config approvals (rule + file + reason), and inline
 * `-- shipgate:allow verify-rewrite reason: …` on the line before the statement.
 *
 * The linter does not know verify's rule ids, so it reports such a directive as naming an unknown
 * rule and ignores it. Here that report is withdrawn and the directive applied to both the verify
 * findings and the lint findings it names.
 */
import { ruleDocsUrl } from "../../core/docs.js";
import type { Finding } from "../../core/finding.js";
import { LineIndex } from "../../core/line-index.js";
import { engineRuleMetas } from "../engine-rules.js";
import { type ConfigApproval, parseDirectives, type RuleSetting } from "../lint.js";
import type { ParsedFile } from "../parse.js";
import { type VerifyRuleId, verifyRuleIds } from "./rules.js";

const verifyIds: ReadonlySet<string> = new Set(verifyRuleIds);

export function isVerifyRuleId(id: string): id is VerifyRuleId {
  return verifyIds.has(id);
}

/** `migrations.rules` for verify ids: "off" drops the finding, a severity replaces it. */
export function applyVerifySettings(
  findings: readonly Finding[],
  settings: Readonly<Record<string, RuleSetting>>,
): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const setting = isVerifyRuleId(f.ruleId) ? settings[f.ruleId] : undefined;
    if (setting === "off") continue;
    out.push(setting ? { ...f, severity: setting } : f);
  }
  return out;
}

interface Directive {
  line: number;
  column: number;
  ids: string[];
  reason: string | undefined;
  /** Offsets of the statement the directive applies to. */
  target: { start: number; end: number } | undefined;
}

function directives(parsed: ParsedFile, lines: LineIndex): Directive[] {
  return parseDirectives(parsed, lines).map((d) => {
    const at = lines.position(d.comment.start);
    return { line: at.line, column: at.column, ids: d.ids, reason: d.reason, target: d.target };
  });
}

function engineFinding(
  id: "invalid-ignore" | "unused-ignore",
  messageId: string,
  data: Record<string, string>,
  file: string,
  d: Directive,
): Finding {
  const meta = engineRuleMetas[id];
  const template = (meta.messages as Record<string, string>)[messageId] ?? messageId;
  return {
    ruleId: id,
    severity: meta.severity,
    file,
    line: d.line,
    column: d.column,
    message: template.replace(/\{(\w+)\}/g, (m, k: string) => data[k] ?? m),
    help: meta.help,
    docsUrl: ruleDocsUrl(id),
  };
}

export interface ApprovalInput {
  findings: Finding[];
  /** Files whose directives count (pending ups and their downs), by path. */
  files: ReadonlyMap<string, ParsedFile>;
  approvals: readonly ConfigApproval[];
  /** Rule ids the linter knows. */
  lintRuleIds: ReadonlySet<string>;
}

/** Applies config approvals and inline directives to verify findings; returns the new list. */
export function applyVerifyApprovals(input: ApprovalInput): Finding[] {
  let findings = input.findings;
  for (const f of findings) {
    if (f.suppression || !isVerifyRuleId(f.ruleId)) continue;
    const approval = input.approvals.find((a) => a.rule === f.ruleId && a.file === f.file);
    if (approval) f.suppression = { kind: "config", reason: approval.reason };
  }

  for (const [path, parsed] of input.files) {
    const lines = new LineIndex(parsed.text);
    for (const d of directives(parsed, lines)) {
      if (!d.ids.some(isVerifyRuleId)) continue;
      // The linter's "unknown rule" report for this directive is withdrawn: the ids are verify's.
      findings = findings.filter(
        (f) =>
          !(f.ruleId === "invalid-ignore" && f.file === path && f.line === d.line && f.column === d.column),
      );
      const unknown = d.ids.find((id) => !isVerifyRuleId(id) && !input.lintRuleIds.has(id));
      if (unknown) {
        findings.push(engineFinding("invalid-ignore", "unknownRule", { id: unknown }, path, d));
        continue;
      }
      if (d.reason === undefined) {
        findings.push(engineFinding("invalid-ignore", "noReason", { ids: d.ids.join(", ") }, path, d));
        continue;
      }
      let used = false;
      for (const f of findings) {
        if (f.suppression || f.file !== path || !d.ids.includes(f.ruleId) || f.line === undefined) continue;
        const offset = lines.offset(f.line, f.column ?? 1);
        const fileLevel = f.ruleId === "verify-down-missing";
        const inTarget =
          d.target !== undefined &&
          offset >= d.target.start &&
          offset < Math.max(d.target.end, d.target.start + 1);
        if (fileLevel || inTarget) {
          f.suppression = { kind: "inline", reason: d.reason };
          used = true;
        }
      }
      if (!used) findings.push(engineFinding("unused-ignore", "default", { ids: d.ids.join(", ") }, path, d));
    }
  }
  return findings;
}
