/**
 * The lint engine: replays files in order through the catalog, computes each statement's facts,
 * runs the rules, applies approvals, and returns findings as data. It never prints.
 */
import { ruleDocsUrl } from "../core/docs.js";
import {
  compareFindings,
  type Finding,
  type MigrationClass,
  migrationClassRank,
  type Severity,
} from "../core/finding.js";
import { LineIndex } from "../core/line-index.js";
import { asKind, listName, type NodeKind, qualify, rangeVarName } from "./ast.js";
import { Catalog } from "./catalog.js";
import { type EngineRuleId, engineRuleMetas } from "./engine-rules.js";
import { describeStatement, strongestLock } from "./facts.js";
import { type Comment, type ParsedFile, type ParsedStatement, parseFile, type SourceFile } from "./parse.js";
import type { AnalyzedStatement, FileState, Rule, RuleReport, TransactionModel } from "./rule.js";
import { verifyRuleMetas } from "./verify/rules.js";

export type RuleSetting = Severity | "off";

export interface ConfigApproval {
  rule: string;
  /** Path of the migration file, as reported in findings. */
  file: string;
  reason: string;
}

export interface LintOptions {
  pgVersion: number;
  /** Default transaction model for files that do not carry their own. */
  transactionModel: TransactionModel;
  rules: readonly Rule[];
  /** Per-rule severity overrides; "off" disables; opt-in rules run only when set here. */
  ruleSettings?: Readonly<Record<string, RuleSetting>>;
  approvals?: readonly ConfigApproval[];
}

export interface MigrationSource extends SourceFile {
  /** How the runner applies this file (from the framework); falls back to LintOptions. */
  transactionModel?: TransactionModel;
}

/**
 * The class of a file with a statement that could not be parsed (and of its syntax-error finding):
 * shipgate cannot tell what that statement does, so a deploy gate must assume the worst.
 */
const unparsedStatementClass: MigrationClass = "destructive";

export interface FileLintResult {
  path: string;
  class: MigrationClass;
  findings: Finding[];
}

export interface Directive {
  comment: Comment;
  ids: string[];
  reason: string | undefined;
  target: ParsedStatement | undefined;
  used: boolean;
}

const directivePattern = /shipgate:allow\b([\s\S]*)$/;

function formatMessage(template: string, data: Record<string, string | number> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => (data && key in data ? String(data[key]) : m));
}

/** Parses a duration setting as Postgres does: a bare number is milliseconds. */
export function parseTimeoutMs(value: string | number): number | undefined {
  if (typeof value === "number") return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? "ms").toLowerCase();
  const factor: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * (factor[unit] ?? 1);
}

function settingValue(
  stmt: ParsedStatement,
): { name: string; value: number | undefined; local: boolean } | undefined {
  const set = asKind(stmt.node, "VariableSetStmt");
  if (!set?.name) return undefined;
  const local = Boolean(set.is_local);
  if (set.kind === "VAR_RESET" || set.kind === "VAR_SET_DEFAULT")
    return { name: set.name, value: undefined, local };
  const arg = asKind(set.args?.[0], "A_Const");
  const raw = arg?.ival !== undefined ? (arg.ival.ival ?? 0) : arg?.sval?.sval;
  return { name: set.name, value: raw === undefined ? undefined : parseTimeoutMs(raw), local };
}

interface Timeouts {
  lockTimeoutMs: number | undefined;
  statementTimeoutMs: number | undefined;
}

class MutableFileState implements FileState {
  explicitTransactionDepth = 0;
  lockTimeoutMs: number | undefined;
  statementTimeoutMs: number | undefined;
  /** The session values to restore when the transaction that ran SET LOCAL ends. */
  private beforeLocal: Timeouts | undefined;
  readonly enumValuesAddedInTransaction = new Map<string, Set<string>>();
  readonly accessExclusiveHeld = new Map<string, AnalyzedStatement>();
  readonly previous: AnalyzedStatement[] = [];

  /** Relations this file created (no other session can be using them). */
  private readonly createdHere = new Set<string>();
  /** Relations the model knew before the file that this file dropped or renamed away. */
  private readonly removedKnown = new Set<string>();
  /** Names that relations created before the file were renamed to. */
  private readonly renamedExisting = new Set<string>();

  constructor(
    readonly path: string,
    readonly transactionModel: TransactionModel,
    readonly statementCount: number,
    private readonly catalog: Catalog,
  ) {}

  get inTransaction(): boolean {
    return (
      this.explicitTransactionDepth > 0 ||
      this.transactionModel === "per-file" ||
      (this.transactionModel === "implicit" && this.statementCount > 1)
    );
  }

