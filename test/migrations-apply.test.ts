/**
 * `migrations apply | status` against a real Postgres (one server for the file, a fresh database
 * per test): transactions per file, failures that leave the database intact, lock timeouts with
 * retries, the dry run, the lint gate, edited files, the migration lock and --command.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { type MigrationsApplyOptions, runMigrationsApply } from "../src/cli/commands/migrations-apply.js";
import { runMigrationsStatus } from "../src/cli/commands/migrations-status.js";
import type { ApplyEvent } from "../src/migrations/apply/index.js";
import { migrationLockKey } from "../src/pg/advisory-lock.js";
import { usePostgres } from "./support/postgres.js";

const server = usePostgres();

function project(files: Record<string, string>, config = "version: 1\nmigrations:\n  paths: [db]\n"): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-apply-"));
  writeFileSync(join(dir, "shipgate.yaml"), config);
  mkdirSync(join(dir, "db"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "db", name), text);
  return dir;
}

function apply(dir: string, url: string, extra: Partial<MigrationsApplyOptions> = {}) {
  return runMigrationsApply({ cwd: dir, env: {}, databaseUrl: url, ...extra });
}

async function history(url: string): Promise<string[]> {
  const exists = await server.sql(url, "SELECT to_regclass('shipgate.schema_migrations') IS NOT NULL AS e");
  if (!exists.rows[0].e) return [];
  const r = await server.sql(url, "SELECT name FROM shipgate.schema_migrations ORDER BY name");
  return r.rows.map((x: { name: string }) => x.name);
}

/** Columns, constraints and indexes of the public schema, and every relation's name. */
async function catalogSnapshot(url: string): Promise<string> {
  const r = await server.sql(
    url,
    `SELECT json_build_object(
       'relations', (SELECT json_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text ORDER BY n.nspname, c.relname)
                       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
       'columns', (SELECT json_agg(table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') ORDER BY table_name, ordinal_position)
                     FROM information_schema.columns WHERE table_schema = 'public'),
       'constraints', (SELECT json_agg(conname || ' ' || pg_get_constraintdef(oid) ORDER BY conname)
                         FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
       'indexes', (SELECT json_agg(indexdef ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public')
     )::text AS s`,
  );
  return r.rows[0].s as string;
}

async function rowsOf(url: string, table: string): Promise<string> {
  const r = await server.sql(
    url,
    `SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') AS s FROM ${table} t`,
  );
  return r.rows[0].s as string;
}

