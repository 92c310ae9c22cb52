/**
 * The shared ledger: tables in a Postgres schema (default `shipgate`, each prefixed `ledger_`), for
 * teams whose deploys run on several CI runners. A small pg Pool; the schema is created on open,
 * idempotently and under an advisory lock so processes starting together do not race; the deploy
 * lock is one INSERT … ON CONFLICT DO UPDATE … WHERE stale statement, atomic across machines. The
 * URL's password never appears in an error: URLs are shown as postgres://user:***@host/db.
 */
import pg from "pg";
import { ShipgateError } from "../core/errors.js";
import { maskUrlPasswords } from "../env/mask.js";
import { auditHash, createAuditVerifier } from "./audit-chain.js";
import { isoTime, isoTimeOrNull, staleBefore } from "./iso-time.js";
import { deployExists, deployNotFound, ledgerFailure, maskLedgerUrl } from "./ledger-error.js";
import {
  apiTokenExists,
  auditListOptions,
  defaultDeployListLimit,
  defaultFlagAuditLimit,
  evaluationDay,
  flagAuditExists,
  flagNotFound,
  listLimit,
  mergeEvaluationCounts,
  normalizeAnalysis,
  normalizeApiToken,
  normalizeApproval,
  normalizeAuditEvent,
  normalizeBackup,
  normalizeDeploy,
  normalizeFlagChange,
  normalizeGateReport,
  normalizeNotification,
  normalizeRelease,
  normalizeState,
  normalizeStep,
  normalizeTag,
} from "./normalize.js";
import { ledgerSchemaLockKey, postgresMigrations, quoteIdent } from "./postgres-migrations.js";
import { rowReaders, type SqlRow } from "./rows.js";
import type { LedgerMigration } from "./sqlite-migrations.js";
import { tableSql } from "./table-shapes.js";
import type { AuditRecord, AuditVerification, LedgerStore, LockResult } from "./types.js";

export interface PostgresLedgerOptions {
  /** The schema holding the ledger's tables (default "shipgate"). */
  schema?: string;
  /** How long to wait for a connection, in ms (default 10000). */
  connectTimeoutMs?: number;
  /** The pool's size (default 4: a CLI runs one deploy at a time). */
  maxConnections?: number;
}

/** Removes the URL's password from text (a driver message may quote it), and masks any URL in it. */
function scrubber(url: string): (text: string) => string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // not parsable as a URL: masking URL forms is all that can be done
  }
  return (text) => {
    let out = maskUrlPasswords(text);
    if (password.length > 0) out = out.split(password).join("***");
    return out;
  };
}

const connectHint =
  "Check the host, port, database name and credentials in ledger.url (or $SHIPGATE_LEDGER_URL), and that this machine can reach the server; the default ledger (sqlite:.shipgate/ledger.db) needs no server.";

/** How many audit rows verifyAudit reads at a time. */
const auditPage = 1000;

const read = rowReaders({
  // jsonb arrives parsed; a copy is not needed (every row is fresh).
  json: (value) => value,
  time: (value) => (value instanceof Date ? value.toISOString() : isoTime(String(value), "time")),
  bool: (value) => value === true,
});
const schemaNamePattern = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** SQLSTATEs of a concurrent CREATE … IF NOT EXISTS losing a race (unique_violation, duplicate_schema/table). */
const raceCodes = new Set(["23505", "42P06", "42P07"]);

