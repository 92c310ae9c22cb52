/**
 * End-to-end: the built CLI as a real process, on real files, checking exit codes and output.
 * `npm test` builds dist/ first.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const bin = join(root, "dist/cli/main.js");
const run = promisify(execFile);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function shipgate(args: string[], cwd = root, env: Record<string, string> = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function exampleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
  cpSync(join(root, "examples/shop"), dir, { recursive: true });
  return dir;
}

describe("shipgate migrations lint (built CLI)", () => {
  it("lints the example project, fails the gate and explains each finding", async () => {
    const dir = exampleCopy();
    const r = await shipgate(["migrations", "lint", "--no-cache"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("db/migrations/0003_index_orders_status.sql");
    expect(r.stdout).toContain("require-concurrent-index-creation");
    expect(r.stdout).toContain("SHARE");
    expect(r.stdout).not.toContain("\u001b["); // NO_COLOR and not a TTY: no escape codes
  });

  it("prints JSON with files and their class, and findings with class and lock", async () => {
    const dir = exampleCopy();
    const r = await shipgate(["migrations", "lint", "--format", "json", "--no-cache"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      files: { path: string; class: string }[];
      findings: { ruleId: string; class: string; lock: string | null; line: number; suppression?: unknown }[];
    };
    expect(out.files.map((f) => f.path)).toEqual([
      "db/migrations/0001_create_users.sql",
      "db/migrations/0002_add_user_nickname.sql",
      "db/migrations/0003_index_orders_status.sql",
      "db/migrations/0004_orders_total_bigint.sql",
      "db/migrations/0005_refunded_status.sql",
      "db/migrations/0006_drop_legacy_name.sql",
    ]);
    expect(out.files[0]?.class).toBe("additive");
    expect(out.files[5]?.class).toBe("destructive");
    const index = out.findings.find((f) => f.ruleId === "require-concurrent-index-creation");
    expect(index).toMatchObject({ class: "transformative", lock: "SHARE", line: 2 });
    const drop = out.findings.find((f) => f.ruleId === "ban-drop-column");
    expect(drop?.suppression).toMatchObject({ kind: "config" });
  });

  it("passes (exit 0) on safe migrations", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
    writeFileSync(
      join(dir, "001.sql"),
      "CREATE TABLE t (id bigint PRIMARY KEY);\nCREATE INDEX t_idx ON t (id);\n",
    );
    const r = await shipgate(["migrations", "lint", "001.sql", "--no-cache"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("exits 2 with every problem and a hint on a bad config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
    writeFileSync(
      join(dir, "shipgate.yaml"),
      "migrations:\n  pgVersion: banana\n  rules:\n    no-such-rule: off\n",
    );
    const r = await shipgate(["migrations", "lint", "--no-cache"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("migrations.pgVersion");
    expect(r.stderr).toContain("hint:");
  });

  it("exits 2 on a missing path and on an unknown flag value", async () => {
    expect((await shipgate(["migrations", "lint", "does/not/exist", "--no-cache"])).code).toBe(2);
    expect((await shipgate(["migrations", "lint", "--format", "xml"])).code).toBe(2);
    expect(
      (await shipgate(["migrations", "lint", "--pg-version", "nine", "examples/shop/db/migrations"])).code,
    ).toBe(2);
  });

  it("gives the same findings from the cache on a re-run", async () => {
    const dir = exampleCopy();
    const cacheDir = join(dir, ".cache");
    const cold = await shipgate(["migrations", "lint", "--format", "json", "--cache-dir", cacheDir], dir);
    const warm = await shipgate(["migrations", "lint", "--format", "json", "--cache-dir", cacheDir], dir);
    expect(warm.code).toBe(cold.code);
    expect(JSON.parse(warm.stdout)).toEqual(JSON.parse(cold.stdout));
    // A new migration appended: earlier results come from the cache, the new file is linted.
    writeFileSync(join(dir, "db/migrations/0007_drop_orders.sql"), "DROP TABLE orders;\n");
    const appended = await shipgate(["migrations", "lint", "--format", "json", "--cache-dir", cacheDir], dir);
    const out = JSON.parse(appended.stdout) as { findings: { ruleId: string; file: string }[] };
    expect(
      out.findings.some(
        (f) => f.file === "db/migrations/0007_drop_orders.sql" && f.ruleId === "ban-drop-table",
      ),
    ).toBe(true);
  });

  it("answers an unchanged re-run from the saved answer without linting, and lints again after an edit", async () => {
    const dir = exampleCopy();
    const cacheDir = join(dir, ".cache");
    const args = ["migrations", "lint", "--format", "json", "--cache-dir", cacheDir];
    const cold = await shipgate(args, dir);
    // Without the per-file cache, only the saved answer can answer without linting (which would
    // write the per-file cache again).
    rmSync(join(cacheDir, "migrations-lint.v2.json"));
    const warm = await shipgate(args, dir);
    expect(warm.code).toBe(cold.code);
    expect(warm.stdout).toBe(cold.stdout);
    expect(existsSync(join(cacheDir, "migrations-lint.v2.json"))).toBe(false);
    // A migration edited (same length, one byte differs): linted again, and the output says so.
    const file = join(dir, "db/migrations/0007_drop_orders.sql");
    writeFileSync(file, "DROP TABLE orders;\n");
    const first = await shipgate(args, dir);
    writeFileSync(file, "DROP TABLE orderz;\n");
    const edited = await shipgate(args, dir);
    expect(edited.stdout).not.toBe(first.stdout);
    expect(edited.stdout).toContain("orderz");
    expect(existsSync(join(cacheDir, "migrations-lint.v2.json"))).toBe(true);
  });

  it("lists the rules", async () => {
    const r = await shipgate(["migrations", "rules", "--format", "json"]);
    expect(r.code).toBe(0);
    const rules = JSON.parse(r.stdout) as { id: string }[];
    expect(rules.map((x) => x.id)).toContain("require-lock-timeout");
  });
});

describe("shipgate migrations lint --schema (a pg_dump --schema-only file)", () => {
  it("uses the dump: widening and a proven NOT NULL pass, a rewrite and a view dependency are caught", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
    cpSync(join(root, "test/fixtures/pg-dump-schema.sql"), join(dir, "schema.sql"));
    writeFileSync(
      join(dir, "001_safe.sql"),
      [
        "SET lock_timeout = '5s';",
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(255);",
        "ALTER TABLE orders ALTER COLUMN note TYPE text;",
        "ALTER TABLE users ALTER COLUMN nickname SET NOT NULL;",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "002_unsafe.sql"),
      ["SET lock_timeout = '5s';", "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,4);", ""].join(
        "\n",
      ),
    );
    const r = await shipgate(
      [
        "migrations",
        "lint",
        "001_safe.sql",
        "002_unsafe.sql",
        "--schema",
        "schema.sql",
        "--format",
        "json",
        "--no-cache",
      ],
      dir,
    );
    const out = JSON.parse(r.stdout) as {
      files: { path: string; class: string }[];
      findings: { ruleId: string; file: string }[];
    };
    expect(out.findings.filter((f) => f.file === "001_safe.sql")).toEqual([]);
    expect(out.files.find((f) => f.path === "001_safe.sql")?.class).toBe("additive");
    const unsafe = out.findings.filter((f) => f.file === "002_unsafe.sql").map((f) => f.ruleId);
    expect(unsafe).toContain("changing-column-type");
    expect(unsafe).toContain("alter-column-type-with-dependent-view");
    expect(r.code).toBe(1);
  });

  it("explains a missing schema file with exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
    writeFileSync(join(dir, "001.sql"), "SELECT 1;\n");
    const r = await shipgate(["migrations", "lint", "001.sql", "--schema", "nope.sql", "--no-cache"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pg_dump --schema-only");
  });
});

describe("secrets", () => {
  it("never prints a password written in a migration, in any format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
    const secret = "hunter2-Very-Secret";
    writeFileSync(
      join(dir, "001_roles.sql"),
      `CREATE ROLE app LOGIN PASSWORD '${secret}';\nCREATE USER MAPPING FOR app SERVER s OPTIONS (password '${secret}');\n`,
    );
    for (const format of ["pretty", "json", "sarif", "github", "markdown"]) {
      const r = await shipgate(
        ["migrations", "lint", "001_roles.sql", "--format", format, "--no-cache"],
        dir,
      );
      expect(r.code, format).toBe(1);
      expect(r.stdout, format).toContain("hardcoded-password");
      expect(r.stdout + r.stderr, format).not.toContain(secret);
    }
    const pretty = await shipgate(["migrations", "lint", "001_roles.sql", "--no-cache"], dir);
    expect(pretty.stdout).toContain(`PASSWORD '${"*".repeat(secret.length)}'`);
  });
});

describe("sources of migrations", () => {
  it("--since lints only migrations changed since a git ref, with earlier ones as the baseline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
    const git = (...args: string[]) => run("git", args, { cwd: dir });
    await git("init", "-q", "-b", "main");
    await git("config", "user.email", "ci@example.com");
    await git("config", "user.name", "CI");
    const migrations = join(dir, "migrations");
    cpSync(
      join(root, "examples/shop/db/migrations/0001_create_users.sql"),
      join(migrations, "0001_create_users.sql"),
    );
    writeFileSync(
      join(migrations, "0002_index.sql"),
      "CREATE INDEX users_created_idx ON users (created_at);\n",
    );
    await git("add", ".");
    await git("commit", "-q", "-m", "base");
    writeFileSync(
      join(migrations, "0003_widen.sql"),
      "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email TYPE text;\n",
    );
    const r = await shipgate(
      ["migrations", "lint", "migrations", "--since", "HEAD", "--format", "json", "--no-cache"],
      dir,
    );
    const out = JSON.parse(r.stdout) as { files: { path: string }[]; findings: unknown[] };
    // Only the new file is reported; the baseline taught the linter that email is varchar (widening is free).
    expect(out.files.map((f) => f.path)).toEqual(["migrations/0003_widen.sql"]);
    expect(out.findings).toEqual([]);
    expect(r.code).toBe(0);
    const bad = await shipgate(
      ["migrations", "lint", "migrations", "--since", "no-such-ref", "--no-cache"],
      dir,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("hint:");
  });

  it("--sql-from lints the SQL a command prints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shipgate-e2e-"));
    writeFileSync(join(dir, "upgrade.sql"), "BEGIN;\nALTER TABLE accounts DROP COLUMN legacy;\nCOMMIT;\n");
    const r = await shipgate(
      ["migrations", "lint", "--sql-from", "cat upgrade.sql", "--format", "json", "--no-cache"],
      dir,
    );
    const out = JSON.parse(r.stdout) as { findings: { ruleId: string; line: number }[] };
    expect(out.findings.map((f) => [f.ruleId, f.line])).toContainEqual(["ban-drop-column", 2]);
    expect(r.code).toBe(1);
    const failing = await shipgate(["migrations", "lint", "--sql-from", "exit 3", "--no-cache"], dir);
    expect(failing.code).toBe(2);
  });
});

describe("a reader that goes away (shipgate … | head)", () => {
  it("is not an error: no stack trace, and the command exits with its own code", async () => {
    for (const [args, code] of [
      [["migrations", "rules", "--format", "json"], 0],
      [["migrations", "lint", "--format", "json", "--no-cache"], 1],
    ] as const) {
      const child = spawn(process.execPath, [bin, ...args], {
        cwd: join(root, "examples/shop"),
        env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      // Close the pipe before the first write, as `head` does once it has what it wants.
      child.stdout.destroy();
      const [exitCode] = (await once(child, "close")) as [number];
      expect(stderr).not.toMatch(/EPIPE|Error/);
      expect(exitCode).toBe(code);
    }
  });
});
