/**
 * loadEnvSchema on real modules in a temporary directory: a schema module that also validates the
 * environment on import (defineEnvOrExit) yields its schema without printing the app's report or
 * exiting, and is evaluated once; a module that exits without exporting a schema is a config error.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { loadEnvSchema } from "./schema-module.js";

const envLibrary = path.join(import.meta.dirname, "../env/index.ts");
// A variable no test machine defines, so the module's validation fails.
const missing = "SHIPGATE_SCHEMA_MODULE_TEST_DATABASE_URL";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-schema-module-"));
  delete process.env[missing];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Spies on everything a module could print or end the process with. */
function watchProcess() {
  const exit = process.exit;
  const exitCode = process.exitCode;
  const stdout = vi.spyOn(process.stdout, "write");
  const stderr = vi.spyOn(process.stderr, "write");
  return {
    printed: () => [...stdout.mock.calls, ...stderr.mock.calls].map((call) => String(call[0])),
    restored: () => process.exit === exit && process.exitCode === exitCode,
  };
}

describe("loadEnvSchema", () => {
  it("loads a TypeScript schema module that calls defineEnvOrExit, printing nothing", async () => {
    writeFileSync(
      path.join(dir, "env.ts"),
      [
        `import { defineEnvOrExit, env } from ${JSON.stringify(envLibrary)};`,
        "export const envSchema = {",
        `  ${missing}: env.url({ description: "Postgres connection string", secret: true }),`,
        "  PORT: env.port({ default: 3000 }),",
        "};",
        "export const config = defineEnvOrExit(envSchema);",
        "",
      ].join("\n"),
    );
    const watch = watchProcess();
    const loaded = await loadEnvSchema(dir, "env.ts");
    expect(Object.keys(loaded.schema)).toEqual([missing, "PORT"]);
    expect(loaded.exportName).toBe("envSchema");
    expect(watch.printed()).toEqual([]);
    expect(watch.restored()).toBe(true);
  });

  it("evaluates a natively imported module that reports and exits once, printing nothing", async () => {
    // jiti imports .mjs natively; a module that threw on exit was transpiled and evaluated again.
    writeFileSync(
      path.join(dir, "env.mjs"),
      [
        "globalThis.schemaModuleEvaluations = (globalThis.schemaModuleEvaluations ?? 0) + 1;",
        `export const envSchema = { ${missing}: { kind: "url", parse: (raw) => ({ ok: true, value: raw }) } };`,
        `if (!process.env.${missing}) {`,
        `  process.stderr.write("Invalid environment: 1 problem\\n");`,
        `  process.stdout.write("starting anyway\\n");`,
        "  process.exitCode = 3;",
        "  process.exit(1);",
        "}",
        "",
      ].join("\n"),
    );
    const globals = globalThis as { schemaModuleEvaluations?: number };
    delete globals.schemaModuleEvaluations;
    const watch = watchProcess();
    const loaded = await loadEnvSchema(dir, "env.mjs");
    expect(Object.keys(loaded.schema)).toEqual([missing]);
    expect(globals.schemaModuleEvaluations).toBe(1);
    expect(watch.printed()).toEqual([]);
    expect(watch.restored()).toBe(true);
  });

  it("refuses a module that exits without exporting a schema (the app's config module)", async () => {
    writeFileSync(path.join(dir, "env.schema.ts"), `export const envSchema = {};\n`);
    writeFileSync(
      path.join(dir, "config.mjs"),
      `process.stderr.write("Invalid environment\\n");\nprocess.exit(1);\nexport const config = undefined;\n`,
    );
    const watch = watchProcess();
    const error = await loadEnvSchema(dir, "config.mjs#envSchema").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipgateError);
    expect((error as ShipgateError).message).toContain("exited while being imported");
    expect((error as ShipgateError).hint).toContain("Declare the schema in a module of its own");
    expect(watch.printed()).toEqual([]);
    expect(watch.restored()).toBe(true);
  });

  it("reports a module that throws on import, and restores the process hooks", async () => {
    writeFileSync(path.join(dir, "broken.ts"), `throw new Error("boom at import");\nexport {};\n`);
    const watch = watchProcess();
    await expect(loadEnvSchema(dir, "broken.ts")).rejects.toThrow(/failed to import: boom at import/);
    expect(watch.restored()).toBe(true);
  });

  it("tells a module that fails to import to fix its error, and a directory to name the file", async () => {
    writeFileSync(path.join(dir, "syntax.ts"), "export const envSchema = {\n");
    await expect(loadEnvSchema(dir, "syntax.ts")).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      hint: expect.stringMatching(/^Fix the error in syntax\.ts \(import it with `npx tsx syntax\.ts`/),
    });
    mkdirSync(path.join(dir, "src"));
    await expect(loadEnvSchema(dir, "src")).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: "env schema module src is a directory",
      hint: "Name the module file itself, e.g. src/env.schema.ts.",
    });
  });
});
