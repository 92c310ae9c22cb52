/**
 * End-to-end: the built CLI (`node dist/cli/main.js migrations apply | status | backups | restore`)
 * as real processes against a real Postgres. Two concurrent applies never apply a file twice, and
 * no output, manifest or error ever shows the database password. `npm test` builds dist/ first.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migrationLockKey } from "../src/pg/advisory-lock.js";
import { usePostgres } from "./support/postgres.js";

const root = join(import.meta.dirname, "..");
const bin = join(root, "dist/cli/main.js");
const server = usePostgres();

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function shipgate(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "", SHIPGATE_DATABASE_URL: "", ...env } },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
  });
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-apply-e2e-"));
  writeFileSync(join(dir, "shipgate.yaml"), "version: 1\nmigrations:\n  paths: [db]\n");
  mkdirSync(join(dir, "db"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "db", name), text);
  return dir;
}

async function appliedNames(url: string): Promise<string[]> {
  const r = await server.sql(url, "SELECT name FROM shipgate.schema_migrations ORDER BY name");
  return r.rows.map((x: { name: string }) => x.name);
}

/** Resolves once some session holds the migration lock in the database. */
async function lockTaken(url: string): Promise<void> {
  const key = BigInt(migrationLockKey);
  for (let i = 0; i < 200; i++) {
    const r = await server.sql(
      url,
      "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = $1 AND objid::bigint = $2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      [String(key >> 32n), String(key & 0xffffffffn)],
    );
    if (r.rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the first apply never took the migration lock");
}

const slowMigrations = {
  "001_t.sql": "CREATE TABLE t (id int);\n",
  // Long enough that the second CLI process (its start-up included, on a loaded 2-core CI machine)
  // arrives while the first still holds the lock.
  "002_slow.sql": "SELECT pg_sleep(5);\n",
  "003_u.sql": "CREATE TABLE u (id int);\n",
};

describe("shipgate migrations apply (built CLI)", () => {
  it("two applies at once: the second waits for the migration lock, then finds nothing pending", async () => {
    const url = await server.freshDatabase();
    const dir = project(slowMigrations);
    const first = shipgate(["migrations", "apply", "--database-url", url], dir);
    await lockTaken(url);
    const second = shipgate(["migrations", "apply", "--database-url", url, "--lock-wait", "60s"], dir);
    const [a, b] = await Promise.all([first, second]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stdout).toContain("Applied 3 migrations.");
    expect(b.stderr).toContain("waiting for the migration lock, held by pid");
    expect(b.stderr).toContain('"shipgate migrations apply"');
    expect(b.stdout).toContain("Nothing to apply: 3 migrations applied, none pending.");
    expect(await appliedNames(url)).toEqual(["db/001_t.sql", "db/002_slow.sql", "db/003_u.sql"]);
  });

  it("two applies at once with --lock-wait 0: the second fails with LOCKED and nothing is applied twice", async () => {
    const url = await server.freshDatabase();
    const dir = project(slowMigrations);
    const first = shipgate(["migrations", "apply", "--database-url", url, "--format", "json"], dir);
    await lockTaken(url);
    const b = await shipgate(["migrations", "apply", "--database-url", url, "--lock-wait", "0"], dir);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("error: another migration run holds the migration lock (pid");
    expect(b.stderr).toContain("hint: Wait for the other deploy to finish");
    expect(b.stdout).toBe("");
    const a = await first;
    expect(a.code, a.stderr).toBe(0);
    const result = JSON.parse(a.stdout) as { status: string; outcomes: { name: string; status: string }[] };
    expect(result.status).toBe("applied");
    expect(result.outcomes.map((o) => o.name)).toEqual(["db/001_t.sql", "db/002_slow.sql", "db/003_u.sql"]);
    expect(await appliedNames(url)).toEqual(["db/001_t.sql", "db/002_slow.sql", "db/003_u.sql"]);
  });

  it("never prints the database password: output, JSON, errors, manifests and the runner command", async () => {
    const password = `Pw-${randomBytes(6).toString("hex")}-x9`;
    const wrong = `Wrong-${randomBytes(6).toString("hex")}`;
    const role = `deployer_${process.pid}`;
    await server.sql(server.url, `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${password}'`);
    const dbUrl = await server.freshDatabase();
    const port = new URL(dbUrl).port;
    const dbName = new URL(dbUrl).pathname.slice(1);
    const url = `postgres://${role}:${password}@127.0.0.1:${port}/${dbName}`;
    await server.sql(
      url,
      "CREATE TABLE accounts (id int PRIMARY KEY, name text); INSERT INTO accounts VALUES (1, 'a'), (2, 'b');",
    );
    const dir = project({
      "001_add.sql": "ALTER TABLE accounts ADD COLUMN email text;\n",
    });
    const env = { SHIPGATE_DATABASE_URL: url };
    const runs: CliRun[] = [];
    const run = async (args: string[], e: Record<string, string> = env) => {
      const r = await shipgate(args, dir, e);
      runs.push(r);
      return r;
    };

    const applied = await run(["migrations", "apply", "--database-url", url]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain("Backup ");
    writeFileSync(join(dir, "db/002_fail.sql"), "INSERT INTO accounts (id, name) VALUES (1, 'dup');\n");
    const failed = await run(["migrations", "apply", "--format", "json"]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).error.code).toBe("MIGRATION_FAILED");
    expect((await run(["migrations", "status"])).stdout).toContain("db/002_fail.sql");
    const listed = await run(["migrations", "backups", "--format", "json"]);
    const id = (JSON.parse(listed.stdout) as { backups: { id: string }[] }).backups[0]?.id as string;
    const restored = await run(["migrations", "restore", id]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain("✓ public.accounts  recreated, 2 rows (expected 2), checksum matches");
    const badPassword = await run(["migrations", "status"], {
      SHIPGATE_DATABASE_URL: url.replace(password, wrong),
    });
    expect(badPassword.code).toBe(2);
    expect(badPassword.stderr).toContain("password authentication failed");
    expect(badPassword.stderr).toContain(`postgres://${role}:***@127.0.0.1`);
    rmSync(join(dir, "db/002_fail.sql"));
    writeFileSync(join(dir, "db/002_ok.sql"), "CREATE TABLE later (id int);\n");
    const runner = await run([
      "migrations",
      "apply",
      "--command",
      `node ${join(root, "test/fixtures/apply/runner.mjs")} db --fail --url ${url}`,
    ]);
    expect(runner.code).toBe(1);
    expect(runner.stderr).toContain("--url postgres://");

    const everything = [
      ...runs.flatMap((r) => [r.stdout, r.stderr]),
      ...filesUnder(join(dir, ".shipgate")).map((f) => readFileSync(f).toString("latin1")),
    ].join("\n");
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(wrong);
    expect(everything).toContain(`${role}:***@`);
  });
});

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}
