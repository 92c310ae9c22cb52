/**
 * `shipgate migrations verify` against a real Postgres: the command's run() with a fresh database
 * per test standing in for the throwaway server (one server for the file), or a database by URL.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { type MigrationsVerifyOptions, runMigrationsVerify } from "../src/cli/commands/migrations-verify.js";
import type { Finding } from "../src/core/finding.js";
import { openDatabaseTarget, type StatementTrace } from "../src/migrations/verify/index.js";
import { snapshotCatalog } from "../src/pg/catalog-snapshot.js";
import { usePostgres } from "./support/postgres.js";

const server = usePostgres();

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-verify-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A fresh database on the test server, handed to verify as its "throwaway" server. */
async function throwaway() {
  const target = await openDatabaseTarget(await server.freshDatabase("verify"));
  return { ...target, kind: "throwaway" as const, startMs: { init: 0, start: 0 } };
}

function verify(dir: string, options: Partial<MigrationsVerifyOptions> = {}) {
  return runMigrationsVerify({
    cwd: dir,
    env: {},
    paths: [],
    cacheDir: false,
    startServer: throwaway,
    ...options,
  });
}

const users = `CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, created timestamp);
INSERT INTO users SELECT g, 'user' || g || '@example.com', now() FROM generate_series(1, 50) g;
`;

function only(findings: readonly Finding[], ruleId: string): Finding[] {
  return findings.filter((f) => f.ruleId === ruleId);
}

function statement(
  trace: { files: { path: string; statements: StatementTrace[] }[] },
  file: string,
  line: number,
) {
  const s = trace.files.find((f) => f.path.endsWith(file))?.statements.find((x) => x.line === line);
  if (!s) throw new Error(`no statement at ${file}:${line}`);
  return s;
}

