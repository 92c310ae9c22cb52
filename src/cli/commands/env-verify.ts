/**
 * `shipgate env verify <environment>`: does the target environment define every variable the version
 * being deployed requires? The requirements come from the env schema (variables with no default that
 * are not optional; present values are also parsed) and from the code (reads without a default,
 * outside test files). The environment's variables come from its declared source: a dotenv file, the
 * process environment, or a command printing KEY=VALUE lines.
 *
 * Values are read into memory and compared, never printed: findings and the summary carry names,
 * where each requirement comes from, and the expected format.
 */
import path from "node:path";
import { loadConfig } from "../../config/load.js";
import type { EnvironmentConfig } from "../../config/schema.js";
import { closestName, didYouMean } from "../../core/closest-name.js";
import { ShipgateError } from "../../core/errors.js";
import { compareFindings, type Finding } from "../../core/finding.js";
import type { Report } from "../../core/report.js";
import { describeSource, type EnvSourceOverride, readEnvironment } from "../../env/source.js";
import { describeRead, findEnvReads } from "../../env-audit/audit.js";
import { requiresValue } from "../../env-audit/js-reads.js";
import { isRequiredInProduction, loadEnvSchema } from "../../env-audit/schema-module.js";
import { configuredSchema, gatherSources } from "./env-audit.js";

/** The findings' docs link: the `env verify` section of docs/env.md. */
export const envVerifyDocsUrl =
  "https://github.com/shipgate/shipgate/blob/main/docs/env.md#shipgate-env-verify";

export const envVerifyRules = {
  "env-missing":
    "A variable the version requires that the target environment does not define (or defines empty).",
  "env-invalid": "A variable the target environment defines in a format the env schema rejects.",
  "env-undeclared-environment":
    "An environment name shipgate.yaml does not declare, verified with a source from the command line: a typo?",
} as const satisfies Record<string, string>;

export interface EnvVerifyOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  configPath?: string;
  environment: string;
  /** Replaces the environment's configured source. */
  source?: EnvSourceOverride;
  /** The env schema module (relative to cwd); default: config env.schema. */
  schema?: string;
  /** Code to take reads from; default: the repository's files. */
  paths: string[];
  /** Milliseconds a source command may run (default 60 s). */
  commandTimeoutMs?: number;
}

export interface EnvVerifySummary {
  environment: string;
  /** Where the variables came from, e.g. "dotenv .env.production" (never values). */
  source: string;
  required: number;
  missing: string[];
  invalid: string[];
}

export interface EnvVerifyResult {
  report: Report;
  summary: EnvVerifySummary;
  failed: boolean;
}

/** A file whose env reads do not make a variable required in a deployed environment. */
export function isTestFile(file: string): boolean {
  const name = path.posix.basename(file);
  return (
    /(^|\/)(test|tests|__tests__|__mocks__|spec|e2e|fixtures)\//.test(file) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(name) ||
    /^test_.*\.py$/.test(name) ||
    /_test\.py$/.test(name) ||
    name === "conftest.py"
  );
}

interface Requirement {
  name: string;
  /** Where the requirement comes from, for messages. */
  because: string;
  at: Pick<Finding, "file" | "line" | "column">;
}

