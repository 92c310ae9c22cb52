/**
 * Schema rollback for `shipgate rollback --schema`: the migrations this environment's deploys applied
 * (the ledger's migrate steps, less what an earlier rollback --schema undid) that the target release
 * does not ship are undone with their down migrations (found by the framework's convention in the
 * stored artifact of the release that applied each), newest first, each in a transaction that also
 * removes its row from shipgate.schema_migrations. Without --schema, rollback only says which
 * migrations these are: the older code runs on the expanded schema.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ShipgateError } from "../core/errors.js";
import type { LedgerStore, Release } from "../ledger/types.js";
import { closeQuietly, connectDatabase, scrubSecrets } from "../migrations/apply/database.js";
import type { Framework } from "../migrations/discover.js";
import { findDownMigration } from "../migrations/down.js";
import { historyTable } from "../pg/history.js";

export interface DownStep {
  /** The history name of the up migration, e.g. migrations/002_add_items_note.sql. */
  name: string;
  /** Where the down is (relative to the artifact). */
  downPath: string;
  sql: string;
  /** The release that applied the migration: its stored artifact holds the down, its env the database URL. */
  releaseId: string;
}

/** How many of the environment's latest deploys the ledger's account of its schema reads. */
const schemaHistoryDepth = 500;

/**
 * The migrations the environment's deploys applied (a succeeded migrate step) that no rollback
 * --schema undid since: file name → the release that applied it.
 */
export async function appliedMigrations(
  ledger: LedgerStore,
  environment: string,
): Promise<Map<string, string>> {
  const applied = new Map<string, string>();
  const deploys = await ledger.listDeploys(environment, { limit: schemaHistoryDepth });
  for (const deploy of deploys.reverse()) {
    const types = new Set((deploy.plan as { type?: string }[]).map((s) => s.type));
    if (!types.has("migrate") && !types.has("migrate-down")) continue;
    for (const step of await ledger.listSteps(deploy.id)) {
      if (step.status !== "succeeded") continue;
      const files = (key: string) =>
        (Array.isArray(step.detail[key]) ? (step.detail[key] as unknown[]) : [])
          .filter((n): n is string => typeof n === "string")
          .map((n) => path.posix.basename(n));
      if (step.type === "migrate") for (const file of files("applied")) applied.set(file, deploy.releaseId);
      if (step.type === "migrate-down") for (const file of files("undone")) applied.delete(file);
    }
  }
  return applied;
}

/**
 * The downs undoing `migrations` (file names in the migrations directory, each with the release that
 * applied it), newest first.
 */
export function planSchemaRollback(
  migrations: { file: string; release: Release }[],
  migrationsDir: string,
  framework: Framework,
): DownStep[] {
  const missing: string[] = [];
  const steps: DownStep[] = [];
  for (const { file, release } of [...migrations].sort((a, b) => b.file.localeCompare(a.file))) {
    const cwd = release.artifact.path;
    const rel = path.posix.join(migrationsDir, file);
    const abs = path.join(cwd, rel);
    if (!existsSync(abs)) {
      missing.push(`${rel} (not in the stored release ${release.version})`);
      continue;
    }
    const down = findDownMigration({ path: rel, text: readFileSync(abs, "utf8") }, framework, cwd);
    if (!down) {
      missing.push(rel);
      continue;
    }
    steps.push({ name: rel, downPath: down.source.path, sql: down.source.text, releaseId: release.id });
  }
  if (missing.length > 0) {
    throw new ShipgateError("USAGE", `no down migration for ${missing.join(", ")}`, {
      hint: "Roll back without --schema (the older release runs on the expanded schema), or add the down migrations and deploy them before rolling back.",
    });
  }
  return steps;
}

/** Runs the downs in order, each on the database of the release that applied it (`urlOf`). */
export async function runSchemaRollback(
  steps: DownStep[],
  urlOf: (step: DownStep) => string,
): Promise<string[]> {
  const clients = new Map<string, Awaited<ReturnType<typeof connectDatabase>>>();
  const done: string[] = [];
  try {
    for (const step of steps) {
      const url = urlOf(step);
      let client = clients.get(url);
      if (!client) {
        client = await connectDatabase(url, { applicationName: "shipgate rollback --schema" });
        clients.set(url, client);
      }
      try {
        await client.query("BEGIN");
        await client.query(step.sql);
        await client.query(`DELETE FROM ${historyTable} WHERE name = $1`, [step.name]);
        await client.query("COMMIT");
        done.push(step.name);
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new ShipgateError(
          "MIGRATION_FAILED",
          `the down migration ${step.downPath} failed: ${scrubSecrets(error instanceof Error ? error.message : String(error), url)}`,
          {
            hint: `Undone so far: ${done.length > 0 ? done.join(", ") : "nothing"}. Fix the down migration, then run the downs still needed with \`shipgate rollback <environment> --to <the current version> --schema\`.`,
          },
        );
      }
    }
  } finally {
    for (const client of clients.values()) await closeQuietly(client);
  }
  return done;
}
