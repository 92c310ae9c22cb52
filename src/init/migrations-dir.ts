/**
 * Whether a repository has database migrations, and where, without reading them: the conventional
 * directories of the frameworks `shipgate migrations lint` reads (discover.ts's list), plus Rails
 * (db/migrate) and Alembic (alembic/versions, migrations/versions), whose migrations are code.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { conventionalDirs } from "../migrations/discover.js";

const codeMigrationDirs = ["db/migrate", "alembic/versions", "migrations/versions"] as const;

function hasEntries(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => !n.startsWith("."));
  } catch {
    return false;
  }
}

/** The first conventional migrations directory under `root` that holds anything (relative path). */
export function findMigrationsDir(root: string): string | undefined {
  return [...conventionalDirs, ...codeMigrationDirs].find((d) => hasEntries(join(root, ...d.split("/"))));
}
