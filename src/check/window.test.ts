import { describe, expect, it } from "vitest";
import { checkConfigSchema, configSchema } from "../config/schema.js";
import type { CheckContext } from "./types.js";
import { localTime, windowCheck, windowViolation } from "./window.js";

const defaults = checkConfigSchema.parse({}).window;

describe("deploy window", () => {
  it("reads the wall clock in the team's time zone", () => {
    // 2026-11-27 is a Friday. 13:30 UTC is 14:30 in Berlin (CET) and 08:30 in New York (EST).
    const instant = new Date("2026-11-27T13:30:00Z");
    expect(localTime(instant, "Europe/Berlin")).toEqual({
      date: "2026-11-27",
      day: "fri",
      minutes: 870,
      clock: "14:30",
    });
    expect(localTime(instant, "America/New_York").clock).toBe("08:30");
    expect(localTime(new Date("2026-11-28T00:30:00Z"), "America/Los_Angeles").day).toBe("fri");
  });

  it("blocks Friday from 15:00, weekends and holidays by default, and allows the rest", () => {
    expect(windowViolation(defaults, new Date("2026-11-27T14:59:00Z"))).toBeUndefined();
    expect(windowViolation(defaults, new Date("2026-11-27T15:00:00Z"))).toBe(
      "it is Friday 15:00 UTC, and deploys are blocked on Friday from 15:00",
    );
    expect(windowViolation(defaults, new Date("2026-11-28T10:00:00Z"))).toContain("Saturday all day");
    expect(windowViolation(defaults, new Date("2026-11-30T09:00:00Z"))).toBeUndefined();
    const withHoliday = { ...defaults, holidays: [{ date: "2026-12-24", name: "Christmas Eve" }] };
    expect(windowViolation(withHoliday, new Date("2026-12-24T09:00:00Z"))).toBe(
      "2026-12-24 is a holiday (Christmas Eve)",
    );
  });

  it("judges the time in the configured zone, with until bounds", () => {
    const policy = {
      ...defaults,
      timezone: "Europe/Berlin",
      blocked: [{ days: ["mon" as const], until: "10:00" }],
    };
    // Monday 08:30 UTC is 09:30 in Berlin: blocked. 09:30 UTC is 10:30: allowed.
    expect(windowViolation(policy, new Date("2026-11-30T08:30:00Z"))).toContain("Monday 09:30 Europe/Berlin");
    expect(windowViolation(policy, new Date("2026-11-30T09:30:00Z"))).toBeUndefined();
  });

  it("rejects an unknown time zone and malformed times in config", () => {
    expect(checkConfigSchema.safeParse({ window: { timezone: "Mars/Olympus" } }).success).toBe(false);
    expect(
      checkConfigSchema.safeParse({ window: { blocked: [{ days: ["fri"], from: "3pm" }] } }).success,
    ).toBe(false);
  });

  it("the override the finding suggests names the environment (without it the window is not checked)", async () => {
    const ctx: CheckContext = {
      cwd: "/tmp",
      configDir: "/tmp",
      configPath: undefined,
      config: configSchema.parse({ environments: { production: {} } }),
      env: {},
      base: undefined,
      baseLabel: undefined,
      changedFiles: [],
      environment: "production",
      now: new Date("2026-11-28T10:00:00Z"), // a Saturday
    };
    const [item] = await windowCheck(undefined).run(ctx);
    expect(item?.status).toBe("fail");
    expect(item?.findings[0]?.help).toContain(
      "shipgate check --environment production --override-window --reason",
    );
  });

  describe("--override-window with nothing to override says so instead of dropping it", () => {
    const ctx = (environment: string, now: string): CheckContext => ({
      cwd: "/tmp",
      configDir: "/tmp",
      configPath: undefined,
      config: configSchema.parse({ environments: { production: {}, staging: {} } }),
      env: {},
      base: undefined,
      baseLabel: undefined,
      changedFiles: [],
      environment,
      now: new Date(now),
    });

    it("an environment no window covers: the item passes and names the override as not applied", async () => {
      const [item] = await windowCheck({ reason: "hotfix" }).run(ctx("staging", "2026-11-28T10:00:00Z"));
      expect(item?.status).toBe("pass");
      expect(item?.detail).toContain("--override-window not needed");
      expect(item?.findings).toEqual([
        expect.objectContaining({
          ruleId: "check-window-override-not-applied",
          severity: "info",
          message: expect.stringMatching(
            /not applied: no deploy window covers staging .*reason given: hotfix/,
          ),
        }),
      ]);
    });

    it("inside the window: the same info finding, and no failure", async () => {
      // A Tuesday at 10:00 UTC: inside the default window for production.
      const [item] = await windowCheck({ reason: "hotfix" }).run(ctx("production", "2026-11-24T10:00:00Z"));
      expect(item?.status).toBe("pass");
      expect(item?.findings.map((f) => [f.ruleId, f.severity])).toEqual([
        ["check-window-override-not-applied", "info"],
      ]);
      expect(item?.findings[0]?.message).toContain("inside the deploy window for production");
    });

    it("without an override, nothing is added", async () => {
      const [uncovered] = await windowCheck(undefined).run(ctx("staging", "2026-11-28T10:00:00Z"));
      const [inside] = await windowCheck(undefined).run(ctx("production", "2026-11-24T10:00:00Z"));
      expect(uncovered?.findings).toEqual([]);
      expect(uncovered?.detail).not.toContain("override");
      expect(inside?.findings).toEqual([]);
      expect(inside?.detail).toBeUndefined();
    });
  });
});