async function migratePostgres(
  pool: pg.Pool,
  schema: string,
  where: string,
  migrations: readonly LedgerMigration[],
): Promise<void> {
  const s = quoteIdent(schema);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const newer = (found: number) =>
    new ShipgateError(
      "LEDGER_FAILED",
      `the ledger at ${where} has schema version ${found}, newer than this shipgate knows (${latest})`,
      {
        hint: "A newer shipgate wrote this ledger: upgrade shipgate (npm install shipgate@latest) and run the command again.",
      },
    );
  const versionOf = async (db: pg.ClientBase | pg.Pool): Promise<number> => {
    const table = await db.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [
      `${s}.ledger_schema_migrations`,
    ]);
    if (table.rows[0]?.t == null) return 0;
    const row = await db.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${s}.ledger_schema_migrations`,
    );
    return Number(row.rows[0]?.v ?? 0);
  };
  // The common case reads only: an up-to-date ledger needs no lock and no CREATE privilege.
  const current = await versionOf(pool);
  if (current > latest) throw newer(current);
  if (current === latest) return;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [ledgerSchemaLockKey]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.ledger_schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const now = await versionOf(client);
      if (now > latest) throw newer(now);
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (migration.version <= now) continue;
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${s}.ledger_schema_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
      }
      await client.query("COMMIT");
      return;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      // Another tool (e.g. `migrations apply`) may create the shared schema at the same moment.
      const code = (error as { code?: unknown }).code;
      if (attempt < 3 && typeof code === "string" && raceCodes.has(code)) continue;
      throw error;
    } finally {
      client.release();
    }
  }
}

/**
 * Connects to the Postgres ledger at `url`, creating its schema and tables when missing.
 * LEDGER_FAILED (URL masked, with a hint) when the server cannot be reached, refuses the
 * credentials, or the role may not create the tables; CONFIG_INVALID for a bad schema name.
 */
export async function createPostgresLedger(
  url: string,
  options: PostgresLedgerOptions = {},
): Promise<LedgerStore> {
  const schema = options.schema ?? "shipgate";
  if (!schemaNamePattern.test(schema)) {
    throw new ShipgateError(
      "CONFIG_INVALID",
      `the ledger schema name ${JSON.stringify(schema)} is not valid`,
      {
        hint: "Use letters, digits and underscores, starting with a letter (at most 63 characters), e.g. shipgate.",
      },
    );
  }
  const where = maskLedgerUrl(url);
  const scrub = scrubber(url);
  const pool = new pg.Pool({
    connectionString: url,
    application_name: "shipgate ledger",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    max: options.maxConnections ?? 4,
    // A CLI that forgets close() must still exit.
    allowExitOnIdle: true,
  });
  // An idle client whose server goes away emits "error"; without a listener that crashes the process.
  pool.on("error", () => {});
  try {
    await migratePostgres(pool, schema, where, postgresMigrations(schema));
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof ShipgateError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    const denied = code === "42501";
    throw new ShipgateError("LEDGER_FAILED", `cannot open the ledger at ${where}: ${scrub(message)}`, {
      hint: denied
        ? `The role may not create the ledger's tables: create the schema ${schema} and grant the role CREATE on it (or run shipgate once as its owner).`
        : connectHint,
    });
  }
  return postgresStore(pool, quoteIdent(schema), where, scrub);
}

