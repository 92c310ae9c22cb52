/**
 * The default ledger: one SQLite file (through libsql, whose native binaries ship inside npm
 * packages; see docs/adr/0011-ledger-storage.md). Several shipgate processes share the file: WAL
 * mode lets readers run beside a writer, a busy timeout makes a writer wait for another instead of
 * failing, and everything that reads before it writes (the deploy lock above all) runs in a
 * BEGIN IMMEDIATE transaction, which takes the file's write lock before the read.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "libsql";
import { ShipgateError } from "../core/errors.js";
import { auditHash, createAuditVerifier } from "./audit-chain.js";
import { isoTime, isoTimeOrNull, staleBefore } from "./iso-time.js";
import { deployExists, deployNotFound, ledgerFailure } from "./ledger-error.js";
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
import { rowReaders, type SqlRow } from "./rows.js";
import { type LedgerMigration, sqliteMigrations } from "./sqlite-migrations.js";
import { type SqlParam, tableSql } from "./table-shapes.js";
import type { AuditRecord, DeployLock, LedgerStore, LockResult } from "./types.js";

export interface SqliteLedgerOptions {
  /** How long a write waits for another process's write to finish, in ms (default 5000). */
  busyTimeoutMs?: number;
}

type Db = Database.Database;

/** How many audit rows verifyAudit reads at a time. */
const auditPage = 1000;

const read = rowReaders({
  json: (value) => JSON.parse(String(value)),
  time: (value) => String(value),
  bool: (value) => Number(value) !== 0,
});
const sql = tableSql("sqlite");

function schemaVersion(db: Db): number {
  const table = db
    .prepare(
      "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'ledger_schema_migrations'",
    )
    .get();
  if (!table) return 0;
  const row = db.prepare("SELECT MAX(version) AS version FROM ledger_schema_migrations").get() as SqlRow;
  return Number(row.version ?? 0);
}

function newerSchema(file: string, found: number, known: number): ShipgateError {
  return new ShipgateError(
    "LEDGER_FAILED",
    `the ledger ${file} has schema version ${found}, newer than this shipgate knows (${known})`,
    {
      hint: "A newer shipgate wrote this ledger: upgrade shipgate (npm install shipgate@latest) and run the command again.",
    },
  );
}

/** Brings the file's schema up to date; several processes may do this at once. */
export function migrateSqlite(
  db: Db,
  file: string,
  migrations: readonly LedgerMigration[] = sqliteMigrations,
): void {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const current = schemaVersion(db);
  if (current > latest) throw newerSchema(file, current, latest);
  if (current === latest) return;
  db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS ledger_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    // Read again under the write lock: another process may have migrated meanwhile.
    const now = schemaVersion(db);
    if (now > latest) throw newerSchema(file, now, latest);
    const record = db.prepare(
      "INSERT INTO ledger_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
    );
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= now) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
  }).immediate();
}

/**
 * Opens (creating it and its directory when missing) the SQLite ledger at `file`. LEDGER_FAILED
 * when the file cannot be created or opened, is not a SQLite database, or was written by a newer
 * shipgate.
 */
export async function createSqliteLedger(
  file: string,
  options: SqliteLedgerOptions = {},
): Promise<LedgerStore> {
  const location = path.resolve(file);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const hint = `Check that ${path.dirname(location)} is writable and ${location} is a shipgate ledger, or point ledger.url in shipgate.yaml (or $SHIPGATE_LEDGER_URL) elsewhere.`;
  let db: Db;
  try {
    mkdirSync(path.dirname(location), { recursive: true });
    db = new Database(location, { timeout: busyTimeoutMs });
  } catch (error) {
    throw ledgerFailure(error, "opening", location, hint);
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.exec("PRAGMA journal_mode = WAL");
    migrateSqlite(db, location);
  } catch (error) {
    db.close();
    throw ledgerFailure(error, "opening", location, hint);
  }
  return sqliteStore(db, location, hint);
}

