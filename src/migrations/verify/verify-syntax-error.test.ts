/**
 * `migrations verify` on a file that does not parse at all: the report classes it destructive (what
 * it would do is unknown) and the trace says that nothing of it ran.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { usePostgres } from "../../../test/support/postgres.js";
import { runMigrationsVerify } from "../../cli/commands/migrations-verify.js";
import { openDatabaseTarget } from "./index.js";

const server = usePostgres();

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-verify-syntax-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("migrations verify: a file with only a syntax error", () => {
  it("classes it destructive and says that nothing of it ran", async () => {
    const dir = project({
      "db/migrations/001_users.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
      "db/migrations/002_broken.sql": "CREAT TABLE oops (id int);\n",
    });
    const { report, trace } = await runMigrationsVerify({
      cwd: dir,
      env: {},
      paths: [],
      cacheDir: false,
      startServer: async () => {
        const target = await openDatabaseTarget(await server.freshDatabase("verify"));
        return { ...target, kind: "throwaway" as const, startMs: { init: 0, start: 0 } };
      },
    });
    expect(report.files).toEqual([
      { path: "db/migrations/001_users.sql", class: "additive" },
      { path: "db/migrations/002_broken.sql", class: "destructive" },
    ]);
    expect(report.findings.filter((f) => f.ruleId === "syntax-error").map((f) => f.class)).toEqual([
      "destructive",
    ]);
    const broken = trace.files[1];
    expect(broken?.status).toBe("failed");
    expect(broken?.note).toBe("nothing ran: the file's first statement does not parse");
  });
});
