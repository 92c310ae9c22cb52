/**
 * End-to-end: flag changes made with `shipgate flags …` land in the hash-chained audit log,
 * `shipgate audit list` shows them and `shipgate audit verify` passes; then a row is changed in the
 * SQLite ledger file the way an attacker with file access would (dropping the append-only trigger
 * around the UPDATE) and `shipgate audit verify` exits 1 naming that row. `npm test` builds dist/ first.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../src/ledger/types.js";
import { runShipgate, writeFile } from "./support/cli.js";

const env = { SHIPGATE_ACTOR: "alice@example.com", SHIPGATE_LEDGER_URL: "" };
let dir: string;

const shipgate = (...args: string[]) => runShipgate(args, dir, env);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-audit-e2e-"));
  writeFile(dir, "shipgate.yaml", "environments:\n  staging: {}\n  production: {}\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("shipgate audit", () => {
  it("lists flag changes, verifies the chain, and detects a row changed in the ledger file", async () => {
    expect((await shipgate("audit", "list")).stdout).toMatch(/no audit entries yet/);
    expect(await shipgate("audit", "verify")).toMatchObject({ code: 0 });

    expect(
      (await shipgate("flags", "create", "new-checkout", "--owner", "team-payments", "--type", "ops")).code,
    ).toBe(0);
    expect((await shipgate("flags", "enable", "new-checkout", "--environment", "production")).code).toBe(0);
    expect(
      (await shipgate("flags", "rollout", "new-checkout", "25", "--environment", "production")).code,
    ).toBe(0);
    expect(
      (await shipgate("flags", "create", "search-v2", "--owner", "team-search", "--type", "ops")).code,
    ).toBe(0);

    const list = await shipgate("audit", "list");
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^#1 {2}\S+ \S+Z {2}flag\.create {2}flag:new-checkout {2}by alice@example\.com from cli@/,
    );
    expect(lines[1]).toMatch(
      /^#2 .* flag\.enable {2}flag:new-checkout {2}production {2}by alice@example\.com/,
    );
    expect(lines[2]).toMatch(/^#3 .* flag\.rollout {2}flag:new-checkout {2}production /);
    expect(lines[3]).toMatch(/^#4 .* flag\.create {2}flag:search-v2 /);

    const json = await shipgate(
      "audit",
      "list",
      "--target",
      "flag:new-checkout",
      "--after",
      "1",
      "--format",
      "json",
    );
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout) as AuditRecord[];
    expect(entries.map((e) => [e.seq, e.action])).toEqual([
      [2, "flag.enable"],
      [3, "flag.rollout"],
    ]);
    expect(entries[1]).toMatchObject({
      actor: "alice@example.com",
      source: `cli@${hostname()}`,
      environment: "production",
      before: { enabled: true, rollout: 0 },
      after: { enabled: true, rollout: 25 },
    });
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);

    const page = await shipgate("audit", "list", "--limit", "2");
    expect(page.stdout.trim().split("\n")).toHaveLength(2);
    expect(page.stderr).toMatch(/shipgate audit list --after 2/);
    const bad = await shipgate("audit", "list", "--limit", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit expects a whole number from 1 to 500/);

    const intact = await shipgate("audit", "verify");
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/audit log intact: 4 entries verified/);

    // Tamper: make the rollout look like 5 % instead of 25 %, as someone with the file would.
    const db = new Database(join(dir, ".shipgate/ledger.db"));
    try {
      const trigger = db
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ledger_audit_no_update'")
        .get() as { sql: string };
      db.exec("DROP TRIGGER ledger_audit_no_update");
      db.prepare("UPDATE ledger_audit SET after = ? WHERE seq = 3").run(
        JSON.stringify({ ...(entries[1]?.after as Record<string, unknown>), rollout: 5 }),
      );
      db.exec(trigger.sql);
    } finally {
      db.close();
    }

    const broken = await shipgate("audit", "verify");
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/audit log BROKEN at row 3: row 3: its hash does not match its content/);
    expect(broken.stdout).toMatch(/2 rows before it verified intact/);
    expect(broken.stdout).toMatch(/hint: .*shipgate audit list --after 2 --limit 1/);
    const brokenJson = await shipgate("audit", "verify", "--format", "json");
    expect(brokenJson.code).toBe(1);
    expect(JSON.parse(brokenJson.stdout)).toMatchObject({ ok: false, count: 2, brokenAt: 3 });
    // The listing shows the tampered value: only verify can tell it was changed.
    const tampered = JSON.parse(
      (await shipgate("audit", "list", "--format", "json")).stdout,
    ) as AuditRecord[];
    expect(tampered[2]?.after).toMatchObject({ rollout: 5 });
  });
});
