/**
 * Reading the release ledger from the gate and the rollback plan, without writing to it: a SQLite
 * ledger that does not exist yet is not created (it means nothing was deployed from here), and an
 * in-memory ledger (`memory:`) holds nothing outside the process that deployed. The deploy service
 * opens the same URL ($SHIPGATE_LEDGER_URL, else ledger.url) for deploys.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { ShipgateConfig } from "../config/schema.js";
import {
  type LedgerStore,
  maskLedgerUrl,
  openLedger,
  parseLedgerUrl,
  type Release,
} from "../ledger/index.js";

export type LedgerAccess =
  /** `where` names the ledger for messages, e.g. "sqlite .shipgate/ledger.db". */
  | { ledger: LedgerStore; where: string }
  /** No ledger to read; `why` says why, e.g. "no ledger at .shipgate/ledger.db yet". */
  | { ledger: null; why: string };

/** The ledger URL in force: $SHIPGATE_LEDGER_URL (an empty value counts as unset), else ledger.url. */
export function ledgerUrlOf(config: ShipgateConfig, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.SHIPGATE_LEDGER_URL;
  return fromEnv !== undefined && fromEnv.trim() !== "" ? fromEnv : config.ledger.url;
}

/**
 * Opens the ledger for reading. Invalid URLs are CONFIG_INVALID and unreachable servers
 * LEDGER_FAILED, as for a deploy. The caller closes the store it gets.
 */
export async function openLedgerForReading(
  config: ShipgateConfig,
  configDir: string,
  env: NodeJS.ProcessEnv,
): Promise<LedgerAccess> {
  const url = ledgerUrlOf(config, env);
  const location = parseLedgerUrl(url, configDir);
  switch (location.kind) {
    case "memory":
      return { ledger: null, why: "the ledger is memory: (it keeps nothing between commands)" };
    case "sqlite": {
      const shown = path.relative(configDir, location.file) || location.file;
      if (!existsSync(location.file)) return { ledger: null, why: `no ledger at ${shown} yet` };
      return { ledger: await openLedger(url, configDir), where: `sqlite ${shown}` };
    }
    case "postgres":
      return { ledger: await openLedger(url, configDir), where: `postgres ${maskLedgerUrl(location.url)}` };
  }
}

/** The release serving the environment now per the ledger (its current release), if any. */
export async function currentRelease(ledger: LedgerStore, environment: string): Promise<Release | null> {
  const state = await ledger.getEnvironmentState(environment);
  if (!state?.currentReleaseId) return null;
  return await ledger.getRelease(state.currentReleaseId);
}
