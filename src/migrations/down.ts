/**
 * Finding the down (undo) migration of an up migration, by the framework's convention:
 *
 * | convention            | where the down is                                                  |
 * |-----------------------|--------------------------------------------------------------------|
 * | dbmate                | the `-- migrate:down` section of the same file                     |
 * | node-pg-migrate       | the `-- Down Migration` section of the same file                   |
 * | golang-migrate        | `NNN_name.down.sql` next to `NNN_name.up.sql`                      |
 * | Flyway (undo)         | `U<version>__<any>.sql` next to `V<version>__<desc>.sql`           |
 * | Prisma                | `down.sql` next to the directory's `migration.sql`                 |
 * | any framework         | `<name>.down.sql` (or `<name>.undo.sql`) next to `<name>.sql`      |
 *
 * A down that is a section of the up file keeps the file's path and line numbers: every line
 * outside the section is blanked, so a finding in the down points at the right line.
 *
 * discover.ts (read-only here) finds the ups; this module only looks next to them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import type { Framework } from "./discover.js";
import { transactionModelFor } from "./discover.js";
import type { MigrationSource } from "./lint.js";
import { decodeSource } from "./parse.js";

export type DownConvention =
  | "dbmate-section"
  | "node-pg-migrate-section"
  | "golang-migrate"
  | "flyway-undo"
  | "prisma-down"
  | "down-file";

export interface DownMigration {
  /** The down's SQL. Path relative to cwd (for a section: the up file's path), lines as in the file. */
  source: MigrationSource;
  convention: DownConvention;
  /** True when the down is a section of the up file. */
  section: boolean;
}

const dbmateUp = /^--\s*migrate:up(?:\s|$)/;
const dbmateDown = /^--\s*migrate:down(?:\s|$)/;
const nodePgUp = /^\s*--[\s-]*up\s+migration/i;
const nodePgDown = /^\s*--[\s-]*down\s+migration/i;

const flywayVersioned = /^V(\d+(?:[._]\d+)*)__.*\.sql$/;
const flywayUndo = /^U(\d+(?:[._]\d+)*)__.*\.sql$/;

function display(cwd: string, abs: string): string {
  return relative(cwd, abs).split(sep).join("/");
}

