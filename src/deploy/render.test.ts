import { describe, expect, it } from "vitest";
import type { IntervalMeasurement } from "../analysis/judge.js";
import type { AnalysisRun } from "../ledger/types.js";
import { renderEvent, renderHistory, renderPlan, renderRollbackResult, renderStatus } from "./render.js";
import type { DeployResult, HistoryEntry, RollbackResult, StatusResult } from "./service.js";

describe("renderEvent: analysis intervals", () => {
  const interval: IntervalMeasurement = {
    index: 3,
    at: "2026-11-22T10:00:00.000Z",
    canaryRequests: 120,
    baselineRequests: 0,
    verdict: "inconclusive",
    metrics: [],
  };
  const line = (phase: AnalysisRun["phase"]) =>
    renderEvent(
      // Only the phase of the run is read here.
      { type: "analysis", index: 0, interval, run: { phase } as AnalysisRun },
      (id) => id,
    );

  it("names the canary and its baseline during a canary analysis", () => {
    expect(line("canary")).toBe(
      "      analysis interval 3: inconclusive (120 canary / 0 baseline requests) ",
    );
  });

  it("names the new and the previous release during the post-deploy watch, whatever the strategy", () => {
    expect(line("watch")).toBe("      watch interval 3: inconclusive (120 new / 0 previous requests) ");
  });
});

describe("renderEvent: the end of an analysis step", () => {
  const step = { type: "analyze", durationMs: 4000, canary: "r-v2", baseline: "r-v1" } as const;
  const done = (verdict: string) =>
    renderEvent(
      { type: "step-done", index: 9, total: 18, step, ms: 8100, detail: { verdict, summary: "…" } },
      (id) => id.slice(2),
    );

  it("says an inconclusive analysis was inconclusive, not ok", () => {
    expect(done("inconclusive")).toBe("[10/18] analyse v2 against v1 for 4 s … inconclusive (8.1 s)");
  });

  it("says ok when it passed", () => {
    expect(done("passed")).toBe("[10/18] analyse v2 against v1 for 4 s … ok (8.1 s)");
  });
});

describe("renderPlan: the plan's notes", () => {
  const result = (previous: string, notes: DeployResult["notes"]): DeployResult => ({
    environment: "local",
    release: { id: "r-v2", version: "v2" },
    previous: { id: previous, version: previous.slice(2) },
    strategy: "canary",
    plan: [{ index: 0, step: { type: "hook", hook: "pre-deploy" } }],
    notes,
    dryRun: true,
    outcome: "planned",
    deployId: null,
    error: null,
    recovered: null,
  });

  it("says below the header that the current release is not running and why the canary steps are skipped", () => {
    const text = renderPlan(
      result("r-v1", [
        {
          type: "current-not-running",
          current: "r-v1",
          releaseId: "r-v2",
          strategy: "canary",
          cause: "down",
        },
      ]),
    );
    expect(text.split("\n")).toEqual([
      "Plan: canary deploy of v2 (r-v2) to local, replacing v1",
      "  v1 is recorded as current but is not running (stopped by `shipgate down`): v2 gets all traffic once healthy; the canary steps are skipped.",
      "   1. run hook pre-deploy (if present)",
      "",
    ]);
  });

  it("does not say a release recorded as current but stopped 'already serves'", () => {
    const text = renderPlan(
      result("r-v2", [
        {
          type: "current-not-running",
          current: "r-v2",
          releaseId: "r-v2",
          strategy: "canary",
          cause: "down",
        },
      ]),
    );
    expect(text).toContain("Plan: canary deploy of v2 (r-v2) to local, which is recorded as current\n");
    expect(text).not.toContain("already serves");
  });
});

describe("renderHistory: the release a deploy replaced", () => {
  const entry = (kind: string, version: string, previousVersion: string | null): HistoryEntry => ({
    id: "d1",
    kind,
    version,
    previousVersion,
    strategy: "canary",
    status: "succeeded",
    actor: "ana",
    reason: null,
    error: null,
    startedAt: "2026-11-22T10:00:00.000Z",
    finishedAt: null,
  });
  const line = (e: HistoryEntry) => renderHistory("local", [e]);

  it("says 'from' only when the version changed; a deploy of the same version again is a redeploy", () => {
    expect(line(entry("deploy", "v2", "v1"))).toContain(" v2 (from v1)  canary");
    expect(line(entry("deploy", "v1", "v1"))).toContain(" v1 (redeploy)  canary");
    expect(line(entry("deploy", "v1", null))).toContain(" v1  canary");
    // rollback --to <current> --schema: only the downs ran.
    expect(line(entry("rollback", "v1", "v1"))).toContain(" v1  canary");
    expect(line(entry("rollback", "v1", "v2"))).toContain(" v1 (from v2)  canary");
  });
});

describe("renderRollbackResult: --schema", () => {
  const result = (overrides: Partial<RollbackResult>): RollbackResult => ({
    environment: "local",
    release: { id: "r-v1", version: "v1" },
    previous: { id: "r-v2", version: "v2" },
    strategy: "rollback",
    plan: [],
    dryRun: false,
    outcome: "succeeded",
    deployId: "d2",
    error: null,
    recovered: null,
    warm: true,
    schema: { needed: false, migrations: [] },
    schemaRequested: true,
    migrates: false,
    downs: [],
    switchMs: 40,
    ...overrides,
  });

  it("says an environment that runs no migrations has no schema to roll back", () => {
    for (const outcome of ["succeeded", "planned", "unchanged"] as const) {
      const text = renderRollbackResult(result({ outcome }));
      expect(text, outcome).toContain(
        "Schema: local runs no migrations (environments.local.databaseUrlEnv is not set), so there is no schema to roll back.",
      );
      expect(text, outcome).not.toContain("no schema rollback needed");
    }
  });

  it("still says no schema rollback is needed where migrations run, or --schema was not asked for", () => {
    expect(renderRollbackResult(result({ migrates: true }))).toContain("Schema: no schema rollback needed.");
    expect(renderRollbackResult(result({ schemaRequested: false }))).toContain(
      "Schema: no schema rollback needed.",
    );
  });
});

describe("renderStatus: instances", () => {
  const status = (port: number, pid: number | null): StatusResult => ({
    environment: "production",
    url: null,
    target: { type: port > 0 ? "local" : "command" },
    current: null,
    traffic: [],
    inProgress: null,
    undeployed: null,
    live: null,
    analysis: null,
    lock: null,
    recovered: null,
    instances: [
      {
        id: "r-1",
        releaseId: "r",
        port,
        pid,
        state: "healthy",
        restarts: 0,
        startedAt: "2026-11-23T00:00:00.000Z",
        lastExit: null,
        inFlight: 0,
      },
    ],
  });

  it("shows a local instance's port and pid, and no port 0 for a command target's", () => {
    expect(renderStatus(status(4101, 77))).toContain(
      "  instance r-1: healthy, port 4101, pid 77, restarts 0\n",
    );
    expect(renderStatus(status(0, null))).toContain("  instance r-1: healthy, restarts 0\n");
  });
});
