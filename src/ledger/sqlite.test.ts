/**
 * What only the SQLite adapter does: several connections and processes sharing one file, the
 * file's settings and schema version, and clear errors for a file it cannot use.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditHash } from "./audit-chain.js";
import {
  appendAuditEvents,
  at,
  createFlagChange,
  sampleDeploy,
  sampleFlagAudit,
  sampleFlagState,
  sampleStep,
} from "./contract.js";
import { createSqliteLedger } from "./sqlite.js";
import type { AuditRecord, LedgerStore } from "./types.js";

const repoRoot = path.join(import.meta.dirname, "../..");

let dir: string;
const opened: LedgerStore[] = [];
const children: ChildProcess[] = [];

async function open(file = path.join(dir, "ledger.db")): Promise<LedgerStore> {
  const store = await createSqliteLedger(file);
  opened.push(store);
  return store;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-ledger-sqlite-"));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await Promise.all(opened.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a module script under tsx in its own process group; `ready` when it prints "ready", `done` on exit 0. */
function spawnScript(
  script: string,
  env: Record<string, string>,
): { ready: Promise<void>; done: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes("ready")) onReady();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
  return { ready: Promise.race([ready, done]), done };
}

const lockRequest = (holder: string) => ({
  environment: "production",
  holder,
  deployId: null,
  hostname: "h",
  pid: 1,
});

