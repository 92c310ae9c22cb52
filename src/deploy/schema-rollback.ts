/**
 * Schema rollback for `shipgate rollback --schema`: the migrations the current release applied that
 * the target release does not have are undone with their down migrations (found by the framework's
 * convention in the current release's stored artifact), newest first, each in a transaction that
 * also removes its row from shipgate.schema_migrations. Without --schema, rollback only says which
 * migrations these are: the older code runs on the expanded schema.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ShipgateError } from "../core/errors.js";
import type { Release } from "../ledger/types.js";
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
}

/** The downs undoing `migrations` (file names in the current release's migrations directory), newest first. */
export function planSchemaRollback(
  current: Release,
  migrationsDir: string,
  migrations: string[],
  framework: Framework,
): DownStep[] {
  const cwd = current.artifact.path;
  const missing: string[] = [];
  const steps: DownStep[] = [];
  for (const file of [...migrations].sort().reverse()) {
    const rel = path.posix.join(migrationsDir, file);
    const abs = path.join(cwd, rel);
    if (!existsSync(abs)) {
      missing.push(`${rel} (not in the stored release)`);
      continue;
    }
    const down = findDownMigration({ path: rel, text: readFileSync(abs, "utf8") }, framework, cwd);
    if (!down) {
      missing.push(rel);
      continue;
    }
    steps.push({ name: rel, downPath: down.source.path, sql: down.source.text });
  }
  if (missing.length > 0) {
    throw new ShipgateError("USAGE", `no down migration for ${missing.join(", ")}`, {
      hint: "Roll back without --schema (the older release runs on the expanded schema), or add the down migrations and deploy them before rolling back.",
    });
  }
  return steps;
}

export async function runSchemaRollback(url: string, steps: DownStep[]): Promise<string[]> {
  const client = await connectDatabase(url, { applicationName: "shipgate rollback --schema" });
  const done: string[] = [];
  try {
    for (const step of steps) {
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
            hint: `Undone so far: ${done.length > 0 ? done.join(", ") : "nothing"}. Fix the down migration and run \`shipgate rollback --schema\` again.`,
          },
        );
      }
    }
  } finally {
    await closeQuietly(client);
  }
  return done;
}
