/**
 * The settings of `migrations apply | restore | backups`, resolved once: defaults < shipgate.yaml
 * (migrations.lockTimeout, statementTimeout, lockRetries, advisoryLockWait, backups) < flags.
 */
import { isAbsolute, join, resolve } from "node:path";
import type { MigrationsConfig } from "../../config/schema.js";
import { ShipgateError } from "../../core/errors.js";
import { parseTimeoutMs } from "../lint.js";

export interface ApplyFlags {
  lockTimeout?: string;
  statementTimeout?: string;
  lockRetries?: string;
  lockWait?: string;
  lockRetryDelay?: string;
  backupDir?: string;
}

export interface ApplySettings {
  lockTimeoutMs: number;
  /** 0: no statement timeout. */
  statementTimeoutMs: number;
  lockRetries: number;
  advisoryLockWaitMs: number;
  /** First backoff delay after a lock timeout; doubles on each retry. */
  retryBaseDelayMs: number;
  backups: { enabled: boolean; dir: string };
}

/** Default first backoff delay after a lock timeout (then 2×, 4×, … capped at 60 s). */
export const defaultRetryBaseDelayMs = 1000;

function duration(value: string, source: string): number {
  const ms = parseTimeoutMs(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw new ShipgateError(
      "USAGE",
      `${source} must be a duration such as 500ms, 2s or 15min; got "${value}"`,
      {
        hint: "Units: ms, s, min, h, d; a bare number is milliseconds (as in Postgres).",
      },
    );
  }
  return Math.round(ms);
}

function count(value: string, source: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) {
    throw new ShipgateError("USAGE", `${source} must be a whole number from 0 to 20; got "${value}"`, {
      hint: "e.g. --lock-retries 3",
    });
  }
  return n;
}

export function resolveApplySettings(
  config: MigrationsConfig,
  configDir: string,
  cwd: string,
  flags: ApplyFlags,
): ApplySettings {
  const fromConfig = (p: string) => (isAbsolute(p) ? p : join(configDir, p));
  return {
    lockTimeoutMs: duration(
      flags.lockTimeout ?? config.lockTimeout,
      flags.lockTimeout ? "--lock-timeout" : "migrations.lockTimeout",
    ),
    statementTimeoutMs: duration(
      flags.statementTimeout ?? config.statementTimeout,
      flags.statementTimeout ? "--statement-timeout" : "migrations.statementTimeout",
    ),
    lockRetries:
      flags.lockRetries !== undefined ? count(flags.lockRetries, "--lock-retries") : config.lockRetries,
    advisoryLockWaitMs: duration(
      flags.lockWait ?? config.advisoryLockWait,
      flags.lockWait ? "--lock-wait" : "migrations.advisoryLockWait",
    ),
    retryBaseDelayMs:
      flags.lockRetryDelay !== undefined
        ? duration(flags.lockRetryDelay, "--lock-retry-delay")
        : defaultRetryBaseDelayMs,
    backups: {
      enabled: config.backups.enabled,
      dir: flags.backupDir ? resolve(cwd, flags.backupDir) : fromConfig(config.backups.dir),
    },
  };
}

/** "2s", "500ms", "15min": a duration in ms as people write it. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
