import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeFile } from "../../test/support/cli.js";
import { configSchema } from "../config/schema.js";
import { createFlagService } from "../flags/service.js";
import type { FlagDefinition, FlagEnvironmentState } from "../flags/types.js";
import { openLedger } from "../ledger/index.js";
import { flagLifecycleFindings, flagsCheck } from "./flags.js";
import type { CheckContext } from "./types.js";

const now = new Date("2026-05-01T12:00:00.000Z");
const day = 86_400_000;
const staleAfterMs = 30 * day;

function flag(key: string, patch: Partial<FlagDefinition> = {}): FlagDefinition {
  return {
    key,
    description: "",
    owner: "team-payments",
    type: "release",
    removalDate: "2026-12-31",
    createdAt: "2026-01-01T00:00:00.000Z",
    createdBy: "alice",
    archivedAt: null,
    ...patch,
  };
}

function state(flagKey: string, patch: Partial<FlagEnvironmentState> = {}): FlagEnvironmentState {
  return {
    flagKey,
    environment: "production",
    enabled: true,
    rollout: 100,
    rules: [],
    variants: [],
    killed: false,
    stickiness: "userId",
    updatedAt: "2026-01-01T00:00:00.000Z",
    updatedBy: "alice",
    rolloutChangedAt: "2026-01-01T00:00:00.000Z",
    ...patch,
  };
}

const judge = (input: Partial<Parameters<typeof flagLifecycleFindings>[0]>) =>
  flagLifecycleFindings({ flags: [], states: [], references: [], now, staleAfterMs, ...input });

describe("flagLifecycleFindings", () => {
  it("fails a flag past its removal date, naming the flag, owner, date and the archive command", () => {
    const findings = judge({
      flags: [
        flag("overdue", { removalDate: "2026-04-30" }),
        flag("due-today", { removalDate: "2026-05-01" }),
        flag("permanent", { type: "kill-switch", removalDate: null }),
        flag("archived-overdue", { removalDate: "2026-01-01", archivedAt: "2026-02-01T00:00:00.000Z" }),
      ],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: "flag-removal-date-passed", severity: "error" });
    expect(findings[0]?.message).toBe(
      'flag "overdue" (owner: team-payments) passed its removal date 2026-04-30',
    );
    expect(findings[0]?.help).toMatch(/shipgate flags archive overdue/);
  });

  it("warns about a flag at 100% for 31 days, not one at 100% for 29 days", () => {
    const findings = judge({
      flags: [flag("old"), flag("recent")],
      states: [
        state("old", { rolloutChangedAt: new Date(now.getTime() - 31 * day).toISOString() }),
        state("recent", { rolloutChangedAt: new Date(now.getTime() - 29 * day).toISOString() }),
      ],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: "flag-stale-rollout", severity: "warning" });
    expect(findings[0]?.message).toBe(
      'flag "old" (owner: team-payments) has been at 100% in production for 31 days (since 2026-03-31)',
    );
  });

  it("warns about 0% without rules, not 0% with rules, killed flags or permanent types", () => {
    const long = new Date(now.getTime() - 40 * day).toISOString();
    const findings = judge({
      flags: [flag("off"), flag("targeted"), flag("killed"), flag("ops", { type: "ops", removalDate: null })],
      states: [
        state("off", { rollout: 0, rolloutChangedAt: long }),
        state("targeted", {
          rollout: 0,
          rolloutChangedAt: long,
          rules: [{ attribute: "plan", operator: "in", values: ["beta"], serve: { enabled: true } }],
        }),
        state("killed", { killed: true, rolloutChangedAt: long }),
        state("ops", { rolloutChangedAt: long }),
      ],
    });
    expect(findings.map((f) => f.message)).toEqual([
      'flag "off" (owner: team-payments) has been at 0% in production for 40 days (since 2026-03-22)',
    ]);
  });

  it("fails an archived flag still referenced, with file:line, and warns about keys not in the ledger", () => {
    const findings = judge({
      flags: [flag("gone", { archivedAt: "2026-04-01T00:00:00.000Z" }), flag("live")],
      references: [
        { key: "gone", file: "src/checkout.ts", line: 12, column: 20 },
        { key: "live", file: "src/checkout.ts", line: 14, column: 20 },
        { key: "typo-flag", file: "src/nav.tsx", line: 3, column: 9 },
      ],
    });
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: "flag-archived-referenced",
        severity: "error",
        file: "src/checkout.ts",
        line: 12,
        message: 'archived flag "gone" (owner: team-payments) is still referenced at src/checkout.ts:12',
      }),
      expect.objectContaining({
        ruleId: "flag-undefined-in-code",
        severity: "warning",
        file: "src/nav.tsx",
        line: 3,
      }),
    ]);
  });
});

describe("flagsCheck", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function context(root: string, environments: Record<string, object> = { production: {} }): CheckContext {
    return {
      cwd: root,
      configDir: root,
      configPath: undefined,
      config: configSchema.parse({ environments }),
      env: {},
      base: undefined,
      baseLabel: undefined,
      changedFiles: [],
      environment: undefined,
      now,
    };
  }

  it("is skipped, saying why, when there is no ledger yet", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "shipgate-flags-check-"));
    const [item] = await flagsCheck.run(context(dir));
    expect(item).toMatchObject({ id: "flags.lifecycle", status: "skipped", findings: [] });
    expect(item?.detail).toMatch(/no ledger at \.shipgate\/ledger\.db yet/);
  });

  it("reads the ledger and the code: an overdue flag and an archived reference fail, stale and undefined warn", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "shipgate-flags-check-"));
    const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
    let clock = new Date("2026-03-01T00:00:00.000Z");
    const service = createFlagService({ ledger, environments: ["production"], now: () => clock });
    try {
      await service.createFlag(
        { key: "overdue", owner: "team-a", type: "release", removalDate: "2026-04-01" },
        "a",
      );
      await service.createFlag({ key: "done", owner: "team-b", type: "experiment", removalDate: null }, "a");
      await service.createFlag({ key: "gone", owner: "team-c", type: "ops" }, "a");
      await service.enable("done", "production", "a");
      await service.setRollout("done", "production", 100, "a");
      await service.archive("gone", "a");
      clock = now;
    } finally {
      await ledger.close();
    }
    writeFile(
      dir,
      "src/app.ts",
      'if (flags.isEnabled("done")) run();\nif (flags.isEnabled("gone")) old();\nflags.isEnabled("undefined-one");\n',
    );
    writeFile(dir, "src/app.test.ts", 'flags.isEnabled("only-in-tests");\n');
    const [item] = await flagsCheck.run(context(dir));
    expect(item?.status).toBe("fail");
    expect(item?.findings.map((f) => [f.ruleId, f.severity, f.file ?? null, f.line ?? null])).toEqual([
      ["flag-removal-date-passed", "error", null, null],
      ["flag-stale-rollout", "warning", null, null],
      ["flag-archived-referenced", "error", "src/app.ts", 2],
      ["flag-undefined-in-code", "warning", "src/app.ts", 3],
    ]);
    expect(item?.detail).toBe("2 flags, 3 references in code: 2 errors, 2 warnings");
  });
});