  knownBeforeFile(relation: string): boolean {
    return (
      this.removedKnown.has(relation) ||
      this.renamedExisting.has(relation) ||
      (!this.createdHere.has(relation) && this.catalog.relation(relation) !== undefined)
    );
  }

  existedBeforeFile(relation: string): boolean {
    // Known before the file, or never seen by the model (so it exists outside the migrations linted).
    return !this.createdHere.has(relation);
  }

  /** Notes the relations a statement creates, drops or renames; call before the catalog applies it. */
  noteRelations(stmt: ParsedStatement): void {
    const node = stmt.node;
    const created =
      rangeVarName(asKind(node, "CreateStmt")?.relation) ??
      rangeVarName(asKind(node, "CreateTableAsStmt")?.into?.rel) ??
      rangeVarName(asKind(node, "ViewStmt")?.view) ??
      rangeVarName(asKind(node, "CreateForeignTableStmt")?.base?.relation);
    if (created && !this.catalog.relation(created)) this.createdHere.add(created);
    const drop = asKind(node, "DropStmt");
    if (
      drop?.removeType === "OBJECT_TABLE" ||
      drop?.removeType === "OBJECT_VIEW" ||
      drop?.removeType === "OBJECT_MATVIEW"
    ) {
      for (const obj of drop.objects ?? []) {
        const name = listName(asKind(obj, "List")?.items);
        if (name && this.knownBeforeFile(name)) this.removedKnown.add(name);
      }
    }
    const rename = asKind(node, "RenameStmt");
    const from = rangeVarName(rename?.relation);
    if (
      rename?.newname &&
      from &&
      (rename.renameType === "OBJECT_TABLE" ||
        rename.renameType === "OBJECT_VIEW" ||
        rename.renameType === "OBJECT_MATVIEW")
    ) {
      const to = qualify(rename.newname, from.slice(0, from.indexOf(".")));
      if (this.createdHere.has(from)) this.createdHere.add(to);
      else this.renamedExisting.add(to);
      if (this.knownBeforeFile(from)) this.removedKnown.add(from);
    }
  }

  /** Advances the state past a statement that has been checked. */
  advance(s: AnalyzedStatement): void {
    const stmt = s.parsed;
    const txn = asKind(stmt.node, "TransactionStmt");
    if (txn) {
      // Postgres does not nest transactions: BEGIN inside a block only warns, and the first
      // COMMIT or ROLLBACK ends the whole block (AND CHAIN starts the next one at once).
      if (txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START") {
        this.explicitTransactionDepth = 1;
      }
      const ends =
        ((txn.kind === "TRANS_STMT_COMMIT" || txn.kind === "TRANS_STMT_ROLLBACK") && !txn.chain) ||
        txn.kind === "TRANS_STMT_PREPARE";
      if (ends) {
        this.explicitTransactionDepth = 0;
        if (!this.inTransaction) {
          this.enumValuesAddedInTransaction.clear();
          this.accessExclusiveHeld.clear();
          if (this.beforeLocal)
            ({ lockTimeoutMs: this.lockTimeoutMs, statementTimeoutMs: this.statementTimeoutMs } =
              this.beforeLocal);
          this.beforeLocal = undefined;
        }
      }
    }
    const setting = settingValue(stmt);
    // SET LOCAL outside a transaction block has no effect (Postgres only warns).
    if (setting && !(setting.local && !this.inTransaction)) {
      if (setting.local && !this.beforeLocal) {
        this.beforeLocal = { lockTimeoutMs: this.lockTimeoutMs, statementTimeoutMs: this.statementTimeoutMs };
      }
      if (setting.name === "lock_timeout") this.lockTimeoutMs = setting.value;
      if (setting.name === "statement_timeout") this.statementTimeoutMs = setting.value;
    }
    const addValue = asKind(stmt.node, "AlterEnumStmt");
    if (addValue?.newVal !== undefined && addValue.oldVal === undefined && this.inTransaction) {
      const type = (addValue.typeName ?? [])
        .map((n) => asKind(n, "String")?.sval)
        .filter((x) => x !== undefined);
      const key = type.length > 1 ? type.join(".") : `public.${type[0] ?? ""}`;
      const set = this.enumValuesAddedInTransaction.get(key) ?? new Set<string>();
      set.add(addValue.newVal);
      this.enumValuesAddedInTransaction.set(key, set);
    }
    if (this.inTransaction) {
      for (const l of s.facts.locks) {
        if (l.existing && l.mode === "ACCESS EXCLUSIVE" && !this.accessExclusiveHeld.has(l.relation)) {
          this.accessExclusiveHeld.set(l.relation, s);
        }
      }
    }
    this.previous.push(s);
  }
}

