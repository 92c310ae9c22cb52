/**
 * The contract suite against all three adapters; what only Postgres does: concurrent lock attempts
 * from several pools, concurrent schema creation, and errors that never show the password; and the
 * schema upgrades of both SQL adapters, from every older schema version to the latest.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import Database from "libsql";
import { describe, expect, it, onTestFinished } from "vitest";
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
import type { SqlRow } from "./rows.js";
import { createSqliteLedger, migrateSqlite } from "./sqlite.js";
import { sqliteMigrations } from "./sqlite-migrations.js";
import { type SqlParam, type TableSql, tableSql } from "./table-shapes.js";
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
      { version: 6 },
    ]);
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

/** A ledger as shipgate at an older schema version left it, reached with raw SQL. */
interface OldLedger {
  /** The statements writing records, in the ledger's dialect. */
  sql: TableSql;
  /** A table's name as raw SQL writes it. */
  table(name: string): string;
  query(text: string, params?: SqlParam[]): Promise<SqlRow[]>;
  /** Opens three stores on it at once (each may run the upgrade); closes them all after `use`. */
  withStores(use: (store: LedgerStore, other: LedgerStore) => Promise<void>): Promise<void>;
  /** What the upgraded tables look like in this dialect: column types and indexes. */
  checkStorage(): Promise<void>;
}

