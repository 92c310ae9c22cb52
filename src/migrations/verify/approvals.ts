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
import type { ConfigApproval, RuleSetting } from "../lint.js";
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

const directivePattern = /shipgate:allow\b([\s\S]*)$/;

interface Directive {
  line: number;
  column: number;
  ids: string[];
  reason: string | undefined;
  /** Offsets of the statement the directive applies to. */
  target: { start: number; end: number } | undefined;
}

function directives(parsed: ParsedFile, lines: LineIndex): Directive[] {
  const out: Directive[] = [];
  for (const comment of parsed.directiveComments) {
    const body = comment.text.replace(/^--|^\/\*|\*\/$/g, "").trim();
    const m = directivePattern.exec(body);
    if (!m) continue;
    const rest = (m[1] ?? "").trim();
    const reasonAt = rest.search(/\breason\s*:/i);
    const ids = (reasonAt === -1 ? rest : rest.slice(0, reasonAt))
      .split(/[\s,]+/)
      .filter((x) => x.length > 0);
    const reason =
      reasonAt === -1
        ? undefined
        : rest
            .slice(reasonAt)
            .replace(/^reason\s*:/i, "")
            .trim() || undefined;
    const at = lines.position(comment.start);
    const trailing = parsed.statements.findLast(
      (s) => s.end <= comment.start && lines.position(Math.max(s.end - 1, s.start)).line === at.line,
    );
    const target = trailing ?? parsed.statements.find((s) => s.start >= comment.end);
    out.push({ line: at.line, column: at.column, ids, reason, target });
  }
  return out;
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
