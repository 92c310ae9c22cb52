import { describe, expect, it } from "vitest";
import { type EnvRead, findJsEnvReads, requiresValue } from "./js-reads.js";

/** The reads of a source, without the `file` field (checked once, separately). */
function reads(source: string, file = "src/app.ts"): Omit<EnvRead, "file">[] {
  const result = findJsEnvReads(file, source);
  expect(result.error).toBeUndefined();
  return result.reads.map(({ file: _file, ...rest }) => rest);
}

describe("findJsEnvReads: process.env", () => {
  it("reads dot access with file, 1-based line and column", () => {
    const result = findJsEnvReads("src/db.ts", 'import x from "y";\nconst url = process.env.DATABASE_URL;\n');
    expect(result).toEqual({
      reads: [{ name: "DATABASE_URL", file: "src/db.ts", line: 2, column: 13, via: "process.env" }],
    });
  });

  it("reads string-literal and expression-free template keys", () => {
    expect(reads('const a = process.env["A_KEY"];\nconst b = process.env[`B_KEY`];')).toEqual([
      { name: "A_KEY", line: 1, column: 11, via: "process.env" },
      { name: "B_KEY", line: 2, column: 11, via: "process.env" },
    ]);
  });

  it("reads through optional chaining and globalThis", () => {
    expect(
      reads("const a = process?.env?.A;\nconst b = globalThis.process.env.B;\nglobalThis?.process?.env?.C;"),
    ).toEqual([
      { name: "A", line: 1, column: 11, via: "process.env" },
      { name: "B", line: 2, column: 11, via: "process.env" },
      { name: "C", line: 3, column: 1, via: "process.env" },
    ]);
  });

  it("reports a non-literal key as a dynamic read at its location", () => {
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source text under test
      reads("function get(key: string) {\n  return process.env[key];\n}\nprocess.env[`X_${k}`];"),
    ).toEqual([
      { name: undefined, line: 2, column: 10, via: "process.env", dynamic: true },
      { name: undefined, line: 4, column: 1, via: "process.env", dynamic: true },
    ]);
  });

  it("keeps the default written with ?? or ||, as source text", () => {
    expect(
      reads(
        'const port = Number(process.env.PORT ?? "3000");\nconst host = process.env.HOST || `0.0.0.0`;\nconst n = process.env.N ?? 5 * 2;',
      ),
    ).toEqual([
      { name: "PORT", line: 1, column: 21, via: "process.env", defaultText: '"3000"' },
      { name: "HOST", line: 2, column: 14, via: "process.env", defaultText: "`0.0.0.0`" },
      { name: "N", line: 3, column: 11, via: "process.env", defaultText: "5 * 2" },
    ]);
  });

  it("sees defaults through TypeScript wrappers and ??= / ||=", () => {
    expect(reads('(process.env.A as string | undefined) ?? "a";\nprocess.env.B ??= "b";')).toEqual([
      { name: "A", line: 1, column: 2, via: "process.env", defaultText: '"a"' },
      { name: "B", line: 2, column: 1, via: "process.env", defaultText: '"b"' },
    ]);
  });

  it("does not take && or other operators as defaults", () => {
    expect(reads('process.env.A && "a";\n"b" ?? process.env.B;')).toEqual([
      { name: "A", line: 1, column: 1, via: "process.env" },
      { name: "B", line: 2, column: 8, via: "process.env" },
    ]);
  });

  it('counts `"X" in process.env` as a read of X, marked as a presence check', () => {
    expect(reads('if ("CI" in process.env) {}\nif (name in process.env) {}')).toEqual([
      { name: "CI", line: 1, column: 5, via: "process.env", presenceCheck: true },
      { name: undefined, line: 2, column: 5, via: "process.env", dynamic: true, presenceCheck: true },
    ]);
  });

  it("requiresValue: a literal read without a default needs the variable; a default or a presence check does not", () => {
    const found = findJsEnvReads(
      "a.ts",
      'process.env.A;\nprocess.env.B ?? "b";\n"C" in process.env;\nprocess.env[k];',
    ).reads;
    expect(found.filter(requiresValue).map((r) => r.name)).toEqual(["A"]);
  });

  it("counts a read followed by a method call or typeof", () => {
    expect(reads('const hosts = process.env.HOSTS.split(",");\ntypeof process.env.T;')).toEqual([
      { name: "HOSTS", line: 1, column: 15, via: "process.env" },
      { name: "T", line: 2, column: 8, via: "process.env" },
    ]);
  });

  it("ignores look-alikes that are not env reads", () => {
    expect(
      reads("process.envs.A;\nfoo.env.B;\nprocess.env;\nconst e = process.env;\nx.process.env.C;"),
    ).toEqual([]);
  });
});

