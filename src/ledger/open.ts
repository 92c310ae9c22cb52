/**
 * Opens the ledger a config names (`ledger.url`, overridden by $SHIPGATE_LEDGER_URL):
 * - `sqlite:<file>`: a SQLite file, relative to the directory of shipgate.yaml (the default is
 *   sqlite:.shipgate/ledger.db); `sqlite:///abs/path.db` and `sqlite:/abs/path.db` are absolute;
 * - `postgres://…` or `postgresql://…`: a Postgres database shared across CI runners;
 * - `memory:`: an in-memory ledger that lives as long as the process (tests, dry runs).
 */
import path from "node:path";
import { ShipgateError } from "../core/errors.js";
import { ensureStateDirOf } from "../core/state-dir.js";
import { maskUrlPasswords } from "../env/mask.js";
import { createMemoryLedger } from "./memory.js";
import type { PostgresLedgerOptions } from "./postgres.js";
import { createSqliteLedger } from "./sqlite.js";
import type { LedgerStore } from "./types.js";

/** The ledger URL forms openLedger accepts, as shown in errors. */
export const ledgerUrlForms =
  "sqlite:<file> (e.g. sqlite:.shipgate/ledger.db), postgres://user@host/db, or memory:";

/** Where a ledger URL points, without opening it. */
export type LedgerLocation =
  | { kind: "sqlite"; file: string }
  | { kind: "postgres"; url: string }
  | { kind: "memory" };

/** Parses a ledger URL; CONFIG_INVALID naming the accepted forms when it is none of them. */
export function parseLedgerUrl(url: string, baseDir: string): LedgerLocation {
  const value = url.trim();
  const invalid = (why: string) =>
    new ShipgateError("CONFIG_INVALID", `ledger.url ${JSON.stringify(maskUrlPasswords(value))} ${why}`, {
      hint: `Set ledger.url in shipgate.yaml (or $SHIPGATE_LEDGER_URL) to ${ledgerUrlForms}.`,
    });
  if (/^memory:(\/\/)?$/i.test(value)) return { kind: "memory" };
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: "postgres", url: value };
  if (/^sqlite:/i.test(value)) {
    let file = value.slice("sqlite:".length);
    // sqlite:///abs/file.db is the URL form of an absolute path; sqlite://rel.db of a relative one.
    if (file.startsWith("//")) file = file.slice(2);
    if (file === "") throw invalid("names no file");
    return { kind: "sqlite", file: path.resolve(baseDir, file) };
  }
  throw invalid("is not a ledger URL");
}

/**
 * Connects to a Postgres ledger (see postgres.ts). Loads the pg driver on first use, so the
 * default SQLite ledger (and `shipgate status`) never pays for it (about 90 ms of module loading).
 */
export async function createPostgresLedger(
  url: string,
  options: PostgresLedgerOptions = {},
): Promise<LedgerStore> {
  const postgres = await import("./postgres.js");
  return await postgres.createPostgresLedger(url, options);
}

/** Opens the ledger at `url`; relative SQLite paths resolve against `baseDir`. */
export async function openLedger(url: string, baseDir: string): Promise<LedgerStore> {
  const location = parseLedgerUrl(url, baseDir);
  switch (location.kind) {
    case "memory":
      return createMemoryLedger();
    case "sqlite":
      // The default ledger lives in .shipgate/: keep it out of commits.
      ensureStateDirOf(location.file);
      return await createSqliteLedger(location.file);
    case "postgres":
      return await createPostgresLedger(location.url);
  }
}
