import { describe, expect, it } from "vitest";
import type { IntervalMeasurement } from "../analysis/judge.js";
import type { AnalysisRun } from "../ledger/types.js";
import { renderEvent } from "./render.js";

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
