import { describe, expect, it } from "vitest";
import { newlyRequired } from "./diff.js";
import { findJsEnvReads } from "./js-reads.js";
import { findPythonEnvReads } from "./python-reads.js";

const js = (text: string, file = "a.ts") => findJsEnvReads(file, text).reads;
const py = (text: string, file = "a.py") => findPythonEnvReads(file, text).reads;

function diff(before: ReturnType<typeof js>, after: ReturnType<typeof js>) {
  return newlyRequired(before, after, "main").map((f) => [f.ruleId, f.severity, f.file, f.line, f.column]);
}

describe("newlyRequired", () => {
  it("reports a new read without a default, at its first read", () => {
    const findings = newlyRequired(
      js("export const a = process.env.A;"),
      js("export const a = process.env.A;\nexport const b = process.env.B;\nexport const c = process.env.B;"),
      "main",
    );
    expect(findings.map((f) => [f.ruleId, f.severity, f.file, f.line, f.column])).toEqual([
      ["env-newly-required", "error", "a.ts", 2, 18],
    ]);
    expect(findings[0]?.message).toContain("the code did not read it at main");
    expect(findings[0]?.message).toContain("B");
  });

  it("reports a removed default, saying so, without quoting the default", () => {
    const findings = newlyRequired(
      py("import os\nurl = os.environ.get('REDIS_URL', 'redis://secret-default')\n"),
      py("import os\nurl = os.environ['REDIS_URL']\n"),
      "v1.2",
    );
    expect(findings.map((f) => [f.file, f.line])).toEqual([["a.py", 2]]);
    expect(findings[0]?.message).toContain("a default was removed");
    expect(JSON.stringify(findings)).not.toContain("secret-default");
  });

  it("does not report a default that was added", () => {
    expect(diff(js("process.env.A;"), js('process.env.A ?? "x";'))).toEqual([]);
  });

  it("does not report a variable only read with defaults", () => {
    expect(diff([], js('const a = process.env.A ?? "x";\nconst b = process.env.A || "y";'))).toEqual([]);
  });

  it("does not report a variable that was already required elsewhere (moved between files)", () => {
    expect(diff(js("process.env.A;", "old.ts"), js("process.env.A;", "new.ts"))).toEqual([]);
  });

  it("counts a variable as required when any one read lacks a default", () => {
    expect(diff(js('process.env.A ?? "x";'), js('process.env.A ?? "x";\nprocess.env.A;'))).toEqual([
      ["env-newly-required", "error", "a.ts", 2, 1],
    ]);
  });

  it("does not count a presence check as requiring the variable", () => {
    expect(diff([], js('if ("SENTRY_DSN" in process.env) {}'))).toEqual([]);
    expect(diff([], py('import os\nif "SENTRY_DSN" not in os.environ:\n    pass\n'))).toEqual([]);
  });

  it("ignores dynamic reads", () => {
    expect(diff([], js("const k = 'A';\nprocess.env[k];\nconst { ...rest } = process.env;"))).toEqual([]);
  });
});
