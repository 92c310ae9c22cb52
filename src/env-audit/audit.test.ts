import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import {
  auditEnv,
  isCommittableEnvFile,
  isEnvExampleVariant,
  mayReadEnv,
  parseExampleFile,
  type SourceFile,
} from "./audit.js";

const example = (text: string, path = ".env.example") => parseExampleFile(path, text);

function audit(
  sources: SourceFile[],
  exampleText: string | undefined,
  extra: Partial<Parameters<typeof auditEnv>[0]> = {},
) {
  return auditEnv({
    sources,
    example: exampleText === undefined ? undefined : example(exampleText),
    examplePath: ".env.example",
    ...extra,
  });
}

describe("parseExampleFile", () => {
  it("keeps names with their lines, never values", () => {
    const parsed = example('# comment\nA=1\n\nexport B="two"\nC: three\nMULTI="x\ny"\nD=\n');
    expect(parsed.keys).toEqual([
      { name: "A", line: 2 },
      { name: "B", line: 4 },
      { name: "C", line: 5 },
      { name: "MULTI", line: 6 },
      { name: "D", line: 8 },
    ]);
    expect(JSON.stringify(parsed)).not.toContain("two");
  });
});

describe("prefilter and file kinds", () => {
  it("skips text that cannot hold a read", () => {
    expect(mayReadEnv("const x = 1;")).toBe(false);
    expect(mayReadEnv("process.env.X")).toBe(true);
    expect(mayReadEnv("class S(BaseSettings): pass")).toBe(true);
  });

  it("tells committed env files from examples", () => {
    for (const f of [".env", ".env.local", "app/.env.production", ".env.vault.bak"]) {
      expect(isCommittableEnvFile(f), f).toBe(false);
    }
    for (const f of [
      ".env.example",
      ".env.sample",
      ".env.template",
      ".env.prod.example",
      ".env.example.prod",
      "x.example",
      ".envrc",
      "env.ts",
      ".env.vault",
    ]) {
      expect(isCommittableEnvFile(f), f).toBe(true);
    }
    expect(isEnvExampleVariant(".env.prod.example")).toBe(true);
    expect(isEnvExampleVariant("a/.env.example.staging")).toBe(true);
    expect(isEnvExampleVariant(".env.example")).toBe(false);
  });

  it("does not parse files the prefilter rules out, nor other languages", () => {
    const r = audit(
      [
        { path: "a.ts", text: "export const x = 1;" },
        { path: "b.go", text: 'os.Getenv("X")' },
        { path: "c.ts", text: "process.env.C ?? 'c';" },
      ],
      "C=\n",
    );
    expect(r.parsed).toBe(1);
    expect(r.findings).toEqual([]);
  });
});