describe("migrations apply", () => {
  it("applies pending files in order, a transaction per file where possible, each recorded once", async () => {
    const url = await server.freshDatabase();
    const dir = project({
      "001_items.sql":
        "CREATE TABLE items (id bigint PRIMARY KEY, name text);\nINSERT INTO items VALUES (1, 'a'), (2, 'b');\n",
      "002_index.sql": "CREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n",
      "003_price.sql": "ALTER TABLE items ADD COLUMN price numeric;\n",
    });
    const events: ApplyEvent[] = [];
    const { result, failed } = await apply(dir, url, { onEvent: (e) => events.push(e) });
    expect(failed).toBe(false);
    expect(result.status).toBe("applied");
    expect(result.outcomes.map((o) => [o.name, o.mode, o.status])).toEqual([
      ["db/001_items.sql", "transaction", "applied"],
      ["db/002_index.sql", "autocommit", "applied"],
      ["db/003_price.sql", "transaction", "applied"],
    ]);
    expect(result.plan[1]?.modeReason).toContain("CREATE INDEX CONCURRENTLY");
    expect(await history(url)).toEqual(["db/001_items.sql", "db/002_index.sql", "db/003_price.sql"]);
    const idx = await server.sql(
      url,
      "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass",
    );
    expect(idx.rows[0].indisvalid).toBe(true);
    expect(events.filter((e) => e.type === "file-start").length).toBe(3);
    // Nothing existed before the run, so there was nothing to back up.
    expect(result.backup).toBeNull();

    const again = await apply(dir, url);
    expect(again.result.status).toBe("up-to-date");
    expect(await history(url)).toHaveLength(3);
  });

  it("a failing migration in a transaction leaves the catalog and the data as they were, and names the backup", async () => {
    const url = await server.freshDatabase();
    const dir = project({
      "001_accounts.sql":
        "CREATE TABLE accounts (id int PRIMARY KEY, name text);\nINSERT INTO accounts VALUES (1, 'ann'), (2, 'bob'), (3, 'cy');\n",
    });
    expect((await apply(dir, url)).result.status).toBe("applied");
    const catalogBefore = await catalogSnapshot(url);
    const rowsBefore = await rowsOf(url, "accounts");

    writeFileSync(
      join(dir, "db/002_broken.sql"),
      [
        "CREATE TABLE audit_log (id bigint, note text);",
        "ALTER TABLE accounts ADD COLUMN email text;",
        "INSERT INTO accounts (id, name) VALUES (4, 'dee');",
        "INSERT INTO accounts (id, name) VALUES (1, 'duplicate');",
        "",
      ].join("\n"),
    );
    const { result, failed } = await apply(dir, url);
    expect(failed).toBe(true);
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("MIGRATION_FAILED");
    expect(result.error?.exitCode).toBe(1);
    expect(result.error?.message).toContain("db/002_broken.sql failed at line 4");
    expect(result.error?.message).toContain("SQLSTATE 23505");
    expect(result.error?.details.join("\n")).toContain(
      "it was rolled back, the database is as it was before it",
    );
    const backupId = result.backup?.id as string;
    expect(backupId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(result.error?.hint).toContain(`shipgate migrations restore ${backupId}`);
    expect(result.outcomes[0]).toMatchObject({
      status: "failed",
      ran: [],
      rolledBack: [0, 1, 2],
      notRun: [],
    });

    expect(await catalogSnapshot(url)).toBe(catalogBefore);
    expect(await rowsOf(url, "accounts")).toBe(rowsBefore);
    const audit = await server.sql(url, "SELECT to_regclass('public.audit_log') AS r");
    expect(audit.rows[0].r).toBeNull();
    expect(await history(url)).toEqual(["db/001_accounts.sql"]);
  });

  it("a failing non-transactional migration reports exactly which statements ran", async () => {
    const url = await server.freshDatabase();
    const dir = project({
      "001_t.sql": "CREATE TABLE t (id int, v text);\nINSERT INTO t VALUES (1, 'x');\n",
    });
    await apply(dir, url);
    writeFileSync(
      join(dir, "db/002_indexes.sql"),
      [
        "CREATE INDEX CONCURRENTLY t_v_idx ON t (v);",
        "CREATE INDEX CONCURRENTLY t_missing_idx ON t (no_such_column);",
        "CREATE INDEX CONCURRENTLY t_id_idx ON t (id);",
        "",
      ].join("\n"),
    );
    const { result } = await apply(dir, url);
    expect(result.status).toBe("failed");
    expect(result.outcomes[0]).toMatchObject({ mode: "autocommit", ran: [0], rolledBack: [], notRun: [2] });
    const details = result.error?.details.join("\n") ?? "";
    expect(details).toContain("ran (committed): line 1: CREATE INDEX CONCURRENTLY t_v_idx ON t (v)");
    expect(details).toContain("failed: line 2: CREATE INDEX CONCURRENTLY t_missing_idx");
    expect(details).toContain("not run: line 3: CREATE INDEX CONCURRENTLY t_id_idx ON t (id)");
    expect(result.error?.message).toContain("42703");
    expect(result.error?.hint).toContain("safe to re-run");
    const indexes = await server.sql(
      url,
      "SELECT indexname FROM pg_indexes WHERE tablename = 't' ORDER BY 1",
    );
    expect(indexes.rows.map((r: { indexname: string }) => r.indexname)).toEqual(["t_v_idx"]);
    expect(await history(url)).toEqual(["db/001_t.sql"]);
  });

  it("follows explicit BEGIN/COMMIT blocks in autocommit files: a failure rolls back only its block", async () => {
    const url = await server.freshDatabase();
    const dir = project({
      "001.sql": [
        "CREATE TABLE a (id int);",
        "BEGIN;",
        "CREATE TABLE b (id int);",
        "SELECT 1/0;",
        "COMMIT;",
        "",
      ].join("\n"),
    });
    const { result } = await apply(dir, url);
    expect(result.outcomes[0]).toMatchObject({
      mode: "autocommit",
      ran: [0],
      rolledBack: [1, 2],
      notRun: [4],
    });
    const r = await server.sql(
      url,
      "SELECT to_regclass('a') IS NOT NULL AS a, to_regclass('b') IS NOT NULL AS b",
    );
    expect(r.rows[0]).toEqual({ a: true, b: false });
  });

  it("retries a lock timeout with backoff while another session holds ACCESS EXCLUSIVE, then succeeds", async () => {
    const url = await server.freshDatabase();
    const dir = project({ "001.sql": "CREATE TABLE busy (id int);\n" });
    await apply(dir, url);
    writeFileSync(join(dir, "db/002_seed.sql"), "INSERT INTO busy (id) VALUES (42);\n");

    const blocker = new pg.Client({ connectionString: url, application_name: "long report" });
    blocker.on("error", () => {});
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE");
    const blockerPid = (await blocker.query("SELECT pg_backend_pid() AS p")).rows[0].p as number;
    const retries: Extract<ApplyEvent, { type: "retry" }>[] = [];
    try {
      const { result } = await apply(dir, url, {
        lockTimeout: "150ms",
        lockRetries: "4",
        lockRetryDelay: "50ms",
        onEvent: (e) => {
          if (e.type !== "retry") return;
          retries.push(e);
          // The other session finishes after the second timeout.
          if (e.attempt === 2) void blocker.query("COMMIT");
        },
      });
      expect(result.status).toBe("applied");
      expect(retries.map((r) => [r.attempt, r.delayMs, r.line, r.file])).toEqual([
        [1, 50, 1, "db/002_seed.sql"],
        [2, 100, 1, "db/002_seed.sql"],
      ]);
      expect(retries[0]?.blockers.join(" ")).toContain(
        `pid ${blockerPid} (long report, idle in transaction)`,
      );
      expect(retries[0]?.blockers.join(" ")).toContain("AccessExclusiveLock on busy");
      expect(result.outcomes[0]).toMatchObject({ status: "applied", attempts: 3 });
      expect((await server.sql(url, "SELECT count(*)::int AS n FROM busy")).rows[0].n).toBe(1);
    } finally {
      await blocker.end();
    }
  });

  it("fails cleanly after the last retry when the lock is never released", async () => {
    const url = await server.freshDatabase();
    const dir = project({ "001.sql": "CREATE TABLE held (id int);\n" });
    await apply(dir, url);
    writeFileSync(join(dir, "db/002_seed.sql"), "INSERT INTO held (id) VALUES (1);\n");
    const blocker = new pg.Client({ connectionString: url });
    blocker.on("error", () => {});
    await blocker.connect();
    await blocker.query("BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
    try {
      const { result } = await apply(dir, url, {
        lockTimeout: "100ms",
        lockRetries: "2",
        lockRetryDelay: "20ms",
      });
      expect(result.status).toBe("failed");
      expect(result.error?.message).toContain("SQLSTATE 55P03");
      expect(result.error?.hint).toContain("lock_timeout (100ms), 3 times");
      expect(result.outcomes[0]?.retries.map((r) => r.delayMs)).toEqual([20, 40]);
      expect(result.error?.details.some((d) => d.startsWith("lock timeout at line 1 (attempt 2)"))).toBe(
        true,
      );
    } finally {
      await blocker.end();
    }
    expect(await history(url)).toEqual(["db/001.sql"]);
    expect((await server.sql(url, "SELECT count(*)::int AS n FROM held")).rows[0].n).toBe(0);
  });

  it("retries the backup too when a table to back up is locked, and applies once the lock is gone", async () => {
    const url = await server.freshDatabase();
    const dir = project({ "001.sql": "CREATE TABLE locked (id int);\nINSERT INTO locked VALUES (1);\n" });
    await apply(dir, url);
    writeFileSync(join(dir, "db/002_add.sql"), "ALTER TABLE locked ADD COLUMN note text;\n");
    const blocker = new pg.Client({ connectionString: url });
    blocker.on("error", () => {});
    await blocker.connect();
    await blocker.query("BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE");
    const events: ApplyEvent[] = [];
    try {
      const { result } = await apply(dir, url, {
        lockTimeout: "100ms",
        lockRetryDelay: "20ms",
        onEvent: (e) => {
          events.push(e);
          if (e.type === "backup-retry" && e.attempt === 1) void blocker.query("COMMIT");
        },
      });
      expect(result.status).toBe("applied");
      expect(events.filter((e) => e.type === "backup-retry").length).toBe(1);
      expect(result.backup?.tables).toMatchObject([{ name: "public.locked", rows: 1 }]);
    } finally {
      await blocker.end();
    }
  });

  it("--dry-run prints the plan and touches nothing: no history table, no backup directory, same catalog", async () => {
    const url = await server.freshDatabase();
    await server.sql(
      url,
      "CREATE TABLE customers (id bigint PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'a');",
    );
    const dir = project({
      "001_add.sql": "ALTER TABLE customers ADD COLUMN email text;\n",
      "002_new.sql":
        "CREATE TABLE notes (id bigint);\nCREATE INDEX CONCURRENTLY customers_name_idx ON customers (name);\n",
    });
    const before = await catalogSnapshot(url);
    const { result, failed } = await apply(dir, url, { dryRun: true });
    expect(failed).toBe(false);
    expect(result.status).toBe("planned");
    expect(result.lock).toBeNull();
    expect(result.plan.map((p) => [p.name, p.mode])).toEqual([
      ["db/001_add.sql", "transaction"],
      ["db/002_new.sql", "autocommit"],
    ]);
    expect(result.plan[0]?.statements[0]?.locks).toEqual([
      { relation: "public.customers", mode: "ACCESS EXCLUSIVE", existing: true },
    ]);
    expect(result.plan[1]?.statements[1]?.locks[0]).toMatchObject({ mode: "SHARE UPDATE EXCLUSIVE" });
    expect(result.backupCandidates).toEqual([{ name: "public.customers", included: true }]);

    expect(await catalogSnapshot(url)).toBe(before);
    const schema = await server.sql(url, "SELECT 1 FROM pg_namespace WHERE nspname = 'shipgate'");
    expect(schema.rowCount).toBe(0);
    expect(existsSync(join(dir, ".shipgate"))).toBe(false);
  });

  it("refuses unapproved destructive statements; an inline approval lets them through after a backup", async () => {
    const url = await server.freshDatabase();
    const dir = project({
      "001.sql": "CREATE TABLE old_sessions (id int);\nINSERT INTO old_sessions VALUES (1);\n",
    });
    await apply(dir, url);
    writeFileSync(join(dir, "db/002_drop.sql"), "DROP TABLE old_sessions;\n");
    const refused = await apply(dir, url);
    expect(refused.result.status).toBe("refused");
    expect(refused.result.error?.code).toBe("MIGRATION_FAILED");
    expect(refused.result.error?.details.join("\n")).toContain("db/002_drop.sql:1: ban-drop-table");
    expect(refused.result.error?.hint).toContain("-- shipgate:allow");
    expect(refused.result.backup).toBeNull();
    expect(existsSync(join(dir, ".shipgate"))).toBe(false);
    expect((await server.sql(url, "SELECT to_regclass('old_sessions') AS r")).rows[0].r).not.toBeNull();

    writeFileSync(
      join(dir, "db/002_drop.sql"),
      "-- shipgate:allow ban-drop-table reason: replaced by sessions in v12\nDROP TABLE old_sessions;\n",
    );
    const { result } = await apply(dir, url);
    expect(result.status).toBe("applied");
    expect(result.findings.find((f) => f.ruleId === "ban-drop-table")?.suppression?.kind).toBe("inline");
    expect(result.backup?.tables).toEqual([
      { name: "public.old_sessions", rows: 1, bytes: expect.any(Number) },
    ]);
    expect((await server.sql(url, "SELECT to_regclass('old_sessions') AS r")).rows[0].r).toBeNull();
  });

  it("refuses files with psql meta-commands, which only psql can run", async () => {
    const url = await server.freshDatabase();
    const dir = project({ "001.sql": "\\set ON_ERROR_STOP 1\nCREATE TABLE m (id int);\n" });
    const { result } = await apply(dir, url);
    expect(result.status).toBe("refused");
    expect(result.error?.details).toEqual(["db/001.sql: line 1"]);
    expect(result.error?.hint).toContain("--command");
    expect((await server.sql(url, "SELECT to_regclass('m') AS r")).rows[0].r).toBeNull();
  });

  it("honours approvals from shipgate.yaml", async () => {
    const url = await server.freshDatabase();
    const config = [
      "version: 1",
      "migrations:",
      "  paths: [db]",
      "  approvals:",
      "    - rule: ban-truncate",
      "      file: db/002_truncate.sql",
      "      reason: staging data only",
      "",
    ].join("\n");
    const dir = project(
      { "001.sql": "CREATE TABLE scratch (id int);\n", "002_truncate.sql": "TRUNCATE scratch;\n" },
      config,
    );
    await server.sql(url, "SELECT 1");
    const { result } = await apply(dir, url);
    expect(result.status).toBe("applied");
    expect(result.findings.find((f) => f.ruleId === "ban-truncate")?.suppression).toEqual({
      kind: "config",
      reason: "staging data only",
    });
  });

  it("apply and status report an applied file that was edited afterwards", async () => {
    const url = await server.freshDatabase();
    const dir = project({ "001.sql": "CREATE TABLE e (id int);\n" });
    await apply(dir, url);
    writeFileSync(join(dir, "db/001.sql"), "CREATE TABLE e (id bigint);\n");
    writeFileSync(join(dir, "db/002.sql"), "CREATE TABLE f (id int);\n");

    const status = await runMigrationsStatus({ cwd: dir, env: {}, databaseUrl: url });
    expect(status.failed).toBe(true);
    expect(status.applied.map((a) => [a.name, a.state])).toEqual([["db/001.sql", "edited"]]);
    expect(status.pending.map((p) => p.name)).toEqual(["db/002.sql"]);

    const { result } = await apply(dir, url);
    expect(result.status).toBe("refused");
    expect(result.error?.message).toContain("edited after being applied");
    expect(result.error?.hint).toContain("UPDATE shipgate.schema_migrations SET checksum = '");
    expect(await history(url)).toEqual(["db/001.sql"]);
  });

  it("status lists applied and pending files, and reads the URL from SHIPGATE_DATABASE_URL", async () => {
    const url = await server.freshDatabase();
    const dir = project({ "001.sql": "CREATE TABLE s (id int);\n" });
    const empty = await runMigrationsStatus({ cwd: dir, env: { SHIPGATE_DATABASE_URL: url } });
    expect(empty).toMatchObject({
      applied: [],
      pending: [{ name: "db/001.sql", path: "db/001.sql" }],
      failed: false,
    });
    await apply(dir, url);
    const status = await runMigrationsStatus({ cwd: dir, env: { SHIPGATE_DATABASE_URL: url } });
    expect(status.applied).toMatchObject([{ name: "db/001.sql", state: "ok", path: "db/001.sql" }]);
    expect(status.pending).toEqual([]);
    expect(status.database).toContain(":***@");
  });

  it("waits for the migration lock while another run holds it, then fails with LOCKED naming the holder", async () => {
    const url = await server.freshDatabase();
    const dir = project({ "001.sql": "CREATE TABLE l (id int);\n" });
    const holder = new pg.Client({ connectionString: url, application_name: "deploy #41" });
    holder.on("error", () => {});
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock($1::bigint)", [migrationLockKey]);
    const waits: ApplyEvent[] = [];
    try {
      const error = await apply(dir, url, {
        lockWait: "400ms",
        lockPollMs: 50,
        onEvent: (e) => waits.push(e),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "LOCKED", exitCode: 1 });
      expect((error as Error).message).toContain('"deploy #41"');
      expect((error as { hint: string }).hint).toContain("--lock-wait");
      expect(waits.filter((e) => e.type === "lock-wait").length).toBeGreaterThan(2);

      // Released while the next run waits: it proceeds.
      setTimeout(() => void holder.query("SELECT pg_advisory_unlock($1::bigint)", [migrationLockKey]), 300);
      const { result } = await apply(dir, url, { lockWait: "10s", lockPollMs: 50 });
      expect(result.status).toBe("applied");
      expect(result.lock?.waitedMs).toBeGreaterThanOrEqual(250);
    } finally {
      await holder.end();
    }
    expect(await history(url)).toEqual(["db/001.sql"]);
  });

  it("--command delegates to the framework's runner, passes the timeouts in PGOPTIONS, and records the files", async () => {
    const url = await server.freshDatabase();
    const dir = project({
      "001.sql": "CREATE TABLE r (id int);\n",
      "002.sql": "ALTER TABLE r ADD COLUMN v text;\n",
    });
    const runner = join(import.meta.dirname, "fixtures/apply/runner.mjs");
    const output = new PassThrough();
    let printed = "";
    output.on("data", (c: Buffer) => {
      printed += c.toString();
    });
    const { result } = await apply(dir, url, {
      command: `"${process.execPath}" "${runner}" db`,
      env: { ...process.env, DATABASE_URL: url, PGOPTIONS: "" },
      commandOutput: output,
      lockTimeout: "3s",
    });
    expect(result.status).toBe("applied");
    expect(printed).toContain("runner: lock_timeout=3s statement_timeout=15min");
    expect(await history(url)).toEqual(["db/001.sql", "db/002.sql"]);

    writeFileSync(join(dir, "db/003.sql"), "CREATE TABLE r3 (id int);\n");
    const failing = await apply(dir, url, {
      command: `"${process.execPath}" "${runner}" db --fail`,
      env: { ...process.env, DATABASE_URL: url, PGOPTIONS: "" },
      commandOutput: output,
    });
    expect(failing.result.status).toBe("failed");
    expect(failing.result.error?.message).toContain("exited with code 3");
    expect(failing.result.error?.details[0]).toContain("recorded none of the pending files");
    expect(await history(url)).toEqual(["db/001.sql", "db/002.sql"]);
  });

  it("needs a database URL, and never shows its password in connection errors", async () => {
    const dir = project({ "001.sql": "SELECT 1;\n" });
    await expect(runMigrationsApply({ cwd: dir, env: {} })).rejects.toMatchObject({ code: "USAGE" });
    const bad = server.url.replace(/\/postgres$/, "/no_such_db").replace(":shipgate@", ":Sup3r-Secret@");
    const error = (await apply(dir, bad).catch((e: unknown) => e)) as Error & { code: string; hint: string };
    expect(error.code).toBe("DATABASE_FAILED");
    expect(`${error.message} ${error.hint}`).not.toContain("Sup3r-Secret");
    expect(error.message).toContain(":***@");
  });
});