function sqliteStore(db: Db, location: string, hint: string): LedgerStore {
  let closed = false;
  /** Runs one operation, turning driver errors into LEDGER_FAILED. */
  const run = <T>(what: string, operation: () => T): Promise<T> => {
    try {
      if (closed) throw new ShipgateError("LEDGER_FAILED", `the ledger ${location} is closed`, { hint });
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(ledgerFailure(error, what, location, hint));
    }
  };
  const get = (sql: string, ...params: SqlParam[]): SqlRow | undefined =>
    db.prepare(sql).get(...params) as SqlRow | undefined;
  const all = (sql: string, ...params: SqlParam[]): SqlRow[] => db.prepare(sql).all(...params) as SqlRow[];
  const exec = (sql: string, ...params: SqlParam[]): number => db.prepare(sql).run(...params).changes;
  const immediate = <T>(operation: () => T): T => db.transaction(operation).immediate();
  const limitClause = (limit: number | null) => (limit === null ? "" : ` LIMIT ${limit}`);

  return {
    kind: "sqlite",

    saveRelease(release) {
      return run("saving a release", () => {
        const r = normalizeRelease(release);
        return immediate(() => {
          exec(sql.insertNew("release"), ...sql.params("release", r));
          const row = get("SELECT * FROM ledger_releases WHERE id = ?", r.id);
          if (!row) throw new Error(`release ${r.id} vanished after it was saved`);
          return read.release(row);
        });
      });
    },
    getRelease(id) {
      return run("reading a release", () => {
        const row = get("SELECT * FROM ledger_releases WHERE id = ?", id);
        return row ? read.release(row) : null;
      });
    },
    findReleaseByVersion(version) {
      return run("finding a release", () => {
        const row = get(
          "SELECT * FROM ledger_releases WHERE version = ? ORDER BY created_at DESC, seq DESC LIMIT 1",
          version,
        );
        return row ? read.release(row) : null;
      });
    },
    listReleases(limit) {
      return run("listing releases", () =>
        all(
          `SELECT * FROM ledger_releases ORDER BY created_at DESC, seq DESC${limitClause(listLimit(limit))}`,
        ).map(read.release),
      );
    },

    createDeploy(deploy) {
      return run("recording a deploy", () => {
        const d = normalizeDeploy(deploy);
        const changes = exec(sql.insertNew("deploy"), ...sql.params("deploy", d));
        if (changes === 0) throw deployExists(d.id);
      });
    },
    updateDeploy(id, patch) {
      return run("updating a deploy", () => {
        const sets: string[] = [];
        const params: SqlParam[] = [];
        if (patch.status !== undefined) {
          sets.push("status = ?");
          params.push(patch.status);
        }
        if (patch.nextStep !== undefined) {
          sets.push("next_step = ?");
          params.push(patch.nextStep);
        }
        if (patch.error !== undefined) {
          sets.push("error = ?");
          params.push(patch.error);
        }
        if (patch.finishedAt !== undefined) {
          sets.push("finished_at = ?");
          params.push(isoTimeOrNull(patch.finishedAt, "deploy.finishedAt"));
        }
        if (patch.plan !== undefined) {
          sets.push("plan = ?");
          params.push(JSON.stringify(patch.plan));
        }
        return immediate(() => {
          if (sets.length > 0)
            exec(`UPDATE ledger_deploys SET ${sets.join(", ")} WHERE id = ?`, ...params, id);
          const row = get("SELECT * FROM ledger_deploys WHERE id = ?", id);
          if (!row) throw deployNotFound(id);
          return read.deploy(row);
        });
      });
    },
    getDeploy(id) {
      return run("reading a deploy", () => {
        const row = get("SELECT * FROM ledger_deploys WHERE id = ?", id);
        return row ? read.deploy(row) : null;
      });
    },
    listDeploys(environment, options = {}) {
      return run("listing deploys", () => {
        const where = ["environment = ?"];
        const params: SqlParam[] = [environment];
        if (options.kind !== undefined) {
          where.push("kind = ?");
          params.push(options.kind);
        }
        if (options.status !== undefined) {
          where.push("status = ?");
          params.push(options.status);
        }
        const limit = listLimit(options.limit, defaultDeployListLimit);
        return all(
          `SELECT * FROM ledger_deploys WHERE ${where.join(" AND ")} ORDER BY started_at DESC, seq DESC${limitClause(limit)}`,
          ...params,
        ).map(read.deploy);
      });
    },
    activeDeploy(environment) {
      return run("reading the active deploy", () => {
        const row = get(
          `SELECT * FROM ledger_deploys WHERE environment = ? AND status IN ('awaiting_approval', 'running', 'paused')
           ORDER BY started_at DESC, seq DESC LIMIT 1`,
          environment,
        );
        return row ? read.deploy(row) : null;
      });
    },
    lastSucceededDeploy(environment) {
      return run("reading the last deploy", () => {
        const row = get(
          `SELECT * FROM ledger_deploys WHERE environment = ? AND status = 'succeeded'
           ORDER BY started_at DESC, seq DESC LIMIT 1`,
          environment,
        );
        return row ? read.deploy(row) : null;
      });
    },

    recordStep(step) {
      return run("journaling a step", () => {
        const s = normalizeStep(step);
        exec(sql.upsert("step"), ...sql.params("step", s));
      });
    },
    listSteps(deployId) {
      return run("reading the journal", () =>
        all("SELECT * FROM ledger_deploy_steps WHERE deploy_id = ? ORDER BY step_index", deployId).map(
          read.step,
        ),
      );
    },

    getEnvironmentState(environment) {
      return run("reading the environment's state", () => {
        const row = get("SELECT * FROM ledger_environments WHERE environment = ?", environment);
        return row ? read.environment(row) : null;
      });
    },
    setEnvironmentState(state) {
      return run("recording the environment's state", () => {
        const s = normalizeState(state);
        exec(sql.upsert("environment"), ...sql.params("environment", s));
      });
    },
    listEnvironmentStates() {
      return run("listing environments", () =>
        all("SELECT * FROM ledger_environments ORDER BY environment").map(read.environment),
      );
    },

    acquireLock(request, options): Promise<LockResult> {
      return run("taking the deploy lock", () => {
        const now = isoTime(options.now, "now");
        const stale = staleBefore(now, options.staleAfterMs);
        return immediate((): LockResult => {
          const row = get("SELECT * FROM ledger_locks WHERE environment = ?", request.environment);
          const held = row ? read.lock(row) : null;
          if (held && held.holder !== request.holder && held.heartbeatAt >= stale) {
            return { acquired: false, heldBy: held };
          }
          const lock: DeployLock = {
            environment: request.environment,
            holder: request.holder,
            deployId: request.deployId,
            hostname: request.hostname,
            pid: request.pid,
            // The holder taking its own lock again keeps the time it first took it.
            acquiredAt: held && held.holder === request.holder ? held.acquiredAt : now,
            heartbeatAt: now,
          };
          exec(sql.upsert("lock"), ...sql.params("lock", lock));
          return { acquired: true, lock };
        });
      });
    },
    heartbeatLock(environment, holder, now, pid) {
      return run("refreshing the deploy lock", () => {
        const at = isoTime(now, "now");
        return (
          exec(
            "UPDATE ledger_locks SET heartbeat_at = ?, pid = ? WHERE environment = ? AND holder = ?",
            at,
            pid,
            environment,
            holder,
          ) > 0
        );
      });
    },
    releaseLock(environment, holder) {
      return run("releasing the deploy lock", () => {
        return exec("DELETE FROM ledger_locks WHERE environment = ? AND holder = ?", environment, holder) > 0;
      });
    },
    getLock(environment) {
      return run("reading the deploy lock", () => {
        const row = get("SELECT * FROM ledger_locks WHERE environment = ?", environment);
        return row ? read.lock(row) : null;
      });
    },
    forceReleaseLock(environment) {
      return run("releasing the deploy lock", () =>
        immediate(() => {
          const row = get("SELECT * FROM ledger_locks WHERE environment = ?", environment);
          if (!row) return null;
          exec("DELETE FROM ledger_locks WHERE environment = ?", environment);
          return read.lock(row);
        }),
      );
    },

    recordApproval(approval) {
      return run("recording an approval", () => {
        const a = normalizeApproval(approval);
        exec(sql.upsert("approval"), ...sql.params("approval", a));
      });
    },
    listApprovals(deployId) {
      return run("listing approvals", () =>
        all(
          "SELECT * FROM ledger_approvals WHERE deploy_id = ? ORDER BY created_at DESC, seq DESC",
          deployId,
        ).map(read.approval),
      );
    },

    recordBackup(backup) {
      return run("recording a backup", () => {
        const b = normalizeBackup(backup);
        exec(sql.upsert("backup"), ...sql.params("backup", b));
      });
    },
    listBackups(environment, limit) {
      return run("listing backups", () =>
        all(
          `SELECT * FROM ledger_backups WHERE environment = ? ORDER BY created_at DESC, seq DESC${limitClause(listLimit(limit))}`,
          environment,
        ).map(read.backup),
      );
    },

    recordTag(tag) {
      return run("recording a tag", () => {
        const t = normalizeTag(tag);
        exec(sql.upsert("tag"), ...sql.params("tag", t));
      });
    },
    listTags(environment, limit) {
      return run("listing tags", () =>
        all(
          `SELECT * FROM ledger_tags WHERE environment = ? ORDER BY created_at DESC, seq DESC${limitClause(listLimit(limit))}`,
          environment,
        ).map(read.tag),
      );
    },

    saveAnalysis(analysis) {
      return run("recording an analysis run", () => {
        const a = normalizeAnalysis(analysis);
        exec(sql.upsert("analysis"), ...sql.params("analysis", a));
      });
    },
    listAnalyses(deployId) {
      return run("listing analysis runs", () =>
        all(
          "SELECT * FROM ledger_analyses WHERE deploy_id = ? ORDER BY started_at, step_index, seq",
          deployId,
        ).map(read.analysis),
      );
    },

    recordNotification(record) {
      return run("recording a notification", () => {
        const n = normalizeNotification(record);
        exec(sql.upsert("notification"), ...sql.params("notification", n));
      });
    },
    listNotifications(deployId) {
      return run("listing notifications", () =>
        all("SELECT * FROM ledger_notifications WHERE deploy_id = ? ORDER BY created_at, seq", deployId).map(
          read.notification,
        ),
      );
    },

    applyFlagChange(change) {
      return run("recording a flag change", () => {
        const c = normalizeFlagChange(change);
        // BEGIN IMMEDIATE: the file's write lock first, so concurrent changes never lose an increment.
        return immediate(() => {
          if (c.state && c.definition?.key !== c.state.flagKey) {
            if (!get("SELECT 1 AS present FROM ledger_flags WHERE key = ?", c.state.flagKey)) {
              throw flagNotFound(c.state.flagKey);
            }
          }
          if (get("SELECT 1 AS present FROM ledger_flag_audit WHERE id = ?", c.audit.id)) {
            throw flagAuditExists(c.audit.id);
          }
          const f = c.definition;
          if (f) {
            exec(sql.upsert("flag"), ...sql.params("flag", f));
          }
          const st = c.state;
          if (st) {
            exec(sql.upsert("flagState"), ...sql.params("flagState", st));
          }
          const a = c.audit;
          exec(sql.insert("flagAudit"), ...sql.params("flagAudit", a));
          const row = get(
            "UPDATE ledger_flag_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision",
          );
          if (!row) throw new Error("the flag revision row is missing");
          return Number(row.revision);
        });
      });
    },
    getFlag(key) {
      return run("reading a flag", () => {
        const row = get("SELECT * FROM ledger_flags WHERE key = ?", key);
        return row ? read.flag(row) : null;
      });
    },
    listFlags(options = {}) {
      return run("listing flags", () =>
        all(
          `SELECT * FROM ledger_flags${options.includeArchived === true ? "" : " WHERE archived_at IS NULL"} ORDER BY key`,
        ).map(read.flag),
      );
    },
    getFlagState(key, environment) {
      return run("reading a flag's state", () => {
        const row = get(
          "SELECT * FROM ledger_flag_states WHERE flag_key = ? AND environment = ?",
          key,
          environment,
        );
        return row ? read.flagState(row) : null;
      });
    },
    listFlagStates(environment) {
      return run("listing flag states", () =>
        all("SELECT * FROM ledger_flag_states WHERE environment = ? ORDER BY flag_key", environment).map(
          read.flagState,
        ),
      );
    },
    flagRevision() {
      return run("reading the flag revision", () => {
        const row = get("SELECT revision FROM ledger_flag_revision WHERE id = 1");
        return row ? Number(row.revision) : 0;
      });
    },
    listFlagAudit(flagKey, limit) {
      return run("reading a flag's audit", () =>
        all(
          `SELECT * FROM ledger_flag_audit WHERE flag_key = ? ORDER BY at DESC, seq DESC${limitClause(listLimit(limit, defaultFlagAuditLimit))}`,
          flagKey,
        ).map(read.flagAudit),
      );
    },
    recordFlagEvaluations(environment, day, counts) {
      return run("recording flag evaluations", () => {
        const d = evaluationDay(day);
        const merged = mergeEvaluationCounts(counts);
        if (merged.length === 0) return;
        immediate(() => {
          for (const c of merged) {
            exec(
              `INSERT INTO ledger_flag_evaluations (environment, day, flag_key, has_variant, variant, enabled, count)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (environment, day, flag_key, has_variant, variant, enabled)
               DO UPDATE SET count = count + excluded.count`,
              environment,
              d,
              c.flagKey,
              c.variant === null ? 0 : 1,
              c.variant ?? "",
              c.enabled ? 1 : 0,
              c.count,
            );
          }
        });
      });
    },
    listFlagEvaluations(environment, flagKey) {
      return run("listing flag evaluations", () => {
        const where = flagKey === undefined ? "" : " AND flag_key = ?";
        const params: SqlParam[] = flagKey === undefined ? [environment] : [environment, flagKey];
        return all(
          `SELECT * FROM ledger_flag_evaluations WHERE environment = ?${where}
           ORDER BY day DESC, flag_key, has_variant, variant, enabled`,
          ...params,
        ).map(read.flagEvaluation);
      });
    },
    saveApiToken(token) {
      return run("saving an API token", () => {
        const t = normalizeApiToken(token);
        immediate(() => {
          if (get("SELECT 1 AS present FROM ledger_api_tokens WHERE id = ? OR hash = ?", t.id, t.hash)) {
            throw apiTokenExists(t.id);
          }
          exec(sql.insert("apiToken"), ...sql.params("apiToken", t));
        });
      });
    },
    findApiTokenByHash(hash) {
      return run("finding an API token", () => {
        const row = get("SELECT * FROM ledger_api_tokens WHERE hash = ?", hash);
        return row ? read.apiToken(row) : null;
      });
    },
    listApiTokens() {
      return run("listing API tokens", () =>
        all("SELECT * FROM ledger_api_tokens ORDER BY created_at, seq").map(read.apiToken),
      );
    },
    revokeApiToken(id, at) {
      return run("revoking an API token", () => {
        const revokedAt = isoTime(at, "apiToken.revokedAt");
        return (
          exec(
            "UPDATE ledger_api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            revokedAt,
            id,
          ) > 0
        );
      });
    },

    appendAudit(event) {
      return run("appending to the audit log", () => {
        const e = normalizeAuditEvent(event);
        // BEGIN IMMEDIATE: the file's write lock before reading the head, so appends from any
        // process form one line.
        return immediate((): AuditRecord => {
          const head = get("SELECT seq, hash FROM ledger_audit_head WHERE id = 1");
          if (!head) throw new Error("the audit chain head row is missing");
          const unhashed = { ...e, seq: Number(head.seq) + 1, prevHash: String(head.hash) };
          const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed) };
          exec(sql.insert("audit"), ...sql.params("audit", record));
          exec("UPDATE ledger_audit_head SET seq = ?, hash = ? WHERE id = 1", record.seq, record.hash);
          return record;
        });
      });
    },
    listAudit(options) {
      return run("reading the audit log", () => {
        const o = auditListOptions(options);
        const params: SqlParam[] = [o.afterSeq];
        if (o.target !== null) params.push(o.target);
        return all(
          `SELECT * FROM ledger_audit WHERE seq > ?${o.target === null ? "" : " AND target = ?"} ORDER BY seq LIMIT ${o.limit}`,
          ...params,
        ).map(read.audit);
      });
    },
    verifyAudit() {
      return run("verifying the audit log", () =>
        // One read transaction: a snapshot of the head and the rows, whatever other processes append.
        db
          .transaction(() => {
            const verifier = createAuditVerifier();
            let after = 0;
            for (;;) {
              const page = all(
                `SELECT * FROM ledger_audit WHERE seq > ? ORDER BY seq LIMIT ${auditPage}`,
                after,
              ).map(read.audit);
              for (const record of page) {
                const failure = verifier.push(record);
                if (failure) return failure;
                after = record.seq;
              }
              if (page.length < auditPage) break;
            }
            const head = get("SELECT seq, hash FROM ledger_audit_head WHERE id = 1");
            return verifier.finish(head ? { seq: Number(head.seq), hash: String(head.hash) } : null);
          })
          .deferred(),
      );
    },

    recordGateReport(report) {
      return run("recording a gate report", () => {
        const r = normalizeGateReport(report);
        exec(sql.upsert("gateReport"), ...sql.params("gateReport", r));
      });
    },
    latestGateReport(gitSha, environment) {
      return run("reading a gate report", () => {
        // The environment's own report first; else the one checked without an environment.
        const row = get(
          `SELECT * FROM ledger_gate_reports WHERE git_sha = ? AND (environment IS ? OR environment IS NULL)
           ORDER BY (environment IS NULL), created_at DESC, seq DESC LIMIT 1`,
          gitSha,
          environment,
        );
        return row ? read.gateReport(row) : null;
      });
    },
    listGateReports(gitSha) {
      return run("listing gate reports", () =>
        all(
          "SELECT * FROM ledger_gate_reports WHERE git_sha = ? ORDER BY created_at DESC, seq DESC",
          gitSha,
        ).map(read.gateReport),
      );
    },

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
