/**
 * The audit log's hash chain, pure: canonical JSON, the hash of one record, and the verification
 * every adapter runs over its rows. A record's hash is sha256 (hex) of the canonical JSON of
 * { seq, prevHash, actor, action, target, environment, source, before, after, at }; the first
 * record's prevHash is 64 zeros, every later one's is the hash of the record before it. Changing,
 * removing or reordering a row breaks the chain at that row.
 */
import { createHash } from "node:crypto";
import type { AuditRecord, AuditVerification } from "./types.js";

/** The prevHash of seq 1. */
export const genesisHash = "0".repeat(64);

/**
 * JSON with object keys sorted (by UTF-16 code unit, recursively) and no whitespace, so equal
 * values always give equal text. Accepts null, booleans, finite numbers, strings, arrays and plain
 * objects; object members whose value is undefined are left out (as JSON.stringify does). Throws a
 * TypeError naming the path for anything else: NaN or ±Infinity, undefined (outside an object
 * member), bigint, functions, symbols, and objects that are not plain (Date, Map, class instances).
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, where: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${where} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value); // -0 is written 0, as JSON.stringify does
    case "object":
      break;
    case "undefined":
      throw new TypeError(`${where} is undefined, which JSON cannot hold`);
    default:
      throw new TypeError(`${where} is a ${typeof value}, which JSON cannot hold`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => write(item, `${where}[${i}]`)).join(",")}]`;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    throw new TypeError(`${where} is a ${name}, not a plain object`);
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${write(member, `${where}.${key}`)}`);
  }
  return `{${members.join(",")}}`;
}

/** What the hash covers: the record without its own hash. */
export type AuditHashInput = Omit<AuditRecord, "hash">;

/** sha256 (hex) of the canonical JSON of the record's hashed fields. */
export function auditHash(record: AuditHashInput): string {
  const hashed = {
    seq: record.seq,
    prevHash: record.prevHash,
    actor: record.actor,
    action: record.action,
    target: record.target,
    environment: record.environment,
    source: record.source,
    before: record.before,
    after: record.after,
    at: record.at,
  };
  return createHash("sha256").update(canonicalJson(hashed), "utf8").digest("hex");
}

/** The end of the chain as the store records it beside the rows (seq 0 and genesis when empty). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * Walks records in seq order, fed in pages: `push` returns the failure at the first broken row
 * (and every later call returns it again), `finish` also compares the last row with the recorded
 * head, which catches rows removed from the end. `count` is the number of rows verified intact
 * before the break.
 */
export function createAuditVerifier(): {
  push(record: AuditRecord): AuditVerification | null;
  finish(head?: AuditHead | null): AuditVerification;
} {
  let count = 0;
  let previous: AuditRecord | null = null;
  let failure: AuditVerification | null = null;
  const fail = (brokenAt: number, reason: string): AuditVerification => {
    failure = { ok: false, count, brokenAt, reason };
    return failure;
  };
  return {
    push(record) {
      if (failure) return failure;
      const expected = (previous?.seq ?? 0) + 1;
      if (record.seq !== expected) {
        return record.seq > expected
          ? fail(
              expected,
              expected + 1 === record.seq
                ? `seq ${expected} is missing`
                : `seq ${expected}..${record.seq - 1} are missing`,
            )
          : fail(
              expected,
              `row ${record.seq} comes after row ${expected - 1}: seq is out of order or repeated`,
            );
      }
      const link = previous?.hash ?? genesisHash;
      if (record.prevHash !== link) {
        return fail(
          record.seq,
          previous
            ? `row ${record.seq}: prevHash does not match row ${previous.seq}`
            : `row ${record.seq}: prevHash is not the genesis value (64 zeros)`,
        );
      }
      let recomputed: string;
      try {
        recomputed = auditHash(record);
      } catch (error) {
        return fail(record.seq, `row ${record.seq}: its content is not JSON (${(error as Error).message})`);
      }
      if (record.hash !== recomputed) {
        return fail(
          record.seq,
          `row ${record.seq}: its hash does not match its content — the row was changed`,
        );
      }
      previous = record;
      count += 1;
      return null;
    },
    finish(head) {
      if (failure) return failure;
      const last = previous as AuditRecord | null;
      const lastSeq = last?.seq ?? 0;
      if (head && head.seq > lastSeq) {
        return fail(
          lastSeq + 1,
          `the chain ends at row ${lastSeq} but its head records row ${head.seq} — rows were removed from the end`,
        );
      }
      if (head && head.seq < lastSeq) {
        return fail(
          head.seq + 1,
          `the chain head records row ${head.seq} but rows go on to ${lastSeq} — rows were added outside the ledger`,
        );
      }
      if (head && last && head.hash !== last.hash) {
        return fail(
          lastSeq,
          `row ${lastSeq}: its hash does not match the chain head — the last row was replaced`,
        );
      }
      return { ok: true, count };
    },
  };
}

/** Verifies a whole chain given in seq order (see createAuditVerifier). */
export function verifyAuditChain(records: Iterable<AuditRecord>, head?: AuditHead | null): AuditVerification {
  const verifier = createAuditVerifier();
  for (const record of records) {
    const failure = verifier.push(record);
    if (failure) return failure;
  }
  return verifier.finish(head);
}