/** The `shipgate:allow` directives of a file, each with the statement it applies to. */
export function parseDirectives(parsed: ParsedFile, lines: LineIndex): Directive[] {
  const out: Directive[] = [];
  for (const comment of parsed.directiveComments) {
    const body = comment.text.replace(/^--|^\/\*|\*\/$/g, "").trim();
    const m = directivePattern.exec(body);
    if (!m) continue;
    const rest = (m[1] ?? "").trim();
    const reasonAt = rest.search(/\breason\s*:/i);
    const idsPart = reasonAt === -1 ? rest : rest.slice(0, reasonAt);
    const reason =
      reasonAt === -1
        ? undefined
        : rest
            .slice(reasonAt)
            .replace(/^reason\s*:/i, "")
            .trim() || undefined;
    const ids = idsPart
      .split(/[\s,]+/)
      .map((x) => x.trim())
      .filter((x) => x.length > 0);
    const commentLine = lines.position(comment.start).line;
    const trailing = parsed.statements.findLast(
      (s) => s.end <= comment.start && lines.position(Math.max(s.end - 1, s.start)).line === commentLine,
    );
    const target = trailing ?? parsed.statements.find((s) => s.start >= comment.end);
    out.push({ comment, ids, reason, target, used: false });
  }
  return out;
}

/**
 * Lints migration files in order. `baseline` files (earlier, already applied migrations and/or a
 * schema dump) are replayed into the catalog first and not reported.
 */
export class MigrationLinter {
  readonly catalog: Catalog;
  private readonly rules: { rule: Rule; severity: Severity }[];
  private readonly knownIds: Set<string>;

  constructor(
    private readonly options: LintOptions,
    catalog: Catalog = new Catalog(),
  ) {
    this.catalog = catalog;
    const settings = options.ruleSettings ?? {};
    this.rules = [];
    // Verify's findings may be approved inline too: their ids are known, not reported as unknown.
    this.knownIds = new Set([
      ...options.rules.map((r) => r.meta.id),
      ...Object.keys(engineRuleMetas),
      ...Object.keys(verifyRuleMetas),
    ]);
    for (const rule of options.rules) {
      const setting = settings[rule.meta.id];
      if (setting === "off") continue;
      if (rule.meta.optIn && setting === undefined) continue;
      if (rule.meta.minPgVersion !== undefined && options.pgVersion < rule.meta.minPgVersion) continue;
      if (rule.meta.maxPgVersion !== undefined && options.pgVersion >= rule.meta.maxPgVersion) continue;
      this.rules.push({ rule, severity: setting ?? rule.meta.severity });
    }
  }

  /** Rules to run on a statement kind (their `kinds` include it, or they have none), memoised. */
  private readonly byKind = new Map<NodeKind, { rule: Rule; severity: Severity }[]>();
  private rulesFor(kind: NodeKind): { rule: Rule; severity: Severity }[] {
    let list = this.byKind.get(kind);
    if (!list) {
      list = this.rules.filter(
        (r) => r.rule.check !== undefined && (r.rule.kinds === undefined || r.rule.kinds.includes(kind)),
      );
      this.byKind.set(kind, list);
    }
    return list;
  }

  /** Replays a file into the catalog without reporting (baseline). */
  replay(parsed: ParsedFile): void {
    for (const stmt of parsed.statements) this.catalog.apply(stmt);
  }

