/**
 * The ledger's contract suite: what every LedgerStore adapter must do, run against the in-memory
 * fake, SQLite and Postgres (ledger.test.ts). Test support, not shipped behaviour: it imports vitest.
 * An adapter passing it may replace another in any caller.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiTokenRecord, FlagAuditEntry, FlagDefinition, FlagEnvironmentState } from "../flags/types.js";
import { auditHash, genesisHash } from "./audit-chain.js";
import type {
  AnalysisRun,
  Approval,
  AuditEvent,
  AuditRecord,
  BackupRecord,
  Deploy,
  DeployLock,
  DeployStep,
  EnvironmentState,
  FlagChange,
  GateReportRecord,
  LedgerStore,
  NotificationRecord,
  Release,
  TagRecord,
} from "./types.js";

export interface LedgerUnderTest {
  store: LedgerStore;
  cleanup(): Promise<void>;
}

/** 2026-01-01T00:00:00.000Z plus `seconds`. */
export const at = (seconds: number): string => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

export function sampleRelease(overrides: Partial<Release> = {}): Release {
  return {
    id: "r-0123456789abcdef",
    version: "v1",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    artifact: { hash: "a".repeat(64), path: ".shipgate/artifacts/aaaa", bytes: 12_345, files: 7 },
    start: "node server.js",
    config: { strategy: "rolling", instances: 2, health: { path: "/health/ready", intervalMs: 1000 } },
    envKeys: ["DATABASE_URL", "PORT"],
    envSealed: "v1:gcm:bm9uY2U=:Y2lwaGVy",
    createdAt: at(0),
    createdBy: "ada@laptop",
    ...overrides,
  };
}

export function sampleDeploy(overrides: Partial<Deploy> = {}): Deploy {
  return {
    id: "d-1",
    environment: "production",
    kind: "deploy",
    releaseId: "r-0123456789abcdef",
    previousReleaseId: null,
    previousTraffic: [],
    strategy: "rolling",
    status: "running",
    actor: "ada@laptop",
    reason: "ship v1",
    plan: [
      { type: "start-instances", count: 2 },
      { type: "set-traffic", weights: { "r-0123456789abcdef": 100 } },
    ],
    notes: [],
    nextStep: 0,
    error: null,
    startedAt: at(0),
    finishedAt: null,
    ...overrides,
  };
}

export function sampleStep(overrides: Partial<DeployStep> = {}): DeployStep {
  return {
    deployId: "d-1",
    index: 0,
    type: "start-instances",
    status: "running",
    detail: { instances: ["i-1", "i-2"] },
    startedAt: at(1),
    finishedAt: null,
    ...overrides,
  };
}

export function sampleAnalysis(overrides: Partial<AnalysisRun> = {}): AnalysisRun {
  return {
    id: "an-1",
    deployId: "d-1",
    environment: "production",
    stepIndex: 3,
    phase: "canary",
    canaryReleaseId: "r-canary",
    baselineReleaseId: "r-stable",
    verdict: "running",
    summary: "canary p99 190 ms vs baseline 180 ms = 1.06× ≤ 1.5× over 1 of 5 intervals",
    measurements: [
      {
        interval: 1,
        at: at(60),
        metrics: { "p99-latency": { canary: 190, baseline: 180, ratio: 1.06, verdict: "pass" } },
      },
    ],
    startedAt: at(1),
    finishedAt: null,
    ...overrides,
  };
}

export function sampleNotification(overrides: Partial<NotificationRecord> = {}): NotificationRecord {
  return {
    id: "n-1",
    deployId: "d-1",
    environment: "production",
    event: "deploy-started",
    channel: "slack",
    ok: true,
    attempts: 1,
    status: 200,
    error: null,
    createdAt: at(1),
    ...overrides,
  };
}

export function sampleFlag(overrides: Partial<FlagDefinition> = {}): FlagDefinition {
  return {
    key: "new-checkout",
    description: "The new checkout flow",
    owner: "team-payments",
    type: "release",
    removalDate: "2026-06-30",
    createdAt: at(0),
    createdBy: "ada@laptop",
    archivedAt: null,
    ...overrides,
  };
}

export function sampleFlagState(overrides: Partial<FlagEnvironmentState> = {}): FlagEnvironmentState {
  return {
    flagKey: "new-checkout",
    environment: "production",
    enabled: true,
    rollout: 25,
    rules: [
      { attribute: "country", operator: "in", values: ["DE", "FR"], serve: { enabled: true, variant: "b" } },
      { attribute: "appVersion", operator: "semver_lt", values: ["2.0.0"], serve: { enabled: false } },
      { attribute: "age", operator: "gte", values: [18.5], serve: { enabled: true } },
    ],
    variants: [
      {
        name: "a",
        weight: 50,
        payload: { color: "blue", sizes: [1, 2.5], nested: { ok: true, none: null } },
      },
      { name: "b", weight: 30, payload: "plain string" },
      { name: "c", weight: 10, payload: 42 },
      { name: "d", weight: 5, payload: [1, "two", false, null] },
      { name: "e", weight: 3, payload: false },
      { name: "f", weight: 2, payload: null },
      { name: "g", weight: 1 },
    ],
    killed: false,
    stickiness: "userId",
    updatedAt: at(1),
    updatedBy: "ada@laptop",
    rolloutChangedAt: at(1),
    ...overrides,
  };
}

export function sampleFlagAudit(overrides: Partial<FlagAuditEntry> = {}): FlagAuditEntry {
  return {
    id: "fa-1",
    flagKey: "new-checkout",
    environment: null,
    action: "create",
    actor: "ada@laptop",
    at: at(0),
    before: null,
    after: { key: "new-checkout", owner: "team-payments" },
    ...overrides,
  };
}

export function sampleApiToken(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return {
    id: "tok-1",
    hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    name: "web app",
    environment: "production",
    scope: "sdk",
    createdAt: at(0),
    createdBy: "ada@laptop",
    revokedAt: null,
    ...overrides,
  };
}

/** A failed `shipgate check --format json` report for the sample release's commit, targeting production. */
export function sampleGateReport(overrides: Partial<GateReportRecord> = {}): GateReportRecord {
  return {
    id: "gr-1",
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    environment: "production",
    passed: false,
    summary: "failed: 1 error, 1 warning",
    report: {
      command: "check",
      failed: true,
      base: "fedcba9876543210fedcba9876543210fedcba98",
      baseLabel: "origin/main",
      environment: "production",
      durationMs: 1234,
      counts: { pass: 1, fail: 1, manual: 0, skipped: 1 },
      items: [
        {
          id: "migrations.lint",
          group: "data",
          title: "Migrations pass the linter",
          status: "fail",
          findings: [
            {
              ruleId: "dropping-column",
              severity: "error",
              file: "db/migrations/002_drop_email.sql",
              line: 1,
              message: "ALTER TABLE users DROP COLUMN email breaks the running version",
            },
            { ruleId: "prefer-bigint", severity: "warning", message: "use bigint" },
          ],
          durationMs: 80,
        },
        { id: "env.verify", group: "application", title: "Env", status: "pass", findings: [], durationMs: 3 },
        {
          id: "window",
          group: "infrastructure",
          title: "Deploy window",
          status: "skipped",
          detail: "no window configured",
          findings: [],
          durationMs: 0,
        },
      ],
    },
    createdAt: at(10),
    createdBy: "ci (GitHub Actions)",
    ...overrides,
  };
}

/** A change creating the sample flag (definition and a production state). */
export function createFlagChange(key = "new-checkout", auditId = `fa-create-${key}`): FlagChange {
  return {
    definition: sampleFlag({ key }),
    state: sampleFlagState({ flagKey: key }),
    audit: sampleFlagAudit({ id: auditId, flagKey: key }),
  };
}

const lockRequest = (
  holder: string,
  overrides: Partial<Omit<DeployLock, "acquiredAt" | "heartbeatAt">> = {},
) => ({
  environment: "production",
  holder,
  deployId: `d-${holder}`,
  hostname: "runner-3",
  pid: 4242,
  ...overrides,
});

/** A value exercising everything JSON can hold. */
export function sampleAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    actor: "ada@laptop",
    action: "flag.rollout",
    target: "flag:new-checkout",
    environment: "production",
    source: "cli@laptop",
    before: { rollout: 10 },
    after: { rollout: 25 },
    at: at(1),
    ...overrides,
  };
}

/** Appends `n` events one after another (targets alternate: flag:a, flag:b); returns the records. */
export async function appendAuditEvents(store: LedgerStore, n: number, from = 1): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (let i = from; i < from + n; i++) {
    records.push(
      await store.appendAudit(
        sampleAuditEvent({ target: i % 2 === 1 ? "flag:a" : "flag:b", after: { rollout: i }, at: at(i) }),
      ),
    );
  }
  return records;
}

