/**
 * The migration files of a project with their history names and checksums, and how they compare
 * with the history in the database: applied (unchanged, edited since, or whose file is gone),
 * pending, and pending files that sort before an applied one.
 */
import { readFileSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { ShipgateError } from "../../core/errors.js";
import { type AppliedMigration, migrationChecksum } from "../../pg/history.js";
import { type DiscoveredMigrations, discoverMigrations, type Framework } from "../discover.js";
import type { MigrationSource } from "../lint.js";
import type { TransactionModel } from "../rule.js";

export interface MigrationFile {
  /** The history name: the path relative to the directory of shipgate.yaml (forward slashes). */
  name: string;
  /** Display path, relative to the working directory. */
  path: string;
  abs: string;
  /** sha256 of the file's bytes, as recorded in shipgate.schema_migrations. */
  checksum: string;
  source: MigrationSource;
}

export interface LoadFilesOptions {
  cwd: string;
  configDir: string;
  paths: string[];
  framework: Framework | "auto";
  transaction: TransactionModel | "auto";
}

export async function loadMigrationFiles(
  options: LoadFilesOptions,
): Promise<{ framework: DiscoveredMigrations["framework"]; files: MigrationFile[] }> {
  const discovered = await discoverMigrations({
    cwd: options.cwd,
    paths: options.paths,
    framework: options.framework,
    transactionModel: options.transaction,
  });
  const files = discovered.targets.map((source) => {
    const abs = resolve(options.cwd, source.path);
    let bytes: Buffer;
    try {
      bytes = readFileSync(abs);
    } catch (error) {
      throw new ShipgateError("FILE_NOT_FOUND", `cannot read ${source.path}`, {
        cause: error,
        hint: "Check that the migration file exists and is readable.",
      });
    }
    return {
      name: relative(options.configDir, abs).split(sep).join("/"),
      path: source.path,
      abs,
      checksum: migrationChecksum(bytes),
      source,
    };
  });
  return { framework: discovered.framework, files };
}

export type AppliedState = "ok" | "edited" | "missing-file";

export interface AppliedEntry extends AppliedMigration {
  state: AppliedState;
  /** The file on disk, when there is one. */
  file?: MigrationFile;
}

export interface HistoryComparison {
  /** Every history row, in applied order. */
  applied: AppliedEntry[];
  /** Files not in the history, in apply order. */
  pending: MigrationFile[];
  /** Pending files that sort before a file already applied (e.g. a branch merged late). */
  outOfOrder: string[];
}

export function compareWithHistory(
  files: readonly MigrationFile[],
  history: readonly AppliedMigration[],
): HistoryComparison {
  const byName = new Map(files.map((f, i) => [f.name, { file: f, index: i }]));
  const appliedNames = new Set(history.map((h) => h.name));
  const applied = history.map((h): AppliedEntry => {
    const found = byName.get(h.name);
    if (!found) return { ...h, state: "missing-file" };
    return { ...h, file: found.file, state: found.file.checksum === h.checksum ? "ok" : "edited" };
  });
  let lastApplied = -1;
  for (const h of history) lastApplied = Math.max(lastApplied, byName.get(h.name)?.index ?? -1);
  const pending = files.filter((f) => !appliedNames.has(f.name));
  const outOfOrder = pending.filter((f) => (byName.get(f.name)?.index ?? 0) < lastApplied).map((f) => f.name);
  return { applied, pending, outOfOrder };
}

/** The SQL that accepts an edited file as applied (for the hint: shipgate never rewrites history itself). */
export function acceptEditSql(entry: AppliedEntry): string {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return `UPDATE shipgate.schema_migrations SET checksum = ${quote(entry.file?.checksum ?? "<new checksum>")} WHERE name = ${quote(entry.name)};`;
}
