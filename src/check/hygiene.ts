/**
 * Code hygiene of the change: looks only at lines added since the base (the diff), so old code never
 * blocks a deploy. Debug leftovers (console.log, debugger, print(), breakpoint()), TODO/FIXME in the
 * paths marked critical, hardcoded secrets (secretlint's recommended rules, run on the changed files
 * and kept to added lines), and env files added to git.
 */
import path from "node:path";
import picomatch from "picomatch";
import type { Finding } from "../core/finding.js";
import { type AddedLine, gitAddedLines } from "../core/git.js";
import { plural } from "../core/plural.js";
import { isSecretEnvFile } from "../core/secret-env-file.js";
import { type Check, type CheckContext, type CheckItem, whyNoBase } from "./types.js";

const docsUrl = "https://github.com/shipgate/shipgate/blob/main/docs/check.md#code-hygiene";

interface DebugPattern {
  /** Languages (by extension) the pattern applies to. */
  extensions: ReadonlySet<string>;
  pattern: RegExp;
  what: string;
}

const js = new Set([".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte"]);
const py = new Set([".py"]);

// Line-based on purpose: the diff holds fragments that do not parse. A match inside a comment or a
// string is skipped by the comment/string guard below; the pattern anchors on a call or statement.
const debugPatterns: readonly DebugPattern[] = [
  { extensions: js, pattern: /(?<![\w.$])console\.(log|debug|trace|dir)\s*\(/, what: "console.$1()" },
  { extensions: js, pattern: /(?<![\w.$])debugger\s*;?\s*$/, what: "debugger" },
  { extensions: py, pattern: /(?<![\w.])print\s*\(/, what: "print()" },
  { extensions: py, pattern: /(?<![\w.])breakpoint\s*\(\s*\)/, what: "breakpoint()" },
  { extensions: py, pattern: /(?<![\w.])(pdb|ipdb)\.set_trace\s*\(/, what: "$1.set_trace()" },
];

/** Whether the match at `index` sits after a line comment or inside a string literal on the line. */
function inCommentOrString(text: string, index: number, ext: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < index; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (py.has(ext) && c === "#") return true;
    else if (!py.has(ext) && c === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) return true;
  }
  return quote !== undefined;
}

/** Test files and scripts print on purpose: they are not debug leftovers. */
function mayPrint(file: string): boolean {
  return (
    /(^|\/)(test|tests|__tests__|spec|e2e|scripts|bin|bench|examples?)\//.test(file) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(file) ||
    /(^|\/)(test_[^/]*|[^/]*_test|conftest|manage|setup)\.py$/.test(file) ||
    /(^|\/)(cli|__main__)\.py$/.test(file)
  );
}

export function debugLeftovers(file: string, lines: readonly AddedLine[]): Finding[] {
  const ext = path.posix.extname(file).toLowerCase();
  if (mayPrint(file)) return [];
  const out: Finding[] = [];
  for (const { line, text } of lines) {
    for (const p of debugPatterns) {
      if (!p.extensions.has(ext)) continue;
      const m = p.pattern.exec(text);
      if (!m || inCommentOrString(text, m.index, ext)) continue;
      const what = p.what.replace("$1", m[1] ?? "");
      out.push({
        ruleId: "check-debug-leftover",
        severity: "error",
        file,
        line,
        column: m.index + 1,
        message: `${what} added in this change: a debug leftover`,
        help: "Remove it, or use the application's logger. Deliberate output (a CLI, a script) belongs in scripts/, bin/ or a file the check does not treat as application code.",
        docsUrl,
      });
    }
  }
  return out;
}

const todoPattern = /\b(TODO|FIXME|XXX|HACK)\b/;

export function criticalTodos(file: string, lines: readonly AddedLine[], critical: string): Finding[] {
  const out: Finding[] = [];
  for (const { line, text } of lines) {
    const m = todoPattern.exec(text);
    if (!m) continue;
    out.push({
      ruleId: "check-critical-todo",
      severity: "error",
      file,
      line,
      column: m.index + 1,
      message: `${m[1]} added in a critical path (${critical})`,
      help: "Finish the work before deploying, or track it in an issue and remove the marker from critical code.",
      docsUrl,
    });
  }
  return out;
}

/** Env files holding values (`.env`, `.env.*`, `*.env`; not templates) among the files the change adds to. */
export function addedEnvFiles(files: readonly string[]): Finding[] {
  return files.filter(isSecretEnvFile).map((file) => ({
    ruleId: "check-env-file-committed",
    severity: "error",
    file,
    message: `${file} is added in this change; env files hold secrets`,
    help: `Run \`git rm --cached ${file}\`, add it to .gitignore, and rotate what it held. Commit names only, in .env.example.`,
    docsUrl,
  }));
}

interface SecretlintMessage {
  message: string;
  ruleId: string;
  loc: { start: { line: number; column: number }; end: { line: number; column: number } };
  severity: string;
  docsUrl?: string;
}

/** Binary and lock files: nothing a person typed a secret into, and slow to scan. */
function scannable(file: string): boolean {
  return !/(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|Cargo\.lock|go\.sum)$/.test(
    file,
  );
}

export async function hardcodedSecrets(
  cwd: string,
  files: ReadonlyMap<string, readonly AddedLine[]>,
): Promise<Finding[]> {
  const { createEngine } = await import("@secretlint/node");
  const engine = await createEngine({
    cwd,
    configFileJSON: { rules: [{ id: "@secretlint/secretlint-rule-preset-recommend" }] },
    formatter: "json",
    color: false,
    maskSecrets: true,
  });
  const out: Finding[] = [];
  for (const [file, lines] of files) {
    if (lines.length === 0 || !scannable(file)) continue;
    const added = new Set(lines.map((l) => l.line));
    // Only the added lines are scanned (with their line numbers kept): old secrets are the audit's job.
    const maxLine = lines.reduce((m, l) => Math.max(m, l.line), 0);
    const content = new Array<string>(maxLine).fill("");
    for (const l of lines) content[l.line - 1] = l.text;
    const result = await engine.executeOnContent({
      content: content.join("\n"),
      filePath: path.resolve(cwd, file),
    });
    if (result.ok) continue;
    const parsed = JSON.parse(result.output) as { messages: SecretlintMessage[] }[];
    for (const m of parsed.flatMap((r) => r.messages)) {
      if (!added.has(m.loc.start.line)) continue;
      out.push({
        ruleId: "check-hardcoded-secret",
        severity: "error",
        file,
        line: m.loc.start.line,
        column: m.loc.start.column + 1,
        // secretlint masks the value in its message (maskSecrets).
        message: `a hardcoded secret added in this change: ${m.message} (${m.ruleId.replace("@secretlint/secretlint-rule-", "")})`,
        help: "Move it to the environment (declare it in the env schema), and rotate it: it is in git history now.",
        docsUrl: m.docsUrl ?? docsUrl,
      });
    }
  }
  return out;
}

export const hygieneCheck: Check = {
  id: "hygiene",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const group = "application" as const;
    const titles = {
      debug: "No debug leftovers in the change",
      todo: "No TODO/FIXME added in critical paths",
      secrets: "No hardcoded secrets in the change",
      envFiles: "No env files committed",
    };
    if (ctx.base === undefined) {
      const reason = whyNoBase(ctx);
      return [
        {
          id: "hygiene.debug-leftovers",
          group,
          title: titles.debug,
          status: "skipped",
          detail: reason,
          findings: [],
        },
        {
          id: "hygiene.critical-todos",
          group,
          title: titles.todo,
          status: "skipped",
          detail: reason,
          findings: [],
        },
        {
          id: "hygiene.secrets",
          group,
          title: titles.secrets,
          status: "skipped",
          detail: reason,
          findings: [],
        },
        {
          id: "hygiene.env-files",
          group,
          title: titles.envFiles,
          status: "skipped",
          detail: reason,
          findings: [],
        },
      ];
    }
    const t0 = performance.now();
    const added = await gitAddedLines(ctx.cwd, ctx.base);
    const byFile = new Map<string, AddedLine[]>();
    for (const [abs, lines] of added) {
      const rel = path.relative(ctx.cwd, abs).split(path.sep).join("/");
      if (rel.startsWith("../")) continue;
      byFile.set(rel, lines);
    }
    const diffMs = performance.now() - t0;
    const timed = async (f: () => Promise<Finding[]> | Finding[]) => {
      const s = performance.now();
      const findings = await f();
      return { findings, durationMs: performance.now() - s + diffMs };
    };
    const item = (
      id: string,
      title: string,
      r: { findings: Finding[]; durationMs: number },
      /** The finding noun, e.g. "debug leftover": the detail says "1 debug leftover", "2 debug leftovers". */
      noun: string,
      many = `${noun}s`,
    ): CheckItem => ({
      id,
      group,
      title,
      status: r.findings.length > 0 ? "fail" : "pass",
      ...(r.findings.length > 0 ? { detail: plural(r.findings.length, noun, many) } : {}),
      findings: r.findings,
      durationMs: r.durationMs,
    });

    const debug = await timed(() => [...byFile].flatMap(([f, lines]) => debugLeftovers(f, lines)));
    const globs = ctx.config.check.criticalPaths;
    const isCritical = picomatch(globs.length > 0 ? globs : ["!**"], { dot: true });
    const fromConfig = (rel: string) =>
      path.relative(ctx.configDir, path.resolve(ctx.cwd, rel)).split(path.sep).join("/");
    const todos = await timed(() =>
      [...byFile]
        .filter(([f]) => globs.length > 0 && isCritical(fromConfig(f)))
        .flatMap(([f, lines]) => criticalTodos(f, lines, globs.join(", "))),
    );
    const secrets = await timed(() => hardcodedSecrets(ctx.cwd, byFile));
    const envFiles = await timed(() => addedEnvFiles([...byFile.keys()]));
    return [
      item("hygiene.debug-leftovers", titles.debug, debug, "debug leftover"),
      globs.length === 0
        ? {
            id: "hygiene.critical-todos",
            group,
            title: titles.todo,
            status: "skipped",
            detail: "no critical paths configured (check.criticalPaths)",
            findings: [],
          }
        : item(
            "hygiene.critical-todos",
            titles.todo,
            todos,
            "marker in critical paths",
            "markers in critical paths",
          ),
      item("hygiene.secrets", titles.secrets, secrets, "hardcoded secret"),
      item("hygiene.env-files", titles.envFiles, envFiles, "env file"),
    ];
  },
};