describe("migrations verify: observations", () => {
  it("detects a table rewrite (ADD COLUMN … DEFAULT random() on a table with rows), matching the static rule", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_token.sql": "ALTER TABLE users ADD COLUMN token float DEFAULT random();\n",
    });
    const { report, trace } = await verify(dir);
    const s = statement(trace, "002_token.sql", 1);
    expect(s.rewrites).toEqual([{ relation: "public.users", existing: true }]);
    expect(s.rebuiltIndexes).toEqual(["public.users_pkey"]);
    expect(s.created).toEqual(["column public.users.token"]);
    const rule = only(report.findings, "adding-field-with-default")[0];
    expect(rule).toMatchObject({ severity: "error", rewrites: true, lock: "ACCESS EXCLUSIVE", line: 1 });
    expect(rule?.message).not.toContain("observed");
    // The static analysis predicted this rewrite: no separate verify-rewrite finding.
    expect(only(report.findings, "verify-rewrite")).toEqual([]);
  });

  it("reports verify-rewrite where only Postgres saw the rewrite (dynamic SQL in a DO block)", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_dynamic.sql": `DO $$
BEGIN
  EXECUTE format('ALTER TABLE %I ADD COLUMN token float DEFAULT random()', 'users');
END
$$;
`,
    });
    const { report, failed } = await verify(dir);
    expect(only(report.findings, "verify-rewrite")).toEqual([
      expect.objectContaining({
        severity: "error",
        line: 1,
        column: 1,
        relation: "public.users",
        rewrites: true,
        lock: "ACCESS EXCLUSIVE",
      }),
    ]);
    expect(failed).toBe(true);
  });

  it("observes the SHARE lock of a plain CREATE INDEX on an existing table", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_index.sql": "CREATE INDEX users_email ON users (email);\n",
    });
    const { report, trace } = await verify(dir);
    const s = statement(trace, "002_index.sql", 1);
    expect(s.ranAs).toBe("in-transaction");
    expect(s.locks).toEqual(
      expect.arrayContaining([
        { relation: "public.users", kind: "table", existing: true, acquired: ["SHARE"], heldBefore: [] },
        expect.objectContaining({
          relation: "public.users_email",
          existing: false,
          acquired: ["ACCESS EXCLUSIVE"],
        }),
      ]),
    );
    const rule = only(report.findings, "require-concurrent-index-creation")[0];
    expect(rule).toMatchObject({ lock: "SHARE", relation: "public.users", severity: "error" });
    expect(rule?.message).not.toContain("observed");
    expect(only(report.findings, "verify-lock")).toEqual([]);
  });

  it("reports verify-lock for a lock the static analysis did not expect", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      // A rule: Postgres takes ACCESS EXCLUSIVE on the table; the static model does not know CREATE RULE.
      "db/migrations/002_rule.sql": "CREATE RULE users_no_delete AS ON DELETE TO users DO INSTEAD NOTHING;\n",
    });
    const { report } = await verify(dir);
    expect(only(report.findings, "verify-lock")).toEqual([
      expect.objectContaining({
        severity: "warning",
        line: 1,
        lock: "ACCESS EXCLUSIVE",
        relation: "public.users",
        message: "Postgres took ACCESS EXCLUSIVE on public.users; the static analysis expected no lock on it",
      }),
    ]);
  });

  it("lets the observation win over a contradicted static finding (timestamp → timestamptz under UTC)", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_tz.sql":
        "SET TIME ZONE 'UTC';\nALTER TABLE users ALTER COLUMN created TYPE timestamptz;\n",
    });
    const { report, trace } = await verify(dir);
    expect(statement(trace, "002_tz.sql", 2).rewrites).toEqual([]);
    const rule = only(report.findings, "changing-column-type")[0];
    expect(rule).toMatchObject({ severity: "info", rewrites: false, lock: "ACCESS EXCLUSIVE" });
    expect(rule?.message).toMatch(/\(observed: no table rewrite of public\.users\)$/);
  });

  it("reports a failing statement with its SQLSTATE and the position of the error in the file", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_bad.sql":
        "ALTER TABLE users ADD COLUMN nickname text;\nSELECT id, nickame\n  FROM users;\n",
      "db/migrations/003_later.sql": "CREATE TABLE later (id int);\n",
    });
    const { report, trace, failed } = await verify(dir);
    expect(failed).toBe(true);
    const error = only(report.findings, "verify-error")[0];
    expect(error).toMatchObject({
      file: "db/migrations/002_bad.sql",
      line: 2,
      column: 12,
      severity: "error",
    });
    expect(error?.message).toMatch(
      /^Postgres error 42703 \(undefined_column\): column "nickame" does not exist/,
    );
    const bad = trace.files.find((f) => f.path.endsWith("002_bad.sql"));
    expect(bad?.status).toBe("failed");
    expect(bad?.statements[1]?.error).toMatchObject({ code: "42703", line: 2, column: 12 });
    expect(trace.files.find((f) => f.path.endsWith("003_later.sql"))?.status).toBe("not-run");
  });

  it("stops at a syntax error as the runner would: earlier statements ran, later ones and files did not", async () => {
    const dir = project({
      "db/migrations/001_users.sql": `${users}CREATE TABLE ok (id int);\nCREATE TABEL broken (id int);\nCREATE TABLE never (id int);\n`,
      "db/migrations/002_later.sql": "CREATE TABLE later (id int);\n",
    });
    const { report, trace } = await verify(dir);
    const file = trace.files[0];
    expect(file?.status).toBe("failed");
    expect(file?.statements.map((s) => [s.line, s.status])).toEqual([
      [1, "ok"],
      [2, "ok"],
      [3, "ok"],
      [4, "error"],
    ]);
    expect(file?.statements[3]?.error).toMatchObject({ code: "42601", condition: "syntax_error", line: 4 });
    expect(trace.files[1]?.status).toBe("not-run");
    // The lint reports the syntax error; verify adds no second finding for it.
    expect(report.findings.filter((f) => f.ruleId === "syntax-error").map((f) => f.line)).toEqual([4]);
    expect(only(report.findings, "verify-error")).toEqual([]);
  });

  it("creates the roles the migrations grant to, so a GRANT does not fail on the throwaway server", async () => {
    const dir = project({
      "db/migrations/001_users.sql": `${users}GRANT SELECT ON users TO app_reader;\n`,
    });
    const { trace, report } = await verify(dir);
    expect(trace.rolesCreated).toEqual(["app_reader"]);
    expect(only(report.findings, "verify-error")).toEqual([]);
  });
});

describe("migrations verify --since", () => {
  it("replays the unchanged earlier migrations as the baseline and verifies only the changed ones", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/001_users.down.sql": "DROP TABLE users;\n",
    });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" });
    git("init", "-q", "-b", "main");
    git("config", "user.name", "Test");
    git("config", "user.email", "test@example.com");
    git("config", "commit.gpgsign", "false");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    writeFileSync(join(dir, "db/migrations/002_index.sql"), "CREATE INDEX users_email ON users (email);\n");
    const { trace, report } = await verify(dir, { since: "HEAD" });
    expect(trace.baseline).toEqual(["db/migrations/001_users.sql"]);
    expect(trace.files.map((f) => f.path)).toEqual(["db/migrations/002_index.sql"]);
    expect(report.files.map((f) => f.path)).toEqual(["db/migrations/002_index.sql"]);
    // The baseline's table existed before the migration: its lock is on an existing relation.
    expect(statement(trace, "002_index.sql", 1).locks).toContainEqual(
      expect.objectContaining({ relation: "public.users", existing: true, acquired: ["SHARE"] }),
    );

    // Nothing changed since the last commit: no server is started at all.
    git("add", ".");
    git("commit", "-q", "-m", "index");
    let started = false;
    const none = await verify(dir, {
      since: "HEAD",
      startServer: () => {
        started = true;
        return throwaway();
      },
    });
    expect(started).toBe(false);
    expect(none.trace.files).toEqual([]);
    expect(none.report.findings).toEqual([]);
  });
});

describe("migrations verify: down migrations", () => {
  it("reports a down that does not restore the schema (an index left behind)", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_nick.sql":
        "ALTER TABLE users ADD COLUMN nickname text;\nCREATE INDEX users_email ON users (email);\n",
      "db/migrations/002_nick.down.sql": "ALTER TABLE users DROP COLUMN nickname;\n",
      "db/migrations/001_users.down.sql": "DROP TABLE users;\n",
      "db/migrations/003_after.sql": "CREATE TABLE after_nick (id int);\n",
    });
    const { report, trace } = await verify(dir);
    const mismatch = only(report.findings, "verify-down-mismatch");
    expect(mismatch.map((f) => [f.file, f.line, f.severity])).toEqual([
      ["db/migrations/002_nick.down.sql", 1, "error"],
      // The up cannot run again after the down: the index it creates is still there.
      ["db/migrations/002_nick.sql", 2, "error"],
    ]);
    expect(mismatch[0]?.message).toBe(
      "the down does not restore the schema the migration started from (1 difference): index public.users_email is extra after the down: CREATE INDEX users_email ON public.users USING btree (email)",
    );
    expect(mismatch[1]?.message).toMatch(
      /^after the down, the up fails: Postgres error 42P07 \(duplicate_table\)/,
    );
    const nick = trace.files.find((f) => f.path.endsWith("002_nick.sql"));
    expect(nick?.down?.status).toBe("failed");
    // The round trip is undone: the next migration runs on the state the up left.
    expect(trace.files.map((f) => f.status)).toEqual(["verified", "verified", "verified"]);
  });

  it("does not report a down that restores the schema exactly", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/001_users.down.sql": "DROP TABLE users;\n",
      "db/migrations/002_orders.sql":
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\nCREATE INDEX orders_user ON orders (user_id);\n",
      "db/migrations/002_orders.down.sql": "DROP TABLE orders;\n",
    });
    const { report, trace } = await verify(dir);
    expect(only(report.findings, "verify-down-mismatch")).toEqual([]);
    expect(only(report.findings, "verify-down-missing")).toEqual([]);
    expect(trace.files.map((f) => f.down?.status)).toEqual(["restores", "restores"]);
    // 001's down drops the 50 rows the up inserted: said so.
    expect(only(report.findings, "verify-down-data-loss")).toEqual([
      expect.objectContaining({
        file: "db/migrations/001_users.down.sql",
        line: 1,
        message:
          "the down drops table public.users, which holds 50 rows (written by the up); rolling back deletes them",
      }),
    ]);
  });

  it("says when a down drops data that existed before the migration, and when the up's dropped data is not restored", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_drop_email.sql": "ALTER TABLE users DROP COLUMN email;\n",
      "db/migrations/002_drop_email.down.sql":
        "ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';\n",
      "db/migrations/003_created.sql": "ALTER TABLE users ADD COLUMN note text;\n",
      "db/migrations/003_created.down.sql":
        "ALTER TABLE users DROP COLUMN note;\nALTER TABLE users DROP COLUMN created;\n",
    });
    const { report } = await verify(dir);
    const loss = only(report.findings, "verify-down-data-loss").map(
      (f) => `${f.file}:${f.line} ${f.message}`,
    );
    expect(loss).toEqual([
      "db/migrations/002_drop_email.sql:1 the up drops column public.users.email, which held 50 non-null values; the down re-creates it empty, so rolling back does not bring the data back",
      "db/migrations/003_created.down.sql:2 the down drops column public.users.created, which existed before this migration (50 non-null values); rolling back deletes data the up did not create",
    ]);
  });

  it("reports a missing down as a warning, and as an error with migrations.requireDown or --require-down", async () => {
    const files = { "db/migrations/001_users.sql": users };
    const plain = await verify(project(files));
    expect(only(plain.report.findings, "verify-down-missing")).toEqual([
      expect.objectContaining({
        severity: "warning",
        line: 1,
        message: "no down migration: expected 001_users.down.sql next to it",
      }),
    ]);
    expect(plain.failed).toBe(false);

    const configured = await verify(
      project({ ...files, "shipgate.yaml": "version: 1\nmigrations:\n  requireDown: true\n" }),
    );
    expect(only(configured.report.findings, "verify-down-missing")[0]?.severity).toBe("error");
    expect(configured.failed).toBe(true);

    const flagged = await verify(project(files), { requireDown: true });
    expect(only(flagged.report.findings, "verify-down-missing")[0]?.severity).toBe("error");

    // The target environment's setting wins over migrations.requireDown.
    const perEnvironment = project({
      ...files,
      "shipgate.yaml": "version: 1\nenvironments:\n  production:\n    requireDown: true\n  staging: {}\n",
    });
    const production = await verify(perEnvironment, { environment: "production" });
    expect(only(production.report.findings, "verify-down-missing")[0]?.severity).toBe("error");
    const staging = await verify(perEnvironment, { environment: "staging" });
    expect(only(staging.report.findings, "verify-down-missing")[0]?.severity).toBe("warning");
    await expect(verify(perEnvironment, { environment: "prod" })).rejects.toThrow(
      'environment "prod" is not declared',
    );
  });

  it("finds dbmate down sections and keeps their line numbers", async () => {
    const dir = project({
      "db/migrations/20240101000000_users.sql": `-- migrate:up
${users}
-- migrate:down
DROP TABLE users;
CREATE TABLE leftover (id int);
`,
    });
    const { report, trace, framework } = await verify(dir);
    expect(framework).toBe("dbmate");
    const down = trace.files[0]?.down;
    expect(down).toMatchObject({ convention: "dbmate-section", status: "differs" });
    expect(down?.statements.map((s) => s.line)).toEqual([6, 7]);
    expect(only(report.findings, "verify-down-mismatch")[0]).toMatchObject({
      file: "db/migrations/20240101000000_users.sql",
      line: 6,
    });
    expect(only(report.findings, "verify-down-mismatch")[0]?.message).toContain(
      "table public.leftover is extra after the down",
    );
  });
});

describe("migrations verify: approvals and settings", () => {
  it("applies inline shipgate:allow to verify findings, and migrations.rules settings", async () => {
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_rule.sql":
        "-- shipgate:allow verify-lock reason: users is read-only during the deploy\nCREATE RULE users_no_delete AS ON DELETE TO users DO INSTEAD NOTHING;\n",
      "shipgate.yaml": 'version: 1\nmigrations:\n  rules:\n    verify-down-missing: "off"\n',
    });
    const { report } = await verify(dir);
    expect(only(report.findings, "verify-lock")[0]?.suppression).toEqual({
      kind: "inline",
      reason: "users is read-only during the deploy",
    });
    expect(only(report.findings, "invalid-ignore")).toEqual([]);
    expect(only(report.findings, "verify-down-missing")).toEqual([]);
  });
});

describe("migrations verify --database-url (shadow database)", () => {
  it("treats files in shipgate.schema_migrations as applied, runs the rest and commits nothing", async () => {
    const url = await server.freshDatabase("shadow");
    await server.sql(url, users);
    await server.sql(
      url,
      `CREATE SCHEMA shipgate; CREATE TABLE shipgate.schema_migrations (name text PRIMARY KEY, checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL, duration_ms integer NOT NULL,
        backup_id text, tool_version text NOT NULL);
       INSERT INTO shipgate.schema_migrations (name, checksum, applied_by, duration_ms, tool_version)
       VALUES ('db/migrations/001_users.sql', 'x', 'ci', 1, '0.1.0');`,
    );
    const dir = project({
      "db/migrations/001_users.sql": users,
      "db/migrations/002_more.sql":
        "ALTER TABLE users ADD COLUMN token float DEFAULT random();\nINSERT INTO users (id, email) VALUES (1000, 'new@example.com');\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nBEGIN;\nUPDATE users SET email = lower(email);\nCOMMIT;\nVACUUM users;\n",
    });
    const snapshot = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return {
          catalog: await snapshotCatalog(c),
          rows: (await c.query("SELECT count(*)::int AS n, max(email) AS m FROM users")).rows[0],
          history: (await c.query("SELECT name FROM shipgate.schema_migrations")).rows,
        };
      } finally {
        await c.end();
      }
    };
    const before = await snapshot();
    const { report, trace } = await verify(dir, { databaseUrl: url });
    expect(trace.server.kind).toBe("database");
    expect(trace.mode).toBe("rollback");
    expect(trace.applied).toEqual(["db/migrations/001_users.sql"]);
    expect(trace.files.map((f) => f.path)).toEqual(["db/migrations/002_more.sql"]);
    const statements = trace.files[0]?.statements ?? [];
    expect(statements[0]?.rewrites).toEqual([{ relation: "public.users", existing: true }]);
    expect(statements[1]?.rowCount).toBe(1);
    expect(statements[2]).toMatchObject({
      ranAs: "without-concurrently",
      created: ["index public.users_email"],
    });
    expect(statements[3]).toMatchObject({
      ranAs: "mapped",
      note: expect.stringMatching(/^BEGIN ran as SAVEPOINT/),
    });
    expect(statements[4]?.rowCount).toBe(51);
    expect(statements[6]).toMatchObject({ status: "skipped", ranAs: "not-run" });
    expect(only(report.findings, "verify-not-executed").map((f) => [f.line, f.severity, f.message])).toEqual([
      [
        3,
        "info",
        "executed without CONCURRENTLY inside verify's rollback-only transaction, so its lock was not observed",
      ],
      [7, "info", "not executed: VACUUM cannot run inside verify's rollback-only transaction"],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it("commits and records the migrations with --commit, so the next run has nothing pending", async () => {
    const url = await server.freshDatabase("shadow");
    const dir = project({ "db/migrations/001_users.sql": users });
    const first = await verify(dir, { databaseUrl: url, commit: true });
    expect(first.trace).toMatchObject({ mode: "apply", committed: true });
    const history = await server.sql(url, "SELECT name, applied_by FROM shipgate.schema_migrations");
    expect(history.rows).toEqual([
      { name: "db/migrations/001_users.sql", applied_by: "shipgate migrations verify --commit" },
    ]);
    expect((await server.sql(url, "SELECT count(*)::int AS n FROM users")).rows[0].n).toBe(50);
    const second = await verify(dir, { databaseUrl: url });
    expect(second.trace.files).toEqual([]);
    expect(second.trace.applied).toEqual(["db/migrations/001_users.sql"]);
  });

  it("refuses --commit without a database URL", async () => {
    await expect(verify(project({ "db/migrations/001.sql": users }), { commit: true })).rejects.toMatchObject(
      {
        code: "USAGE",
        message: "--commit needs --database-url",
      },
    );
  });
});
