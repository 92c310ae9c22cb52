/**
 * End-to-end: `shipgate flags …` and the flag lifecycle item of `shipgate check`, as real processes
 * on a temporary project with the default SQLite ledger. `npm test` builds dist/ first.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlagService } from "../src/flags/service.js";
import { openLedger } from "../src/ledger/index.js";
import { runShipgate, writeFile } from "./support/cli.js";

const env = { SHIPGATE_ACTOR: "alice@example.com", SHIPGATE_LEDGER_URL: "" };
let dir: string;

/** A date `days` from today (UTC), YYYY-MM-DD. */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

const flags = (...args: string[]) => runShipgate(["flags", ...args], dir, env);

interface CheckJson {
  failed: boolean;
  items: {
    id: string;
    status: string;
    detail?: string;
    findings: { ruleId: string; message: string; file?: string; line?: number }[];
  }[];
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-flags-e2e-"));
  writeFile(dir, "shipgate.yaml", "environments:\n  staging: {}\n  production: {}\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("shipgate flags", () => {
  it("creates, rolls out, kills, lists, shows and archives a flag with audited changes", async () => {
    const removal = inDays(60);
    const created = await flags(
      "create",
      "new-checkout",
      "--owner",
      "team-payments",
      "--type",
      "release",
      "--removal-date",
      removal,
      "--description",
      "One-page checkout",
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(
      `created new-checkout (release, owner team-payments, remove by ${removal})`,
    );

    const duplicate = await flags("create", "new-checkout", "--owner", "x", "--removal-date", removal);
    expect(duplicate.code).toBe(1); // CONFLICT
    expect(duplicate.stderr).toContain('error: flag "new-checkout" already exists');
    expect(duplicate.stderr).toContain("hint: Keys are never reused");

    const noDate = await flags("create", "other", "--owner", "x");
    expect(noDate.code).toBe(2);
    expect(noDate.stderr).toContain("needs a removal date");

    expect((await flags("enable", "new-checkout", "--environment", "production")).code).toBe(0);
    const rollout = await flags("rollout", "new-checkout", "25", "--environment", "production");
    expect(rollout).toMatchObject({ code: 0, stdout: "new-checkout production: on 25%\n" });
    const bad = await flags("rollout", "new-checkout", "101", "--environment", "production");
    expect(bad.code).toBe(2);
    const unknownEnv = await flags("enable", "new-checkout", "--environment", "prod");
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stderr).toContain("Declared environments: staging, production");

    const kill = await flags("kill", "new-checkout", "--environment", "staging");
    expect(kill).toMatchObject({ code: 0, stdout: "new-checkout staging: off 0% KILLED\n" });

    const list = await flags("list");
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      `new-checkout  release  owner team-payments  remove by ${removal}  staging: off 0% KILLED, production: on 25%\n`,
    );
    const listJson = JSON.parse(
      (await flags("list", "--environment", "production", "--format", "json")).stdout,
    );
    expect(listJson).toEqual([
      expect.objectContaining({
        definition: expect.objectContaining({ key: "new-checkout" }),
        states: [
          expect.objectContaining({
            environment: "production",
            state: expect.objectContaining({ rollout: 25 }),
          }),
        ],
      }),
    ]);

    const show = await flags("show", "new-checkout", "--format", "json");
    expect(show.code).toBe(0);
    const details = JSON.parse(show.stdout);
    expect(details.audit.map((a: { action: string }) => a.action)).toEqual([
      "kill",
      "rollout",
      "enable",
      "create",
    ]);
    const rolloutEntry = details.audit[1];
    expect(rolloutEntry).toMatchObject({
      environment: "production",
      actor: "alice@example.com",
      before: { enabled: true, rollout: 0 },
      after: { enabled: true, rollout: 25 },
    });
    expect(details.audit[3]).toMatchObject({
      before: null,
      after: { key: "new-checkout", owner: "team-payments" },
    });

    const pretty = await flags("show", "new-checkout");
    expect(pretty.stdout).toContain("  production: on 25%");
    expect(pretty.stdout).toContain("rollout production  by alice@example.com");

    const archived = await flags("archive", "new-checkout");
    expect(archived.code).toBe(0);
    const afterArchive = await flags("enable", "new-checkout", "--environment", "production");
    expect(afterArchive.code).toBe(1); // CONFLICT
    expect(afterArchive.stderr).toContain("is archived");
    expect((await flags("list")).stdout).not.toContain("new-checkout");
    expect((await flags("list", "--archived")).stdout).toContain("ARCHIVED");
  });

  it("shows --help with examples on each command", async () => {
    for (const command of [
      "create",
      "list",
      "show",
      "enable",
      "rollout",
      "kill",
      "archive",
      "rules",
      "variants",
    ]) {
      const help = await flags(command, "--help");
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Examples:");
    }
  });
});

describe("shipgate check: flag lifecycle", () => {
  it("fails on an overdue flag and on an archived flag still referenced in code", async () => {
    // Flags created months ago (the CLI refuses a removal date in the past).
    const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
    try {
      const service = createFlagService({
        ledger,
        environments: ["staging", "production"],
        now: () => new Date(Date.now() - 90 * 86_400_000),
      });
      await service.createFlag(
        { key: "old-banner", owner: "team-web", type: "release", removalDate: inDays(-10) },
        "bob",
      );
    } finally {
      await ledger.close();
    }
    writeFile(
      dir,
      "src/app.ts",
      'if (flags.isEnabled("new-checkout")) checkout();\nflags.isEnabled("old-banner");\n',
    );

    const list = await flags("list");
    expect(list.stdout).toContain(`old-banner  release  owner team-web  remove by ${inDays(-10)} OVERDUE`);

    const run = await runShipgate(["check", "--format", "json"], dir, env);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as CheckJson;
    const item = report.items.find((i) => i.id === "flags.lifecycle");
    expect(item?.status).toBe("fail");
    expect(item?.findings.map((f) => [f.ruleId, f.file ?? null, f.line ?? null])).toEqual([
      ["flag-removal-date-passed", null, null],
      ["flag-archived-referenced", "src/app.ts", 1],
    ]);
    expect(item?.findings[0]?.message).toBe(
      `flag "old-banner" (owner: team-web) passed its removal date ${inDays(-10)}`,
    );
  });
});