describe("findJsEnvReads: destructuring", () => {
  it("reads each property, renamed or with a default, and ...rest as dynamic", () => {
    expect(reads('const {\n  A,\n  B: b,\n  C = "x",\n  D: d = 4,\n  ...rest\n} = process.env;')).toEqual([
      { name: "A", line: 2, column: 3, via: "process.env" },
      { name: "B", line: 3, column: 3, via: "process.env" },
      { name: "C", line: 4, column: 3, via: "process.env", defaultText: '"x"' },
      { name: "D", line: 5, column: 3, via: "process.env", defaultText: "4" },
      { name: undefined, line: 6, column: 3, via: "process.env", dynamic: true },
    ]);
  });

  it("reads quoted and computed keys", () => {
    expect(reads('const { "QUOTED": q, ["COMPUTED"]: c, [k]: v } = process.env;')).toEqual([
      { name: "QUOTED", line: 1, column: 9, via: "process.env" },
      { name: "COMPUTED", line: 1, column: 22, via: "process.env" },
      { name: undefined, line: 1, column: 39, via: "process.env", dynamic: true },
    ]);
  });

  it("reads destructuring assignments and parameter defaults", () => {
    expect(reads("let A;\n({ A } = process.env);\nfunction f({ B } = process.env) {}")).toEqual([
      { name: "A", line: 2, column: 4, via: "process.env" },
      { name: "B", line: 3, column: 14, via: "process.env" },
    ]);
  });

  it("reads destructuring from import.meta.env and Bun.env", () => {
    expect(reads("const { VITE_A } = import.meta.env;\nconst { B } = Bun.env;")).toEqual([
      { name: "VITE_A", line: 1, column: 9, via: "import.meta.env" },
      { name: "B", line: 2, column: 9, via: "Bun.env" },
    ]);
  });
});

describe("findJsEnvReads: other runtimes", () => {
  it("reads import.meta.env (Vite)", () => {
    expect(reads('const a = import.meta.env.VITE_API;\nconst b = import.meta.env["MODE"] ?? "dev";')).toEqual(
      [
        { name: "VITE_API", line: 1, column: 11, via: "import.meta.env" },
        { name: "MODE", line: 2, column: 11, via: "import.meta.env", defaultText: '"dev"' },
      ],
    );
  });

  it("reads Deno.env.get with literal keys, dynamic otherwise", () => {
    expect(
      reads('const a = Deno.env.get("A");\nconst b = Deno.env.get(name) ?? "b";\nDeno?.env?.get(`C`);'),
    ).toEqual([
      { name: "A", line: 1, column: 11, via: "Deno.env.get" },
      { name: undefined, line: 2, column: 11, via: "Deno.env.get", defaultText: '"b"', dynamic: true },
      { name: "C", line: 3, column: 1, via: "Deno.env.get" },
    ]);
  });

  it("reads Bun.env", () => {
    expect(reads('Bun.env.A;\nBun.env["B"] || "b";')).toEqual([
      { name: "A", line: 1, column: 1, via: "Bun.env" },
      { name: "B", line: 2, column: 1, via: "Bun.env", defaultText: '"b"' },
    ]);
  });
});

describe("findJsEnvReads: writes are not reads", () => {
  it("skips assignment, delete and destructuring targets", () => {
    expect(
      reads(
        'process.env.A = "y";\nprocess.env["B"] = "y";\ndelete process.env.C;\n({ x: process.env.D } = o);\n[process.env.E] = arr;\nfor (process.env.F of list) {}\nBun.env.G = "1";\nimport.meta.env.H = "1";',
      ),
    ).toEqual([]);
  });

  it("still reads the right-hand side of a write", () => {
    expect(reads("process.env.A = process.env.B;")).toEqual([
      { name: "B", line: 1, column: 17, via: "process.env" },
    ]);
  });
});