describe("auditEnv", () => {
  it("reports undeclared reads (JS and Python), with 1-based positions", () => {
    const r = audit(
      [
        {
          path: "src/a.ts",
          text: "const a = process.env.DECLARED;\nconst b = process.env.MISSING ?? 'x';\n",
        },
        { path: "app/s.py", text: "import os\n\nx = os.getenv('PY_MISSING', 'secret-default')\n" },
      ],
      "DECLARED=\n",
    );
    const undeclared = r.findings.filter((f) => f.ruleId === "env-undeclared-read");
    expect(undeclared).toMatchObject([
      { file: "app/s.py", line: 3, column: 5, severity: "error" },
      { file: "src/a.ts", line: 2, column: 11, severity: "error" },
    ]);
    expect(undeclared[1]?.message).toContain("MISSING");
    expect(undeclared[1]?.help).toContain("MISSING=");
    // Defaults written in code are never quoted.
    expect(JSON.stringify(r.findings)).not.toContain("secret-default");
  });

  it("reports declared variables nobody reads, at the key's line in the example", () => {
    const r = audit([{ path: "a.js", text: "process.env.USED || 1" }], "USED=1\n\n# x\nUNUSED=2\n");
    expect(r.findings).toMatchObject([
      { ruleId: "env-unused-declaration", severity: "warning", file: ".env.example", line: 4, column: 1 },
    ]);
  });

  it("reports dynamic reads as warnings and not as undeclared", () => {
    const r = audit([{ path: "a.ts", text: "const k = 'X';\nprocess.env[k];\n" }], "");
    expect(r.findings).toMatchObject([{ ruleId: "env-dynamic-read", severity: "warning", line: 2 }]);
  });

  it("treats every read as undeclared when there is no example file, and says so", () => {
    const r = audit([{ path: "a.ts", text: "process.env.A ?? 1" }], undefined);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.help).toContain("does not exist yet");
  });

  it("reports reads outside the config modules only when they are configured", () => {
    const sources = [
      { path: "src/config/env.ts", text: "export const a = process.env.A ?? 1;" },
      { path: "src/handler.ts", text: "export const b = process.env.A ?? 1;" },
    ];
    expect(audit(sources, "A=\n").findings).toEqual([]);
    const globs = ["src/config/**"];
    const r = audit(sources, "A=\n", {
      configModules: globs,
      inConfigModule: (file) => globs.some((g) => posix.matchesGlob(file, g)),
    });
    expect(r.findings).toMatchObject([
      { ruleId: "env-read-outside-config", file: "src/handler.ts", line: 1, column: 18 },
    ]);
    expect(r.findings[0]?.message).toContain("src/config/**");
  });

  it("reports committed env files as errors, examples and other files not", () => {
    const r = audit([], undefined, {
      trackedFiles: [".env", ".env.example", "api/.env.local", ".env.prod.example", "src/a.ts"],
    });
    expect(r.findings.map((f) => [f.ruleId, f.severity, f.file])).toEqual([
      ["env-file-committed", "error", ".env"],
      ["env-file-committed", "error", "api/.env.local"],
    ]);
    expect(r.findings[0]?.help).toContain("git rm --cached .env");
  });

  it("reports each key missing from one example variant, naming both files", () => {
    const r = audit([], undefined, {
      parityFiles: [
        example("A=\nB=\n", ".env.example"),
        example("A=\n", ".env.production.example"),
        example("A=\nB=\nC=\n", ".env.example.staging"),
        example("Z=\n", "other/.env.example.solo"),
      ],
    });
    const parity = r.findings.map((f) => f.message).sort();
    expect(parity).toEqual([
      "B is in .env.example but missing in .env.production.example",
      "C is in .env.example.staging but missing in .env.example",
      "C is in .env.example.staging but missing in .env.production.example",
    ]);
    expect(r.findings.every((f) => f.ruleId === "env-parity" && f.severity === "warning")).toBe(true);
  });

  it("reports a parse error as a warning and still audits what parsed", () => {
    const r = audit([{ path: "a.ts", text: "process.env.A ?? 1;\nconst = ;\n" }], "A=\n");
    expect(r.findings.map((f) => f.ruleId)).toEqual(["env-parse-error"]);
    expect(r.findings[0]?.line).toBe(2);
  });

  it("reports reads without a default that nothing validates, unless the schema or a config module does", () => {
    const sources = [
      { path: "src/config/env.ts", text: "export const a = process.env.IN_CONFIG;" },
      {
        path: "src/a.ts",
        text: "process.env.RAW;\nprocess.env.WITH_DEFAULT ?? 'x';\nprocess.env.IN_SCHEMA;\n",
      },
      { path: "app/s.py", text: "import os\n\nq = os.environ['PY_RAW']\n" },
    ];
    const r = audit(sources, "IN_CONFIG=\nRAW=\nWITH_DEFAULT=\nIN_SCHEMA=\nPY_RAW=\n", {
      configModules: ["src/config/**"],
      inConfigModule: (file) => file.startsWith("src/config/"),
      schema: { path: "src/env.schema.ts", names: ["IN_SCHEMA"] },
    });
    const unvalidated = r.findings.filter((f) => f.ruleId === "env-unvalidated-read");
    expect(unvalidated.map((f) => [f.file, f.line, f.severity])).toEqual([
      ["app/s.py", 3, "warning"],
      ["src/a.ts", 1, "warning"],
    ]);
    expect(unvalidated[1]?.help).toContain("Add RAW to the env schema (src/env.schema.ts)");
  });

  it("does not report a presence check as unvalidated, and names it as written", () => {
    const sources: SourceFile[] = [
      { path: "a.ts", text: 'if ("SENTRY_DSN" in process.env) {}\n' },
      { path: "s.py", text: 'import os\nif "SENTRY_DSN" in os.environ:\n    pass\n' },
    ];
    const r = audit(sources, "");
    expect(r.findings.filter((f) => f.ruleId === "env-unvalidated-read")).toEqual([]);
    const undeclared = r.findings.filter((f) => f.ruleId === "env-undeclared-read");
    expect(undeclared.map((f) => f.message)).toEqual([
      '"SENTRY_DSN" in process.env reads SENTRY_DSN, which .env.example does not declare',
      '"SENTRY_DSN" in os.environ reads SENTRY_DSN, which .env.example does not declare',
    ]);
  });

  it("counts the env schema as declared, and reports an example that drifted from it", () => {
    const r = audit([{ path: "a.ts", text: "process.env.ONLY_IN_SCHEMA ?? 1;" }], "OLD=\n", {
      schema: { path: "src/env.schema.ts", names: ["ONLY_IN_SCHEMA"] },
    });
    expect(r.findings.some((f) => f.ruleId === "env-undeclared-read")).toBe(false);
    const stale = r.findings.filter((f) => f.ruleId === "env-example-stale");
    expect(stale).toHaveLength(1);
    expect(stale[0]?.message).toBe(
      ".env.example is out of date with the env schema (src/env.schema.ts): it lacks ONLY_IN_SCHEMA and has OLD that the schema does not declare",
    );
    expect(stale[0]?.help).toBe("Regenerate it from the schema: shipgate env example");
  });
});
