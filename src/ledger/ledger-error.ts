/**
 * The ledger's errors: every failure of the store surfaces as a ShipgateError LEDGER_FAILED with a
 * hint; a missing deploy names the command that lists them.
 */
import { isShipgateError, ShipgateError } from "../core/errors.js";
import { maskUrlPasswords } from "../env/mask.js";

/** A ledger URL as it may be shown: postgres://user:***@host/db. */
export function maskLedgerUrl(url: string): string {
  return maskUrlPasswords(url);
}

export function deployNotFound(id: string): ShipgateError {
  return new ShipgateError("LEDGER_FAILED", `deploy ${id} is not in the ledger`, {
    hint: "Run `shipgate history <env>` to list the environment's deploys.",
  });
}

export function deployExists(id: string): ShipgateError {
  return new ShipgateError("LEDGER_FAILED", `deploy ${id} is already in the ledger`, {
    hint: "This is a bug in shipgate (deploy ids are unique): report it with the command you ran.",
  });
}

/**
 * Wraps an unexpected error of a storage operation as LEDGER_FAILED (ShipgateErrors pass through).
 * `scrub` removes secrets (a database password) from the driver's message.
 */
export function ledgerFailure(
  error: unknown,
  what: string,
  where: string,
  hint: string,
  scrub: (text: string) => string = (text) => text,
): ShipgateError {
  if (isShipgateError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ShipgateError("LEDGER_FAILED", `${what} failed on the ledger at ${where}: ${scrub(message)}`, {
    hint,
    cause: error,
  });
}
