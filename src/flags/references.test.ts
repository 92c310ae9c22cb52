import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "../../test/support/cli.js";
import { defaultFlagFunctions } from "../config/flags-schema.js";
import { findFlagReferences, scanFlagReferences } from "./references.js";

const functions = [...defaultFlagFunctions];

function keys(file: string, source: string): [string, number, number][] {
  return findFlagReferences(file, source, functions).map((r) => [r.key, r.line, r.column]);
}

describe("findFlagReferences", () => {
  it("finds method and plain calls with a literal first argument in TypeScript", () => {
    const source = [
      'import { createFlagClient, isEnabled } from "shipgate/flags";', // 1
      'const flags = createFlagClient({ url: "http://flags" });', // 2
      "export async function checkout(user: User): Promise<Page> {", // 3
      '  if (flags.isEnabled("new-checkout", { userId: user.id })) return onePage();', // 4
      "  const variant = flags.getVariant(`checkout-button`, { userId: user.id });", // 5
      '  const on = isEnabled("plain-call");', // 6
      '  const v = await client?.getBooleanValue("of-bool", false, ctx);', // 7
      '  const s = await client.getStringDetails("of-string" as const, "a");', // 8
      '  return flags["isEnabled"]("computed-name") ? a : (<Page>b);', // 9
      "}",
    ].join("\n");
    expect(keys("src/checkout.ts", source)).toEqual([
      ["new-checkout", 4, 23],
      ["checkout-button", 5, 36],
      ["plain-call", 6, 24],
      ["of-bool", 7, 43],
      ["of-string", 8, 43],
      ["computed-name", 9, 29],
    ]);
  });

  it("finds calls inside JSX", () => {
    const source = [
      'import { useFlags } from "./flags";',
      "export function Header({ user }: { user: User }) {",
      "  const flags = useFlags();",
      "  return (",
      "    <nav>",
      '      {flags.isEnabled("new-nav", { userId: user.id }) && <NewNav />}',
      '      <Button variant={flags.getVariant("cta-color")?.name ?? "blue"} />',
      "    </nav>",
      "  );",
      "}",
    ].join("\n");
    expect(keys("src/header.tsx", source).map(([k]) => k)).toEqual(["new-nav", "cta-color"]);
  });

  it("ignores dynamic keys, other functions and look-alikes", () => {
    const source = [
      "const key = 'dynamic';",
      "flags.isEnabled(key);",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text holding a template with a substitution
      "flags.isEnabled(`with-${key}`);",
      'flags.isEnabled("a" + "b");',
      "flags.isEnabled();",
      'flags.isReady("not-a-flag");',
      'const o = { isEnabled: "new-checkout" };',
      '// flags.isEnabled("in-a-comment")',
      'const text = "flags.isEnabled(\\"in-a-string\\")";',
    ].join("\n");
    expect(keys("src/x.js", source)).toEqual([]);
  });

  it("uses the configured function names only", () => {
    const source = 'feature("custom-helper"); flags.isEnabled("standard");';
    expect(findFlagReferences("a.ts", source, ["feature"]).map((r) => r.key)).toEqual(["custom-helper"]);
  });

  it("keeps what babel recovers from a file with a syntax error, and never throws", () => {
    const recoverable = 'let a = 1;\nlet a = 2;\nflags.isEnabled("still-found");\n';
    expect(keys("src/broken.ts", recoverable).map(([k]) => k)).toEqual(["still-found"]);
    expect(keys("src/garbage.ts", 'isEnabled("x" {{{{ ))) <<<')).toEqual([]);
  });
});

describe("scanFlagReferences", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("scans the files the include globs select, minus the excluded ones", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "shipgate-flag-refs-"));
    writeFile(dir, "src/app.ts", 'flags.isEnabled("in-app");\n');
    writeFile(dir, "src/ui/page.tsx", 'export const P = () => <p>{isEnabled("in-page") ? 1 : 2}</p>;\n');
    writeFile(dir, "src/app.test.ts", 'flags.isEnabled("in-test");\n');
    writeFile(dir, "scripts/tool.ts", 'flags.isEnabled("outside-src");\n');
    writeFile(dir, "node_modules/lib/src/index.js", 'flags.isEnabled("in-deps");\n');
    const refs = await scanFlagReferences({
      dir,
      include: ["src/**/*.{js,jsx,ts,tsx,mjs,cjs}", "**/src/**/*.js"],
      exclude: ["**/node_modules/**", "**/dist/**", "**/*.test.*"],
      functions,
    });
    expect(refs).toEqual([
      { key: "in-app", file: "src/app.ts", line: 1, column: 17 },
      { key: "in-page", file: "src/ui/page.tsx", line: 1, column: 38 },
    ]);
  });
});