describe("sqlite ledger", () => {
  it("two connections on one file contend for the lock and exactly one wins", async () => {
    const a = await open();
    const b = await open();
    const first = await a.acquireLock(lockRequest("a"), { now: at(0), staleAfterMs: 60_000 });
    const second = await b.acquireLock(lockRequest("b"), { now: at(1), staleAfterMs: 60_000 });
    expect(first.acquired).toBe(true);
    expect(second).toMatchObject({ acquired: false, heldBy: { holder: "a" } });
    expect(await b.releaseLock("production", "b")).toBe(false);
    expect(await a.releaseLock("production", "a")).toBe(true);
    expect((await b.acquireLock(lockRequest("b"), { now: at(2), staleAfterMs: 60_000 })).acquired).toBe(true);
    expect((await a.getLock("production"))?.holder).toBe("b");
  });

  it("four processes started together: exactly one takes the lock, and every write of all four lands", async () => {
    const file = path.join(dir, "shared", "ledger.db");
    const go = path.join(dir, "go");
    // Each child opens the file, waits for the go file, races for the lock, then journals 50 steps.
    const script = `
      import { existsSync } from "node:fs";
      const { createSqliteLedger } = await import(${JSON.stringify(path.join(repoRoot, "src/ledger/sqlite.ts"))});
      const store = await createSqliteLedger(process.env.LEDGER_FILE);
      process.stdout.write("ready\\n");
      while (!existsSync(process.env.GO_FILE)) await new Promise((r) => setTimeout(r, 2));
      const result = await store.acquireLock(
        { environment: "production", holder: process.env.HOLDER, deployId: null, hostname: "h", pid: process.pid },
        { now: new Date().toISOString(), staleAfterMs: 600000 },
      );
      for (let index = 0; index < 50; index++) {
        await store.recordStep({ deployId: process.env.HOLDER, index, type: "t", status: "succeeded", detail: { index },
          startedAt: new Date().toISOString(), finishedAt: null });
      }
      await store.close();
      process.stdout.write(JSON.stringify(result) + "\\n");
    `;
    const outputs = Array.from({ length: 4 }, (_, i) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: repoRoot,
        env: { ...process.env, LEDGER_FILE: file, GO_FILE: go, HOLDER: `p${i}` },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const ready = new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          if (stdout.includes("ready")) {
            clearInterval(check);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(check);
            reject(new Error(`child p${i} exited early: ${stderr}`));
          }
        }, 5);
      });
      const done = new Promise<string>((resolve, reject) => {
        child.on("exit", (code) =>
          code === 0 ? resolve(stdout) : reject(new Error(`child p${i}: ${stderr}`)),
        );
      });
      return { ready, done };
    });
    await Promise.all(outputs.map((o) => o.ready));
    writeFileSync(go, "");
    const results = (await Promise.all(outputs.map((o) => o.done))).map(
      (out) =>
        JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { acquired: boolean; lock?: { holder: string } },
    );
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const store = await open(file);
    const lock = await store.getLock("production");
    expect(lock?.holder).toBe(winners[0]?.lock?.holder);
    for (const holder of ["p0", "p1", "p2", "p3"]) expect(await store.listSteps(holder)).toHaveLength(50);
  }, 60_000);

  it("two connections on one file applying flag changes at once lose no increment", async () => {
    const a = await open();
    const b = await open();
    await a.applyFlagChange(createFlagChange());
    const revisions = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).applyFlagChange({
          state: sampleFlagState({ rollout: i }),
          audit: sampleFlagAudit({ id: `fa-${i}`, environment: "production", action: "rollout" }),
        }),
      ),
    );
    expect(new Set(revisions).size).toBe(20);
    expect(await b.flagRevision()).toBe(21);
    expect(await a.listFlagAudit("new-checkout", 100)).toHaveLength(21);
  });

  it("three processes applying flag changes at once: the revision counts every change and every audit row lands", async () => {
    const file = path.join(dir, "ledger.db");
    const seed = await open(file);
    await seed.applyFlagChange(createFlagChange());
    const go = path.join(dir, "go");
    const script = `
      import { existsSync } from "node:fs";
      const { createSqliteLedger } = await import(${JSON.stringify(path.join(repoRoot, "src/ledger/sqlite.ts"))});
      const store = await createSqliteLedger(process.env.LEDGER_FILE);
      process.stdout.write("ready\\n");
      while (!existsSync(process.env.GO_FILE)) await new Promise((r) => setTimeout(r, 2));
      for (let i = 0; i < 25; i++) {
        const at = new Date().toISOString();
        await store.applyFlagChange({
          state: { flagKey: "new-checkout", environment: "production", enabled: true, rollout: i, rules: [], variants: [],
            killed: false, stickiness: "userId", updatedAt: at, updatedBy: process.env.WHO, rolloutChangedAt: at },
          audit: { id: process.env.WHO + "-" + i, flagKey: "new-checkout", environment: "production", action: "rollout",
            actor: process.env.WHO, at, before: null, after: { rollout: i } },
        });
      }
      await store.close();
      process.stdout.write("done\\n");
    `;
    const runs = ["w0", "w1", "w2"].map((who) =>
      spawnScript(script, { LEDGER_FILE: file, GO_FILE: go, WHO: who }),
    );
    await Promise.all(runs.map((r) => r.ready));
    writeFileSync(go, "");
    await Promise.all(runs.map((r) => r.done));
    expect(await seed.flagRevision()).toBe(76);
    const audit = await seed.listFlagAudit("new-checkout", 1000);
    expect(audit).toHaveLength(76);
    for (const who of ["w0", "w1", "w2"]) {
      expect(audit.filter((e) => e.actor === who)).toHaveLength(25);
    }
  }, 60_000);

  it("three processes appending to the audit log at once: seq 1..30, one valid chain", async () => {
    const file = path.join(dir, "ledger.db");
    const seed = await open(file);
    const go = path.join(dir, "go");
    const script = `
      import { existsSync } from "node:fs";
      const { createSqliteLedger } = await import(${JSON.stringify(path.join(repoRoot, "src/ledger/sqlite.ts"))});
      const store = await createSqliteLedger(process.env.LEDGER_FILE);
      process.stdout.write("ready\\n");
      while (!existsSync(process.env.GO_FILE)) await new Promise((r) => setTimeout(r, 2));
      for (let i = 0; i < 10; i++) {
        await store.appendAudit({ actor: process.env.WHO, action: "flag.rollout", target: "flag:f", environment: null,
          source: "cli@" + process.env.WHO, before: { rollout: i }, after: { rollout: i + 1 }, at: new Date().toISOString() });
      }
      await store.close();
      process.stdout.write("done\\n");
    `;
    const runs = ["w0", "w1", "w2"].map((who) =>
      spawnScript(script, { LEDGER_FILE: file, GO_FILE: go, WHO: who }),
    );
    await Promise.all(runs.map((r) => r.ready));
    writeFileSync(go, "");
    await Promise.all(runs.map((r) => r.done));
    const listed = await seed.listAudit();
    expect(listed.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const who of ["w0", "w1", "w2"]) expect(listed.filter((r) => r.actor === who)).toHaveLength(10);
    expect(await seed.verifyAudit()).toEqual({ ok: true, count: 30 });
  }, 60_000);

  describe("a tampered audit row is detected", () => {
    /** A file with 10 audit rows, and a raw connection to edit them (the append-only triggers dropped first). */
    async function tamperable(): Promise<{
      store: LedgerStore;
      raw: Database.Database;
      rows: AuditRecord[];
    }> {
      const file = path.join(dir, "ledger.db");
      const store = await open(file);
      const rows = await appendAuditEvents(store, 10);
      const raw = new Database(file);
      raw.exec("DROP TRIGGER ledger_audit_no_update; DROP TRIGGER ledger_audit_no_delete");
      return { store, raw, rows };
    }

    it("the triggers refuse UPDATE and DELETE of audit rows in SQL", async () => {
      const file = path.join(dir, "ledger.db");
      const store = await open(file);
      await appendAuditEvents(store, 2);
      const raw = new Database(file);
      try {
        expect(() => raw.prepare("UPDATE ledger_audit SET actor = 'eve' WHERE seq = 1").run()).toThrow(
          /append-only: UPDATE refused/,
        );
        expect(() => raw.prepare("DELETE FROM ledger_audit WHERE seq = 2").run()).toThrow(
          /append-only: DELETE refused/,
        );
      } finally {
        raw.close();
      }
      expect(await store.verifyAudit()).toEqual({ ok: true, count: 2 });
    });

    it("after of row 5 changed in SQL: brokenAt 5, the row was changed", async () => {
      const { store, raw } = await tamperable();
      try {
        raw.prepare("UPDATE ledger_audit SET after = ? WHERE seq = 5").run(JSON.stringify({ rollout: 100 }));
      } finally {
        raw.close();
      }
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        count: 4,
        brokenAt: 5,
        reason: "row 5: its hash does not match its content — the row was changed",
      });
    });

    it("row 6 deleted in SQL: the gap is reported", async () => {
      const { store, raw } = await tamperable();
      try {
        raw.prepare("DELETE FROM ledger_audit WHERE seq = 6").run();
      } finally {
        raw.close();
      }
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        count: 5,
        brokenAt: 6,
        reason: "seq 6 is missing",
      });
    });

    it("row 5 changed with its hash recomputed in SQL: row 6's prevHash mismatch is reported", async () => {
      const { store, raw, rows } = await tamperable();
      const changed = { ...(rows[4] as AuditRecord), after: { rollout: 100 } };
      try {
        raw
          .prepare("UPDATE ledger_audit SET after = ?, hash = ? WHERE seq = 5")
          .run(JSON.stringify(changed.after), auditHash(changed));
      } finally {
        raw.close();
      }
      expect(await store.verifyAudit()).toEqual({
        ok: false,
        count: 5,
        brokenAt: 6,
        reason: "row 6: prevHash does not match row 5",
      });
    });

    it("the last rows deleted in SQL: the chain head still records them", async () => {
      const { store, raw } = await tamperable();
      try {
        raw.prepare("DELETE FROM ledger_audit WHERE seq > 8").run();
      } finally {
        raw.close();
      }
      expect(await store.verifyAudit()).toMatchObject({
        ok: false,
        count: 8,
        brokenAt: 9,
        reason: expect.stringContaining("rows were removed from the end"),
      });
    });
  });

  it("reopening the file keeps the data", async () => {
    const file = path.join(dir, "ledger.db");
    const first = await createSqliteLedger(file);
    await first.createDeploy(sampleDeploy());
    await first.recordStep(sampleStep());
    await first.close();
    const again = await open(file);
    expect(await again.getDeploy("d-1")).toEqual(sampleDeploy());
    expect(await again.listSteps("d-1")).toEqual([sampleStep()]);
  });

  it("creates the parent directory, uses WAL, and records the schema version", async () => {
    const file = path.join(dir, "a", "b", "ledger.db");
    await open(file);
    expect(existsSync(file)).toBe(true);
    const raw = new Database(file);
    try {
      expect(raw.prepare("PRAGMA journal_mode").get()).toMatchObject({ journal_mode: "wal" });
      expect(raw.prepare("SELECT version FROM ledger_schema_migrations ORDER BY version").all()).toEqual([
        { version: 1 },
        { version: 2 },
        { version: 3 },
        { version: 4 },
        { version: 5 },
        { version: 6 },
      ]);
    } finally {
      raw.close();
    }
  });

  it("a write blocked by another connection past the busy timeout fails with LEDGER_FAILED, and nothing is half-written", async () => {
    const file = path.join(dir, "ledger.db");
    const store = await createSqliteLedger(file, { busyTimeoutMs: 50 });
    opened.push(store);
    const other = new Database(file);
    try {
      other.exec("BEGIN IMMEDIATE");
      await expect(
        store.acquireLock(lockRequest("a"), { now: at(0), staleAfterMs: 60_000 }),
      ).rejects.toMatchObject({
        code: "LEDGER_FAILED",
        message: expect.stringContaining("taking the deploy lock"),
      });
      other.exec("ROLLBACK");
    } finally {
      other.close();
    }
    expect(await store.getLock("production")).toBeNull();
    expect((await store.acquireLock(lockRequest("a"), { now: at(0), staleAfterMs: 60_000 })).acquired).toBe(
      true,
    );
  });

  it("a file written by a newer shipgate fails with LEDGER_FAILED and says to upgrade", async () => {
    const file = path.join(dir, "ledger.db");
    await (await createSqliteLedger(file)).close();
    const raw = new Database(file);
    raw
      .prepare(
        "INSERT INTO ledger_schema_migrations (version, name, applied_at) VALUES (99, 'future', 'now')",
      )
      .run();
    raw.close();
    await expect(createSqliteLedger(file)).rejects.toMatchObject({
      code: "LEDGER_FAILED",
      message: expect.stringContaining("schema version 99"),
      hint: expect.stringContaining("upgrade shipgate"),
    });
  });

  it("a file that is not a SQLite database fails with LEDGER_FAILED naming it", async () => {
    const file = path.join(dir, "ledger.db");
    writeFileSync(
      file,
      "this is not a database, just text that is long enough to fill a header\n".repeat(20),
    );
    await expect(createSqliteLedger(file)).rejects.toMatchObject({
      code: "LEDGER_FAILED",
      message: expect.stringContaining(file),
      hint: expect.stringContaining("ledger.url"),
    });
  });

  it("a directory that cannot be created fails with LEDGER_FAILED", async () => {
    writeFileSync(path.join(dir, "a-file"), "");
    await expect(createSqliteLedger(path.join(dir, "a-file", "sub", "ledger.db"))).rejects.toMatchObject({
      code: "LEDGER_FAILED",
    });
  });

  it("a closed store refuses further use with LEDGER_FAILED", async () => {
    const store = await createSqliteLedger(path.join(dir, "ledger.db"));
    await store.close();
    await expect(store.getLock("production")).rejects.toMatchObject({ code: "LEDGER_FAILED" });
    await store.close();
  });
});
