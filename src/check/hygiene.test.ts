import { describe, expect, it } from "vitest";
import { addedEnvFiles, criticalTodos, debugLeftovers } from "./hygiene.js";

const lines = (...texts: string[]) => texts.map((text, i) => ({ line: i + 10, text }));

describe("debug leftovers", () => {
  it("finds console.log, debugger, print() and breakpoint() on added lines, with positions", () => {
    const js = debugLeftovers("src/app.ts", lines("  console.log(user);", "debugger;", "logger.info('ok');"));
    expect(js.map((f) => [f.line, f.column, f.message])).toEqual([
      [10, 3, "console.log() added in this change: a debug leftover"],
      [11, 1, "debugger added in this change: a debug leftover"],
    ]);
    const py = debugLeftovers(
      "app/views.py",
      lines("print(order)", "    breakpoint()", "import pdb; pdb.set_trace()"),
    );
    expect(py.map((f) => f.message.split(" ")[0])).toEqual(["print()", "breakpoint()", "pdb.set_trace()"]);
  });

  it("ignores comments, strings, other languages, method names and files that print on purpose", () => {
    expect(
      debugLeftovers(
        "src/a.ts",
        lines("// console.log(x)", "const s = 'console.log(1)';", "this.console.log(x)", "myconsole.log(x)"),
      ),
    ).toEqual([]);
    expect(debugLeftovers("src/a.go", lines("fmt.Println(x) // print(x)"))).toEqual([]);
    expect(debugLeftovers("app/a.py", lines("# print(x)", "self.print(x)", "reprint(x)"))).toEqual([]);
    expect(debugLeftovers("test/a.test.ts", lines("console.log(x)"))).toEqual([]);
    expect(debugLeftovers("scripts/seed.ts", lines("console.log(x)"))).toEqual([]);
    expect(debugLeftovers("app/cli.py", lines("print(x)"))).toEqual([]);
  });
});

describe("critical TODOs", () => {
  it("reports TODO, FIXME, XXX and HACK markers as whole words", () => {
    const found = criticalTodos(
      "src/pay/charge.ts",
      lines("// TODO: retry", "const todoList = [];", "# FIXME later"),
      "src/pay/**",
    );
    expect(found.map((f) => [f.line, f.message])).toEqual([
      [10, "TODO added in a critical path (src/pay/**)"],
      [12, "FIXME added in a critical path (src/pay/**)"],
    ]);
  });
});

describe("env files added", () => {
  it("finds .env, .env.* and *.env files, not templates", () => {
    const found = addedEnvFiles([
      "deploy/staging.env",
      ".env.local",
      "src/app.ts",
      ".env.example",
      "deploy/staging.env.example",
      "deploy/staging.env.sample",
      "deploy/staging.env.template",
    ]);
    expect(found.map((f) => [f.ruleId, f.file, f.severity])).toEqual([
      ["check-env-file-committed", "deploy/staging.env", "error"],
      ["check-env-file-committed", ".env.local", "error"],
    ]);
  });
});
