/**
 * The in-memory ledger: the fake the unit tests of the deploy code use. It keeps the semantics of
 * the SQL adapters (the same contract suite runs against all three) and copies every value in and
 * out, so a caller mutating an object it passed or got back never changes what is stored.
 */
import type { ApiTokenRecord, FlagAuditEntry, FlagDefinition, FlagEnvironmentState } from "../flags/types.js";
import { type AuditHead, auditHash, genesisHash, verifyAuditChain } from "./audit-chain.js";
import { isoTime, isoTimeOrNull, staleBefore } from "./iso-time.js";
import { deployExists, deployNotFound } from "./ledger-error.js";
import {
  apiTokenExists,
  auditListOptions,
  copy,
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
import {
  type AnalysisRun,
  type Approval,
  type AuditRecord,
  activeDeployStatuses,
  type BackupRecord,
  type Deploy,
  type DeployLock,
  type DeployStep,
  type EnvironmentState,
  type FlagEvaluationCount,
  type GateReportRecord,
  type LedgerStore,
  type LockResult,
  type NotificationRecord,
  type Release,
  type TagRecord,
} from "./types.js";

interface Row<T> {
  seq: number;
  value: T;
}

/** Newest first: by time descending, then by insertion order descending. */
function newestFirst<T>(rows: Iterable<Row<T>>, time: (value: T) => string): T[] {
  return [...rows]
    .sort((a, b) => {
      const at = time(a.value);
      const bt = time(b.value);
      if (at !== bt) return at < bt ? 1 : -1;
      return b.seq - a.seq;
    })
    .map((row) => row.value);
}

/** Oldest first: by the given keys ascending (strings or numbers), then by insertion order. */
function oldestFirst<T>(rows: Iterable<Row<T>>, keys: (value: T) => (string | number)[]): T[] {
  return [...rows]
    .sort((a, b) => {
      const ak = keys(a.value);
      const bk = keys(b.value);
      for (let i = 0; i < ak.length; i++) {
        const x = ak[i] as string | number;
        const y = bk[i] as string | number;
        if (x !== y) return x < y ? -1 : 1;
      }
      return a.seq - b.seq;
    })
    .map((row) => row.value);
}

function take<T>(items: T[], limit: number | null): T[] {
  return limit === null ? items : items.slice(0, limit);
}

/** Each memory ledger's audit rows, for tamperWithMemoryAudit (tests only). */
const auditRowsOf = new WeakMap<LedgerStore, AuditRecord[]>();

/**
 * Tests only: hands the memory ledger's stored audit rows (in seq order) to `tamper`, which may
 * change, remove or reorder them in place, as someone editing the database by hand would. The
 * chain head the store keeps is left as it was.
 */
export function tamperWithMemoryAudit(store: LedgerStore, tamper: (rows: AuditRecord[]) => void): void {
  const rows = auditRowsOf.get(store);
  if (!rows) throw new Error("tamperWithMemoryAudit: not a memory ledger");
  tamper(rows);
}

/** Creates an empty in-memory ledger. */
export function createMemoryLedger(): LedgerStore {
  let seq = 0;
  const next = () => ++seq;
  const releases = new Map<string, Row<Release>>();
  const deploys = new Map<string, Row<Deploy>>();
  const steps = new Map<string, Map<number, DeployStep>>();
  const states = new Map<string, EnvironmentState>();
  const locks = new Map<string, DeployLock>();
  const approvals = new Map<string, Row<Approval>>();
  const backups = new Map<string, Row<BackupRecord>>();
  const tags = new Map<string, Row<TagRecord>>();
  const analyses = new Map<string, Row<AnalysisRun>>();
  const notifications = new Map<string, Row<NotificationRecord>>();

  const flags = new Map<string, FlagDefinition>();
  /** By JSON [flagKey, environment]. */
  const flagStates = new Map<string, FlagEnvironmentState>();
  const flagAudit = new Map<string, Row<FlagAuditEntry>>();
  /** By JSON [environment, day, flagKey, variant, enabled]. */
  const evaluations = new Map<string, FlagEvaluationCount & { day: string; environment: string }>();
  const tokens = new Map<string, Row<ApiTokenRecord>>();
  let revision = 0;
  const gateReports = new Map<string, Row<GateReportRecord>>();
  const audit: AuditRecord[] = [];
  let auditHead: AuditHead = { seq: 0, hash: genesisHash };
  const byKey = (a: { flagKey: string }, b: { flagKey: string }) =>
    a.flagKey < b.flagKey ? -1 : a.flagKey > b.flagKey ? 1 : 0;

  const deploysOf = (environment: string) =>
    [...deploys.values()].filter((row) => row.value.environment === environment);

  const store: LedgerStore = {
    kind: "memory",

    async saveRelease(release) {
      const stored = releases.get(release.id);
      if (stored) return copy(stored.value);
      const value = normalizeRelease(release);
      releases.set(value.id, { seq: next(), value });
      return copy(value);
    },
    async getRelease(id) {
      const row = releases.get(id);
      return row ? copy(row.value) : null;
    },
    async findReleaseByVersion(version) {
      const found = newestFirst(releases.values(), (r) => r.createdAt).find((r) => r.version === version);
      return found ? copy(found) : null;
    },
    async listReleases(limit) {
      return copy(
        take(
          newestFirst(releases.values(), (r) => r.createdAt),
          listLimit(limit),
        ),
      );
    },

    async createDeploy(deploy) {
      if (deploys.has(deploy.id)) throw deployExists(deploy.id);
      deploys.set(deploy.id, { seq: next(), value: normalizeDeploy(deploy) });
    },
    async updateDeploy(id, patch) {
      const row = deploys.get(id);
      if (!row) throw deployNotFound(id);
      const updated: Deploy = { ...row.value };
      if (patch.status !== undefined) updated.status = patch.status;
      if (patch.nextStep !== undefined) updated.nextStep = patch.nextStep;
      if (patch.error !== undefined) updated.error = patch.error;
      if (patch.finishedAt !== undefined) {
        updated.finishedAt = isoTimeOrNull(patch.finishedAt, "deploy.finishedAt");
      }
      if (patch.plan !== undefined) updated.plan = copy(patch.plan);
      row.value = updated;
      return copy(updated);
    },
    async getDeploy(id) {
      const row = deploys.get(id);
      return row ? copy(row.value) : null;
    },
    async listDeploys(environment, options = {}) {
      const matching = deploysOf(environment).filter(
        (row) =>
          (options.kind === undefined || row.value.kind === options.kind) &&
          (options.status === undefined || row.value.status === options.status),
      );
      return copy(
        take(
          newestFirst(matching, (d) => d.startedAt),
          listLimit(options.limit, defaultDeployListLimit),
        ),
      );
    },
    async activeDeploy(environment) {
      const active = newestFirst(deploysOf(environment), (d) => d.startedAt).find((d) =>
        activeDeployStatuses.includes(d.status),
      );
      return active ? copy(active) : null;
    },
    async lastSucceededDeploy(environment) {
      const found = newestFirst(deploysOf(environment), (d) => d.startedAt).find(
        (d) => d.status === "succeeded",
      );
      return found ? copy(found) : null;
    },

    async recordStep(step) {
      const value = normalizeStep(step);
      let journal = steps.get(value.deployId);
      if (!journal) {
        journal = new Map();
        steps.set(value.deployId, journal);
      }
      journal.set(value.index, value);
    },
    async listSteps(deployId) {
      const journal = steps.get(deployId);
      if (!journal) return [];
      return copy([...journal.values()].sort((a, b) => a.index - b.index));
    },

    async getEnvironmentState(environment) {
      const state = states.get(environment);
      return state ? copy(state) : null;
    },
    async setEnvironmentState(state) {
      states.set(state.environment, normalizeState(state));
    },
    async listEnvironmentStates() {
      return copy([...states.values()].sort((a, b) => (a.environment < b.environment ? -1 : 1)));
    },

    async acquireLock(request, options): Promise<LockResult> {
      const now = isoTime(options.now, "now");
      const stale = staleBefore(now, options.staleAfterMs);
      const held = locks.get(request.environment);
      if (held && held.holder !== request.holder && held.heartbeatAt >= stale) {
        return { acquired: false, heldBy: copy(held) };
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
      locks.set(lock.environment, lock);
      return { acquired: true, lock: copy(lock) };
    },
    async heartbeatLock(environment, holder, now, pid) {
      const held = locks.get(environment);
      if (!held || held.holder !== holder) return false;
      locks.set(environment, { ...held, heartbeatAt: isoTime(now, "now"), pid });
      return true;
    },
    async releaseLock(environment, holder) {
      const held = locks.get(environment);
      if (!held || held.holder !== holder) return false;
      locks.delete(environment);
      return true;
    },
    async getLock(environment) {
      const held = locks.get(environment);
      return held ? copy(held) : null;
    },
    async forceReleaseLock(environment) {
      const held = locks.get(environment);
      locks.delete(environment);
      return held ? copy(held) : null;
    },

    async recordApproval(approval) {
      const value = normalizeApproval(approval);
      const stored = approvals.get(value.id);
      approvals.set(value.id, { seq: stored?.seq ?? next(), value });
    },
    async listApprovals(deployId) {
      const rows = [...approvals.values()].filter((row) => row.value.deployId === deployId);
      return copy(newestFirst(rows, (a) => a.createdAt));
    },

    async recordBackup(backup) {
      const value = normalizeBackup(backup);
      const stored = backups.get(value.id);
      backups.set(value.id, { seq: stored?.seq ?? next(), value });
    },
    async listBackups(environment, limit) {
      const rows = [...backups.values()].filter((row) => row.value.environment === environment);
      return copy(
        take(
          newestFirst(rows, (b) => b.createdAt),
          listLimit(limit),
        ),
      );
    },

    async recordTag(tag) {
      const value = normalizeTag(tag);
      const stored = tags.get(value.name);
      tags.set(value.name, { seq: stored?.seq ?? next(), value });
    },
    async listTags(environment, limit) {
      const rows = [...tags.values()].filter((row) => row.value.environment === environment);
      return copy(
        take(
          newestFirst(rows, (t) => t.createdAt),
          listLimit(limit),
        ),
      );
    },

    async saveAnalysis(run) {
      const value = normalizeAnalysis(run);
      const stored = analyses.get(value.id);
      analyses.set(value.id, { seq: stored?.seq ?? next(), value });
    },
    async listAnalyses(deployId) {
      const rows = [...analyses.values()].filter((row) => row.value.deployId === deployId);
      return copy(oldestFirst(rows, (a) => [a.startedAt, a.stepIndex]));
    },

    async recordNotification(record) {
      const value = normalizeNotification(record);
      const stored = notifications.get(value.id);
      notifications.set(value.id, { seq: stored?.seq ?? next(), value });
    },
    async listNotifications(deployId) {
      const rows = [...notifications.values()].filter((row) => row.value.deployId === deployId);
      return copy(oldestFirst(rows, (n) => [n.createdAt]));
    },

    async applyFlagChange(change) {
      const c = normalizeFlagChange(change);
      // Every check before the first write: a refused change leaves nothing behind.
      if (c.state && c.definition?.key !== c.state.flagKey && !flags.has(c.state.flagKey)) {
        throw flagNotFound(c.state.flagKey);
      }
      if (flagAudit.has(c.audit.id)) throw flagAuditExists(c.audit.id);
      if (c.definition) flags.set(c.definition.key, c.definition);
      if (c.state) flagStates.set(JSON.stringify([c.state.flagKey, c.state.environment]), c.state);
      flagAudit.set(c.audit.id, { seq: next(), value: c.audit });
      revision += 1;
      return revision;
    },
    async getFlag(key) {
      const flag = flags.get(key);
      return flag ? copy(flag) : null;
    },
    async listFlags(options = {}) {
      const all = [...flags.values()].filter(
        (f) => options.includeArchived === true || f.archivedAt === null,
      );
      return copy(all.sort((a, b) => byKey({ flagKey: a.key }, { flagKey: b.key })));
    },
    async getFlagState(key, environment) {
      const state = flagStates.get(JSON.stringify([key, environment]));
      return state ? copy(state) : null;
    },
    async listFlagStates(environment) {
      return copy([...flagStates.values()].filter((s) => s.environment === environment).sort(byKey));
    },
    async flagRevision() {
      return revision;
    },
    async listFlagAudit(flagKey, limit) {
      const rows = [...flagAudit.values()].filter((row) => row.value.flagKey === flagKey);
      return copy(
        take(
          newestFirst(rows, (e) => e.at),
          listLimit(limit, defaultFlagAuditLimit),
        ),
      );
    },
    async recordFlagEvaluations(environment, day, counts) {
      const d = evaluationDay(day);
      for (const c of mergeEvaluationCounts(counts)) {
        const key = JSON.stringify([environment, d, c.flagKey, c.variant, c.enabled]);
        const total = evaluations.get(key);
        if (total) total.count += c.count;
        else evaluations.set(key, { ...c, day: d, environment });
      }
    },
    async listFlagEvaluations(environment, flagKey) {
      // As the SQL adapters order: day descending, then flag, null variant first, variant, off first.
      const sortKey = (e: FlagEvaluationCount & { day: string }) => [
        e.flagKey,
        e.variant === null ? 0 : 1,
        e.variant ?? "",
        e.enabled ? 1 : 0,
      ];
      return [...evaluations.values()]
        .filter((e) => e.environment === environment && (flagKey === undefined || e.flagKey === flagKey))
        .sort((a, b) => {
          if (a.day !== b.day) return a.day < b.day ? 1 : -1;
          const ak = sortKey(a);
          const bk = sortKey(b);
          for (let i = 0; i < ak.length; i++) {
            const x = ak[i] as string | number;
            const y = bk[i] as string | number;
            if (x !== y) return x < y ? -1 : 1;
          }
          return 0;
        })
        .map((e) => ({
          day: e.day,
          flagKey: e.flagKey,
          variant: e.variant,
          enabled: e.enabled,
          count: e.count,
        }));
    },
    async saveApiToken(token) {
      const value = normalizeApiToken(token);
      if (tokens.has(value.id) || [...tokens.values()].some((row) => row.value.hash === value.hash)) {
        throw apiTokenExists(value.id);
      }
      tokens.set(value.id, { seq: next(), value });
    },
    async findApiTokenByHash(hash) {
      const found = [...tokens.values()].find((row) => row.value.hash === hash);
      return found ? copy(found.value) : null;
    },
    async listApiTokens() {
      return copy(oldestFirst(tokens.values(), (t) => [t.createdAt]));
    },
    async revokeApiToken(id, at) {
      const revokedAt = isoTime(at, "apiToken.revokedAt");
      const row = tokens.get(id);
      if (!row || row.value.revokedAt !== null) return false;
      row.value = { ...row.value, revokedAt };
      return true;
    },

    async appendAudit(event) {
      // Synchronous from here to the end: no other append can come between reading the head and
      // moving it.
      const e = normalizeAuditEvent(event);
      const unhashed = { ...e, seq: auditHead.seq + 1, prevHash: auditHead.hash };
      const record: AuditRecord = { ...unhashed, hash: auditHash(unhashed) };
      audit.push(record);
      auditHead = { seq: record.seq, hash: record.hash };
      return copy(record);
    },
    async listAudit(options) {
      const o = auditListOptions(options);
      const matching = audit.filter(
        (r) => r.seq > o.afterSeq && (o.target === null || r.target === o.target),
      );
      return copy(matching.sort((a, b) => a.seq - b.seq).slice(0, o.limit));
    },
    async verifyAudit() {
      return verifyAuditChain(
        [...audit].sort((a, b) => a.seq - b.seq),
        auditHead,
      );
    },

    async recordGateReport(report) {
      const value = normalizeGateReport(report);
      const stored = gateReports.get(value.id);
      gateReports.set(value.id, { seq: stored?.seq ?? next(), value });
    },
    async latestGateReport(gitSha, environment) {
      const newest = (env: string | null) =>
        newestFirst(
          [...gateReports.values()].filter(
            (row) => row.value.gitSha === gitSha && row.value.environment === env,
          ),
          (r) => r.createdAt,
        )[0];
      const found = newest(environment) ?? (environment === null ? undefined : newest(null));
      return found ? copy(found) : null;
    },
    async listGateReports(gitSha) {
      const rows = [...gateReports.values()].filter((row) => row.value.gitSha === gitSha);
      return copy(newestFirst(rows, (r) => r.createdAt));
    },

    async close() {},
  };
  auditRowsOf.set(store, audit);
  return store;
}
