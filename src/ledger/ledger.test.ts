/**
 * The contract suite against all three adapters, and what only Postgres does: concurrent lock
 * attempts from several pools, concurrent schema creation, and errors that never show the password.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { usePostgres } from "../../test/support/postgres.js";
import { freePort } from "../pg/throwaway.js";
import { auditHash } from "./audit-chain.js";
import {
  appendAuditEvents,
  at,
  createFlagChange,
  describeLedgerContract,
  sampleAnalysis,
  sampleApiToken,
  sampleAuditEvent,
  sampleDeploy,
  sampleFlagAudit,
  sampleFlagState,
  sampleGateReport,
  sampleNotification,
} from "./contract.js";
import { createMemoryLedger } from "./memory.js";
import { createPostgresLedger } from "./postgres.js";
import { postgresMigrations } from "./postgres-migrations.js";
import { createSqliteLedger } from "./sqlite.js";
import type { AuditRecord, LedgerStore } from "./types.js";

const postgres = usePostgres();

describeLedgerContract("memory", async () => ({ store: createMemoryLedger(), cleanup: async () => {} }));

describeLedgerContract("sqlite", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "shipgate-ledger-"));
  const store = await createSqliteLedger(path.join(dir, "ledger.db"));
  return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describeLedgerContract("postgres", async () => {
  const store = await createPostgresLedger(await postgres.freshDatabase("ledger"));
  return { store, cleanup: async () => {} };
});

const lockRequest = (holder: string) => ({
  environment: "production",
  holder,
  deployId: null,
  hostname: "runner",
  pid: 1,
});

/** Opens stores and closes them all, even when the test fails. */
async function withStores<T>(urls: string[], use: (stores: LedgerStore[]) => Promise<T>): Promise<T> {
  const stores: LedgerStore[] = [];
  try {
    for (const url of urls) stores.push(await createPostgresLedger(url));
    return await use(stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

describe("postgres ledger", () => {
  it("20 concurrent attempts from two pools on one database: exactly one acquires the lock", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url, url], async ([a, b]) => {
      if (!a || !b) throw new Error("two stores expected");
      const attempts = Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).acquireLock(lockRequest(`holder-${i}`), { now: at(0), staleAfterMs: 60_000 }),
      );
      const results = await Promise.all(attempts);
      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const winner = winners[0]?.acquired ? winners[0].lock.holder : "";
      for (const r of results) if (!r.acquired) expect(r.heldBy.holder).toBe(winner);
      expect((await a.getLock("production"))?.holder).toBe(winner);
    });
  });

  it("20 concurrent attempts to replace one stale lock: exactly one replaces it", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url, url], async ([a, b]) => {
      if (!a || !b) throw new Error("two stores expected");
      await a.acquireLock(lockRequest("crashed"), { now: at(0), staleAfterMs: 60_000 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? a : b).acquireLock(lockRequest(`holder-${i}`), {
            now: at(120),
            staleAfterMs: 60_000,
          }),
        ),
      );
      expect(results.filter((r) => r.acquired)).toHaveLength(1);
      const holder = (await b.getLock("production"))?.holder;
      expect(holder).toMatch(/^holder-/);
      for (const r of results) if (!r.acquired) expect(r.heldBy.holder).toBe(holder);
    });
  });

  it("30 concurrent flag changes from two pools on one database: the revision counts every one, every audit row lands", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url, url], async ([a, b]) => {
      if (!a || !b) throw new Error("two stores expected");
      await a.applyFlagChange(createFlagChange());
      const revisions = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? a : b).applyFlagChange({
            state: sampleFlagState({ rollout: i }),
            audit: sampleFlagAudit({ id: `fa-${i}`, environment: "production", action: "rollout" }),
          }),
        ),
      );
      expect([...revisions].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
      expect(await b.flagRevision()).toBe(31);
      expect(await a.listFlagAudit("new-checkout", 100)).toHaveLength(31);
    });
  });

  it("two pools appending 30 audit events at once: seq 1..30, one valid chain", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url, url], async ([a, b]) => {
      if (!a || !b) throw new Error("two stores expected");
      const appended = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? a : b).appendAudit(
            sampleAuditEvent({ actor: `actor-${i}`, after: { i }, at: at(i) }),
          ),
        ),
      );
      expect(appended.map((r) => r.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      const listed = await b.listAudit();
      expect(listed.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(new Set(listed.map((r) => r.actor)).size).toBe(30);
      expect(listed).toStrictEqual([...appended].sort((x, y) => x.seq - y.seq));
      expect(await a.verifyAudit()).toEqual({ ok: true, count: 30 });
    });
  });

  describe("a tampered audit row is detected", () => {
    /** A database with 10 audit rows; the append-only triggers disabled, as someone editing by hand would. */
    async function tamperable(): Promise<{ url: string; rows: AuditRecord[] }> {
      const url = await postgres.freshDatabase("ledger");
      const rows = await withStores([url], async ([store]) => {
        if (!store) throw new Error("a store expected");
        return appendAuditEvents(store, 10);
      });
      await postgres.sql(url, "ALTER TABLE shipgate.ledger_audit DISABLE TRIGGER USER");
      return { url, rows };
    }
    const verify = (url: string) => withStores([url], async ([store]) => store?.verifyAudit());

    it("the triggers refuse UPDATE, DELETE and TRUNCATE of audit rows in SQL", async () => {
      const url = await postgres.freshDatabase("ledger");
      await withStores([url], async ([store]) => {
        if (store) await appendAuditEvents(store, 2);
      });
      for (const sql of [
        "UPDATE shipgate.ledger_audit SET actor = 'eve' WHERE seq = 1",
        "DELETE FROM shipgate.ledger_audit WHERE seq = 2",
        "TRUNCATE shipgate.ledger_audit",
      ]) {
        await expect(postgres.sql(url, sql)).rejects.toThrow(/the audit log is append-only/);
      }
      expect(await verify(url)).toEqual({ ok: true, count: 2 });
    });

    it("after of row 5 changed in SQL: brokenAt 5, the row was changed", async () => {
      const { url } = await tamperable();
      await postgres.sql(url, `UPDATE shipgate.ledger_audit SET after = '{"rollout": 100}' WHERE seq = 5`);
      expect(await verify(url)).toEqual({
        ok: false,
        count: 4,
        brokenAt: 5,
        reason: "row 5: its hash does not match its content — the row was changed",
      });
    });

    it("row 6 deleted in SQL: the gap is reported", async () => {
      const { url } = await tamperable();
      await postgres.sql(url, "DELETE FROM shipgate.ledger_audit WHERE seq = 6");
      expect(await verify(url)).toEqual({ ok: false, count: 5, brokenAt: 6, reason: "seq 6 is missing" });
    });

    it("row 5 changed with its hash recomputed in SQL: row 6's prevHash mismatch is reported", async () => {
      const { url, rows } = await tamperable();
      const changed = { ...(rows[4] as AuditRecord), after: { rollout: 100 } };
      await postgres.sql(url, "UPDATE shipgate.ledger_audit SET after = $1::jsonb, hash = $2 WHERE seq = 5", [
        JSON.stringify(changed.after),
        auditHash(changed),
      ]);
      expect(await verify(url)).toEqual({
        ok: false,
        count: 5,
        brokenAt: 6,
        reason: "row 6: prevHash does not match row 5",
      });
    });

    it("the last rows deleted in SQL: the chain head still records them", async () => {
      const { url } = await tamperable();
      await postgres.sql(url, "DELETE FROM shipgate.ledger_audit WHERE seq > 8");
      expect(await verify(url)).toMatchObject({
        ok: false,
        count: 8,
        brokenAt: 9,
        reason: expect.stringContaining("rows were removed from the end"),
      });
    });
  });

  it("a ledger at schema version 4 is upgraded to 5 in place, keeping its audit chain, and then stores gate reports", async () => {
    const url = await postgres.freshDatabase("ledger");
    const migrations = postgresMigrations("shipgate").filter((m) => m.version <= 4);
    if (migrations.length !== 4) throw new Error("migrations 1 to 4 expected");
    await postgres.sql(
      url,
      `CREATE SCHEMA shipgate;
       CREATE TABLE shipgate.ledger_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now());
       ${migrations.map((m) => m.sql).join("\n")}
       INSERT INTO shipgate.ledger_schema_migrations (version, name) VALUES (1, 'v1'), (2, 'v2'), (3, 'v3'), (4, 'v4');`,
    );
    // What shipgate at schema 4 left behind: an audit chain, written as it wrote it.
    const memory = createMemoryLedger();
    const records = await appendAuditEvents(memory, 3);
    await memory.close();
    for (const r of records) {
      await postgres.sql(
        url,
        `INSERT INTO shipgate.ledger_audit (seq, prev_hash, hash, actor, action, target, environment, source, before, after, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11)`,
        [
          r.seq,
          r.prevHash,
          r.hash,
          r.actor,
          r.action,
          r.target,
          r.environment,
          r.source,
          JSON.stringify(r.before),
          JSON.stringify(r.after),
          r.at,
        ],
      );
    }
    const last = records[records.length - 1] as AuditRecord;
    await postgres.sql(url, "UPDATE shipgate.ledger_audit_head SET seq = $1, hash = $2 WHERE id = 1", [
      last.seq,
      last.hash,
    ]);
    const sha = sampleGateReport().gitSha;
    await withStores([url, url], async ([store, other]) => {
      if (!store || !other) throw new Error("two stores expected");
      expect(await store.verifyAudit()).toEqual({ ok: true, count: 3 });
      expect(await store.listAudit()).toStrictEqual(records);
      await store.recordGateReport(sampleGateReport());
      expect(await other.latestGateReport(sha, "production")).toStrictEqual(sampleGateReport());
    });
    expect(
      (await postgres.sql(url, "SELECT version FROM shipgate.ledger_schema_migrations ORDER BY version"))
        .rows,
    ).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
    const stored = await postgres.sql(
      url,
      `SELECT pg_typeof(report)::text AS report, pg_typeof(passed)::text AS passed,
         pg_typeof(created_at)::text AS at, report->>'command' AS command FROM shipgate.ledger_gate_reports`,
    );
    expect(stored.rows[0]).toEqual({
      report: "jsonb",
      passed: "boolean",
      at: "timestamp with time zone",
      command: "check",
    });
    const index = await postgres.sql(
      url,
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'shipgate' AND indexname = 'ledger_gate_reports_by_sha'",
    );
    expect(index.rows[0]?.indexdef).toMatch(/\(git_sha, environment, created_at DESC, seq DESC\)/);
  });

  it("a ledger at schema version 3 is upgraded in place (to the latest), keeping its data, and then keeps an audit log", async () => {
    const url = await postgres.freshDatabase("ledger");
    const migrations = postgresMigrations("shipgate").filter((m) => m.version <= 3);
    if (migrations.length !== 3) throw new Error("migrations 1 to 3 expected");
    await postgres.sql(
      url,
      `CREATE SCHEMA shipgate;
       CREATE TABLE shipgate.ledger_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now());
       ${migrations.map((m) => m.sql).join("\n")}
       INSERT INTO shipgate.ledger_schema_migrations (version, name) VALUES (1, 'v1'), (2, 'v2'), (3, 'v3');
       UPDATE shipgate.ledger_flag_revision SET revision = 7 WHERE id = 1;`,
    );
    await withStores([url, url], async ([store, other]) => {
      if (!store || !other) throw new Error("two stores expected");
      expect(await store.flagRevision()).toBe(7);
      await appendAuditEvents(store, 3);
      expect(await other.verifyAudit()).toEqual({ ok: true, count: 3 });
    });
    expect(
      (await postgres.sql(url, "SELECT version FROM shipgate.ledger_schema_migrations ORDER BY version"))
        .rows,
    ).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
    const audit = await postgres.sql(
      url,
      `SELECT pg_typeof(after)::text AS after, pg_typeof(at)::text AS at, after->>'rollout' AS rollout
         FROM shipgate.ledger_audit WHERE seq = 2`,
    );
    expect(audit.rows[0]).toEqual({ after: "jsonb", at: "timestamp with time zone", rollout: "2" });
    const index = await postgres.sql(
      url,
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'shipgate' AND indexname = 'ledger_audit_by_target'",
    );
    expect(index.rows[0]?.indexdef).toMatch(/\(target, seq\)/);
  });

  it("a ledger at schema version 2 is upgraded in place (to the latest), keeping its data, and then holds flags and tokens", async () => {
    const url = await postgres.freshDatabase("ledger");
    const [v1, v2] = postgresMigrations("shipgate");
    if (v1?.version !== 1 || v2?.version !== 2) throw new Error("migrations 1 and 2 expected first");
    await postgres.sql(
      url,
      `CREATE SCHEMA shipgate;
       CREATE TABLE shipgate.ledger_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now());
       ${v1.sql}
       ${v2.sql}
       INSERT INTO shipgate.ledger_schema_migrations (version, name) VALUES (1, 'v1'), (2, 'v2');
       INSERT INTO shipgate.ledger_environments (environment, current_release_id, traffic, updated_at)
         VALUES ('production', 'r-1', '[{"releaseId": "r-1", "weight": 100}]', '2026-01-01T00:00:00Z');`,
    );
    await withStores([url, url], async ([store, other]) => {
      if (!store || !other) throw new Error("two stores expected");
      expect(await store.getEnvironmentState("production")).toMatchObject({ currentReleaseId: "r-1" });
      expect(await store.flagRevision()).toBe(0);
      expect(await store.applyFlagChange(createFlagChange())).toBe(1);
      expect(await other.flagRevision()).toBe(1);
      await store.saveApiToken(sampleApiToken());
      expect(await other.findApiTokenByHash(sampleApiToken().hash)).toEqual(sampleApiToken());
    });
    expect(
      (await postgres.sql(url, "SELECT version FROM shipgate.ledger_schema_migrations ORDER BY version"))
        .rows,
    ).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
  });

  it("stores flag JSON as jsonb, flags as booleans, and refuses a duplicate token hash in the table itself", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url], async ([store]) => {
      await store?.applyFlagChange(createFlagChange());
      await store?.saveApiToken(sampleApiToken());
    });
    const state = await postgres.sql(
      url,
      `SELECT pg_typeof(rules)::text AS rules, pg_typeof(enabled)::text AS enabled, variants->0->'payload'->>'color' AS color
         FROM shipgate.ledger_flag_states`,
    );
    expect(state.rows[0]).toEqual({ rules: "jsonb", enabled: "boolean", color: "blue" });
    const duplicate = postgres.sql(
      url,
      `INSERT INTO shipgate.ledger_api_tokens (id, hash, name, environment, scope, created_at, created_by)
         VALUES ('tok-2', $1, 'copy', 'production', 'sdk', now(), 'x')`,
      [sampleApiToken().hash],
    );
    await expect(duplicate).rejects.toMatchObject({ code: "23505" });
  });

  it("several processes opening a new database at once create the schema once", async () => {
    const url = await postgres.freshDatabase("ledger");
    const opened = await Promise.allSettled(Array.from({ length: 5 }, () => createPostgresLedger(url)));
    try {
      expect(opened.map((o) => o.status)).toEqual(Array(5).fill("fulfilled"));
    } finally {
      for (const o of opened) if (o.status === "fulfilled") await o.value.close();
    }
    const versions = await postgres.sql(url, "SELECT version FROM shipgate.ledger_schema_migrations");
    expect(versions.rows).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
      { version: 4 },
      { version: 5 },
    ]);
  });

  it("a ledger created at schema version 1 is upgraded in place, keeping its data, by processes opening it at once", async () => {
    const url = await postgres.freshDatabase("ledger");
    const [v1] = postgresMigrations("shipgate");
    if (v1?.version !== 1) throw new Error("migration 1 expected first");
    // What shipgate at schema version 1 left behind: its tables, its version row, some data.
    await postgres.sql(
      url,
      `CREATE SCHEMA shipgate;
       CREATE TABLE shipgate.ledger_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now());
       ${v1.sql}
       INSERT INTO shipgate.ledger_schema_migrations (version, name) VALUES (1, 'v1');
       INSERT INTO shipgate.ledger_environments (environment, current_release_id, traffic, updated_at)
         VALUES ('production', 'r-1', '[{"releaseId": "r-1", "weight": 100}]', '2026-01-01T00:00:00Z');`,
    );
    const opened = await Promise.allSettled(Array.from({ length: 3 }, () => createPostgresLedger(url)));
    try {
      expect(opened.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    } finally {
      for (const o of opened) if (o.status === "fulfilled") await o.value.close();
    }
    expect(
      (await postgres.sql(url, "SELECT version FROM shipgate.ledger_schema_migrations ORDER BY version"))
        .rows,
    ).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }]);
    await withStores([url], async ([store]) => {
      if (!store) throw new Error("a store expected");
      expect(await store.getEnvironmentState("production")).toEqual({
        environment: "production",
        currentReleaseId: "r-1",
        traffic: [{ releaseId: "r-1", weight: 100 }],
        updatedAt: at(0),
      });
      await store.saveAnalysis(sampleAnalysis());
      await store.recordNotification(sampleNotification());
      expect(await store.listAnalyses("d-1")).toEqual([sampleAnalysis()]);
      expect(await store.listNotifications("d-1")).toEqual([sampleNotification()]);
    });
  });

  it("keeps its tables beside migrations' shipgate.schema_migrations, prefixed ledger_", async () => {
    const url = await postgres.freshDatabase("ledger");
    await postgres.sql(
      url,
      "CREATE SCHEMA shipgate; CREATE TABLE shipgate.schema_migrations (name text PRIMARY KEY)",
    );
    await postgres.sql(url, "INSERT INTO shipgate.schema_migrations VALUES ('001.sql')");
    await withStores([url], async ([store]) => {
      await store?.createDeploy(sampleDeploy());
    });
    const tables = await postgres.sql(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'shipgate' ORDER BY table_name",
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      "ledger_analyses",
      "ledger_api_tokens",
      "ledger_approvals",
      "ledger_audit",
      "ledger_audit_head",
      "ledger_backups",
      "ledger_deploy_steps",
      "ledger_deploys",
      "ledger_environments",
      "ledger_flag_audit",
      "ledger_flag_evaluations",
      "ledger_flag_revision",
      "ledger_flag_states",
      "ledger_flags",
      "ledger_gate_reports",
      "ledger_locks",
      "ledger_notifications",
      "ledger_releases",
      "ledger_schema_migrations",
      "ledger_tags",
      "schema_migrations",
    ]);
    expect((await postgres.sql(url, "SELECT name FROM shipgate.schema_migrations")).rows).toEqual([
      { name: "001.sql" },
    ]);
  });

  it("stores JSON fields as jsonb and times as timestamptz", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url], async ([store]) => {
      await store?.createDeploy(sampleDeploy());
    });
    const row = await postgres.sql(
      url,
      "SELECT pg_typeof(plan)::text AS plan, pg_typeof(started_at)::text AS started, plan->0->>'type' AS first FROM shipgate.ledger_deploys",
    );
    expect(row.rows[0]).toEqual({
      plan: "jsonb",
      started: "timestamp with time zone",
      first: "start-instances",
    });
  });

  it("stores measurements as jsonb, ok as boolean, and indexes both new tables by deploy", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url], async ([store]) => {
      await store?.saveAnalysis(sampleAnalysis());
      await store?.recordNotification(sampleNotification({ ok: false, status: null }));
    });
    const analysis = await postgres.sql(
      url,
      "SELECT pg_typeof(measurements)::text AS m, measurements->0->'metrics'->'p99-latency'->>'canary' AS p99 FROM shipgate.ledger_analyses",
    );
    expect(analysis.rows[0]).toEqual({ m: "jsonb", p99: "190" });
    const notification = await postgres.sql(
      url,
      "SELECT pg_typeof(ok)::text AS t, ok, status FROM shipgate.ledger_notifications",
    );
    expect(notification.rows[0]).toEqual({ t: "boolean", ok: false, status: null });
    const indexes = await postgres.sql(
      url,
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'shipgate'
         AND indexname IN ('ledger_analyses_by_deploy', 'ledger_notifications_by_deploy') ORDER BY indexname`,
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual([
      "ledger_analyses_by_deploy",
      "ledger_notifications_by_deploy",
    ]);
    for (const r of indexes.rows) expect(r.indexdef).toMatch(/\(deploy_id, /);
  });

  it("uses another schema when asked, and refuses a schema name that is not an identifier", async () => {
    const url = await postgres.freshDatabase("ledger");
    const store = await createPostgresLedger(url, { schema: "release_ledger" });
    try {
      await store.createDeploy(sampleDeploy());
    } finally {
      await store.close();
    }
    const count = await postgres.sql(url, "SELECT count(*)::int AS n FROM release_ledger.ledger_deploys");
    expect(count.rows[0]).toEqual({ n: 1 });
    await expect(createPostgresLedger(url, { schema: 'x"; DROP SCHEMA public; --' })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });

  it("reopening keeps the data", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url], async ([store]) => {
      await store?.createDeploy(sampleDeploy());
    });
    await withStores([url], async ([store]) => {
      expect(await store?.getDeploy("d-1")).toEqual(sampleDeploy());
    });
  });

  it("a ledger written by a newer shipgate fails with LEDGER_FAILED and says to upgrade", async () => {
    const url = await postgres.freshDatabase("ledger");
    await withStores([url], async () => {});
    await postgres.sql(
      url,
      "INSERT INTO shipgate.ledger_schema_migrations (version, name) VALUES (99, 'future')",
    );
    const error = await createPostgresLedger(url).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "LEDGER_FAILED",
      message: expect.stringContaining("schema version 99"),
    });
    expect((error as { hint: string }).hint).toMatch(/upgrade shipgate/);
  });

  it("a wrong password gives LEDGER_FAILED whose message and hint do not contain the password", async () => {
    const secret = "Wr0ng-Passw0rd-7c1e";
    const url = new URL(await postgres.freshDatabase("ledger"));
    url.password = secret;
    const error = await createPostgresLedger(url.toString()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ShipgateError", code: "LEDGER_FAILED" });
    const e = error as { message: string; hint: string };
    expect(e.message).toContain("postgres://postgres:***@127.0.0.1:");
    expect(e.message).toMatch(/password authentication failed/);
    expect(e.hint).toMatch(/ledger\.url/);
    expect(e.message).not.toContain(secret);
    expect(e.hint).not.toContain(secret);
    expect(inspect(error, { depth: 5 })).not.toContain(secret);
  });

  it("a server that cannot be reached gives LEDGER_FAILED with a hint", async () => {
    const port = await freePort();
    const error = await createPostgresLedger(`postgres://ci:s3cr3t-value@127.0.0.1:${port}/ledger`, {
      connectTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "LEDGER_FAILED" });
    const e = error as { message: string; hint: string };
    expect(e.message).toContain(`postgres://ci:***@127.0.0.1:${port}/ledger`);
    expect(`${e.message} ${e.hint}`).not.toContain("s3cr3t-value");
    expect(e.hint).toMatch(/host, port/);
  });

  it("a role without the right to create the tables gets a hint saying what to grant", async () => {
    const url = await postgres.freshDatabase("ledger");
    await postgres.sql(
      url,
      "DROP ROLE IF EXISTS ledger_reader; CREATE ROLE ledger_reader LOGIN PASSWORD 'reader-pw-9x'; REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    );
    const asReader = new URL(url);
    asReader.username = "ledger_reader";
    asReader.password = "reader-pw-9x";
    const error = await createPostgresLedger(asReader.toString()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "LEDGER_FAILED" });
    expect((error as { hint: string }).hint).toMatch(/create the schema shipgate/);
    expect(inspect(error)).not.toContain("reader-pw-9x");
  });

  it("a closed store refuses further use with LEDGER_FAILED", async () => {
    const store = await createPostgresLedger(await postgres.freshDatabase("ledger"));
    await store.close();
    await expect(store.getLock("production")).rejects.toMatchObject({ code: "LEDGER_FAILED" });
  });
});
