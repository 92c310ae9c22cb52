/**
 * The audit log's hash chain, pure: canonical JSON, the record hash, verification of tampered
 * chains; and the same tampering on the in-memory ledger (the SQL adapters' tamper tests edit rows
 * in SQL: sqlite.test.ts, ledger.test.ts).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  auditHash,
  canonicalJson,
  createAuditVerifier,
  genesisHash,
  verifyAuditChain,
} from "./audit-chain.js";
import { appendAuditEvents, at, sampleAuditEvent } from "./contract.js";
import { createMemoryLedger, tamperWithMemoryAudit } from "./memory.js";
import type { AuditRecord } from "./types.js";

/** A valid chain of n records built with the pure functions only. */
function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const unhashed = {
      ...sampleAuditEvent({ after: { rollout: seq }, at: at(seq) }),
      seq,
      prevHash: records.at(-1)?.hash ?? genesisHash,
    };
    records.push({ ...unhashed, hash: auditHash(unhashed) });
  }
  return records;
}

/** The record with its hash recomputed for its (changed) content. */
const rehash = (record: AuditRecord): AuditRecord => ({ ...record, hash: auditHash(record) });

describe("canonicalJson", () => {
  it("sorts keys recursively and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it("writes scalars as JSON does: strings escaped, numbers in shortest form, -0 as 0", () => {
    expect(canonicalJson('quote " \\ \n ✓ 🚀')).toBe(JSON.stringify('quote " \\ \n ✓ 🚀'));
    expect(canonicalJson([0, -0, 1.5, -0.25, 1e-7, 1e21, 2 ** 53 - 1, true, false, null])).toBe(
      "[0,0,1.5,-0.25,1e-7,1e+21,9007199254740991,true,false,null]",
    );
    expect(canonicalJson("")).toBe('""');
    expect(canonicalJson({})).toBe("{}");
    expect(canonicalJson([])).toBe("[]");
  });

  it("sorts keys by code unit, including unicode, numeric-looking and empty keys", () => {
    expect(canonicalJson({ b: 0, "": 1, "10": 2, "9": 3, é: 4, Z: 5 })).toBe(
      '{"":1,"10":2,"9":3,"Z":5,"b":0,"é":4}',
    );
  });

  it("leaves out object members that are undefined; an object with a null prototype is plain", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { y: 1, x: 2 });
    expect(canonicalJson(bare)).toBe('{"x":2,"y":1}');
  });

  it("refuses non-finite numbers and what JSON cannot hold, naming the path", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/\$ is NaN/);
    expect(() => canonicalJson({ a: [1, Number.POSITIVE_INFINITY] })).toThrow(/\$\.a\[1\] is Infinity/);
    expect(() => canonicalJson({ a: Number.NEGATIVE_INFINITY })).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(/\$\[0\] is undefined/);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson({ s: Symbol("x") })).toThrow(/symbol/);
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(/\$\.when is a Date, not a plain object/);
    expect(() => canonicalJson(new Map())).toThrow(/Map/);
  });
});

describe("auditHash", () => {
  it("is sha256 hex of the canonical JSON of the hashed fields", () => {
    const [record] = chain(1);
    if (!record) throw new Error("a record expected");
    const { hash, ...rest } = record;
    const expected = createHash("sha256")
      .update(
        canonicalJson({
          seq: 1,
          prevHash: genesisHash,
          actor: rest.actor,
          action: rest.action,
          target: rest.target,
          environment: rest.environment,
          source: rest.source,
          before: rest.before,
          after: rest.after,
          at: rest.at,
        }),
      )
      .digest("hex");
    expect(hash).toBe(expected);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores key order and the record's own hash; changes with any hashed field", () => {
    const [record] = chain(1);
    if (!record) throw new Error("a record expected");
    expect(auditHash({ ...record, hash: "x" } as AuditRecord)).toBe(record.hash);
    expect(auditHash({ ...record, before: { rollout: 10 } })).toBe(record.hash);
    const changes: Partial<AuditRecord>[] = [
      { seq: 2 },
      { prevHash: "1".repeat(64) },
      { actor: "eve" },
      { action: "flag.kill" },
      { target: "flag:other" },
      { environment: null },
      { source: null },
      { before: { rollout: 11 } },
      { after: null },
      { at: at(999) },
    ];
    for (const change of changes) expect(auditHash({ ...record, ...change })).not.toBe(record.hash);
  });
});

