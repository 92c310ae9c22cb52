/**
 * `shipgate migrations apply` through runCli against a real Postgres: a run refused because an
 * applied file was edited prints the refusal and its hint only (no plan, no tables to back up), in
 * every output format, and exits 1.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outputSink } from "../../test/support/cli.js";
import { usePostgres } from "../../test/support/postgres.js";
import { runCli } from "./program.js";

const server = usePostgres();

async function cli(dir: string, url: string, args: string[]) {
  const stdout = outputSink();
  const stderr = outputSink();
  const code = await runCli(["migrations", "apply", ...args], {
    stdout,
    stderr,
    env: { NO_COLOR: "1", SHIPGATE_DATABASE_URL: url },
    cwd: dir,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe("migrations apply refused for an edited file", () => {
  it("prints the refusal and its hint, not an empty plan, in every format", async () => {
    const url = await server.freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), "shipgate-apply-cli-"));
    writeFileSync(join(dir, "shipgate.yaml"), "version: 1\nmigrations:\n  paths: [db]\n");
    mkdirSync(join(dir, "db"));
    writeFileSync(join(dir, "db/001.sql"), "CREATE TABLE e (id int);\n");
    expect((await cli(dir, url, [])).code).toBe(0);
    writeFileSync(join(dir, "db/001.sql"), "CREATE TABLE e (id bigint);\n");

    for (const pending of [false, true]) {
      if (pending) writeFileSync(join(dir, "db/002.sql"), "DROP TABLE e;\n");
      const pretty = await cli(dir, url, []);
      expect(pretty.code).toBe(1);
      expect(pretty.stdout).toContain("error: db/001.sql was edited after it was applied");
      expect(pretty.stdout).not.toMatch(/pending migration|Tables to back up|db\/002\.sql|drop-table/);
      expect(pretty.stderr).toContain("error: 1 applied migration was edited after being applied");
      expect(pretty.stderr).toContain("hint: Revert the edit and put the change in a new migration.");

      const dry = await cli(dir, url, ["--dry-run"]);
      expect(dry.code).toBe(1);
      expect(dry.stdout).not.toMatch(/pending migration|Tables to back up/);

      const json = await cli(dir, url, ["--format", "json"]);
      expect(json.code).toBe(1);
      const result = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        status: "refused",
        edited: [{ name: "db/001.sql" }],
        plan: [],
        backupCandidates: [],
        findings: [],
        error: { code: "MIGRATION_FAILED", hint: expect.stringContaining("Revert the edit") },
      });
    }
  });
});