export async function runEnvVerify(options: EnvVerifyOptions): Promise<EnvVerifyResult> {
  const { cwd, environment } = options;
  const loaded = loadConfig({ cwd, ...(options.configPath ? { configPath: options.configPath } : {}) });
  const declared: EnvironmentConfig | undefined = loaded.config.environments[environment];
  let source: EnvSourceOverride | undefined = options.source;
  let sourceDir = cwd;
  if (source === undefined) {
    const names = Object.keys(loaded.config.environments);
    if (declared === undefined) {
      throw new ShipgateError(
        "CONFIG_INVALID",
        `environment "${environment}" is not declared in shipgate.yaml`,
        {
          hint:
            names.length > 0
              ? `${didYouMean(environment, names)}Declared environments: ${names.join(", ")}. Or pass a source: --dotenv <file>, --command <cmd> or --process-env.`
              : `Declare it, e.g.\n  environments:\n    ${environment}:\n      env:\n        dotenv: .env.${environment}\nor pass a source: --dotenv <file>, --command <cmd> or --process-env.`,
        },
      );
    }
    if (declared.env === undefined) {
      throw new ShipgateError("CONFIG_INVALID", `environment "${environment}" declares no env source`, {
        hint: `Add environments.${environment}.env with one of dotenv, command or process to shipgate.yaml, or pass --dotenv, --command or --process-env.`,
      });
    }
    const { dotenv, command } = declared.env;
    source = dotenv !== undefined ? { dotenv } : command !== undefined ? { command } : { process: true };
    sourceDir = loaded.dir;
  }

  const schemaRef = configuredSchema(loaded, cwd, options.schema);
  const schema = schemaRef ? await loadEnvSchema(schemaRef.baseDir, schemaRef.reference) : undefined;
  const { sources } = await gatherSources(cwd, options.paths);
  const reads = findEnvReads(sources.filter((s) => !isTestFile(s.path))).reads;

  const requirements = new Map<string, Requirement>();
  if (schema && schemaRef) {
    for (const name of Object.keys(schema.schema)) {
      if (!isRequiredInProduction(schema.schema, name)) continue;
      const description = schema.schema[name]?.description;
      requirements.set(name, {
        name,
        because: `the env schema (${schemaRef.display}) requires it${description ? `: ${description}` : ""}`,
        at: { file: schemaRef.display },
      });
    }
  }
  const requiredReads = reads.filter(requiresValue);
  for (const r of requiredReads) {
    if (requirements.has(r.name)) continue;
    requirements.set(r.name, {
      name: r.name,
      because: `${r.file}:${r.line} reads it without a default (${describeRead(r)})`,
      at: { file: r.file, line: r.line, column: r.column },
    });
  }

  const values = await readEnvironment(source, sourceDir, options.env, options.commandTimeoutMs ?? 60_000);
  const where = `${environment} (${describeSource(source)})`;
  const findings: Finding[] = [];
  const missing: string[] = [];
  for (const req of requirements.values()) {
    const value = values[req.name];
    if (value !== undefined && value !== "") continue;
    missing.push(req.name);
    findings.push({
      ruleId: "env-missing",
      severity: "error",
      ...req.at,
      message: `${req.name} is ${value === undefined ? "not defined" : "defined but empty"} in ${where}; ${req.because}`,
      help: `Set ${req.name} in ${environment} before deploying (or give it a default in code or the schema).`,
      docsUrl: envVerifyDocsUrl,
    });
  }
  const invalid: string[] = [];
  if (schema && schemaRef) {
    for (const [name, spec] of Object.entries(schema.schema)) {
      const value = values[name];
      if (value === undefined || value === "") continue;
      if (spec.parse(value).ok) continue;
      invalid.push(name);
      findings.push({
        ruleId: "env-invalid",
        severity: "error",
        file: schemaRef.display,
        message: `${name} is set in ${where} but is not valid: expected ${spec.expected}`,
        help: `Fix the value of ${name} in ${environment}; it is not shown here${spec.secret ? " (secret)" : ""}.`,
        docsUrl: envVerifyDocsUrl,
      });
    }
  }
  const declaredNames = Object.keys(loaded.config.environments);
  if (declared === undefined && declaredNames.length > 0) {
    // Verifying an environment only from the command line (e.g. `ci --process-env`) is fine, but a
    // misspelt production must not pass unnoticed.
    const meant = closestName(environment, declaredNames);
    findings.push({
      ruleId: "env-undeclared-environment",
      severity: "warning",
      ...(loaded.path ? { file: path.relative(cwd, loaded.path) || loaded.path } : {}),
      message: `environment "${environment}" is not declared in shipgate.yaml (declared: ${declaredNames.join(", ")}); verified with the given source anyway`,
      help: `${meant === undefined ? "If you meant a declared environment" : `Did you mean ${meant}? If so`}, fix the name; an environment verified only from the command line needs no declaration.`,
      docsUrl: envVerifyDocsUrl,
    });
  }
  findings.sort(compareFindings);
  return {
    report: {
      command: "env verify",
      files: [...new Set(findings.map((f) => f.file).filter((f): f is string => f !== undefined))].map(
        (p) => ({ path: p }),
      ),
      findings,
      // Code frames come from code only: never the environment's file.
      sources: new Map(sources.map((s) => [s.path, s.text])),
      ruleDescriptions: envVerifyRules,
    },
    summary: {
      environment,
      source: describeSource(source),
      required: requirements.size,
      missing: missing.sort(),
      invalid: invalid.sort(),
    },
    failed: findings.some((f) => f.severity === "error"),
  };
}