function postgresStore(
  pool: pg.Pool,
  s: string,
  where: string,
  scrub: (text: string) => string,
): LedgerStore {
  let closed = false;
  const sql = tableSql("postgres", s);
  const run = async <T>(what: string, operation: () => Promise<T>): Promise<T> => {
    try {
      if (closed)
        throw new ShipgateError("LEDGER_FAILED", `the ledger at ${where} is closed`, { hint: connectHint });
      return await operation();
    } catch (error) {
      throw ledgerFailure(error, what, where, connectHint, scrub);
    }
  };
  const rows = async (sql: string, params: unknown[] = []): Promise<SqlRow[]> =>
    (await pool.query<SqlRow>(sql, params)).rows;
  const one = async (sql: string, params: unknown[] = []): Promise<SqlRow | undefined> =>
    (await rows(sql, params))[0];
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    (await pool.query(sql, params)).rowCount ?? 0;
  const limitClause = (limit: number | null) => (limit === null ? "" : ` LIMIT ${limit}`);
  /** Runs `work` in one transaction on one client: committed when it returns, rolled back when it throws. */
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  return {
    kind: "postgres",

    saveRelease(release) {
      return run("saving a release", async () => {
        const r = normalizeRelease(release);
        await pool.query(sql.insertNew("release"), sql.params("release", r));
        const row = await one(`SELECT * FROM ${s}.ledger_releases WHERE id = $1`, [r.id]);
        if (!row) throw new Error(`release ${r.id} vanished after it was saved`);
        return read.release(row);
      });
    },
    getRelease(id) {
      return run("reading a release", async () => {
        const row = await one(`SELECT * FROM ${s}.ledger_releases WHERE id = $1`, [id]);
        return row ? read.release(row) : null;
      });
    },
    findReleaseByVersion(version) {
      return run("finding a release", async () => {
        const row = await one(
          `SELECT * FROM ${s}.ledger_releases WHERE version = $1 ORDER BY created_at DESC, seq DESC LIMIT 1`,
          [version],
        );
        return row ? read.release(row) : null;
      });
    },
    listReleases(limit) {
      return run("listing releases", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_releases ORDER BY created_at DESC, seq DESC${limitClause(listLimit(limit))}`,
          )
        ).map(read.release),
      );
    },

    createDeploy(deploy) {
      return run("recording a deploy", async () => {
        const d = normalizeDeploy(deploy);
        const inserted = await count(sql.insertNew("deploy"), sql.params("deploy", d));
        if (inserted === 0) throw deployExists(d.id);
      });
    },
    updateDeploy(id, patch) {
      return run("updating a deploy", async () => {
        const sets: string[] = [];
        const params: unknown[] = [];
        const set = (column: string, value: unknown, cast = "") => {
          params.push(value);
          sets.push(`${column} = $${params.length}${cast}`);
        };
        if (patch.status !== undefined) set("status", patch.status);
        if (patch.nextStep !== undefined) set("next_step", patch.nextStep);
        if (patch.error !== undefined) set("error", patch.error);
        if (patch.finishedAt !== undefined)
          set("finished_at", isoTimeOrNull(patch.finishedAt, "deploy.finishedAt"));
        if (patch.plan !== undefined) set("plan", JSON.stringify(patch.plan), "::jsonb");
        params.push(id);
        const row =
          sets.length > 0
            ? await one(
                `UPDATE ${s}.ledger_deploys SET ${sets.join(", ")} WHERE id = $${params.length} RETURNING *`,
                params,
              )
            : await one(`SELECT * FROM ${s}.ledger_deploys WHERE id = $1`, params);
        if (!row) throw deployNotFound(id);
        return read.deploy(row);
      });
    },
    getDeploy(id) {
      return run("reading a deploy", async () => {
        const row = await one(`SELECT * FROM ${s}.ledger_deploys WHERE id = $1`, [id]);
        return row ? read.deploy(row) : null;
      });
    },
    listDeploys(environment, options = {}) {
      return run("listing deploys", async () => {
        const params: unknown[] = [environment];
        const where = ["environment = $1"];
        if (options.kind !== undefined) {
          params.push(options.kind);
          where.push(`kind = $${params.length}`);
        }
        if (options.status !== undefined) {
          params.push(options.status);
          where.push(`status = $${params.length}`);
        }
        const limit = listLimit(options.limit, defaultDeployListLimit);
        return (
          await rows(
            `SELECT * FROM ${s}.ledger_deploys WHERE ${where.join(" AND ")} ORDER BY started_at DESC, seq DESC${limitClause(limit)}`,
            params,
          )
        ).map(read.deploy);
      });
    },
    activeDeploy(environment) {
      return run("reading the active deploy", async () => {
        const row = await one(
          `SELECT * FROM ${s}.ledger_deploys WHERE environment = $1 AND status IN ('awaiting_approval', 'running', 'paused')
           ORDER BY started_at DESC, seq DESC LIMIT 1`,
          [environment],
        );
        return row ? read.deploy(row) : null;
      });
    },
    lastSucceededDeploy(environment) {
      return run("reading the last deploy", async () => {
        const row = await one(
          `SELECT * FROM ${s}.ledger_deploys WHERE environment = $1 AND status = 'succeeded'
           ORDER BY started_at DESC, seq DESC LIMIT 1`,
          [environment],
        );
        return row ? read.deploy(row) : null;
      });
    },

    recordStep(step) {
      return run("journaling a step", async () => {
        const t = normalizeStep(step);
        await pool.query(sql.upsert("step"), sql.params("step", t));
      });
    },
    listSteps(deployId) {
      return run("reading the journal", async () =>
        (
          await rows(`SELECT * FROM ${s}.ledger_deploy_steps WHERE deploy_id = $1 ORDER BY step_index`, [
            deployId,
          ])
        ).map(read.step),
      );
    },

    getEnvironmentState(environment) {
      return run("reading the environment's state", async () => {
        const row = await one(`SELECT * FROM ${s}.ledger_environments WHERE environment = $1`, [environment]);
        return row ? read.environment(row) : null;
      });
    },
    setEnvironmentState(state) {
      return run("recording the environment's state", async () => {
        const e = normalizeState(state);
        await pool.query(sql.upsert("environment"), sql.params("environment", e));
      });
    },
    listEnvironmentStates() {
      return run("listing environments", async () =>
        (await rows(`SELECT * FROM ${s}.ledger_environments ORDER BY environment`)).map(read.environment),
      );
    },

    acquireLock(request, options): Promise<LockResult> {
      return run("taking the deploy lock", async () => {
        const now = isoTime(options.now, "now");
        const stale = staleBefore(now, options.staleAfterMs);
        // One statement decides: insert when free; replace when stale or already ours; else nothing.
        // Concurrent callers serialise on the row, and each sees the winner's row in its WHERE.
        const upsert = sql.upsert("lock", {
          as: "l",
          set: {
            acquired_at:
              "CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE excluded.acquired_at END",
          },
        });
        const params = [...sql.params("lock", { ...request, acquiredAt: now, heartbeatAt: now }), stale];
        for (let attempt = 0; attempt < 10; attempt++) {
          const taken = await one(
            `${upsert} WHERE l.holder = excluded.holder OR l.heartbeat_at < $${params.length} RETURNING *`,
            params,
          );
          if (taken) return { acquired: true, lock: read.lock(taken) };
          const held = await one(`SELECT * FROM ${s}.ledger_locks WHERE environment = $1`, [
            request.environment,
          ]);
          if (held) return { acquired: false, heldBy: read.lock(held) };
          // Released between the two statements: try again.
        }
        throw new Error("the lock changed hands too often to be taken; try again");
      });
    },
    heartbeatLock(environment, holder, now, pid) {
      return run("refreshing the deploy lock", async () => {
        const at = isoTime(now, "now");
        return (
          (await count(
            `UPDATE ${s}.ledger_locks SET heartbeat_at = $1, pid = $2 WHERE environment = $3 AND holder = $4`,
            [at, pid, environment, holder],
          )) > 0
        );
      });
    },
    releaseLock(environment, holder) {
      return run("releasing the deploy lock", async () => {
        return (
          (await count(`DELETE FROM ${s}.ledger_locks WHERE environment = $1 AND holder = $2`, [
            environment,
            holder,
          ])) > 0
        );
      });
    },
    getLock(environment) {
      return run("reading the deploy lock", async () => {
        const row = await one(`SELECT * FROM ${s}.ledger_locks WHERE environment = $1`, [environment]);
        return row ? read.lock(row) : null;
      });
    },
    forceReleaseLock(environment) {
      return run("releasing the deploy lock", async () => {
        const row = await one(`DELETE FROM ${s}.ledger_locks WHERE environment = $1 RETURNING *`, [
          environment,
        ]);
        return row ? read.lock(row) : null;
      });
    },

    recordApproval(approval) {
      return run("recording an approval", async () => {
        const a = normalizeApproval(approval);
        await pool.query(sql.upsert("approval"), sql.params("approval", a));
      });
    },
    listApprovals(deployId) {
      return run("listing approvals", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_approvals WHERE deploy_id = $1 ORDER BY created_at DESC, seq DESC`,
            [deployId],
          )
        ).map(read.approval),
      );
    },

    recordBackup(backup) {
      return run("recording a backup", async () => {
        const b = normalizeBackup(backup);
        await pool.query(sql.upsert("backup"), sql.params("backup", b));
      });
    },
    listBackups(environment, limit) {
      return run("listing backups", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_backups WHERE environment = $1 ORDER BY created_at DESC, seq DESC${limitClause(listLimit(limit))}`,
            [environment],
          )
        ).map(read.backup),
      );
    },

    recordTag(tag) {
      return run("recording a tag", async () => {
        const t = normalizeTag(tag);
        await pool.query(sql.upsert("tag"), sql.params("tag", t));
      });
    },
    listTags(environment, limit) {
      return run("listing tags", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_tags WHERE environment = $1 ORDER BY created_at DESC, seq DESC${limitClause(listLimit(limit))}`,
            [environment],
          )
        ).map(read.tag),
      );
    },

    saveAnalysis(analysis) {
      return run("recording an analysis run", async () => {
        const a = normalizeAnalysis(analysis);
        await pool.query(sql.upsert("analysis"), sql.params("analysis", a));
      });
    },
    listAnalyses(deployId) {
      return run("listing analysis runs", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_analyses WHERE deploy_id = $1 ORDER BY started_at, step_index, seq`,
            [deployId],
          )
        ).map(read.analysis),
      );
    },

    recordNotification(record) {
      return run("recording a notification", async () => {
        const n = normalizeNotification(record);
        await pool.query(sql.upsert("notification"), sql.params("notification", n));
      });
    },
    listNotifications(deployId) {
      return run("listing notifications", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_notifications WHERE deploy_id = $1 ORDER BY created_at, seq`,
            [deployId],
          )
        ).map(read.notification),
      );
    },

    applyFlagChange(change) {
      return run("recording a flag change", async () => {
        const c = normalizeFlagChange(change);
        return transaction(async (client) => {
          // The revision row first: its row lock serialises every flag change in the ledger, and the
          // increment reads the latest committed value, so concurrent changes never lose one.
          const bumped = await client.query<{ revision: string }>(
            `UPDATE ${s}.ledger_flag_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision`,
          );
          const revision = bumped.rows[0]?.revision;
          if (revision === undefined) throw new Error("the flag revision row is missing");
          if (c.state && c.definition?.key !== c.state.flagKey) {
            const known = await client.query(`SELECT 1 FROM ${s}.ledger_flags WHERE key = $1`, [
              c.state.flagKey,
            ]);
            if (known.rowCount === 0) throw flagNotFound(c.state.flagKey);
          }
          const seen = await client.query(`SELECT 1 FROM ${s}.ledger_flag_audit WHERE id = $1`, [c.audit.id]);
          if ((seen.rowCount ?? 0) > 0) throw flagAuditExists(c.audit.id);
          const f = c.definition;
          if (f) {
            await client.query(sql.upsert("flag"), sql.params("flag", f));
          }
          const st = c.state;
          if (st) {
            await client.query(sql.upsert("flagState"), sql.params("flagState", st));
          }
          const a = c.audit;
          await client.query(sql.insert("flagAudit"), sql.params("flagAudit", a));
          return Number(revision);
        });
      });
    },
    getFlag(key) {
      return run("reading a flag", async () => {
        const row = await one(`SELECT * FROM ${s}.ledger_flags WHERE key = $1`, [key]);
        return row ? read.flag(row) : null;
      });
    },
    listFlags(options = {}) {
      return run("listing flags", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_flags${options.includeArchived === true ? "" : " WHERE archived_at IS NULL"} ORDER BY key`,
          )
        ).map(read.flag),
      );
    },
    getFlagState(key, environment) {
      return run("reading a flag's state", async () => {
        const row = await one(
          `SELECT * FROM ${s}.ledger_flag_states WHERE flag_key = $1 AND environment = $2`,
          [key, environment],
        );
        return row ? read.flagState(row) : null;
      });
    },
    listFlagStates(environment) {
      return run("listing flag states", async () =>
        (
          await rows(`SELECT * FROM ${s}.ledger_flag_states WHERE environment = $1 ORDER BY flag_key`, [
            environment,
          ])
        ).map(read.flagState),
      );
    },
    flagRevision() {
      return run("reading the flag revision", async () => {
        const row = await one(`SELECT revision FROM ${s}.ledger_flag_revision WHERE id = 1`);
        return row ? Number(row.revision) : 0;
      });
    },
    listFlagAudit(flagKey, limit) {
      return run("reading a flag's audit", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_flag_audit WHERE flag_key = $1 ORDER BY at DESC, seq DESC${limitClause(listLimit(limit, defaultFlagAuditLimit))}`,
            [flagKey],
          )
        ).map(read.flagAudit),
      );
    },
    recordFlagEvaluations(environment, day, counts) {
      return run("recording flag evaluations", async () => {
        const d = evaluationDay(day);
        const merged = mergeEvaluationCounts(counts);
        if (merged.length === 0) return;
        // One statement (merged counts hold each key once, as ON CONFLICT DO UPDATE requires).
        const params: unknown[] = [environment, d];
        const values = merged.map((c) => {
          params.push(c.flagKey, c.variant !== null, c.variant ?? "", c.enabled, c.count);
          const n = params.length;
          return `($1, $2, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n}::bigint)`;
        });
        await pool.query(
          `INSERT INTO ${s}.ledger_flag_evaluations AS e (environment, day, flag_key, has_variant, variant, enabled, count)
           VALUES ${values.join(", ")}
           ON CONFLICT (environment, day, flag_key, has_variant, variant, enabled)
           DO UPDATE SET count = e.count + EXCLUDED.count`,
          params,
        );
      });
    },
    listFlagEvaluations(environment, flagKey) {
      return run("listing flag evaluations", async () => {
        const params: unknown[] = flagKey === undefined ? [environment] : [environment, flagKey];
        return (
          await rows(
            `SELECT * FROM ${s}.ledger_flag_evaluations WHERE environment = $1${flagKey === undefined ? "" : " AND flag_key = $2"}
             ORDER BY day DESC, flag_key, has_variant, variant, enabled`,
            params,
          )
        ).map(read.flagEvaluation);
      });
    },
    saveApiToken(token) {
      return run("saving an API token", async () => {
        const t = normalizeApiToken(token);
        const inserted = await count(
          `${sql.insert("apiToken")} ON CONFLICT DO NOTHING`,
          sql.params("apiToken", t),
        );
        if (inserted === 0) throw apiTokenExists(t.id);
      });
    },
    findApiTokenByHash(hash) {
      return run("finding an API token", async () => {
        const row = await one(`SELECT * FROM ${s}.ledger_api_tokens WHERE hash = $1`, [hash]);
        return row ? read.apiToken(row) : null;
      });
    },
    listApiTokens() {
      return run("listing API tokens", async () =>
        (await rows(`SELECT * FROM ${s}.ledger_api_tokens ORDER BY created_at, seq`)).map(read.apiToken),
      );
    },
    revokeApiToken(id, at) {
      return run("revoking an API token", async () => {
        const revokedAt = isoTime(at, "apiToken.revokedAt");
        return (
          (await count(
            `UPDATE ${s}.ledger_api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
            [revokedAt, id],
          )) > 0
        );
      });
    },

    appendAudit(event) {
      return run("appending to the audit log", async () => {
        const e = normalizeAuditEvent(event);
        // The head row locked FOR UPDATE: appends from every pool and machine wait for each other,
        // so each one reads the head the previous one committed.
        return transaction(async (client): Promise<AuditRecord> => {
          const head = (
            await client.query<SqlRow>(`SELECT seq, hash FROM ${s}.ledger_audit_head WHERE id = 1 FOR UPDATE`)
          ).rows[0];
          if (!head) throw new Error("the audit chain head row is missing");
          const unhashed = { ...e, seq: Number(head.seq) + 1, prevHash: String(head.hash) };
          const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed) };
          await client.query(sql.insert("audit"), sql.params("audit", record));
          await client.query(`UPDATE ${s}.ledger_audit_head SET seq = $1, hash = $2 WHERE id = 1`, [
            record.seq,
            record.hash,
          ]);
          return record;
        });
      });
    },
    listAudit(options) {
      return run("reading the audit log", async () => {
        const o = auditListOptions(options);
        const params: unknown[] = [o.afterSeq];
        if (o.target !== null) params.push(o.target);
        return (
          await rows(
            `SELECT * FROM ${s}.ledger_audit WHERE seq > $1${o.target === null ? "" : " AND target = $2"} ORDER BY seq LIMIT ${o.limit}`,
            params,
          )
        ).map(read.audit);
      });
    },
    verifyAudit() {
      return run("verifying the audit log", async () => {
        const client = await pool.connect();
        try {
          // One snapshot for the head and every page, whatever other processes append meanwhile.
          await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
          const verify = async (): Promise<AuditVerification> => {
            const verifier = createAuditVerifier();
            let after = 0;
            for (;;) {
              const page = (
                await client.query<SqlRow>(
                  `SELECT * FROM ${s}.ledger_audit WHERE seq > $1 ORDER BY seq LIMIT ${auditPage}`,
                  [after],
                )
              ).rows.map(read.audit);
              for (const record of page) {
                const failure = verifier.push(record);
                if (failure) return failure;
                after = record.seq;
              }
              if (page.length < auditPage) break;
            }
            const head = (
              await client.query<SqlRow>(`SELECT seq, hash FROM ${s}.ledger_audit_head WHERE id = 1`)
            ).rows[0];
            return verifier.finish(head ? { seq: Number(head.seq), hash: String(head.hash) } : null);
          };
          const result = await verify();
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      });
    },

    recordGateReport(report) {
      return run("recording a gate report", async () => {
        const r = normalizeGateReport(report);
        await pool.query(sql.upsert("gateReport"), sql.params("gateReport", r));
      });
    },
    latestGateReport(gitSha, environment) {
      return run("reading a gate report", async () => {
        // The environment's own report first; else the one checked without an environment.
        const row = await one(
          `SELECT * FROM ${s}.ledger_gate_reports
           WHERE git_sha = $1 AND (environment IS NOT DISTINCT FROM $2::text OR environment IS NULL)
           ORDER BY (environment IS NULL), created_at DESC, seq DESC LIMIT 1`,
          [gitSha, environment],
        );
        return row ? read.gateReport(row) : null;
      });
    },
    listGateReports(gitSha) {
      return run("listing gate reports", async () =>
        (
          await rows(
            `SELECT * FROM ${s}.ledger_gate_reports WHERE git_sha = $1 ORDER BY created_at DESC, seq DESC`,
            [gitSha],
          )
        ).map(read.gateReport),
      );
    },

    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
