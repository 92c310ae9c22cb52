/**
 * `shipgate env audit`, step 3: from file contents and the declared set to Finding[]. Pure: no file
 * system, no git; src/cli/commands/env-audit.ts gathers the inputs.
 *
 * The audit only ever handles variable *names*: example files are parsed for their keys (values are
 * dropped at once) and no message or help quotes a value or a default written in code.
 */
import { posix } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { compareFindings, type Finding } from "../core/finding.js";
import { isSecretEnvFile } from "../core/secret-env-file.js";
import { type EnvRead, findJsEnvReads, requiresValue } from "./js-reads.js";
import { findPythonEnvReads } from "./python-reads.js";

export const envAuditDocsUrl = "https://github.com/shipgate/shipgate/blob/main/docs/env.md#audit";

/** Rule ids of `shipgate env audit`, with what each reports. */
export const envAuditRules = {
  "env-undeclared-read": "A variable read in code that the example file does not declare.",
  "env-unused-declaration": "A variable the example file declares that no code reads.",
  "env-dynamic-read": "An environment read whose key is only known at run time.",
  "env-read-outside-config": "An environment read outside the configured config modules.",
  "env-file-committed": "An env file (not an example) committed to git.",
  "env-parity": "A key one env example file has and another lacks.",
  "env-parse-error": "A source file that did not parse completely; reads past the error may be missed.",
  "env-unvalidated-read":
    "A read without a default of a variable nothing validates (not in the env schema, not in a config module).",
  "env-example-stale": "The example file and the env schema declare different variables.",
  "env-newly-required": "With --since: a variable read without a default now that was not at the ref.",
} as const satisfies Record<string, string>;
export type EnvAuditRuleId = keyof typeof envAuditRules;

const jsExtensions = new Set([".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"]);

export type SourceLanguage = "js" | "python";

/** The language of a file audit reads, by extension; undefined for every other file. */
export function sourceLanguage(path: string): SourceLanguage | undefined {
  const ext = posix.extname(path).toLowerCase();
  if (jsExtensions.has(ext)) return "js";
  if (ext === ".py") return "python";
  return undefined;
}

/**
 * A cheap prefilter, not a semantic scan: every read the parsers recognise spells `env` (process.env,
 * import.meta.env, Bun.env, Deno.env, os.environ, os.getenv) or derives from `BaseSettings`, so a file
 * without either cannot hold one and is not parsed. It may let through files that hold no read.
 */
export function mayReadEnv(text: string): boolean {
  return text.includes("env") || text.includes("BaseSettings");
}

export interface SourceFile {
  /** Relative to the working directory, forward slashes (as findings show it). */
  path: string;
  text: string;
}

export interface DeclaredKey {
  name: string;
  /** 1-based line of the key in its file. */
  line: number;
}

export interface ExampleFile {
  /** Relative to the working directory, forward slashes. */
  path: string;
  keys: DeclaredKey[];
}

