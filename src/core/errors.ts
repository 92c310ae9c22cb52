/**
 * The one error type of shipgate. Every failure a user can act on is a ShipgateError with a closed
 * code, a hint naming the next command, and an exit code from the documented table. Only the CLI
 * entry turns errors into exits; only the server maps them to HTTP.
 */

/** The documented exit codes. */
export const ExitCode = {
  ok: 0,
  gateFailed: 1,
  usage: 2,
  deployRolledBack: 3,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const codeTable = {
  USAGE: { exitCode: ExitCode.usage, httpStatus: 400 },
  CONFIG_NOT_FOUND: { exitCode: ExitCode.usage, httpStatus: 400 },
  CONFIG_INVALID: { exitCode: ExitCode.usage, httpStatus: 400 },
  FILE_NOT_FOUND: { exitCode: ExitCode.usage, httpStatus: 404 },
  GIT_FAILED: { exitCode: ExitCode.usage, httpStatus: 400 },
  COMMAND_FAILED: { exitCode: ExitCode.usage, httpStatus: 400 },
  /** Postgres could not be reached or started. */
  DATABASE_FAILED: { exitCode: ExitCode.usage, httpStatus: 503 },
  GATE_FAILED: { exitCode: ExitCode.gateFailed, httpStatus: 422 },
  /** A migration failed or was refused; the report says what ran and what the database holds. */
  MIGRATION_FAILED: { exitCode: ExitCode.gateFailed, httpStatus: 422 },
  /** Another process holds the lock (e.g. a concurrent `migrations apply`). */
  LOCKED: { exitCode: ExitCode.gateFailed, httpStatus: 409 },
  /** The release ledger could not be opened or written (SQLite file or Postgres URL). */
  LEDGER_FAILED: { exitCode: ExitCode.usage, httpStatus: 503 },
  /** The deploy target (the local agent, or a user's deploy command) could not be reached or failed outside a deploy. */
  TARGET_FAILED: { exitCode: ExitCode.usage, httpStatus: 503 },
  /** A deploy failed; traffic went back to the previous release and the ledger says why. */
  DEPLOY_ROLLED_BACK: { exitCode: ExitCode.deployRolledBack, httpStatus: 500 },
  /** No credentials, or unknown/revoked/expired ones (the team server). */
  UNAUTHORIZED: { exitCode: ExitCode.usage, httpStatus: 401 },
  /** Valid credentials whose role or environment scope does not allow the action; self-approval. */
  FORBIDDEN: { exitCode: ExitCode.gateFailed, httpStatus: 403 },
  /** The named deploy, release, flag or token does not exist. */
  NOT_FOUND: { exitCode: ExitCode.usage, httpStatus: 404 },
  /** The action does not fit the current state (e.g. approving a deploy that no longer awaits approval). */
  CONFLICT: { exitCode: ExitCode.gateFailed, httpStatus: 409 },
  /** Too many failed authentications from one address; retry after the window. */
  RATE_LIMITED: { exitCode: ExitCode.usage, httpStatus: 429 },
  INTERNAL: { exitCode: ExitCode.internal, httpStatus: 500 },
} as const satisfies Record<string, { exitCode: ExitCode; httpStatus: number }>;

export type ErrorCode = keyof typeof codeTable;

export interface ShipgateErrorOptions {
  /** What to do next, naming a command where one helps. */
  hint?: string;
  /** Individual problems (e.g. every invalid config key with its path). */
  details?: string[];
  cause?: unknown;
}

export class ShipgateError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: string[];
  readonly exitCode: ExitCode;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, options: ShipgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ShipgateError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.exitCode = codeTable[code].exitCode;
    this.httpStatus = codeTable[code].httpStatus;
  }
}

export function isShipgateError(error: unknown): error is ShipgateError {
  return error instanceof ShipgateError;
}
