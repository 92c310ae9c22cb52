/** runEnvExample on a schema module in a temporary directory: where it writes, and what it refuses. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runEnvExample } from "./env-example.js";

const envLibrary = path.join(import.meta.dirname, "../../env/index.ts");

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-env-example-"));
  writeFileSync(
    path.join(dir, "env.schema.ts"),
    `import { env } from ${JSON.stringify(envLibrary)};\nexport const envSchema = { PORT: env.port({ default: 3000 }) };\n`,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("runEnvExample", () => {
  it("creates the directory of --output when it does not exist yet", async () => {
    const { outcome } = await runEnvExample({
      cwd: dir,
      schema: "env.schema.ts",
      output: "config/new/.env.example",
    });
    expect(outcome).toMatchObject({ kind: "written", path: "config/new/.env.example", unchanged: false });
    expect(readFileSync(path.join(dir, "config/new/.env.example"), "utf8")).toContain("PORT=3000");
  });

  it("refuses an --output that is a directory, naming a file in it", async () => {
    mkdirSync(path.join(dir, "config"));
    await expect(
      runEnvExample({ cwd: dir, schema: "env.schema.ts", output: "config" }),
    ).rejects.toMatchObject({
      code: "USAGE",
      message: "the example file config is a directory",
      hint: "Name the file to write, e.g. --output config/.env.example.",
    });
    expect(existsSync(path.join(dir, "config/.env.example"))).toBe(false);
  });
});