async function openAtOnce(
  open: () => Promise<LedgerStore>,
  use: (store: LedgerStore, other: LedgerStore) => Promise<void>,
): Promise<void> {
  const opened = await Promise.allSettled([open(), open(), open()]);
  try {
    expect(opened.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const [store, other] = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    if (!store || !other) throw new Error("two stores expected");
    await use(store, other);
  } finally {
    for (const o of opened) if (o.status === "fulfilled") await o.value.close();
  }
}

const oldLedgers: Record<"sqlite" | "postgres", (version: number) => Promise<OldLedger>> = {
  async sqlite(version) {
    const dir = mkdtempSync(path.join(tmpdir(), "shipgate-ledger-upgrade-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "ledger.db");
    // A connection per statement, as another process would hold one.
    const query = async (text: string, params: SqlParam[] = []): Promise<SqlRow[]> => {
      const raw = new Database(file);
      try {
        const statement = raw.prepare(text);
        if (statement.reader) return statement.all(...params) as SqlRow[];
        statement.run(...params);
        return [];
      } finally {
        raw.close();
      }
    };
    const raw = new Database(file);
    try {
      migrateSqlite(
        raw,
        file,
        sqliteMigrations.filter((m) => m.version <= version),
      );
    } finally {
      raw.close();
    }
    return {
      sql: tableSql("sqlite"),
      table: (name) => name,
      query,
      withStores: (use) => openAtOnce(() => createSqliteLedger(file), use),
      async checkStorage() {
        expect(
          await query(
            `SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'
               AND (name LIKE '%_by_deploy' OR name IN ('ledger_audit_by_target', 'ledger_gate_reports_by_sha')) ORDER BY name`,
          ),
        ).toEqual([
          { name: "ledger_analyses_by_deploy", tbl_name: "ledger_analyses" },
          { name: "ledger_approvals_by_deploy", tbl_name: "ledger_approvals" },
          { name: "ledger_audit_by_target", tbl_name: "ledger_audit" },
          { name: "ledger_gate_reports_by_sha", tbl_name: "ledger_gate_reports" },
          { name: "ledger_notifications_by_deploy", tbl_name: "ledger_notifications" },
        ]);
        const tables = await query(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ledger_%' ORDER BY name",
        );
        expect(tables.map((r) => r.name)).toEqual(ledgerTables);
        expect(
          await query(
            "SELECT passed, environment, typeof(report) AS t, json_extract(report, '$.command') AS c FROM ledger_gate_reports",
          ),
        ).toEqual([{ passed: 0, environment: "production", t: "text", c: "check" }]);
      },
    };
  },

  async postgres(version) {
    const url = await postgres.freshDatabase("ledger");
    const migrations = postgresMigrations("shipgate").filter((m) => m.version <= version);
    await postgres.sql(
      url,
      `CREATE SCHEMA shipgate;
       CREATE TABLE shipgate.ledger_schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now());
       ${migrations.map((m) => m.sql).join("\n")}
       INSERT INTO shipgate.ledger_schema_migrations (version, name)
         VALUES ${migrations.map((m) => `(${m.version}, 'v${m.version}')`).join(", ")};`,
    );
    const query = async (text: string, params?: SqlParam[]) => (await postgres.sql(url, text, params)).rows;
    return {
      sql: tableSql("postgres", "shipgate"),
      table: (name) => `shipgate.${name}`,
      query,
      withStores: (use) => openAtOnce(() => createPostgresLedger(url), use),
      async checkStorage() {
        expect(
          await query(
            `SELECT pg_typeof(report)::text AS report, pg_typeof(passed)::text AS passed,
               pg_typeof(created_at)::text AS at, report->>'command' AS command FROM shipgate.ledger_gate_reports`,
          ),
        ).toEqual([{ report: "jsonb", passed: "boolean", at: "timestamp with time zone", command: "check" }]);
        const audit = await query(
          `SELECT pg_typeof(after)::text AS after, pg_typeof(at)::text AS at, after->>'rollout' AS rollout
             FROM shipgate.ledger_audit WHERE seq = 2`,
        );
        expect(audit[0]).toEqual({ after: "jsonb", at: "timestamp with time zone", rollout: "2" });
        const indexes = await query(
          `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'shipgate'
             AND indexname IN ('ledger_audit_by_target', 'ledger_gate_reports_by_sha') ORDER BY indexname`,
        );
        expect(indexes.map((r) => r.indexname)).toEqual([
          "ledger_audit_by_target",
          "ledger_gate_reports_by_sha",
        ]);
        expect(indexes[0]?.indexdef).toMatch(/\(target, seq\)/);
        expect(indexes[1]?.indexdef).toMatch(/\(git_sha, environment, created_at DESC, seq DESC\)/);
      },
    };
  },
};

const ledgerTables = [
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
];

/** Three audit entries, as any shipgate would have chained them. */
async function auditChain(): Promise<AuditRecord[]> {
  const memory = createMemoryLedger();
  try {
    return await appendAuditEvents(memory, 3);
  } finally {
    await memory.close();
  }
}

const productionState = {
  environment: "production",
  currentReleaseId: "r-1",
  traffic: [{ releaseId: "r-1", weight: 100 }],
  updatedAt: at(0),
};
const failedNotification = sampleNotification({
  id: "n-2",
  ok: false,
  attempts: 3,
  status: 502,
  error: "502",
});

/**
 * What each schema version added, as an upgrade from an older one must keep and provide: `seed` writes
 * data into that version's tables of an old ledger (with today's column lists: rewrite it by hand if a
 * later migration changes the table); `check` runs on the upgraded ledger, `seeded` when the old one
 * already had the version.
 */
const schemaVersions: {
  version: number;
  seed?(old: OldLedger): Promise<unknown>;
  check(store: LedgerStore, other: LedgerStore, seeded: boolean, old: OldLedger): Promise<void>;
}[] = [
  {
    version: 1, // releases, deploys, steps, environments, locks, approvals, backups, tags
    async seed(old) {
      await old.query(old.sql.insert("environment"), old.sql.params("environment", productionState));
      // A deploy with version 1's columns (later versions add some: it must read with their defaults).
      await old.query(
        `INSERT INTO ${old.table("ledger_deploys")} (id, environment, kind, release_id, previous_release_id, previous_traffic, strategy, status, actor, reason, plan, next_step, error, started_at, finished_at)
         VALUES ('d-old', 'production', 'deploy', 'r-old', NULL, '[]', 'rolling', 'succeeded', 'ada', NULL, '[]', 0, NULL, '${at(0)}', '${at(1)}')`,
      );
    },
    async check(store) {
      expect(await store.getEnvironmentState("production")).toEqual(productionState);
    },
  },
  {
    version: 2, // analysis runs, notifications
    async check(store, other) {
      await store.saveAnalysis(sampleAnalysis());
      await store.recordNotification(sampleNotification());
      await store.recordNotification(failedNotification);
      expect(await other.listAnalyses("d-1")).toEqual([sampleAnalysis()]);
      expect(await other.listNotifications("d-1")).toEqual([sampleNotification(), failedNotification]);
    },
  },
  {
    version: 3, // flags, API tokens
    seed: (old) => old.query(`UPDATE ${old.table("ledger_flag_revision")} SET revision = 7 WHERE id = 1`),
    async check(store, other, seeded) {
      const revision = seeded ? 7 : 0;
      expect(await store.flagRevision()).toBe(revision);
      expect(await store.applyFlagChange(createFlagChange())).toBe(revision + 1);
      expect(await other.flagRevision()).toBe(revision + 1);
      await store.saveApiToken(sampleApiToken());
      expect(await other.findApiTokenByHash(sampleApiToken().hash)).toEqual(sampleApiToken());
    },
  },
  {
    version: 4, // the audit log
    async seed(old) {
      const chain = await auditChain();
      for (const r of chain) await old.query(old.sql.insert("audit"), old.sql.params("audit", r));
      const last = chain[chain.length - 1] as AuditRecord;
      await old.query(
        `UPDATE ${old.table("ledger_audit_head")} SET seq = ${last.seq}, hash = '${last.hash}' WHERE id = 1`,
      );
    },
    async check(store, other, seeded, old) {
      if (seeded) {
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 3 });
        expect(await store.listAudit()).toStrictEqual(await auditChain());
      }
      await appendAuditEvents(store, 3, seeded ? 4 : 1);
      expect(await other.verifyAudit()).toEqual({ ok: true, count: seeded ? 6 : 3 });
      const head = await old.query(`SELECT seq FROM ${old.table("ledger_audit_head")}`);
      expect(Number(head[0]?.seq)).toBe(seeded ? 6 : 3);
    },
  },
  {
    version: 5, // gate reports
    async check(store, other) {
      await store.recordGateReport(sampleGateReport());
      const sha = sampleGateReport().gitSha;
      expect(await other.latestGateReport(sha, "production")).toStrictEqual(sampleGateReport());
    },
  },
  {
    version: 6, // deploy notes
    async check(store, other) {
      // The deploy version 1's seed wrote, before the column existed, has none.
      expect((await store.getDeploy("d-old"))?.notes).toEqual([]);
      const notes = [{ type: "reuse-warm", releaseId: "r-1", instances: 1, desired: 2 }];
      await store.createDeploy(sampleDeploy({ id: "d-notes", notes }));
      expect((await other.getDeploy("d-notes"))?.notes).toEqual(notes);
    },
  },
];

describe.each(["sqlite", "postgres"] as const)("%s ledger schema upgrades", (dialect) => {
  it.each(schemaVersions.slice(0, -1).map((v) => v.version))(
    "a ledger at schema version %i is upgraded in place to the latest by stores opening it at once, keeping its data",
    async (version) => {
      const old = await oldLedgers[dialect](version);
      const versions = async () =>
        (
          await old.query(`SELECT version FROM ${old.table("ledger_schema_migrations")} ORDER BY version`)
        ).map((r) => r.version);
      expect(await versions()).toEqual(schemaVersions.map((v) => v.version).filter((v) => v <= version));
      for (const v of schemaVersions) if (v.version <= version) await v.seed?.(old);
      await old.withStores(async (store, other) => {
        for (const v of schemaVersions) await v.check(store, other, v.version <= version, old);
      });
      expect(await versions()).toEqual(schemaVersions.map((v) => v.version));
      await old.checkStorage();
    },
  );
});