describe("verifyAuditChain", () => {
  it("an intact chain (and an empty one) verifies, with its count", () => {
    expect(verifyAuditChain(chain(20))).toEqual({ ok: true, count: 20 });
    expect(verifyAuditChain([])).toEqual({ ok: true, count: 0 });
    const records = chain(3);
    const last = records.at(-1);
    expect(verifyAuditChain(records, { seq: 3, hash: last?.hash ?? "" })).toEqual({ ok: true, count: 3 });
  });

  it("a changed row: its hash does not match its content", () => {
    const records = chain(10);
    records[6] = { ...(records[6] as AuditRecord), after: { rollout: 100 } };
    expect(verifyAuditChain(records)).toEqual({
      ok: false,
      count: 6,
      brokenAt: 7,
      reason: "row 7: its hash does not match its content — the row was changed",
    });
  });

  it("a changed row with its hash recomputed: the next row's prevHash does not match", () => {
    const records = chain(10);
    records[6] = rehash({ ...(records[6] as AuditRecord), actor: "eve" });
    expect(verifyAuditChain(records)).toEqual({
      ok: false,
      count: 7,
      brokenAt: 8,
      reason: "row 8: prevHash does not match row 7",
    });
  });

  it("a removed row is a gap; several removed rows name the range", () => {
    const records = chain(10);
    expect(verifyAuditChain(records.filter((r) => r.seq !== 5))).toEqual({
      ok: false,
      count: 4,
      brokenAt: 5,
      reason: "seq 5 is missing",
    });
    expect(verifyAuditChain(records.filter((r) => r.seq < 3 || r.seq > 6))).toMatchObject({
      brokenAt: 3,
      reason: "seq 3..6 are missing",
    });
    expect(verifyAuditChain(records.slice(1))).toMatchObject({
      count: 0,
      brokenAt: 1,
      reason: "seq 1 is missing",
    });
  });

  it("a repeated or reordered row is refused", () => {
    const records = chain(4);
    expect(verifyAuditChain([...records.slice(0, 3), records[1] as AuditRecord])).toMatchObject({
      ok: false,
      brokenAt: 4,
      reason: "row 2 comes after row 3: seq is out of order or repeated",
    });
  });

  it("a first row whose prevHash is not the genesis value is refused", () => {
    const records = chain(2);
    records[0] = rehash({ ...(records[0] as AuditRecord), prevHash: "f".repeat(64) });
    expect(verifyAuditChain(records)).toEqual({
      ok: false,
      count: 0,
      brokenAt: 1,
      reason: "row 1: prevHash is not the genesis value (64 zeros)",
    });
  });

  it("rows removed from the end are found by comparing with the recorded head", () => {
    const records = chain(10);
    const head = { seq: 10, hash: records[9]?.hash ?? "" };
    expect(verifyAuditChain(records.slice(0, 8), head)).toEqual({
      ok: false,
      count: 8,
      brokenAt: 9,
      reason: "the chain ends at row 8 but its head records row 10 — rows were removed from the end",
    });
    expect(verifyAuditChain([], head)).toMatchObject({ ok: false, brokenAt: 1 });
    expect(verifyAuditChain(records, { seq: 9, hash: records[8]?.hash ?? "" })).toMatchObject({
      ok: false,
      brokenAt: 10,
      reason: expect.stringContaining("rows were added outside the ledger"),
    });
    const replaced = [...records.slice(0, 9), rehash({ ...(records[9] as AuditRecord), actor: "eve" })];
    expect(verifyAuditChain(replaced, head)).toEqual({
      ok: false,
      count: 10,
      brokenAt: 10,
      reason: "row 10: its hash does not match the chain head — the last row was replaced",
    });
  });

  it("the verifier reports the first break and keeps reporting it", () => {
    const records = chain(5);
    records[1] = { ...(records[1] as AuditRecord), actor: "eve" };
    const verifier = createAuditVerifier();
    expect(verifier.push(records[0] as AuditRecord)).toBeNull();
    const failure = verifier.push(records[1] as AuditRecord);
    expect(failure).toMatchObject({ ok: false, brokenAt: 2 });
    expect(verifier.push(records[2] as AuditRecord)).toEqual(failure);
    expect(verifier.finish()).toEqual(failure);
  });
});

describe("memory ledger: a tampered audit row is detected", () => {
  async function ledgerWith(n: number) {
    const store = createMemoryLedger();
    await appendAuditEvents(store, n);
    return store;
  }

  it("after of row 5 changed: brokenAt 5, the row was changed", async () => {
    const store = await ledgerWith(10);
    tamperWithMemoryAudit(store, (rows) => {
      rows[4] = { ...(rows[4] as AuditRecord), after: { rollout: 100 } };
    });
    expect(await store.verifyAudit()).toEqual({
      ok: false,
      count: 4,
      brokenAt: 5,
      reason: "row 5: its hash does not match its content — the row was changed",
    });
  });

  it("row 6 removed: the gap is reported", async () => {
    const store = await ledgerWith(10);
    tamperWithMemoryAudit(store, (rows) => {
      rows.splice(5, 1);
    });
    expect(await store.verifyAudit()).toEqual({
      ok: false,
      count: 5,
      brokenAt: 6,
      reason: "seq 6 is missing",
    });
  });

  it("row 5 changed with its hash recomputed: row 6's prevHash mismatch is reported", async () => {
    const store = await ledgerWith(10);
    tamperWithMemoryAudit(store, (rows) => {
      rows[4] = rehash({ ...(rows[4] as AuditRecord), after: { rollout: 100 } });
    });
    expect(await store.verifyAudit()).toEqual({
      ok: false,
      count: 5,
      brokenAt: 6,
      reason: "row 6: prevHash does not match row 5",
    });
  });

  it("the last two rows removed: the head records more rows than remain", async () => {
    const store = await ledgerWith(10);
    tamperWithMemoryAudit(store, (rows) => {
      rows.splice(8);
    });
    expect(await store.verifyAudit()).toMatchObject({ ok: false, count: 8, brokenAt: 9 });
  });

  it("tamperWithMemoryAudit refuses a store that is not a memory ledger", () => {
    const fake = { ...createMemoryLedger() };
    expect(() => tamperWithMemoryAudit(fake, () => {})).toThrow(/not a memory ledger/);
  });
});