describe("findJsEnvReads: syntax", () => {
  it("parses TypeScript: types, generics, satisfies, enums, decorators", () => {
    const source = [
      "interface Config<T extends string> { url: T }",
      "type Port = number;",
      "enum Mode { A, B }",
      "function pick<T>(value: T): T { return value; }",
      "const cfg = { url: process.env.URL ?? '' } satisfies Config<string>;",
      "const p = pick<string | undefined>(process.env.PORT)!;",
      "@Injectable()",
      "class Service {",
      "  @Input() name = process.env.NAME;",
      "  constructor(@Inject(TOKEN) private readonly x: string) {}",
      "}",
      "const cast = <string>process.env.CAST;",
    ].join("\n");
    expect(reads(source, "src/service.ts").map((read) => [read.name, read.line])).toEqual([
      ["URL", 5],
      ["PORT", 6],
      ["NAME", 9],
      ["CAST", 12],
    ]);
  });

  it("parses standard decorators on exported classes", () => {
    expect(reads("export @sealed class A { x = process.env.X; }").map((read) => read.name)).toEqual(["X"]);
  });

  it("parses JSX and TSX", () => {
    const jsx = "export const App = () => <div title={process.env.TITLE}>{import.meta.env.VITE_X}</div>;";
    for (const file of ["App.jsx", "App.tsx", "App.js"]) {
      expect(reads(jsx, file).map((read) => read.name)).toEqual(["TITLE", "VITE_X"]);
    }
    const tsx = "const List = <T,>(props: { items: T[] }) => <ul data-env={process.env.ENV as string} />;";
    expect(reads(tsx, "List.tsx").map((read) => read.name)).toEqual(["ENV"]);
  });

  it("parses CommonJS and ES modules (.cjs, .mjs, .mts, .cts)", () => {
    expect(reads("const a = require('a');\nmodule.exports = process.env.A;\nreturn;", "x.cjs")).toHaveLength(
      1,
    );
    expect(reads("export const b = process.env.B;\nawait 0;", "x.mjs")).toHaveLength(1);
    expect(reads("export const c: string = process.env.C!;", "x.mts")).toHaveLength(1);
    expect(reads("import fs = require('fs');\nexport = process.env.D;", "x.cts")).toHaveLength(1);
  });

  it("reports a recoverable error with its location and keeps every read", () => {
    const result = findJsEnvReads(
      "a.ts",
      "const a = process.env.A;\nlet x = 1; let x = 2;\nconst b = process.env.B;",
    );
    expect(result.error).toEqual({
      line: 2,
      column: 16,
      message: "Identifier 'x' has already been declared.",
    });
    expect(result.reads.map((read) => read.name)).toEqual(["A", "B"]);
  });

  it("reports a fatal error with its location and keeps the reads before it", () => {
    const result = findJsEnvReads("a.ts", "const a = process.env.A;\nconst = ;\nconst b = process.env.B;");
    expect(result.error).toMatchObject({ line: 2, column: 7 });
    expect(result.error?.message).toMatch(/Unexpected token/);
    expect(result.error?.message).not.toMatch(/\(\d+:\d+\)$/);
    expect(result.reads.map((read) => read.name)).toEqual(["A"]);
  });

  it("keeps the reads before an unclosed block", () => {
    const result = findJsEnvReads(
      "a.js",
      "const a = process.env.A;\nfunction f( {\n  return process.env.B;\n",
    );
    expect(result.error).toBeDefined();
    expect(result.reads.map((read) => read.name)).toEqual(["A"]);
  });

  it("does not throw on garbage input", () => {
    const result = findJsEnvReads("a.ts", "}}}{{{ <<<");
    expect(result.reads).toEqual([]);
    expect(result.error).toMatchObject({ line: 1 });
  });

  it("walks long expressions without recursion", () => {
    const source = `const x = ${Array.from({ length: 1000 }, (_, i) => `a${i}`).join(" + ")} + process.env.DEEP;`;
    expect(reads(source).map((read) => read.name)).toEqual(["DEEP"]);
  });

  it("reports the parser running out of stack as an error instead of throwing", () => {
    const source = `const x = ${"(".repeat(20000)}process.env.A${")".repeat(20000)};`;
    const result = findJsEnvReads("a.js", source);
    expect(result.reads).toEqual([]);
    expect(result.error).toMatchObject({ line: 1, column: 1 });
  });
});