const awkwardJson = {
  nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] } },
  numbers: [0, -1, 1.5, -0.25, 1e-7, 2 ** 53 - 1, 123456789.125],
  strings: ["", 'quote " backslash \\ slash /', "new\nline\ttab", "ünïcødé ✓ 🚀 中文", "'; DROP TABLE x; --"],
  booleans: [true, false],
  nothing: null,
  empty: { object: {}, array: [] },
  "key with spaces": "and \u00e9",
  zIndex: 1,
  aIndex: 2,
};

async function expectLedgerFailed(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: "ShipgateError", code: "LEDGER_FAILED" });
}

/** Registers the contract suite for one adapter; `factory` makes a fresh, empty ledger per test. */
export function describeLedgerContract(name: string, factory: () => Promise<LedgerUnderTest>): void {
  describe(`LedgerStore contract: ${name}`, () => {
    let subject: LedgerUnderTest | undefined;
    let store: LedgerStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });
    afterEach(async () => {
      await subject?.store.close();
      await subject?.cleanup();
      subject = undefined;
    });

    it("names its kind", () => {
      expect(["memory", "sqlite", "postgres"]).toContain(store.kind);
    });

    describe("releases", () => {
      it("saves a release and reads it back by id", async () => {
        const release = sampleRelease();
        expect(await store.saveRelease(release)).toEqual(release);
        expect(await store.getRelease(release.id)).toEqual(release);
      });

      it("saving the same id again is a no-op returning the stored release", async () => {
        const first = sampleRelease();
        await store.saveRelease(first);
        const again = await store.saveRelease(
          sampleRelease({ version: "v-other", createdBy: "someone@else" }),
        );
        expect(again).toEqual(first);
        expect(await store.getRelease(first.id)).toEqual(first);
        expect(await store.listReleases()).toHaveLength(1);
      });

      it("finds a release by version, the newest winning", async () => {
        await store.saveRelease(sampleRelease({ id: "r-old", version: "v2", createdAt: at(10) }));
        await store.saveRelease(sampleRelease({ id: "r-new", version: "v2", createdAt: at(20) }));
        await store.saveRelease(sampleRelease({ id: "r-older-saved-last", version: "v2", createdAt: at(5) }));
        await store.saveRelease(sampleRelease({ id: "r-v3", version: "v3", createdAt: at(30) }));
        expect((await store.findReleaseByVersion("v2"))?.id).toBe("r-new");
        expect((await store.findReleaseByVersion("v3"))?.id).toBe("r-v3");
        expect(await store.findReleaseByVersion("v9")).toBeNull();
      });

      it("breaks a tie in time by the order of saving", async () => {
        await store.saveRelease(sampleRelease({ id: "r-a", version: "v2", createdAt: at(10) }));
        await store.saveRelease(sampleRelease({ id: "r-b", version: "v2", createdAt: at(10) }));
        expect((await store.findReleaseByVersion("v2"))?.id).toBe("r-b");
        expect((await store.listReleases()).map((r) => r.id)).toEqual(["r-b", "r-a"]);
      });

      it("lists releases newest first, with a limit", async () => {
        for (let i = 0; i < 5; i++) {
          await store.saveRelease(sampleRelease({ id: `r-${i}`, version: `v${i}`, createdAt: at(i * 10) }));
        }
        expect((await store.listReleases()).map((r) => r.id)).toEqual(["r-4", "r-3", "r-2", "r-1", "r-0"]);
        expect((await store.listReleases(2)).map((r) => r.id)).toEqual(["r-4", "r-3"]);
        expect(await store.listReleases(0)).toEqual([]);
      });

      it("keeps nullable fields null", async () => {
        const release = sampleRelease({ gitSha: null, envSealed: null, envKeys: [] });
        await store.saveRelease(release);
        expect(await store.getRelease(release.id)).toEqual(release);
      });
    });

    describe("deploys", () => {
      it("creates a deploy and reads it back", async () => {
        const deploy = sampleDeploy({
          previousReleaseId: "r-prev",
          previousTraffic: [
            { releaseId: "r-prev", weight: 90 },
            { releaseId: "r-canary", weight: 10 },
          ],
          notes: [{ type: "current-not-running", current: "r-prev", cause: "down" }],
        });
        await store.createDeploy(deploy);
        expect(await store.getDeploy(deploy.id)).toEqual(deploy);
      });

      it("refuses to create a deploy whose id exists", async () => {
        await store.createDeploy(sampleDeploy());
        await expectLedgerFailed(store.createDeploy(sampleDeploy({ status: "failed" })));
        expect((await store.getDeploy("d-1"))?.status).toBe("running");
      });

      it("updates only the given fields and returns the deploy", async () => {
        const deploy = sampleDeploy();
        await store.createDeploy(deploy);
        const updated = await store.updateDeploy(deploy.id, { nextStep: 1 });
        expect(updated).toEqual({ ...deploy, nextStep: 1 });
        const plan = [{ type: "pause", untilPromoted: true }];
        const finished = await store.updateDeploy(deploy.id, {
          status: "failed",
          error: "readiness timed out",
          finishedAt: at(60),
          plan,
        });
        expect(finished).toEqual({
          ...deploy,
          nextStep: 1,
          status: "failed",
          error: "readiness timed out",
          finishedAt: at(60),
          plan,
        });
        expect(await store.getDeploy(deploy.id)).toEqual(finished);
      });

      it("sets fields back to null", async () => {
        await store.createDeploy(sampleDeploy({ error: "boom", finishedAt: at(5), status: "failed" }));
        const cleared = await store.updateDeploy("d-1", { error: null, finishedAt: null, status: "running" });
        expect(cleared.error).toBeNull();
        expect(cleared.finishedAt).toBeNull();
        expect((await store.getDeploy("d-1"))?.finishedAt).toBeNull();
      });

      it("an empty patch returns the deploy unchanged", async () => {
        const deploy = sampleDeploy();
        await store.createDeploy(deploy);
        expect(await store.updateDeploy(deploy.id, {})).toEqual(deploy);
      });

      it("updateDeploy on a missing id throws LEDGER_FAILED", async () => {
        await expectLedgerFailed(store.updateDeploy("d-missing", { status: "failed" }));
        await expectLedgerFailed(store.updateDeploy("d-missing", {}));
        expect(await store.getDeploy("d-missing")).toBeNull();
      });

      it("lists an environment's deploys newest first", async () => {
        await store.createDeploy(sampleDeploy({ id: "d-b", startedAt: at(20) }));
        await store.createDeploy(sampleDeploy({ id: "d-a", startedAt: at(10) }));
        await store.createDeploy(sampleDeploy({ id: "d-c", startedAt: at(30) }));
        await store.createDeploy(
          sampleDeploy({ id: "d-staging", environment: "staging", startedAt: at(40) }),
        );
        expect((await store.listDeploys("production")).map((d) => d.id)).toEqual(["d-c", "d-b", "d-a"]);
        expect((await store.listDeploys("staging")).map((d) => d.id)).toEqual(["d-staging"]);
        expect(await store.listDeploys("nowhere")).toEqual([]);
      });

      it("breaks a tie in start time by the order of creation", async () => {
        await store.createDeploy(sampleDeploy({ id: "d-z", startedAt: at(10) }));
        await store.createDeploy(sampleDeploy({ id: "d-a", startedAt: at(10) }));
        expect((await store.listDeploys("production")).map((d) => d.id)).toEqual(["d-a", "d-z"]);
      });

      it("limits the list to 20 by default, or to the given limit", async () => {
        for (let i = 0; i < 23; i++) {
          await store.createDeploy(sampleDeploy({ id: `d-${String(i).padStart(2, "0")}`, startedAt: at(i) }));
        }
        const deploys = await store.listDeploys("production");
        expect(deploys).toHaveLength(20);
        expect(deploys[0]?.id).toBe("d-22");
        expect(deploys[19]?.id).toBe("d-03");
        expect((await store.listDeploys("production", { limit: 3 })).map((d) => d.id)).toEqual([
          "d-22",
          "d-21",
          "d-20",
        ]);
        expect(await store.listDeploys("production", { limit: 100 })).toHaveLength(23);
      });

      it("filters the list by kind and by status", async () => {
        await store.createDeploy(sampleDeploy({ id: "d-1", status: "succeeded", startedAt: at(1) }));
        await store.createDeploy(sampleDeploy({ id: "d-2", status: "failed", startedAt: at(2) }));
        await store.createDeploy(
          sampleDeploy({ id: "d-3", kind: "rollback", status: "succeeded", startedAt: at(3) }),
        );
        await store.createDeploy(sampleDeploy({ id: "d-4", status: "rolled_back", startedAt: at(4) }));
        await store.createDeploy(sampleDeploy({ id: "d-5", status: "running", startedAt: at(5) }));
        const ids = async (options: Parameters<LedgerStore["listDeploys"]>[1]) =>
          (await store.listDeploys("production", options)).map((d) => d.id);
        expect(await ids({ kind: "rollback" })).toEqual(["d-3"]);
        expect(await ids({ kind: "deploy" })).toEqual(["d-5", "d-4", "d-2", "d-1"]);
        expect(await ids({ status: "succeeded" })).toEqual(["d-3", "d-1"]);
        expect(await ids({ kind: "deploy", status: "succeeded" })).toEqual(["d-1"]);
        expect(await ids({ status: "aborted" })).toEqual([]);
        expect(await ids({ status: "succeeded", limit: 1 })).toEqual(["d-3"]);
      });

      it("finds the active deploy: running or paused, of that environment only", async () => {
        expect(await store.activeDeploy("production")).toBeNull();
        await store.createDeploy(sampleDeploy({ id: "d-done", status: "succeeded", startedAt: at(1) }));
        expect(await store.activeDeploy("production")).toBeNull();
        await store.createDeploy(sampleDeploy({ id: "d-paused", status: "paused", startedAt: at(2) }));
        await store.createDeploy(sampleDeploy({ id: "d-later-done", status: "aborted", startedAt: at(3) }));
        await store.createDeploy(
          sampleDeploy({ id: "d-staging", environment: "staging", status: "running", startedAt: at(4) }),
        );
        expect((await store.activeDeploy("production"))?.id).toBe("d-paused");
        expect((await store.activeDeploy("staging"))?.id).toBe("d-staging");
        await store.updateDeploy("d-paused", { status: "succeeded", finishedAt: at(9) });
        expect(await store.activeDeploy("production")).toBeNull();
      });

      it("finds the last succeeded deploy or rollback", async () => {
        expect(await store.lastSucceededDeploy("production")).toBeNull();
        await store.createDeploy(sampleDeploy({ id: "d-1", status: "succeeded", startedAt: at(1) }));
        await store.createDeploy(
          sampleDeploy({ id: "d-2", kind: "rollback", status: "succeeded", startedAt: at(2) }),
        );
        await store.createDeploy(sampleDeploy({ id: "d-3", status: "failed", startedAt: at(3) }));
        await store.createDeploy(sampleDeploy({ id: "d-4", status: "running", startedAt: at(4) }));
        await store.createDeploy(
          sampleDeploy({ id: "d-staging", environment: "staging", status: "succeeded", startedAt: at(5) }),
        );
        expect((await store.lastSucceededDeploy("production"))?.id).toBe("d-2");
        await store.updateDeploy("d-4", { status: "succeeded", finishedAt: at(10) });
        expect((await store.lastSucceededDeploy("production"))?.id).toBe("d-4");
      });
    });

    describe("the step journal", () => {
      it("lists a deploy's steps in index order whatever the order of recording", async () => {
        await store.recordStep(sampleStep({ index: 2, type: "drain" }));
        await store.recordStep(sampleStep({ index: 0, type: "start-instances" }));
        await store.recordStep(sampleStep({ index: 1, type: "set-traffic" }));
        await store.recordStep(sampleStep({ deployId: "d-2", index: 0, type: "other" }));
        expect((await store.listSteps("d-1")).map((s) => [s.index, s.type])).toEqual([
          [0, "start-instances"],
          [1, "set-traffic"],
          [2, "drain"],
        ]);
        expect((await store.listSteps("d-2")).map((s) => s.type)).toEqual(["other"]);
        expect(await store.listSteps("d-none")).toEqual([]);
      });

      it("replaces the entry of the same (deploy, index)", async () => {
        await store.recordStep(sampleStep({ index: 0, status: "running" }));
        const done = sampleStep({
          index: 0,
          status: "succeeded",
          detail: { instances: ["i-1", "i-2"], healthy: true },
          finishedAt: at(5),
        });
        await store.recordStep(done);
        expect(await store.listSteps("d-1")).toEqual([done]);
      });

      it("round-trips every step status", async () => {
        const statuses = ["running", "succeeded", "failed", "skipped"] as const;
        for (const [index, status] of statuses.entries())
          await store.recordStep(sampleStep({ index, status }));
        expect((await store.listSteps("d-1")).map((s) => s.status)).toEqual([...statuses]);
      });
    });

    describe("environment state", () => {
      it("is null before the first deploy, then round-trips", async () => {
        expect(await store.getEnvironmentState("production")).toBeNull();
        const state: EnvironmentState = {
          environment: "production",
          currentReleaseId: "r-1",
          traffic: [
            { releaseId: "r-1", weight: 75 },
            { releaseId: "r-2", weight: 25 },
          ],
          updatedAt: at(3),
        };
        await store.setEnvironmentState(state);
        expect(await store.getEnvironmentState("production")).toEqual(state);
      });

      it("replaces the state on set, and lists every environment by name", async () => {
        await store.setEnvironmentState({
          environment: "staging",
          currentReleaseId: null,
          traffic: [],
          updatedAt: at(1),
        });
        await store.setEnvironmentState({
          environment: "production",
          currentReleaseId: "r-1",
          traffic: [{ releaseId: "r-1", weight: 100 }],
          updatedAt: at(2),
        });
        const next: EnvironmentState = {
          environment: "production",
          currentReleaseId: "r-2",
          traffic: [{ releaseId: "r-2", weight: 100 }],
          updatedAt: at(3),
        };
        await store.setEnvironmentState(next);
        expect(await store.getEnvironmentState("production")).toEqual(next);
        expect(await store.listEnvironmentStates()).toEqual([
          next,
          { environment: "staging", currentReleaseId: null, traffic: [], updatedAt: at(1) },
        ]);
      });
    });

    describe("the deploy lock", () => {
      const stale = { staleAfterMs: 60_000 };

      it("a free lock is acquired", async () => {
        expect(await store.getLock("production")).toBeNull();
        const result = await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        const lock: DeployLock = { ...lockRequest("ci@runner-3"), acquiredAt: at(0), heartbeatAt: at(0) };
        expect(result).toEqual({ acquired: true, lock });
        expect(await store.getLock("production")).toEqual(lock);
      });

      it("a held lock is not acquired, and the answer says who holds it", async () => {
        await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        const result = await store.acquireLock(lockRequest("ada@laptop", { hostname: "laptop", pid: 7 }), {
          now: at(30),
          ...stale,
        });
        expect(result).toEqual({
          acquired: false,
          heldBy: { ...lockRequest("ci@runner-3"), acquiredAt: at(0), heartbeatAt: at(0) },
        });
        expect((await store.getLock("production"))?.holder).toBe("ci@runner-3");
      });

      it("a lock whose heartbeat is exactly at the limit is still held", async () => {
        await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        const result = await store.acquireLock(lockRequest("ada@laptop"), { now: at(60), ...stale });
        expect(result.acquired).toBe(false);
      });

      it("a stale lock is replaced", async () => {
        await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        const result = await store.acquireLock(lockRequest("ada@laptop", { pid: null, deployId: null }), {
          now: at(61),
          ...stale,
        });
        const lock: DeployLock = {
          ...lockRequest("ada@laptop", { pid: null, deployId: null }),
          acquiredAt: at(61),
          heartbeatAt: at(61),
        };
        expect(result).toEqual({ acquired: true, lock });
        expect(await store.getLock("production")).toEqual(lock);
      });

      it("the holder taking its lock again keeps it and the time it first took it", async () => {
        await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        const result = await store.acquireLock(lockRequest("ci@runner-3", { pid: 5151 }), {
          now: at(10),
          ...stale,
        });
        expect(result).toEqual({
          acquired: true,
          lock: { ...lockRequest("ci@runner-3", { pid: 5151 }), acquiredAt: at(0), heartbeatAt: at(10) },
        });
      });

      it("only the holder refreshes the heartbeat, which keeps the lock from going stale", async () => {
        expect(await store.heartbeatLock("production", "ci@runner-3", at(0), 1)).toBe(false);
        await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        expect(await store.heartbeatLock("production", "ada@laptop", at(50), 7)).toBe(false);
        expect(await store.heartbeatLock("production", "ci@runner-3", at(50), null)).toBe(true);
        expect(await store.getLock("production")).toEqual({
          ...lockRequest("ci@runner-3"),
          pid: null,
          acquiredAt: at(0),
          heartbeatAt: at(50),
        });
        const late = await store.acquireLock(lockRequest("ada@laptop"), { now: at(100), ...stale });
        expect(late.acquired).toBe(false);
        const later = await store.acquireLock(lockRequest("ada@laptop"), { now: at(111), ...stale });
        expect(later.acquired).toBe(true);
        expect(await store.heartbeatLock("production", "ci@runner-3", at(112), 1)).toBe(false);
      });

      it("only the holder releases the lock", async () => {
        await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        expect(await store.releaseLock("production", "ada@laptop")).toBe(false);
        expect((await store.getLock("production"))?.holder).toBe("ci@runner-3");
        expect(await store.releaseLock("production", "ci@runner-3")).toBe(true);
        expect(await store.getLock("production")).toBeNull();
        expect(await store.releaseLock("production", "ci@runner-3")).toBe(false);
        const next = await store.acquireLock(lockRequest("ada@laptop"), { now: at(1), ...stale });
        expect(next.acquired).toBe(true);
      });

      it("a forced release removes the lock whoever holds it and returns it", async () => {
        expect(await store.forceReleaseLock("production")).toBeNull();
        await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        expect(await store.forceReleaseLock("production")).toEqual({
          ...lockRequest("ci@runner-3"),
          acquiredAt: at(0),
          heartbeatAt: at(0),
        });
        expect(await store.getLock("production")).toBeNull();
        expect(await store.forceReleaseLock("production")).toBeNull();
      });

      it("each environment has its own lock", async () => {
        const a = await store.acquireLock(lockRequest("ci@runner-3"), { now: at(0), ...stale });
        const b = await store.acquireLock(lockRequest("ada@laptop", { environment: "staging" }), {
          now: at(1),
          ...stale,
        });
        expect([a.acquired, b.acquired]).toEqual([true, true]);
        expect(await store.releaseLock("staging", "ci@runner-3")).toBe(false);
        expect((await store.getLock("staging"))?.holder).toBe("ada@laptop");
        expect((await store.getLock("production"))?.holder).toBe("ci@runner-3");
      });
    });

    describe("approvals, backups and tags", () => {
      const approval = (overrides: Partial<Approval> = {}): Approval => ({
        id: "a-1",
        deployId: "d-1",
        approver: "grace@corp",
        decision: "approved",
        comment: "LGTM",
        createdAt: at(1),
        expiresAt: at(3600),
        ...overrides,
      });
      const backup = (overrides: Partial<BackupRecord> = {}): BackupRecord => ({
        id: "b-1",
        deployId: "d-1",
        environment: "production",
        location: ".shipgate/backups/b-1",
        tables: ["public.users", "public.orders"],
        checksum: "c0ffee",
        createdAt: at(1),
        ...overrides,
      });
      const tag = (overrides: Partial<TagRecord> = {}): TagRecord => ({
        name: "deploy-production-20260101-000001",
        environment: "production",
        deployId: "d-1",
        gitSha: "0123456789abcdef0123456789abcdef01234567",
        pushed: false,
        createdAt: at(1),
        ...overrides,
      });

      it("lists a deploy's approvals newest first; the same id replaces", async () => {
        await store.recordApproval(approval());
        await store.recordApproval(
          approval({ id: "a-2", decision: "rejected", comment: null, expiresAt: null, createdAt: at(2) }),
        );
        await store.recordApproval(approval({ id: "a-other", deployId: "d-2" }));
        expect((await store.listApprovals("d-1")).map((a) => a.id)).toEqual(["a-2", "a-1"]);
        expect(await store.listApprovals("d-1")).toEqual([
          approval({ id: "a-2", decision: "rejected", comment: null, expiresAt: null, createdAt: at(2) }),
          approval(),
        ]);
        await store.recordApproval(approval({ comment: "changed my mind", decision: "rejected" }));
        expect((await store.listApprovals("d-1"))[1]).toEqual(
          approval({ comment: "changed my mind", decision: "rejected" }),
        );
        expect(await store.listApprovals("d-none")).toEqual([]);
      });

      it("lists an environment's backups newest first, with a limit", async () => {
        await store.recordBackup(backup());
        await store.recordBackup(backup({ id: "b-2", deployId: null, tables: [], createdAt: at(2) }));
        await store.recordBackup(backup({ id: "b-3", createdAt: at(3) }));
        await store.recordBackup(backup({ id: "b-staging", environment: "staging" }));
        expect((await store.listBackups("production")).map((b) => b.id)).toEqual(["b-3", "b-2", "b-1"]);
        expect(await store.listBackups("production", 2)).toEqual([
          backup({ id: "b-3", createdAt: at(3) }),
          backup({ id: "b-2", deployId: null, tables: [], createdAt: at(2) }),
        ]);
        expect((await store.listBackups("staging")).map((b) => b.id)).toEqual(["b-staging"]);
        expect(await store.listBackups("nowhere")).toEqual([]);
      });

      it("lists an environment's tags newest first, with a limit; the same name replaces (e.g. once pushed)", async () => {
        await store.recordTag(tag());
        await store.recordTag(tag({ name: "deploy-production-20260101-000002", createdAt: at(2) }));
        await store.recordTag(tag({ name: "deploy-staging-20260101-000003", environment: "staging" }));
        expect((await store.listTags("production")).map((t) => t.name)).toEqual([
          "deploy-production-20260101-000002",
          "deploy-production-20260101-000001",
        ]);
        await store.recordTag(tag({ pushed: true }));
        expect(await store.listTags("production", 5)).toEqual([
          tag({ name: "deploy-production-20260101-000002", createdAt: at(2) }),
          tag({ pushed: true }),
        ]);
        expect(await store.listTags("production", 1)).toHaveLength(1);
        expect((await store.listTags("staging")).map((t) => t.environment)).toEqual(["staging"]);
      });
    });

    describe("analysis runs and notifications", () => {
      it("saves an analysis run and lists it back", async () => {
        const run = sampleAnalysis();
        await store.saveAnalysis(run);
        expect(await store.listAnalyses("d-1")).toEqual([run]);
        const absolute = sampleAnalysis({
          id: "an-2",
          phase: "watch",
          baselineReleaseId: null,
          startedAt: at(2),
        });
        await store.saveAnalysis(absolute);
        expect(await store.listAnalyses("d-1")).toEqual([run, absolute]);
      });

      it("saving a run with the same id replaces it: one run, with the latest verdict, numbers and end", async () => {
        await store.saveAnalysis(sampleAnalysis());
        const second = {
          interval: 2,
          at: at(120),
          metrics: { "p99-latency": { canary: 412, baseline: 180, ratio: 2.29, verdict: "fail" } },
        };
        const done = sampleAnalysis({
          verdict: "failed",
          summary: "canary p99 412 ms vs baseline 180 ms = 2.3× > 1.5× over 3 of 5 intervals",
          measurements: [...sampleAnalysis().measurements, second],
          finishedAt: at(300),
        });
        await store.saveAnalysis(done);
        expect(await store.listAnalyses("d-1")).toEqual([done]);
        const inconclusive = sampleAnalysis({
          verdict: "inconclusive",
          measurements: [],
          baselineReleaseId: null,
        });
        await store.saveAnalysis(inconclusive);
        expect(await store.listAnalyses("d-1")).toEqual([inconclusive]);
      });

      it("lists a deploy's runs oldest first: by start time, then step index; a replaced run keeps its place", async () => {
        await store.saveAnalysis(
          sampleAnalysis({ id: "an-watch", phase: "watch", stepIndex: 9, startedAt: at(30) }),
        );
        await store.saveAnalysis(sampleAnalysis({ id: "an-step-5", stepIndex: 5, startedAt: at(20) }));
        await store.saveAnalysis(sampleAnalysis({ id: "an-step-3", stepIndex: 3, startedAt: at(10) }));
        await store.saveAnalysis(sampleAnalysis({ id: "an-step-1", stepIndex: 1, startedAt: at(20) }));
        await store.saveAnalysis(sampleAnalysis({ id: "an-other", deployId: "d-2", startedAt: at(0) }));
        const ids = async () => (await store.listAnalyses("d-1")).map((a) => a.id);
        expect(await ids()).toEqual(["an-step-3", "an-step-1", "an-step-5", "an-watch"]);
        await store.saveAnalysis(
          sampleAnalysis({ id: "an-step-3", stepIndex: 3, startedAt: at(10), verdict: "passed" }),
        );
        expect(await ids()).toEqual(["an-step-3", "an-step-1", "an-step-5", "an-watch"]);
        expect((await store.listAnalyses("d-2")).map((a) => a.id)).toEqual(["an-other"]);
      });

      it("breaks a tie in start time and step by the order of first saving", async () => {
        await store.saveAnalysis(sampleAnalysis({ id: "an-z" }));
        await store.saveAnalysis(sampleAnalysis({ id: "an-a" }));
        await store.saveAnalysis(sampleAnalysis({ id: "an-z", verdict: "passed" }));
        expect((await store.listAnalyses("d-1")).map((a) => a.id)).toEqual(["an-z", "an-a"]);
      });

      it("round-trips measurements as JSON: nested objects, numbers, nulls", async () => {
        const measurements = [
          awkwardJson,
          { interval: 1, metrics: { "error-rate": { canary: 0.031, baseline: null, ratio: null } } },
          {
            interval: 2,
            samples: [[12.5, 13], [], [null]],
            notes: { empty: {}, deep: { er: { est: -0.001 } } },
          },
        ];
        await store.saveAnalysis(sampleAnalysis({ measurements }));
        expect((await store.listAnalyses("d-1"))[0]?.measurements).toStrictEqual(measurements);
      });

      it("stores measurements as plain JSON: non-finite numbers read back as null", async () => {
        await store.saveAnalysis(
          sampleAnalysis({
            measurements: [{ ratio: Number.POSITIVE_INFINITY, p99: Number.NaN, floor: -0, count: 0 }],
          }),
        );
        expect((await store.listAnalyses("d-1"))[0]?.measurements).toEqual([
          { ratio: null, p99: null, floor: 0, count: 0 },
        ]);
      });

      it("lists a deploy's notifications oldest first", async () => {
        await store.recordNotification(
          sampleNotification({ id: "n-2", event: "deploy-succeeded", createdAt: at(20) }),
        );
        await store.recordNotification(sampleNotification({ id: "n-1", createdAt: at(10) }));
        await store.recordNotification(
          sampleNotification({ id: "n-1b", channel: "webhook:ops", createdAt: at(10) }),
        );
        await store.recordNotification(sampleNotification({ id: "n-other", deployId: "d-2" }));
        expect(await store.listNotifications("d-1")).toEqual([
          sampleNotification({ id: "n-1", createdAt: at(10) }),
          sampleNotification({ id: "n-1b", channel: "webhook:ops", createdAt: at(10) }),
          sampleNotification({ id: "n-2", event: "deploy-succeeded", createdAt: at(20) }),
        ]);
        expect((await store.listNotifications("d-2")).map((n) => n.id)).toEqual(["n-other"]);
      });

      it("a failed notification keeps its attempts, last status and error; never reached keeps status null", async () => {
        const refused = sampleNotification({
          id: "n-fail",
          event: "deploy-failed",
          channel: "webhook:ops",
          ok: false,
          attempts: 3,
          status: 503,
          error: "the receiver answered 503 Service Unavailable after 3 attempts",
        });
        const unreachable = sampleNotification({
          id: "n-down",
          event: "deploy-rolled-back",
          ok: false,
          attempts: 4,
          status: null,
          error: "connection refused (ECONNREFUSED) after 4 attempts",
          createdAt: at(2),
        });
        await store.recordNotification(refused);
        await store.recordNotification(unreachable);
        expect(await store.listNotifications("d-1")).toEqual([refused, unreachable]);
        const [first] = await store.listNotifications("d-1");
        expect(first?.ok).toBe(false);
        expect(first?.status).toBe(503);
      });

      it("recording a notification with the same id replaces it", async () => {
        await store.recordNotification(
          sampleNotification({ ok: false, attempts: 1, status: 500, error: "500" }),
        );
        await store.recordNotification(sampleNotification({ attempts: 2 }));
        expect(await store.listNotifications("d-1")).toEqual([sampleNotification({ attempts: 2 })]);
      });
    });

    describe("feature flags", () => {
      it("the revision is 0 before the first change; each change adds 1 and returns it", async () => {
        expect(await store.flagRevision()).toBe(0);
        expect(await store.applyFlagChange(createFlagChange())).toBe(1);
        expect(
          await store.applyFlagChange({
            state: sampleFlagState({ enabled: false, updatedAt: at(2) }),
            audit: sampleFlagAudit({ id: "fa-2", environment: "production", action: "disable", at: at(2) }),
          }),
        ).toBe(2);
        expect(
          await store.applyFlagChange({
            definition: sampleFlag({ owner: "team-growth" }),
            audit: sampleFlagAudit({ id: "fa-3", action: "update", at: at(3) }),
          }),
        ).toBe(3);
        expect(await store.flagRevision()).toBe(3);
      });

      it("upserts the definition by key and the state by (key, environment), round-tripping every field", async () => {
        await store.applyFlagChange(createFlagChange());
        expect(await store.getFlag("new-checkout")).toStrictEqual(sampleFlag());
        expect(await store.getFlagState("new-checkout", "production")).toStrictEqual(sampleFlagState());

        const staging = sampleFlagState({
          environment: "staging",
          enabled: false,
          rollout: 0,
          rules: [],
          variants: [],
        });
        await store.applyFlagChange({
          state: staging,
          audit: sampleFlagAudit({ id: "fa-2", environment: "staging" }),
        });
        const killed = sampleFlagState({
          killed: true,
          rollout: 12.5,
          stickiness: "sessionId",
          updatedAt: at(5),
        });
        await store.applyFlagChange({
          state: killed,
          audit: sampleFlagAudit({ id: "fa-3", action: "kill" }),
        });
        const archived = sampleFlag({ archivedAt: at(9), removalDate: null, type: "kill-switch" });
        await store.applyFlagChange({
          definition: archived,
          audit: sampleFlagAudit({ id: "fa-4", action: "archive" }),
        });

        expect(await store.getFlag("new-checkout")).toStrictEqual(archived);
        expect(await store.getFlagState("new-checkout", "production")).toStrictEqual(killed);
        expect(await store.getFlagState("new-checkout", "staging")).toStrictEqual(staging);
        const read = await store.getFlagState("new-checkout", "production");
        expect(typeof read?.enabled).toBe("boolean");
        expect(typeof read?.killed).toBe("boolean");
        expect(typeof read?.rollout).toBe("number");
      });

      it("a change may create the definition and its first state together", async () => {
        await store.applyFlagChange(createFlagChange("fresh"));
        expect(await store.getFlag("fresh")).toMatchObject({ key: "fresh" });
        expect(await store.getFlagState("fresh", "production")).toMatchObject({ flagKey: "fresh" });
      });

      it("refuses a state for an unknown flag and writes nothing: no state, no audit, no revision", async () => {
        await store.applyFlagChange(createFlagChange());
        const refused = store.applyFlagChange({
          state: sampleFlagState({ flagKey: "ghost" }),
          audit: sampleFlagAudit({ id: "fa-ghost", flagKey: "ghost" }),
        });
        await expect(refused).rejects.toMatchObject({
          name: "ShipgateError",
          code: "LEDGER_FAILED",
          message: expect.stringContaining("ghost"),
          hint: expect.stringContaining("shipgate flags"),
        });
        // A definition for another key does not make the state's flag known.
        await expect(
          store.applyFlagChange({
            definition: sampleFlag({ key: "other" }),
            state: sampleFlagState({ flagKey: "ghost" }),
            audit: sampleFlagAudit({ id: "fa-ghost-2", flagKey: "ghost" }),
          }),
        ).rejects.toMatchObject({ code: "LEDGER_FAILED" });
        expect(await store.flagRevision()).toBe(1);
        expect(await store.getFlagState("ghost", "production")).toBeNull();
        expect(await store.getFlag("other")).toBeNull();
        expect(await store.listFlagAudit("ghost")).toEqual([]);
      });

      it("refuses a change carrying neither definition nor state, or an audit id already used, writing nothing", async () => {
        await store.applyFlagChange(createFlagChange());
        await expect(store.applyFlagChange({ audit: sampleFlagAudit({ id: "fa-x" }) })).rejects.toMatchObject(
          {
            code: "INTERNAL",
          },
        );
        await expect(
          store.applyFlagChange({
            definition: sampleFlag({ owner: "someone-else" }),
            audit: sampleFlagAudit({ id: "fa-create-new-checkout" }),
          }),
        ).rejects.toMatchObject({ code: "LEDGER_FAILED" });
        expect(await store.flagRevision()).toBe(1);
        expect((await store.getFlag("new-checkout"))?.owner).toBe("team-payments");
        expect(await store.listFlagAudit("new-checkout")).toHaveLength(1);
      });

      it("several concurrent changes on one store: none lost", async () => {
        await store.applyFlagChange(createFlagChange());
        const revisions = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.applyFlagChange({
              state: sampleFlagState({ rollout: i * 10 }),
              audit: sampleFlagAudit({ id: `fa-r${i}`, environment: "production", action: "rollout" }),
            }),
          ),
        );
        expect([...revisions].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        expect(await store.flagRevision()).toBe(11);
        expect(await store.listFlagAudit("new-checkout", 100)).toHaveLength(11);
      });

      it("lists flags by key, archived ones only when asked", async () => {
        for (const key of ["zeta", "alpha", "Beta", "mid-flag", "mid_flag"]) {
          await store.applyFlagChange(createFlagChange(key));
        }
        await store.applyFlagChange({
          definition: sampleFlag({ key: "mid-flag", archivedAt: at(60) }),
          audit: sampleFlagAudit({ id: "fa-archive", flagKey: "mid-flag", action: "archive" }),
        });
        expect((await store.listFlags()).map((f) => f.key)).toEqual(["Beta", "alpha", "mid_flag", "zeta"]);
        expect((await store.listFlags({ includeArchived: false })).map((f) => f.key)).toEqual([
          "Beta",
          "alpha",
          "mid_flag",
          "zeta",
        ]);
        const all = await store.listFlags({ includeArchived: true });
        expect(all.map((f) => f.key)).toEqual(["Beta", "alpha", "mid-flag", "mid_flag", "zeta"]);
        expect(all[2]).toStrictEqual(sampleFlag({ key: "mid-flag", archivedAt: at(60) }));
      });

      it("lists an environment's states by flag key, that environment only", async () => {
        for (const key of ["b-flag", "a-flag", "c-flag"]) await store.applyFlagChange(createFlagChange(key));
        await store.applyFlagChange({
          state: sampleFlagState({ flagKey: "b-flag", environment: "staging", rollout: 100 }),
          audit: sampleFlagAudit({ id: "fa-s", flagKey: "b-flag", environment: "staging" }),
        });
        expect((await store.listFlagStates("production")).map((s) => s.flagKey)).toEqual([
          "a-flag",
          "b-flag",
          "c-flag",
        ]);
        expect(await store.listFlagStates("staging")).toStrictEqual([
          sampleFlagState({ flagKey: "b-flag", environment: "staging", rollout: 100 }),
        ]);
        expect(await store.listFlagStates("nowhere")).toEqual([]);
      });

      it("lists a flag's audit newest first, 50 by default, round-tripping before and after as JSON", async () => {
        await store.applyFlagChange(createFlagChange());
        const entry = sampleFlagAudit({
          id: "fa-json",
          environment: "production",
          action: "rollout",
          at: at(100),
          before: sampleFlagState(),
          after: { ...awkwardJson, rollout: 50 },
        });
        await store.applyFlagChange({ state: sampleFlagState({ rollout: 50 }), audit: entry });
        for (let i = 0; i < 55; i++) {
          await store.applyFlagChange({
            state: sampleFlagState({ rollout: i }),
            audit: sampleFlagAudit({
              id: `fa-${i}`,
              environment: "production",
              action: "rollout",
              at: at(10 + i),
              before: i,
              after: "x",
            }),
          });
        }
        const audit = await store.listFlagAudit("new-checkout");
        expect(audit).toHaveLength(50);
        expect(audit[0]).toStrictEqual(entry);
        expect(audit.slice(1, 4).map((a) => a.id)).toEqual(["fa-54", "fa-53", "fa-52"]);
        expect(audit[1]?.before).toBe(54);
        expect((await store.listFlagAudit("new-checkout", 3)).map((a) => a.id)).toEqual([
          "fa-json",
          "fa-54",
          "fa-53",
        ]);
        const all = await store.listFlagAudit("new-checkout", 1000);
        expect(all).toHaveLength(57);
        expect(all.at(-1)).toStrictEqual(sampleFlagAudit({ id: "fa-create-new-checkout" }));
        expect(await store.listFlagAudit("other")).toEqual([]);
      });

      it("breaks a tie in audit time by the order of recording; an undefined before reads back null", async () => {
        await store.applyFlagChange(createFlagChange());
        await store.applyFlagChange({
          state: sampleFlagState({ enabled: false }),
          audit: sampleFlagAudit({ id: "fa-same-time", action: "disable", before: undefined, after: [] }),
        });
        const audit = await store.listFlagAudit("new-checkout");
        expect(audit.map((a) => a.id)).toEqual(["fa-same-time", "fa-create-new-checkout"]);
        expect(audit[0]?.before).toBeNull();
        expect(audit[0]?.after).toEqual([]);
      });

      it("adds evaluation counts to the day's totals per flag, variant (null its own group) and outcome", async () => {
        await store.recordFlagEvaluations("production", "2026-01-01", [
          { flagKey: "f", variant: null, enabled: true, count: 5 },
          { flagKey: "f", variant: null, enabled: false, count: 2 },
          { flagKey: "f", variant: "a", enabled: true, count: 7 },
          { flagKey: "f", variant: "", enabled: true, count: 1 },
          { flagKey: "f", variant: "a", enabled: true, count: 3 },
          { flagKey: "g", variant: null, enabled: true, count: 0 },
        ]);
        await store.recordFlagEvaluations("production", "2026-01-01", [
          { flagKey: "f", variant: null, enabled: true, count: 10 },
        ]);
        await store.recordFlagEvaluations("production", "2026-01-02", [
          { flagKey: "g", variant: "b", enabled: false, count: 4 },
          { flagKey: "f", variant: "a", enabled: true, count: 1 },
        ]);
        await store.recordFlagEvaluations("staging", "2026-01-02", [
          { flagKey: "f", variant: null, enabled: true, count: 99 },
        ]);
        await store.recordFlagEvaluations("production", "2026-01-03", []);
        expect(await store.listFlagEvaluations("production")).toStrictEqual([
          { day: "2026-01-02", flagKey: "f", variant: "a", enabled: true, count: 1 },
          { day: "2026-01-02", flagKey: "g", variant: "b", enabled: false, count: 4 },
          { day: "2026-01-01", flagKey: "f", variant: null, enabled: false, count: 2 },
          { day: "2026-01-01", flagKey: "f", variant: null, enabled: true, count: 15 },
          { day: "2026-01-01", flagKey: "f", variant: "", enabled: true, count: 1 },
          { day: "2026-01-01", flagKey: "f", variant: "a", enabled: true, count: 10 },
        ]);
        expect(await store.listFlagEvaluations("production", "g")).toStrictEqual([
          { day: "2026-01-02", flagKey: "g", variant: "b", enabled: false, count: 4 },
        ]);
        expect(await store.listFlagEvaluations("staging", "f")).toHaveLength(1);
        expect(await store.listFlagEvaluations("nowhere")).toEqual([]);
      });

      it("refuses a malformed day or count with INTERNAL, recording nothing", async () => {
        for (const day of ["2026-1-01", "2026-02-30", "yesterday", "2026-01-01T00:00:00Z"]) {
          await expect(
            store.recordFlagEvaluations("production", day, [
              { flagKey: "f", variant: null, enabled: true, count: 1 },
            ]),
          ).rejects.toMatchObject({ code: "INTERNAL" });
        }
        for (const count of [-1, 1.5, Number.NaN]) {
          await expect(
            store.recordFlagEvaluations("production", "2026-01-01", [
              { flagKey: "f", variant: null, enabled: true, count: 1 },
              { flagKey: "f", variant: null, enabled: true, count },
            ]),
          ).rejects.toMatchObject({ code: "INTERNAL" });
        }
        expect(await store.listFlagEvaluations("production")).toEqual([]);
      });

      it("saves API tokens, finds one by hash, lists them by creation time", async () => {
        const second = sampleApiToken({
          id: "tok-2",
          hash: "b".repeat(64),
          name: "mobile",
          environment: "staging",
          createdAt: at(5),
        });
        await store.saveApiToken(second);
        await store.saveApiToken(sampleApiToken());
        expect(await store.findApiTokenByHash(sampleApiToken().hash)).toStrictEqual(sampleApiToken());
        expect(await store.findApiTokenByHash("c".repeat(64))).toBeNull();
        expect(await store.listApiTokens()).toStrictEqual([sampleApiToken(), second]);
      });

      it("refuses a second token with the same hash or id", async () => {
        await store.saveApiToken(sampleApiToken());
        await expect(store.saveApiToken(sampleApiToken({ id: "tok-other" }))).rejects.toMatchObject({
          code: "LEDGER_FAILED",
        });
        await expect(store.saveApiToken(sampleApiToken({ hash: "d".repeat(64) }))).rejects.toMatchObject({
          code: "LEDGER_FAILED",
        });
        expect(await store.listApiTokens()).toStrictEqual([sampleApiToken()]);
      });

      it("revokes a token once; a revoked token is still found, with revokedAt set; unknown ids answer false", async () => {
        await store.saveApiToken(sampleApiToken());
        expect(await store.revokeApiToken("tok-1", "2026-01-02T01:00:00+01:00")).toBe(true);
        expect(await store.revokeApiToken("tok-1", at(999))).toBe(false);
        expect(await store.revokeApiToken("tok-missing", at(1))).toBe(false);
        const revoked = sampleApiToken({ revokedAt: "2026-01-02T00:00:00.000Z" });
        expect(await store.findApiTokenByHash(sampleApiToken().hash)).toStrictEqual(revoked);
        expect(await store.listApiTokens()).toStrictEqual([revoked]);
      });

      it("stores flag times in canonical ISO form (UTC, milliseconds)", async () => {
        await store.applyFlagChange({
          definition: sampleFlag({
            createdAt: "2026-03-01T14:00:00+02:00",
            archivedAt: "2026-03-02T00:00:00.5Z",
          }),
          state: sampleFlagState({
            updatedAt: "2026-03-01T12:00:00Z",
            rolloutChangedAt: "2026-03-01T13:00:00.25+01:00",
          }),
          audit: sampleFlagAudit({ at: "2026-03-01T12:00:00.1Z" }),
        });
        await store.saveApiToken(
          sampleApiToken({ createdAt: "2026-03-01T12:00:00Z", revokedAt: "2026-03-01T12:00:00+00:00" }),
        );
        expect(await store.getFlag("new-checkout")).toMatchObject({
          createdAt: "2026-03-01T12:00:00.000Z",
          archivedAt: "2026-03-02T00:00:00.500Z",
        });
        expect(await store.getFlagState("new-checkout", "production")).toMatchObject({
          updatedAt: "2026-03-01T12:00:00.000Z",
          rolloutChangedAt: "2026-03-01T12:00:00.250Z",
        });
        expect((await store.listFlagAudit("new-checkout"))[0]?.at).toBe("2026-03-01T12:00:00.100Z");
        expect((await store.listApiTokens())[0]).toMatchObject({
          createdAt: "2026-03-01T12:00:00.000Z",
          revokedAt: "2026-03-01T12:00:00.000Z",
        });
      });

      it("answers null or [] for flags, states, audit and tokens it does not hold", async () => {
        expect(await store.getFlag("missing")).toBeNull();
        expect(await store.listFlags({ includeArchived: true })).toEqual([]);
        expect(await store.getFlagState("missing", "production")).toBeNull();
        expect(await store.listFlagStates("production")).toEqual([]);
        expect(await store.listFlagAudit("missing")).toEqual([]);
        expect(await store.listFlagEvaluations("production")).toEqual([]);
        expect(await store.findApiTokenByHash("0".repeat(64))).toBeNull();
        expect(await store.listApiTokens()).toEqual([]);
      });

      it("callers mutating what they passed or got back do not change stored flags", async () => {
        const change = createFlagChange();
        await store.applyFlagChange(change);
        change.state?.variants.push({ name: "injected", weight: 1 });
        change.state?.rules.splice(0);
        if (change.definition) change.definition.owner = "changed";
        (change.audit.after as Record<string, unknown>).owner = "changed";
        const state = await store.getFlagState("new-checkout", "production");
        state?.variants.splice(0);
        expect(await store.getFlagState("new-checkout", "production")).toStrictEqual(sampleFlagState());
        expect(await store.getFlag("new-checkout")).toStrictEqual(sampleFlag());
        expect((await store.listFlagAudit("new-checkout"))[0]).toStrictEqual(
          sampleFlagAudit({ id: "fa-create-new-checkout" }),
        );
      });
    });

    describe("the audit log", () => {
      it("appends at the end of the chain: seq 1, 2 …, prevHash the previous hash (zeros first), hash over the content", async () => {
        const first = await store.appendAudit(sampleAuditEvent());
        const { hash, ...unhashed } = first;
        expect(first).toStrictEqual({ ...sampleAuditEvent(), seq: 1, prevHash: genesisHash, hash });
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(hash).toBe(auditHash(unhashed));
        const second = await store.appendAudit(
          sampleAuditEvent({
            action: "deploy.approve",
            target: "deploy:d-1",
            environment: null,
            source: null,
          }),
        );
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash, environment: null, source: null });
        expect(second.hash).not.toBe(first.hash);
        expect(await store.listAudit()).toStrictEqual([first, second]);
      });

      it("lists oldest first, after a seq, up to a limit (default 100), of one target", async () => {
        const records = await appendAuditEvents(store, 105);
        const all = await store.listAudit();
        expect(all).toHaveLength(100);
        expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        expect(all).toStrictEqual(records.slice(0, 100));
        expect((await store.listAudit({ afterSeq: 100 })).map((r) => r.seq)).toEqual([
          101, 102, 103, 104, 105,
        ]);
        expect((await store.listAudit({ afterSeq: 10, limit: 3 })).map((r) => r.seq)).toEqual([11, 12, 13]);
        expect(await store.listAudit({ limit: 0 })).toEqual([]);
        const b = await store.listAudit({ target: "flag:b", afterSeq: 95 });
        expect(b.map((r) => r.seq)).toEqual([96, 98, 100, 102, 104]);
        expect(b.every((r) => r.target === "flag:b")).toBe(true);
        expect((await store.listAudit({ target: "flag:a", limit: 2 })).map((r) => r.seq)).toEqual([1, 3]);
        expect(await store.listAudit({ target: "flag:none" })).toEqual([]);
        expect(await store.listAudit({ afterSeq: 105 })).toEqual([]);
      });

      it("round-trips before/after JSON exactly (undefined as null) and stores times in canonical ISO form", async () => {
        const appended = await store.appendAudit(
          sampleAuditEvent({
            before: awkwardJson,
            after: [awkwardJson, "x", 3, null, true],
            at: "2026-03-01T14:00:00.5+02:00",
          }),
        );
        const empty = await store.appendAudit(sampleAuditEvent({ before: undefined, after: "" }));
        const listed = await store.listAudit();
        expect(listed).toStrictEqual([appended, empty]);
        expect(listed[0]?.before).toStrictEqual(awkwardJson);
        expect(listed[0]?.after).toStrictEqual([awkwardJson, "x", 3, null, true]);
        expect(listed[0]?.at).toBe("2026-03-01T12:00:00.500Z");
        expect(listed[1]?.before).toBeNull();
        expect(listed[1]?.after).toBe("");
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 2 });
      });

      it("refuses an event that is not one with INTERNAL, recording nothing", async () => {
        const bad: Partial<AuditEvent>[] = [
          { actor: "" },
          { action: "" },
          { target: "" },
          { at: "yesterday" },
          { after: { ratio: Number.NaN } },
          { before: [Number.POSITIVE_INFINITY] },
          { after: { when: new Date(0) } },
          { before: { big: 1n } },
        ];
        for (const overrides of bad) {
          await expect(store.appendAudit(sampleAuditEvent(overrides))).rejects.toMatchObject({
            code: "INTERNAL",
          });
        }
        expect(await store.listAudit()).toEqual([]);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 0 });
        expect((await store.appendAudit(sampleAuditEvent())).seq).toBe(1);
      });

      it("verifies an intact chain of 20 (and an empty one)", async () => {
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 0 });
        await appendAuditEvents(store, 20);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 20 });
      });

      it("20 concurrent appends on one store stay linear and verify", async () => {
        const appended = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.appendAudit(sampleAuditEvent({ actor: `actor-${i}`, at: at(i) })),
          ),
        );
        expect(appended.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const listed = await store.listAudit();
        expect(listed.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        for (let i = 1; i < listed.length; i++) expect(listed[i]?.prevHash).toBe(listed[i - 1]?.hash);
        expect(new Set(listed.map((r) => r.actor)).size).toBe(20);
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 20 });
      });

      it("callers mutating what they passed or got back do not change stored audit entries", async () => {
        const event = sampleAuditEvent({ after: { rollout: 25, rules: [{ attr: "country" }] } });
        const appended = await store.appendAudit(event);
        (event.after as { rollout: number }).rollout = 99;
        (appended.after as { rules: unknown[] }).rules.push("injected");
        const listed = await store.listAudit();
        (listed[0]?.before as { rollout: number }).rollout = -1;
        expect((await store.listAudit())[0]?.after).toStrictEqual({
          rollout: 25,
          rules: [{ attr: "country" }],
        });
        expect((await store.listAudit())[0]?.before).toStrictEqual({ rollout: 10 });
        expect(await store.verifyAudit()).toEqual({ ok: true, count: 1 });
      });
    });

    describe("gate reports", () => {
      const sha = "0123456789abcdef0123456789abcdef01234567";
      const other = "89abcdef0123456789abcdef0123456789abcdef";

      it("records a report and reads it back whole, by commit and environment", async () => {
        await store.recordGateReport(sampleGateReport());
        expect(await store.latestGateReport(sha, "production")).toStrictEqual(sampleGateReport());
        expect(await store.listGateReports(sha)).toStrictEqual([sampleGateReport()]);
        expect(await store.listGateReports(other)).toEqual([]);
        expect(await store.latestGateReport(other, "production")).toBeNull();
        expect(await store.latestGateReport(sha, null)).toBeNull();
      });

      it("answers the newest for the commit and environment, falling back to one checked without an environment", async () => {
        await store.recordGateReport(sampleGateReport({ id: "gr-prod-old", createdAt: at(1) }));
        await store.recordGateReport(
          sampleGateReport({
            id: "gr-prod-new",
            passed: true,
            summary: "passed: 0 errors, 0 warnings",
            createdAt: at(5),
          }),
        );
        await store.recordGateReport(
          sampleGateReport({ id: "gr-none", environment: null, createdAt: at(9) }),
        );
        await store.recordGateReport(
          sampleGateReport({ id: "gr-staging", environment: "staging", createdAt: at(7) }),
        );
        await store.recordGateReport(sampleGateReport({ id: "gr-other", gitSha: other, createdAt: at(20) }));
        expect((await store.latestGateReport(sha, "production"))?.id).toBe("gr-prod-new");
        expect((await store.latestGateReport(sha, "production"))?.passed).toBe(true);
        expect((await store.latestGateReport(sha, "staging"))?.id).toBe("gr-staging");
        expect((await store.latestGateReport(sha, null))?.id).toBe("gr-none");
        // No report for qa: the one checked without an environment.
        expect((await store.latestGateReport(sha, "qa"))?.id).toBe("gr-none");
        expect((await store.latestGateReport(other, "qa"))?.id).toBeUndefined();
        expect((await store.latestGateReport(other, "production"))?.id).toBe("gr-other");
        expect((await store.listGateReports(sha)).map((r) => r.id)).toEqual([
          "gr-none",
          "gr-staging",
          "gr-prod-new",
          "gr-prod-old",
        ]);
      });

      it("breaks ties in time by insertion order (newest last recorded) and replaces a report recorded again by id", async () => {
        await store.recordGateReport(sampleGateReport({ id: "gr-a" }));
        await store.recordGateReport(sampleGateReport({ id: "gr-b" }));
        expect((await store.latestGateReport(sha, "production"))?.id).toBe("gr-b");
        await store.recordGateReport(
          sampleGateReport({ id: "gr-a", summary: "failed: 3 errors, 0 warnings" }),
        );
        const listed = await store.listGateReports(sha);
        expect(listed.map((r) => [r.id, r.summary])).toEqual([
          ["gr-b", "failed: 1 error, 1 warning"],
          ["gr-a", "failed: 3 errors, 0 warnings"],
        ]);
      });

      it("round-trips the report JSON exactly and stores the time in canonical ISO form", async () => {
        await store.recordGateReport(
          sampleGateReport({ report: awkwardJson, createdAt: "2026-03-01T14:00:00.5+02:00" }),
        );
        const read = await store.latestGateReport(sha, "production");
        expect(read?.report).toStrictEqual(awkwardJson);
        expect(read?.createdAt).toBe("2026-03-01T12:00:00.500Z");
      });

      it("refuses a report without a commit or with a value JSON cannot hold, with INTERNAL, recording nothing", async () => {
        for (const overrides of [
          { gitSha: "" },
          { report: { ratio: Number.NaN } },
          { report: { when: new Date(0) } },
          { createdAt: "yesterday" },
        ] as Partial<GateReportRecord>[]) {
          await expect(store.recordGateReport(sampleGateReport(overrides))).rejects.toMatchObject({
            code: "INTERNAL",
          });
        }
        expect(await store.listGateReports(sha)).toEqual([]);
      });

      it("callers mutating what they passed or got back do not change the stored report", async () => {
        const report = sampleGateReport();
        await store.recordGateReport(report);
        (report.report as { failed: boolean }).failed = false;
        const read = await store.latestGateReport(sha, "production");
        if (!read) throw new Error("a report expected");
        (read.report as { items: unknown[] }).items.push("injected");
        expect(await store.latestGateReport(sha, "production")).toStrictEqual(sampleGateReport());
      });
    });

    describe("values", () => {
      it("round-trips JSON fields exactly", async () => {
        const release = sampleRelease({ config: awkwardJson });
        await store.saveRelease(release);
        expect(await store.getRelease(release.id)).toStrictEqual(release);

        const plan = [awkwardJson, [awkwardJson], "step", 3, null, true];
        await store.createDeploy(sampleDeploy({ plan }));
        expect((await store.getDeploy("d-1"))?.plan).toStrictEqual(plan);
        const newPlan = [{ ...awkwardJson, extra: [{}] }];
        expect((await store.updateDeploy("d-1", { plan: newPlan })).plan).toStrictEqual(newPlan);

        await store.recordStep(sampleStep({ detail: awkwardJson }));
        expect((await store.listSteps("d-1"))[0]?.detail).toStrictEqual(awkwardJson);
      });

      it("stores times in canonical ISO form (UTC, milliseconds)", async () => {
        await store.saveRelease(sampleRelease({ createdAt: "2026-03-01T12:00:00Z" }));
        expect((await store.getRelease("r-0123456789abcdef"))?.createdAt).toBe("2026-03-01T12:00:00.000Z");
        await store.createDeploy(sampleDeploy({ startedAt: "2026-03-01T14:00:00.123+02:00" }));
        expect((await store.getDeploy("d-1"))?.startedAt).toBe("2026-03-01T12:00:00.123Z");
        await store.saveAnalysis(
          sampleAnalysis({ startedAt: "2026-03-01T14:00:00+02:00", finishedAt: "2026-03-01T12:05:00Z" }),
        );
        expect(await store.listAnalyses("d-1")).toMatchObject([
          { startedAt: "2026-03-01T12:00:00.000Z", finishedAt: "2026-03-01T12:05:00.000Z" },
        ]);
        await store.recordNotification(sampleNotification({ createdAt: "2026-03-01T13:00:00.5+01:00" }));
        expect((await store.listNotifications("d-1"))[0]?.createdAt).toBe("2026-03-01T12:00:00.500Z");
      });

      it("answers null or [] for what it does not hold", async () => {
        expect(await store.getRelease("r-missing")).toBeNull();
        expect(await store.findReleaseByVersion("v-missing")).toBeNull();
        expect(await store.listReleases()).toEqual([]);
        expect(await store.getDeploy("d-missing")).toBeNull();
        expect(await store.listDeploys("production")).toEqual([]);
        expect(await store.activeDeploy("production")).toBeNull();
        expect(await store.lastSucceededDeploy("production")).toBeNull();
        expect(await store.listSteps("d-missing")).toEqual([]);
        expect(await store.getEnvironmentState("production")).toBeNull();
        expect(await store.listEnvironmentStates()).toEqual([]);
        expect(await store.getLock("production")).toBeNull();
        expect(await store.listApprovals("d-missing")).toEqual([]);
        expect(await store.listBackups("production")).toEqual([]);
        expect(await store.listTags("production")).toEqual([]);
        expect(await store.listAnalyses("d-missing")).toEqual([]);
        expect(await store.listNotifications("d-missing")).toEqual([]);
      });

      it("callers mutating what they passed or got back do not change what is stored", async () => {
        const release = sampleRelease();
        const saved = await store.saveRelease(release);
        release.config.strategy = "changed";
        release.envKeys.push("LEAK");
        saved.artifact.bytes = 0;
        const read = await store.getRelease(release.id);
        expect(read).toEqual(sampleRelease());
        if (read) read.config.instances = 99;
        expect(await store.getRelease(release.id)).toEqual(sampleRelease());

        const deploy = sampleDeploy();
        await store.createDeploy(deploy);
        deploy.plan.push({ type: "injected" });
        const got = await store.getDeploy("d-1");
        got?.previousTraffic.push({ releaseId: "x", weight: 1 });
        expect(await store.getDeploy("d-1")).toEqual(sampleDeploy());

        const state: EnvironmentState = {
          environment: "production",
          currentReleaseId: "r-1",
          traffic: [{ releaseId: "r-1", weight: 100 }],
          updatedAt: at(1),
        };
        await store.setEnvironmentState(state);
        const firstTraffic = state.traffic[0];
        if (firstTraffic) firstTraffic.weight = 0;
        expect((await store.getEnvironmentState("production"))?.traffic).toEqual([
          { releaseId: "r-1", weight: 100 },
        ]);

        const run = sampleAnalysis();
        await store.saveAnalysis(run);
        run.measurements.push({ injected: true });
        const listed = await store.listAnalyses("d-1");
        listed[0]?.measurements.push({ injected: true });
        expect(await store.listAnalyses("d-1")).toEqual([sampleAnalysis()]);
      });
    });
  });
}