function readOrUndefined(abs: string): Uint8Array | undefined {
  try {
    const b = readFileSync(abs);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch {
    return undefined;
  }
}

/**
 * The lines of the down section(s) of a file with up/down markers; every other line (markers, the up
 * section) is blanked so line numbers do not change. Undefined when the file has no down marker.
 * Works on latin1 so that invalid UTF-8 reaches decodeSource unchanged.
 */
export function keepDownSection(
  bytes: Uint8Array,
  up: RegExp,
  down: RegExp,
): { bytes: Uint8Array; downMarkers: string[] } | undefined {
  const lines = Buffer.from(bytes).toString("latin1").split("\n");
  const downMarkers: string[] = [];
  let inDown = false;
  const out = lines.map((line) => {
    if (down.test(line)) {
      downMarkers.push(line.replace(/\r$/, ""));
      inDown = true;
      return "";
    }
    if (up.test(line)) {
      inDown = false;
      return "";
    }
    return inDown ? line : "";
  });
  if (downMarkers.length === 0) return undefined;
  return { bytes: new Uint8Array(Buffer.from(out.join("\n"), "latin1")), downMarkers };
}

function sectionDown(
  up: MigrationSource,
  abs: string,
  framework: "dbmate" | "node-pg-migrate",
): DownMigration | undefined {
  const bytes = readOrUndefined(abs);
  if (!bytes) return undefined;
  const kept =
    framework === "dbmate"
      ? keepDownSection(bytes, dbmateUp, dbmateDown)
      : keepDownSection(bytes, nodePgUp, nodePgDown);
  if (!kept) return undefined;
  const noTransaction =
    framework === "dbmate" &&
    kept.downMarkers.some((m) =>
      m
        .replace(/^--\s*migrate:down/, "")
        .trim()
        .split(/\s+/)
        .includes("transaction:false"),
    );
  return {
    source: {
      ...decodeSource(up.path, kept.bytes),
      transactionModel: noTransaction ? "none" : (up.transactionModel ?? transactionModelFor(framework)),
    },
    convention: framework === "dbmate" ? "dbmate-section" : "node-pg-migrate-section",
    section: true,
  };
}

function fileDown(
  cwd: string,
  abs: string,
  convention: DownConvention,
  model: MigrationSource["transactionModel"],
): DownMigration | undefined {
  const bytes = readOrUndefined(abs);
  if (!bytes) return undefined;
  const source: MigrationSource = decodeSource(display(cwd, abs), bytes);
  if (model !== undefined) source.transactionModel = model;
  return { source, convention, section: false };
}

function flywayUndoFile(dir: string, version: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const same = (v: string) =>
    v.split(/[._]/).map(Number).join(".") === version.split(/[._]/).map(Number).join(".");
  const match = names.filter((n) => {
    const m = flywayUndo.exec(n);
    return m !== null && same(m[1] as string);
  });
  return match.length > 0 ? join(dir, match.sort()[0] as string) : undefined;
}

/** Names tried next to `<name>.sql`, in order. */
function siblingDownNames(name: string): string[] {
  const lower = name.toLowerCase();
  if (!lower.endsWith(".sql")) return [];
  let base = name.slice(0, -4);
  if (base.toLowerCase().endsWith(".up")) base = base.slice(0, -3);
  return [`${base}.down.sql`, `${base}.undo.sql`];
}

/**
 * The down of `up` (a file found by discoverMigrations), or undefined when it has none. `up.path`
 * is relative to `cwd`. Migrations that come from a command (--sql-from) have no down.
 */
export function findDownMigration(
  up: MigrationSource,
  framework: Framework,
  cwd: string,
): DownMigration | undefined {
  if (up.path.startsWith("sql-from: ")) return undefined;
  const abs = resolve(cwd, up.path);
  const dir = dirname(abs);
  const name = basename(abs);
  const model = up.transactionModel;

  if (framework === "dbmate" || framework === "node-pg-migrate") {
    const section = sectionDown(up, abs, framework);
    if (section) return section;
  }
  if (framework === "golang-migrate") {
    const m = /^(.*)\.up\.sql$/i.exec(name);
    if (m) {
      const found = fileDown(cwd, join(dir, `${m[1]}.down.sql`), "golang-migrate", model);
      if (found) return found;
    }
  }
  if (framework === "flyway") {
    const m = flywayVersioned.exec(name);
    const undo = m ? flywayUndoFile(dir, m[1] as string) : undefined;
    if (undo) {
      const found = fileDown(cwd, undo, "flyway-undo", model);
      if (found) return found;
    }
  }
  if (name === "migration.sql") {
    const found = fileDown(cwd, join(dir, "down.sql"), "prisma-down", model);
    if (found) return found;
  }
  for (const candidate of siblingDownNames(name)) {
    const found = fileDown(cwd, join(dir, candidate), "down-file", model);
    if (found) return found;
  }
  return undefined;
}

/** Where the convention expects the down, for the message of a missing one. */
export function expectedDownLocation(up: MigrationSource, framework: Framework): string {
  const name = basename(up.path);
  switch (framework) {
    case "dbmate":
      return "a `-- migrate:down` section in the same file";
    case "node-pg-migrate":
      return "a `-- Down Migration` section in the same file";
    case "golang-migrate":
      return `${name.replace(/\.up\.sql$/i, "")}.down.sql next to it`;
    case "flyway": {
      const m = flywayVersioned.exec(name);
      return m
        ? `an undo migration U${m[1]}__<description>.sql next to it`
        : "an undo migration U<version>__…sql";
    }
    case "prisma":
      return "down.sql next to migration.sql";
    default:
      return `${siblingDownNames(name)[0] ?? `${name}.down.sql`} next to it`;
  }
}