  lint(source: MigrationSource, parsed: ParsedFile = parseFile(source)): FileLintResult {
    const lines = new LineIndex(parsed.text);
    const state = new MutableFileState(
      source.path,
      source.transactionModel ?? this.options.transactionModel,
      parsed.statements.length,
      this.catalog,
    );
    const findings: Finding[] = [];
    const all: AnalyzedStatement[] = [];
    /** The top-level statement each rule finding belongs to, for inline approvals. */
    const statementOf = new Map<Finding, ParsedStatement>();
    let fileClass: MigrationClass = "additive";

    const emit = (
      { rule, severity }: { rule: Rule; severity: Severity },
      report: RuleReport,
      current: AnalyzedStatement,
    ) => {
      const s = report.statement ?? current;
      const strongest = strongestLock(s.facts.locks);
      const template = rule.meta.messages[report.messageId] ?? report.messageId;
      const finding: Finding = {
        ruleId: rule.meta.id,
        severity,
        file: source.path,
        line: s.line,
        column: s.column,
        message: formatMessage(template, report.data),
        help: report.help ?? rule.meta.help,
        docsUrl: ruleDocsUrl(rule.meta.id),
        class: s.facts.class,
        lock: report.lock ?? strongest?.mode ?? null,
        rewrites: s.facts.rewrites.length > 0,
      };
      const relation = report.relation ?? strongest?.relation;
      if (relation) finding.relation = relation;
      findings.push(finding);
      statementOf.set(finding, (s.parent ?? s).parsed);
    };

    const ruleOptions = { pgVersion: this.options.pgVersion };
    const visit = (parsed: ParsedStatement, parent: AnalyzedStatement | undefined) => {
      const pos = lines.position(parsed.start);
      const facts = describeStatement(parsed, this.catalog, state, this.options.pgVersion);
      const analyzed: AnalyzedStatement = {
        parsed,
        facts,
        line: pos.line + (parsed.embedded ? parsed.embedded.bodyLine - 1 : 0),
        column: parsed.embedded ? 1 : pos.column,
      };
      if (parent) analyzed.parent = parent;
      if (migrationClassRank[facts.class] > migrationClassRank[fileClass]) fileClass = facts.class;
      const ctx = { statement: analyzed, catalog: this.catalog, file: state, options: ruleOptions };
      for (const entry of this.rulesFor(parsed.kind)) {
        const reports = entry.rule.check?.(ctx) ?? [];
        for (const r of reports) emit(entry, r, analyzed);
      }
      state.noteRelations(parsed);
      this.catalog.apply({ ...parsed, children: [] });
      state.advance(analyzed);
      all.push(analyzed);
      for (const child of parsed.children) visit(child, analyzed);
    };

    for (const stmt of parsed.statements) visit(stmt, undefined);

    for (const entry of this.rules) {
      const reports = entry.rule.checkEnd?.({
        file: state,
        statements: all,
        options: { pgVersion: this.options.pgVersion },
      });
      for (const r of reports ?? []) {
        const at = r.statement ?? all[all.length - 1];
        if (at) emit(entry, r, at);
      }
    }

    for (const d of parsed.diagnostics) {
      // A statement that could not be parsed may do anything: the file cannot be called additive.
      const unread = d.ruleId === "syntax-error";
      if (unread) fileClass = unparsedStatementClass;
      this.engineFinding(
        findings,
        source.path,
        d.ruleId,
        lines,
        d.start,
        { message: d.message },
        "default",
        unread ? { class: unparsedStatementClass } : undefined,
      );
    }
    this.applyApprovals(findings, statementOf, parsed, lines, source.path);
    findings.sort(compareFindings);
    return { path: source.path, class: fileClass, findings };
  }

  private engineFinding(
    findings: Finding[],
    path: string,
    id: EngineRuleId,
    lines: LineIndex,
    offset: number,
    data: Record<string, string>,
    messageId = "default",
    extra?: Pick<Finding, "class">,
  ): void {
    const meta = engineRuleMetas[id];
    const setting = this.options.ruleSettings?.[id];
    if (setting === "off") return;
    const pos = lines.position(offset);
    findings.push({
      ruleId: id,
      severity: setting ?? meta.severity,
      file: path,
      line: pos.line,
      column: pos.column,
      message: formatMessage((meta.messages as Record<string, string>)[messageId] ?? messageId, data),
      help: meta.help,
      docsUrl: ruleDocsUrl(id),
      ...extra,
    });
  }

  private applyApprovals(
    findings: Finding[],
    statementOf: ReadonlyMap<Finding, ParsedStatement>,
    parsed: ParsedFile,
    lines: LineIndex,
    path: string,
  ): void {
    const directives = parseDirectives(parsed, lines);
    const ruleFindings = findings.slice();
    for (const d of directives) {
      if (d.ids.length === 0) {
        this.engineFinding(findings, path, "invalid-ignore", lines, d.comment.start, {}, "bare");
        continue;
      }
      const unknown = d.ids.find((id) => !this.knownIds.has(id));
      if (unknown) {
        this.engineFinding(
          findings,
          path,
          "invalid-ignore",
          lines,
          d.comment.start,
          { id: unknown },
          "unknownRule",
        );
        continue;
      }
      if (d.reason === undefined) {
        this.engineFinding(
          findings,
          path,
          "invalid-ignore",
          lines,
          d.comment.start,
          { ids: d.ids.join(", ") },
          "noReason",
        );
        continue;
      }
      for (const f of ruleFindings) {
        if (
          d.target !== undefined &&
          statementOf.get(f) === d.target &&
          d.ids.includes(f.ruleId) &&
          f.suppression === undefined
        ) {
          f.suppression = { kind: "inline", reason: d.reason };
          d.used = true;
        }
      }
      // A directive for verify's findings is judged by verify (lint never sees those findings).
      if (!d.used && !d.ids.some((id) => id in verifyRuleMetas)) {
        this.engineFinding(findings, path, "unused-ignore", lines, d.comment.start, {
          ids: d.ids.join(", "),
        });
      }
    }
    for (const approval of this.options.approvals ?? []) {
      for (const f of ruleFindings) {
        if (f.suppression === undefined && f.ruleId === approval.rule && f.file === approval.file) {
          f.suppression = { kind: "config", reason: approval.reason };
        }
      }
    }
  }
}
