/**
 * .env.example from the env audit: the names of the variables the code reads (JS/TS and Python,
 * through the audit's real parsers), each with where it is first read, values always empty. Reads
 * only in test files are left out (tests set their own variables). Never reads a .env file: a
 * value cannot leak into the example because no value is ever looked at.
 */
import { type EnvRead, requiresValue } from "../env-audit/index.js";

/** Test files set up their own environment; their reads do not belong in the example. */
export function isTestFile(path: string): boolean {
  return (
    /(^|\/)(test|tests|__tests__|spec|e2e|testdata|fixtures)\//.test(path) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(path) ||
    /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/.test(path)
  );
}

export interface ExampleVariable {
  name: string;
  /** `file:line` of the first read (files in path order). */
  firstRead: string;
  /**
   * Why no read needs a value: every read has a default in code, or some only check whether the
   * variable is set; undefined when the variable is required.
   */
  optional?: "default" | "checked";
}

/** The variables to declare, sorted by name. Dynamic reads (`process.env[key]`) have no name to list. */
export function exampleVariables(reads: readonly EnvRead[]): ExampleVariable[] {
  const byName = new Map<string, EnvRead[]>();
  for (const r of reads) {
    if (r.name === undefined || isTestFile(r.file)) continue;
    byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  }
  return [...byName]
    .map(([name, list]): ExampleVariable => {
      const first = [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)[0] as EnvRead;
      return {
        name,
        firstRead: `${first.file}:${first.line}`,
        ...(list.some(requiresValue)
          ? {}
          : { optional: list.every((r) => r.defaultText !== undefined) ? "default" : "checked" }),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const optionalNote = {
  default: " (optional: the code has a default)",
  checked: " (optional: the code checks whether it is set)",
  required: "",
} as const;

export function renderEnvExample(variables: readonly ExampleVariable[]): string {
  const out = [
    "# The environment variables this application reads, found by `shipgate init` (shipgate env audit).",
    "# Names only: copy to .env for local development (never commit .env) and set each one in every",
    "# deploy environment. `shipgate env audit` keeps this file in step with the code.",
  ];
  if (variables.length === 0) out.push("#", "# No env reads found in JS/TS or Python code.");
  for (const v of variables) {
    out.push("", `# read in ${v.firstRead}${optionalNote[v.optional ?? "required"]}`, `${v.name}=`);
  }
  return `${out.join("\n")}\n`;
}
