import { describe, expect, it } from "vitest";
import type { EnvRead } from "../env-audit/index.js";
import { exampleVariables, isTestFile, renderEnvExample } from "./env-example.js";

const read = (name: string | undefined, file: string, line: number, defaultText?: string): EnvRead => ({
  name,
  file,
  line,
  column: 1,
  via: "process.env",
  ...(defaultText !== undefined ? { defaultText } : {}),
});

describe("exampleVariables", () => {
  it("lists each named variable once, sorted, with its first read; test files and dynamic reads left out", () => {
    const vars = exampleVariables([
      read("PORT", "src/server.ts", 9, "3000"),
      read("DATABASE_URL", "src/z.ts", 1),
      read("DATABASE_URL", "src/a.ts", 4),
      read("PORT", "src/other.ts", 2, '"80"'),
      read("TEST_ONLY", "test/setup.ts", 1),
      read(undefined, "src/dyn.ts", 1),
    ]);
    expect(vars).toEqual([
      { name: "DATABASE_URL", firstRead: "src/a.ts:4" },
      { name: "PORT", firstRead: "src/other.ts:2", optional: "default" },
    ]);
  });

  it('a variable the code only checks for (`"X" in process.env`) is optional', () => {
    const check: EnvRead = { ...read("SENTRY_DSN", "src/a.ts", 3), presenceCheck: true };
    expect(exampleVariables([check])[0]?.optional).toBe("checked");
    expect(exampleVariables([check, read("SENTRY_DSN", "src/b.ts", 1)])[0]?.optional).toBeUndefined();
  });

  it("a variable read once without a default is required", () => {
    expect(exampleVariables([read("A", "a.py", 1, "x"), read("A", "b.py", 1)])[0]?.optional).toBeUndefined();
  });

  it.each([
    ["src/app.test.ts", true],
    ["tests/test_api.py", true],
    ["app/conftest.py", true],
    ["src/testing.ts", false],
    ["app/settings.py", false],
  ])("isTestFile(%s) = %s", (path, expected) => expect(isTestFile(path)).toBe(expected));
});

describe("renderEnvExample", () => {
  it("writes names with empty values and where each is read; never a default value", () => {
    const text = renderEnvExample([
      { name: "DATABASE_URL", firstRead: "src/a.ts:4" },
      { name: "PORT", firstRead: "src/s.ts:2", optional: "default" },
    ]);
    expect(text).toContain("# read in src/a.ts:4\nDATABASE_URL=\n");
    expect(text).toContain("# read in src/s.ts:2 (optional: the code has a default)\nPORT=\n");
    expect(text.split("\n").filter((l) => /^[A-Z_]+=/.test(l))).toEqual(["DATABASE_URL=", "PORT="]);
  });
});