/** `KEY=`, `export KEY=`, `KEY: ` at the start of a line: where a dotenv key is written. */
function keyLinePattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\s*(?:export\\s+)?${escaped}\\s*[=:]`);
}

/** The keys of a dotenv file, with their lines, in file order. Values are never kept. */
export function parseExampleFile(path: string, text: string): ExampleFile {
  const names = Object.keys(parseDotenv(text));
  const lines = text.split(/\r\n|\r|\n/);
  const keys = names.map((name) => {
    const pattern = keyLinePattern(name);
    const index = lines.findIndex((l) => pattern.test(l));
    return { name, line: index === -1 ? 1 : index + 1 };
  });
  keys.sort((a, b) => a.line - b.line || a.name.localeCompare(b.name));
  return { path, keys };
}

function baseName(path: string): string {
  return posix.basename(path);
}

/** `.env.example`, `.env.sample`, `.env.template`, `*.example`, and `.env.example.<name>` variants. */
export function isEnvExampleFile(path: string): boolean {
  const name = baseName(path);
  if (name.endsWith(".example")) return true;
  return (
    /^\.env\.(?:example|sample|template)(?:\..+)?$/.test(name) ||
    /^\.env\..+\.(?:sample|template)$/.test(name)
  );
}

/** Whether a tracked file may be committed: not an env file holding values (core/secret-env-file.ts). */
export function isCommittableEnvFile(path: string): boolean {
  return !isSecretEnvFile(path);
}

/** `.env.<name>.example` and `.env.example.<name>`: the variants env-parity compares. */
export function isEnvExampleVariant(path: string): boolean {
  const name = baseName(path);
  return /^\.env\.[^.].*\.example$/.test(name) || /^\.env\.example\..+$/.test(name);
}

export interface AuditInput {
  /** JS/TS and Python files to audit (other files are ignored). */
  sources: readonly SourceFile[];
  /** The declared set; undefined when the example file does not exist (nothing is declared). */
  example: ExampleFile | undefined;
  /** Shown in messages when `example` is undefined. */
  examplePath: string;
  /** Files tracked by git (relative, forward slashes); checked for committed env files. */
  trackedFiles?: readonly string[];
  /** Example files compared by env-parity (files in the same directory are compared). */
  parityFiles?: readonly ExampleFile[];
  /** Set when config modules are configured: true for a file that may read the environment. */
  inConfigModule?: (path: string) => boolean;
  /** The configured globs, for messages. */
  configModules?: readonly string[];
  /** The env schema, when configured: its variables are declared and validated. */
  schema?: { path: string; names: readonly string[] };
}

export interface AuditResult {
  findings: Finding[];
  reads: EnvRead[];
  /** Files parsed (the others were skipped by the prefilter). */
  parsed: number;
}

/** How a read is written, for messages: `process.env.X`, `os.environ["X"]`, … (never a default). */
export function describeRead(read: EnvRead): string {
  const name = read.name ?? "…";
  if (read.presenceCheck) return `${read.name === undefined ? "…" : JSON.stringify(name)} in ${read.via}`;
  switch (read.via) {
    case "process.env":
      return read.name === undefined ? "process.env[…]" : `process.env.${name}`;
    case "import.meta.env":
      return read.name === undefined ? "import.meta.env[…]" : `import.meta.env.${name}`;
    case "Bun.env":
      return read.name === undefined ? "Bun.env[…]" : `Bun.env.${name}`;
    case "Deno.env.get":
      return read.name === undefined ? "Deno.env.get(…)" : `Deno.env.get("${name}")`;
    case "os.getenv":
      return read.name === undefined ? "os.getenv(…)" : `os.getenv("${name}")`;
    case "os.environ":
      return read.name === undefined ? "os.environ[…]" : `os.environ["${name}"]`;
    case "os.environ.get":
      return read.name === undefined ? "os.environ.get(…)" : `os.environ.get("${name}")`;
    case "pydantic":
      return read.name === undefined ? "a pydantic settings field" : `the pydantic settings field ${name}`;
    default: {
      const unknown: never = read.via;
      return String(unknown);
    }
  }
}

function at(read: EnvRead): Pick<Finding, "file" | "line" | "column"> {
  return { file: read.file, line: read.line, column: read.column };
}

/** Finds the reads of every source file (after the prefilter) and their parse errors. */
export function findEnvReads(sources: readonly SourceFile[]): {
  reads: EnvRead[];
  findings: Finding[];
  parsed: number;
} {
  const reads: EnvRead[] = [];
  const findings: Finding[] = [];
  let parsed = 0;
  for (const source of sources) {
    const language = sourceLanguage(source.path);
    if (language === undefined || !mayReadEnv(source.text)) continue;
    parsed++;
    const result =
      language === "js"
        ? findJsEnvReads(source.path, source.text)
        : findPythonEnvReads(source.path, source.text);
    reads.push(...result.reads);
    if (result.error) {
      findings.push({
        ruleId: "env-parse-error",
        severity: "warning",
        file: source.path,
        line: result.error.line,
        column: result.error.column,
        message: `the file does not parse (${result.error.message}); env reads after this point may be missed`,
        help: "Fix the syntax error so every read is audited.",
        docsUrl: envAuditDocsUrl,
      });
    }
  }
  return { reads, findings, parsed };
}

function parityFindings(files: readonly ExampleFile[]): Finding[] {
  const byDir = new Map<string, ExampleFile[]>();
  for (const f of files) {
    const dir = posix.dirname(f.path);
    const list = byDir.get(dir) ?? [];
    if (!list.some((g) => g.path === f.path)) list.push(f);
    byDir.set(dir, list);
  }
  const findings: Finding[] = [];
  for (const group of byDir.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => a.path.localeCompare(b.path));
    const keySets = new Map(group.map((f) => [f.path, new Set(f.keys.map((k) => k.name))]));
    for (const holder of group) {
      for (const key of holder.keys) {
        for (const other of group) {
          if (other === holder || keySets.get(other.path)?.has(key.name)) continue;
          // Reported once per missing (key, file), naming the first file (in path order) that has it.
          const firstHolder = group.find((g) => keySets.get(g.path)?.has(key.name));
          if (firstHolder !== holder) continue;
          findings.push({
            ruleId: "env-parity",
            severity: "warning",
            file: other.path,
            message: `${key.name} is in ${holder.path} but missing in ${other.path}`,
            help: `Add ${key.name} to ${other.path} (or remove it from ${holder.path}) so every environment declares the same variables.`,
            docsUrl: envAuditDocsUrl,
          });
        }
      }
    }
  }
  return findings;
}

/** The whole audit: reads against the declared set, committed env files, example parity. */
export function auditEnv(input: AuditInput): AuditResult {
  const { reads, findings, parsed } = findEnvReads(input.sources);
  const schemaNames = new Set(input.schema?.names ?? []);
  const declared = new Set([...(input.example?.keys ?? []).map((k) => k.name), ...schemaNames]);
  const examplePath = input.example?.path ?? input.examplePath;
  const declaredIn = input.schema ? `${examplePath} or the env schema (${input.schema.path})` : examplePath;
  const read = new Set<string>();
  const globs = (input.configModules ?? []).join(", ");

  for (const r of reads) {
    const what = describeRead(r);
    if (r.name === undefined) {
      findings.push({
        ruleId: "env-dynamic-read",
        severity: "warning",
        ...at(r),
        message: `${what} reads a variable whose name is only known at run time`,
        help: 'Read each variable by its literal name (e.g. process.env.NAME, os.environ["NAME"]) so it can be checked against the example file.',
        docsUrl: envAuditDocsUrl,
      });
    } else {
      read.add(r.name);
      if (!declared.has(r.name)) {
        const where = input.example ? examplePath : `${examplePath} (which does not exist yet)`;
        findings.push({
          ruleId: "env-undeclared-read",
          severity: "error",
          ...at(r),
          message: `${what} reads ${r.name}, which ${declaredIn} does not declare`,
          help: `Declare it in ${where} as \`${r.name}=\` with a placeholder, never a real value; or remove the read.`,
          docsUrl: envAuditDocsUrl,
        });
      }
    }
    const inConfig = input.inConfigModule?.(r.file);
    if (requiresValue(r) && r.via !== "pydantic" && !schemaNames.has(r.name) && inConfig !== true) {
      findings.push({
        ruleId: "env-unvalidated-read",
        severity: "warning",
        ...at(r),
        message: `${what} is read without a default and nothing validates ${r.name}: a deploy without it starts and fails later`,
        help: input.schema
          ? `Add ${r.name} to the env schema (${input.schema.path}) so it is checked at startup, or give the read a default.`
          : `Validate it at startup (declare it in an env schema with shipgate/env and set env.schema), read it in a config module that validates it (env.configModules), or give the read a default.`,
        docsUrl: envAuditDocsUrl,
      });
    }
    if (inConfig === false) {
      findings.push({
        ruleId: "env-read-outside-config",
        severity: "warning",
        ...at(r),
        message: `${what} reads the environment outside the config modules (${globs})`,
        help: "Read the variable in a config module and import the value from there, so configuration is validated in one place.",
        docsUrl: envAuditDocsUrl,
      });
    }
  }

  if (input.example) {
    for (const key of input.example.keys) {
      if (read.has(key.name)) continue;
      findings.push({
        ruleId: "env-unused-declaration",
        severity: "warning",
        file: input.example.path,
        line: key.line,
        column: 1,
        message: `${key.name} is declared in ${input.example.path} but no code reads it`,
        help: `Remove ${key.name} from ${input.example.path} if nothing uses it (a read with a dynamic name is not followed).`,
        docsUrl: envAuditDocsUrl,
      });
    }
  }

  if (input.schema && input.example) {
    const inExample = new Set(input.example.keys.map((k) => k.name));
    const missing = [...schemaNames].filter((n) => !inExample.has(n));
    const extra = [...inExample].filter((n) => !schemaNames.has(n));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [
        ...(missing.length > 0 ? [`lacks ${missing.join(", ")}`] : []),
        ...(extra.length > 0 ? [`has ${extra.join(", ")} that the schema does not declare`] : []),
      ];
      findings.push({
        ruleId: "env-example-stale",
        severity: "warning",
        file: input.example.path,
        message: `${input.example.path} is out of date with the env schema (${input.schema.path}): it ${parts.join(" and ")}`,
        help: "Regenerate it from the schema: shipgate env example",
        docsUrl: envAuditDocsUrl,
      });
    }
  }

  for (const file of input.trackedFiles ?? []) {
    if (isCommittableEnvFile(file)) continue;
    findings.push({
      ruleId: "env-file-committed",
      severity: "error",
      file,
      message: `${file} is committed to git; env files hold secrets`,
      help: `Run \`git rm --cached ${file}\`, add it to .gitignore, and rotate every secret it held (it stays in git history). Commit names only, in ${examplePath}.`,
      docsUrl: envAuditDocsUrl,
    });
  }

  findings.push(...parityFindings(input.parityFiles ?? []));
  findings.sort(compareFindings);
  return { findings, reads, parsed };
}
