/**
 * Times in the ledger are ISO-8601 strings in UTC. Every adapter stores them in one canonical form
 * (`Date.prototype.toISOString`, millisecond precision, `Z`), so ordering and the stale-lock
 * comparison work the same in memory, in SQLite (as text) and in Postgres (as timestamptz).
 */
import { ShipgateError } from "../core/errors.js";

/** The canonical form of an ISO-8601 time; INTERNAL when the value is not a time (a caller's bug). */
export function isoTime(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new ShipgateError(
      "INTERNAL",
      `the ledger was given an invalid time for ${field}: ${JSON.stringify(value)}`,
      {
        hint: "This is a bug in shipgate: report it with the command you ran.",
      },
    );
  }
  return new Date(ms).toISOString();
}

/** isoTime for nullable fields. */
export function isoTimeOrNull(value: string | null, field: string): string | null {
  return value === null ? null : isoTime(value, field);
}

/** The heartbeat time before which a lock is stale, given the current time and the stale limit. */
export function staleBefore(now: string, staleAfterMs: number): string {
  return new Date(Date.parse(isoTime(now, "now")) - Math.max(0, staleAfterMs)).toISOString();
}
