/**
 * Finds the migration files to lint, in the order the runner applies them, with the transaction
 * model of each: from paths (files or directories), from the conventional places of the supported
 * frameworks, from the files changed since a git ref, or from a command that prints SQL.
 *
 * Files are read as bytes and decoded with decodeSource, so non-UTF-8 files become diagnostics
 * rather than failures. Sections a runner does not apply on `up` (dbmate's `-- migrate:down`,
 * node-pg-migrate's `-- Down Migration`) are replaced by blank lines, keeping every line number.
 */
import type { Dirent } from "node:fs";
import { realpath } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { Disk } from "../core/disk.js";
import { ShipgateError } from "../core/errors.js";
import { runShellCommand } from "../core/exec.js";
import { gitChangedFiles } from "../core/git.js";
import type { MigrationSource } from "./lint.js";
import { decodeSource } from "./parse.js";
import type { TransactionModel } from "./rule.js";

export type Framework =
  | "sql"
  | "prisma"
  | "drizzle"
  | "flyway"
  | "golang-migrate"
  | "dbmate"
  | "node-pg-migrate";

/** Every supported framework, e.g. for CLI choices. */
export const frameworks: readonly Framework[] = [
  "sql",
  "prisma",
  "drizzle",
  "flyway",
  "golang-migrate",
  "dbmate",
  "node-pg-migrate",
];

const transactionModels: readonly TransactionModel[] = ["per-file", "implicit", "none"];

export interface DiscoverOptions {
  /** Paths are resolved and displayed relative to it (forward slashes). */
  cwd: string;
  /** Files or directories; empty: the conventional places under cwd. */
  paths: string[];
  framework?: Framework | "auto";
  /** Overrides the framework's default for every file. */
  transactionModel?: TransactionModel | "auto";
  /** Git ref: only files added or changed since it are targets. */
  since?: string;
  /** A shell command that prints SQL on stdout: its output is the only target (paths are ignored). */
  sqlFrom?: string;
  /** Where files are read (default: the file system, not recorded); a recording Disk keeps what was seen. */
  disk?: Disk;
}

export interface DiscoveredMigrations {
  framework: Framework;
  /** Files to lint, in apply order. */
  targets: MigrationSource[];
  /** Earlier files (already applied), in order: replayed into the catalog, not reported. */
  baseline: MigrationSource[];
}

const defaultTransactionModel: Record<Framework, TransactionModel> = {
  sql: "none",
  prisma: "implicit",
  drizzle: "per-file",
  // Flyway runs a file that holds only non-transactional statements (CREATE INDEX CONCURRENTLY)
  // outside a transaction and refuses files that mix them with others: the "implicit" model.
  flyway: "implicit",
  "golang-migrate": "implicit",
  dbmate: "per-file",
  "node-pg-migrate": "per-file",
};

/** How the framework's runner applies a migration file (see TransactionModel). */
export function transactionModelFor(framework: Framework): TransactionModel {
  return defaultTransactionModel[framework];
}

/** Where each framework keeps its migrations by default, relative to the project root, in search order. */
export const conventionalDirs: readonly string[] = [
  "prisma/migrations",
  "drizzle",
  "db/migrations",
  "migrations",
  "src/main/resources/db/migration",
  "sql/migrations",
];

const preferredDir: Partial<Record<Framework, string>> = {
  prisma: "prisma/migrations",
  drizzle: "drizzle",
  dbmate: "db/migrations",
  "node-pg-migrate": "migrations",
  flyway: "src/main/resources/db/migration",
};

// ---------------------------------------------------------------------------------------------
// Ordering

/** Natural order: digit runs compare as numbers, so `2_x.sql` < `10_x.sql`. */
function naturalCompare(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  const n = Math.min(ra.length, rb.length);
  for (let i = 0; i < n; i++) {
    const x = ra[i] as string;
    const y = rb[i] as string;
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  return byteCompare(a, b);
}

/** Compares two digit strings numerically, without precision limits. */
function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, "");
  const b = y.replace(/^0+(?=\d)/, "");
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// File system

interface Entry {
  name: string;
  abs: string;
  isFile: boolean;
  isDir: boolean;
}

/** Directory entries (symlinks followed), hidden ones skipped. */
function listDir(disk: Disk, dir: string): Entry[] {
  let dirents: Dirent[];
  try {
    dirents = disk.list(dir);
  } catch (error) {
    throw new ShipgateError("FILE_NOT_FOUND", `cannot read directory ${dir}`, {
      hint: "check that the directory exists and is readable",
      cause: error,
    });
  }
  const out: Entry[] = [];
  for (const d of dirents) {
    if (d.name.startsWith(".")) continue;
    const abs = join(dir, d.name);
    if (d.isSymbolicLink()) {
      const kind = disk.kind(abs);
      out.push({ name: d.name, abs, isFile: kind === "file", isDir: kind === "dir" });
    } else {
      out.push({ name: d.name, abs, isFile: d.isFile(), isDir: d.isDirectory() });
    }
  }
  return out;
}

function isSqlName(name: string): boolean {
  return name.toLowerCase().endsWith(".sql");
}

function sqlFilesIn(disk: Disk, dir: string): Entry[] {
  return listDir(disk, dir).filter((e) => e.isFile && isSqlName(e.name));
}

/** .sql files in a directory tree (Flyway scans its locations recursively). */
function sqlFilesRecursive(disk: Disk, dir: string, depth = 0): Entry[] {
  const out: Entry[] = [];
  for (const e of listDir(disk, dir)) {
    if (e.isFile && isSqlName(e.name)) out.push(e);
    else if (e.isDir && depth < 16 && e.name !== "node_modules")
      out.push(...sqlFilesRecursive(disk, e.abs, depth + 1));
  }
  return out;
}

/** A file's bytes; a file that cannot be read is a clear error. */
function readBytes(disk: Disk, abs: string): Buffer {
  try {
    return disk.read(abs);
  } catch (error) {
    throw new ShipgateError("FILE_NOT_FOUND", `cannot read ${abs}: ${(error as Error).message}`, {
      hint: "check that the file exists and is readable",
      cause: error,
    });
  }
}

/** An optional file's text, or undefined when it does not exist or cannot be read. */
function readOptional(disk: Disk, abs: string): string | undefined {
  try {
    return disk.read(abs).toString("utf8");
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Up/down sections

const dbmateUp = /^--\s*migrate:up(?:\s|$)/;
const dbmateDown = /^--\s*migrate:down(?:\s|$)/;
const nodePgUp = /^\s*--[\s-]*up\s+migration/i;
const nodePgDown = /^\s*--[\s-]*down\s+migration/i;

// What every line the markers match contains: most files have none, and need no line split.
const dbmateUpHint = /migrate:up/;
const nodePgUpHint = /up\s+migration/i;

function hasMarkerLine(text: string, hint: RegExp, marker: RegExp): boolean {
  return hint.test(text) && text.split("\n").some((line) => marker.test(line));
}

/**
 * Keeps only the lines of the up section(s); the marker lines, anything before the first up marker
 * and the down section(s) become empty lines, so the line count and the line numbers of the kept
 * lines do not change. Without any up marker, everything before the first down marker is kept.
 * Works on bytes (as latin1) so non-UTF-8 content is left for decodeSource to report.
 */
function keepUpSection(
  bytes: Uint8Array,
  up: RegExp,
  down: RegExp,
): { bytes: Uint8Array; upMarkers: string[] } {
  const text = Buffer.from(bytes).toString("latin1");
  const lines = text.split("\n");
  const upMarkers: string[] = [];
  let state: "before" | "up" | "down" = lines.some((l) => up.test(l)) ? "before" : "up";
  let changed = false;
  const out = lines.map((line) => {
    if (up.test(line)) {
      upMarkers.push(line.replace(/\r$/, ""));
      state = "up";
    } else if (down.test(line)) {
      state = "down";
    } else if (state === "up") {
      return line;
    }
    if (line !== "") changed = true;
    return "";
  });
  if (!changed) return { bytes, upMarkers };
  return { bytes: new Uint8Array(Buffer.from(out.join("\n"), "latin1")), upMarkers };
}

/** dbmate options on the up marker: `-- migrate:up transaction:false`. */
function dbmateNoTransaction(upMarkers: readonly string[]): boolean {
  return upMarkers.some((m) =>
    m
      .replace(/^--\s*migrate:up/, "")
      .trim()
      .split(/\s+/)
      .includes("transaction:false"),
  );
}

// ---------------------------------------------------------------------------------------------
// Layouts

const flywayVersioned = /^V(\d+(?:[._]\d+)*)__(.*)\.sql$/;
const flywayRepeatable = /^R__(.*)\.sql$/;
const golangUp = /^(\d+)_(.*)\.up\.sql$/;
const dbmateName = /^\d+.*\.sql$/i;

function flywayVersionCompare(a: string, b: string): number {
  const pa = a.split(/[._]/);
  const pb = b.split(/[._]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const c = compareDigits(pa[i] ?? "0", pb[i] ?? "0");
    if (c !== 0) return c;
  }
  return 0;
}

function listPrisma(disk: Disk, dir: string): string[] {
  const own = join(dir, "migration.sql");
  if (disk.kind(own) === "file") return [own];
  const subdirs = listDir(disk, dir)
    .filter((e) => e.isDir)
    .sort((a, b) => byteCompare(a.name, b.name));
  const out: string[] = [];
  for (const d of subdirs) {
    const file = join(d.abs, "migration.sql");
    if (disk.kind(file) === "file") out.push(file);
  }
  // `prisma/` given instead of `prisma/migrations/`.
  if (out.length === 0 && disk.kind(join(dir, "migrations")) === "dir")
    return listPrisma(disk, join(dir, "migrations"));
  return out;
}

function drizzleJournalTags(disk: Disk, dir: string): string[] | undefined {
  const raw = readOptional(disk, join(dir, "meta", "_journal.json"));
  if (raw === undefined) return undefined;
  try {
    const journal = JSON.parse(raw) as { entries?: unknown };
    if (!Array.isArray(journal.entries)) return undefined;
    const entries = journal.entries
      .map((e: unknown, i: number) => {
        const entry = (e ?? {}) as { idx?: unknown; tag?: unknown };
        return { idx: typeof entry.idx === "number" ? entry.idx : i, tag: entry.tag, i };
      })
      .filter((e): e is { idx: number; tag: string; i: number } => typeof e.tag === "string");
    entries.sort((a, b) => a.idx - b.idx || a.i - b.i);
    return entries.map((e) => e.tag);
  } catch {
    // An unreadable journal: fall back to name order.
    return undefined;
  }
}

function listDrizzle(disk: Disk, dir: string): string[] {
  const files = sqlFilesIn(disk, dir).sort((a, b) => naturalCompare(a.name, b.name));
  const tags = drizzleJournalTags(disk, dir);
  if (!tags) return files.map((f) => f.abs);
  const byName = new Map(files.map((f) => [f.name, f.abs]));
  const out: string[] = [];
  for (const tag of tags) {
    const abs = byName.get(`${tag}.sql`);
    if (abs === undefined) continue;
    out.push(abs);
    byName.delete(`${tag}.sql`);
  }
  // Files the journal does not list yet (hand-written), after the journaled ones, by name.
  return [...out, ...byName.values()];
}

function listFlyway(disk: Disk, dir: string): string[] {
  const versioned: { abs: string; version: string; rel: string }[] = [];
  const repeatable: { abs: string; description: string; rel: string }[] = [];
  for (const f of sqlFilesRecursive(disk, dir)) {
    const rel = relative(dir, f.abs);
    const v = flywayVersioned.exec(f.name);
    if (v) {
      versioned.push({ abs: f.abs, version: v[1] as string, rel });
      continue;
    }
    const r = flywayRepeatable.exec(f.name);
    if (r) repeatable.push({ abs: f.abs, description: (r[1] as string).replace(/_/g, " "), rel });
    // Undo (U…__), callbacks (beforeMigrate.sql…) and other names are not migrations.
  }
  versioned.sort((a, b) => flywayVersionCompare(a.version, b.version) || byteCompare(a.rel, b.rel));
  repeatable.sort((a, b) => byteCompare(a.description, b.description) || byteCompare(a.rel, b.rel));
  return [...versioned.map((f) => f.abs), ...repeatable.map((f) => f.abs)];
}

function listGolangMigrate(disk: Disk, dir: string): string[] {
  const files = sqlFilesIn(disk, dir).flatMap((f) => {
    const m = golangUp.exec(f.name);
    return m ? [{ abs: f.abs, name: f.name, version: m[1] as string }] : [];
  });
  files.sort((a, b) => compareDigits(a.version, b.version) || byteCompare(a.name, b.name));
  return files.map((f) => f.abs);
}

function listByName(disk: Disk, dir: string, keep: (name: string) => boolean): string[] {
  return sqlFilesIn(disk, dir)
    .filter((f) => keep(f.name))
    .sort((a, b) => naturalCompare(a.name, b.name))
    .map((f) => f.abs);
}

function isPlainSqlMigration(name: string): boolean {
  const lower = name.toLowerCase();
  return !lower.endsWith(".down.sql") && !lower.endsWith(".undo.sql");
}

function listMigrations(disk: Disk, framework: Framework, dir: string): string[] {
  switch (framework) {
    case "prisma":
      return listPrisma(disk, dir);
    case "drizzle":
      return listDrizzle(disk, dir);
    case "flyway":
      return listFlyway(disk, dir);
    case "golang-migrate":
      return listGolangMigrate(disk, dir);
    case "dbmate":
      return listByName(disk, dir, (name) => dbmateName.test(name));
    case "node-pg-migrate":
      return listByName(disk, dir, () => true);
    case "sql":
      return listByName(disk, dir, isPlainSqlMigration);
  }
}

// ---------------------------------------------------------------------------------------------
// Detection

interface PathEntry {
  abs: string;
  kind: "file" | "dir";
}

function detectFromContents(disk: Disk, files: readonly string[]): Framework | undefined {
  // The bytes as latin1: one char per byte, exact for ASCII markers and line breaks.
  const texts = files.map((f) => readBytes(disk, f).toString("latin1"));
  if (texts.some((t) => hasMarkerLine(t, dbmateUpHint, dbmateUp))) return "dbmate";
  if (texts.some((t) => hasMarkerLine(t, nodePgUpHint, nodePgUp))) return "node-pg-migrate";
  return undefined;
}

function detectDir(disk: Disk, dir: string): Framework {
  const entries = listDir(disk, dir);
  if (entries.some((e) => e.isFile && e.name === "migration.sql")) return "prisma";
  for (const d of entries.filter((e) => e.isDir)) {
    if (disk.kind(join(d.abs, "migration.sql")) === "file") return "prisma";
  }
  if (disk.kind(join(dir, "meta", "_journal.json")) === "file") return "drizzle";
  const sql = entries.filter((e) => e.isFile && isSqlName(e.name));
  if (sql.some((f) => flywayVersioned.test(f.name))) return "flyway";
  if (sql.some((f) => f.name.toLowerCase().endsWith(".up.sql"))) return "golang-migrate";
  const byContents = detectFromContents(
    disk,
    sql.map((f) => f.abs),
  );
  if (byContents) return byContents;
  if (entries.some((e) => e.isDir)) {
    // Flyway locations are scanned recursively (e.g. db/migration/v1/V1__init.sql).
    if (sqlFilesRecursive(disk, dir).some((f) => flywayVersioned.test(f.name))) return "flyway";
    // `prisma/` given instead of `prisma/migrations/`.
    if (
      disk.kind(join(dir, "migrations")) === "dir" &&
      detectDir(disk, join(dir, "migrations")) === "prisma"
    ) {
      return "prisma";
    }
  }
  return "sql";
}

function detectFile(disk: Disk, abs: string): Framework {
  const name = basename(abs);
  if (name === "migration.sql") return "prisma";
  if (disk.kind(join(dirname(abs), "meta", "_journal.json")) === "file") return "drizzle";
  if (flywayVersioned.test(name)) return "flyway";
  if (name.toLowerCase().endsWith(".up.sql")) return "golang-migrate";
  return detectFromContents(disk, [abs]) ?? "sql";
}

function detectFramework(disk: Disk, entries: readonly PathEntry[]): Framework {
  const found = new Set<Framework>();
  for (const e of entries) {
    const f = e.kind === "dir" ? detectDir(disk, e.abs) : detectFile(disk, e.abs);
    if (f !== "sql") found.add(f);
  }
  if (found.size > 1) {
    throw new ShipgateError(
      "USAGE",
      `the paths look like migrations of different frameworks: ${[...found].join(", ")}`,
      {
        hint: `lint them separately, or pass --framework <${frameworks.join("|")}>`,
      },
    );
  }
  return [...found][0] ?? "sql";
}

// ---------------------------------------------------------------------------------------------
// Loading

function display(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return (rel === "" ? basename(abs) : rel).split(sep).join("/");
}

function flywayNoTransaction(disk: Disk, abs: string): boolean {
  // Per-script config: V3__index.sql.conf with `executeInTransaction=false`.
  const conf = readOptional(disk, `${abs}.conf`);
  return conf !== undefined && /^\s*executeInTransaction\s*=\s*false\s*$/im.test(conf);
}

function loadSource(
  disk: Disk,
  abs: string,
  cwd: string,
  framework: Framework,
  override: TransactionModel | undefined,
): MigrationSource {
  let bytes: Uint8Array = readBytes(disk, abs);
  let model = override ?? transactionModelFor(framework);
  if (framework === "dbmate") {
    const kept = keepUpSection(bytes, dbmateUp, dbmateDown);
    bytes = kept.bytes;
    // A directive in the file itself is more specific than any default or override.
    if (dbmateNoTransaction(kept.upMarkers)) model = "none";
  } else if (framework === "node-pg-migrate") {
    bytes = keepUpSection(bytes, nodePgUp, nodePgDown).bytes;
  } else if (framework === "flyway" && flywayNoTransaction(disk, abs)) {
    model = "none";
  }
  return { ...decodeSource(display(cwd, abs), bytes), transactionModel: model };
}

// ---------------------------------------------------------------------------------------------
// Options

function checkFramework(value: DiscoverOptions["framework"]): Framework | undefined {
  if (value === undefined || value === "auto") return undefined;
  if ((frameworks as readonly string[]).includes(value)) return value;
  throw new ShipgateError("USAGE", `unknown migration framework "${String(value)}"`, {
    hint: `use one of: auto, ${frameworks.join(", ")}`,
  });
}

function checkTransactionModel(value: DiscoverOptions["transactionModel"]): TransactionModel | undefined {
  if (value === undefined || value === "auto") return undefined;
  if ((transactionModels as readonly string[]).includes(value)) return value;
  throw new ShipgateError("USAGE", `unknown transaction model "${String(value)}"`, {
    hint: `use one of: auto, ${transactionModels.join(", ")}`,
  });
}

function resolvePaths(disk: Disk, cwd: string, paths: readonly string[]): PathEntry[] {
  const out: PathEntry[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const kind = disk.kind(abs);
    if (kind === undefined) {
      throw new ShipgateError("FILE_NOT_FOUND", `${display(cwd, abs)}: no such file or directory`, {
        hint: `check the path (relative to ${cwd}), or run shipgate migrations lint without paths to find the migrations directory`,
      });
    }
    if (kind === "other") {
      throw new ShipgateError("USAGE", `${display(cwd, abs)} is neither a file nor a directory`, {
        hint: "pass migration files or the directory that holds them",
      });
    }
    out.push({ abs, kind });
  }
  return out;
}

function conventionalDir(disk: Disk, cwd: string, framework: Framework | undefined): PathEntry {
  const preferred = framework ? preferredDir[framework] : undefined;
  const candidates = preferred
    ? [preferred, ...conventionalDirs.filter((d) => d !== preferred)]
    : conventionalDirs;
  for (const dir of candidates) {
    const abs = join(cwd, ...dir.split("/"));
    if (disk.kind(abs) === "dir") return { abs, kind: "dir" };
  }
  throw new ShipgateError("USAGE", "no migrations directory found", {
    details: candidates.map((d) => `looked for ${d}/`),
    hint: "set migrations.paths in shipgate.yaml (e.g. [db/migrations]), or pass the directory: shipgate migrations <command> db/migrations",
  });
}

async function fromCommand(
  cwd: string,
  options: DiscoverOptions,
  command: string,
  override: TransactionModel | undefined,
): Promise<DiscoveredMigrations> {
  // Paths are not an error here: they may come from the config file, which --sql-from overrides.
  if (options.since !== undefined) {
    throw new ShipgateError("USAGE", "--sql-from cannot be combined with --since", {
      hint: "let the command print only the SQL to check, e.g. alembic upgrade <from>:head --sql",
    });
  }
  if (command.trim() === "") {
    throw new ShipgateError("USAGE", "--sql-from needs a command", {
      hint: 'e.g. shipgate migrations lint --sql-from "alembic upgrade head --sql"',
    });
  }
  const bytes = await runShellCommand(command, { cwd });
  const source = decodeSource(`sql-from: ${command}`, bytes);
  return {
    framework: "sql",
    targets: [{ ...source, transactionModel: override ?? "none" }],
    baseline: [],
  };
}

/** How each framework names its migration files, for the error when none matches. */
const frameworkLayouts: Record<Framework, string> = {
  prisma: "<dir>/<timestamp>_<name>/migration.sql",
  drizzle: "<dir>/<nnnn>_<name>.sql (with meta/_journal.json)",
  flyway: "V<version>__<name>.sql",
  "golang-migrate": "<version>_<name>.up.sql",
  dbmate: "<version>_<name>.sql with a `-- migrate:up` section",
  "node-pg-migrate": "<timestamp>_<name>.sql",
  sql: "*.sql (not *.down.sql or *.undo.sql)",
};

/**
 * A directory given with an explicit framework that yields no migration although it holds .sql
 * files: the framework is wrong, and a lint that checks nothing must not pass the gate.
 */
function refuseEmptyLayout(disk: Disk, cwd: string, dir: string, framework: Framework): void {
  const sql = sqlFilesRecursive(disk, dir);
  if (sql.length === 0) return;
  const where = relative(cwd, dir) || ".";
  throw new ShipgateError(
    "USAGE",
    `${where} holds ${sql.length} .sql file${sql.length === 1 ? "" : "s"}, but none is a ${framework} migration (${frameworkLayouts[framework]})`,
    {
      details: sql.slice(0, 5).map((f) => relative(cwd, f.abs)),
      hint: "drop --framework (or migrations.framework) to detect it, or name the framework that wrote these files",
    },
  );
}

async function realpathOr(abs: string): Promise<string> {
  try {
    return await realpath(abs);
  } catch {
    return abs;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Finds the migrations to lint. Directories expand to their framework's migration files in apply
 * order; single files are taken as given, in argument order. With `since`, only files added or
 * changed since the ref (committed, uncommitted or untracked) are targets; the unchanged files that
 * come before the last target in apply order are the baseline.
 */
export async function discoverMigrations(options: DiscoverOptions): Promise<DiscoveredMigrations> {
  const cwd = resolve(options.cwd);
  const requested = checkFramework(options.framework);
  const override = checkTransactionModel(options.transactionModel);
  if (options.sqlFrom !== undefined) return fromCommand(cwd, options, options.sqlFrom, override);

  const disk = options.disk ?? Disk.plain();
  const entries =
    options.paths.length > 0
      ? resolvePaths(disk, cwd, options.paths)
      : [conventionalDir(disk, cwd, requested)];
  const framework = requested ?? detectFramework(disk, entries);

  const files: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const listed = entry.kind === "dir" ? listMigrations(disk, framework, entry.abs) : [entry.abs];
    if (listed.length === 0 && requested !== undefined) refuseEmptyLayout(disk, cwd, entry.abs, requested);
    for (const abs of listed) {
      if (seen.has(abs)) continue;
      seen.add(abs);
      files.push(abs);
    }
  }
  const sources = files.map((abs) => loadSource(disk, abs, cwd, framework, override));
  if (options.since === undefined) return { framework, targets: sources, baseline: [] };

  const changed = new Set(await gitChangedFiles(cwd, options.since));
  const isTarget = await Promise.all(files.map(async (abs) => changed.has(await realpathOr(abs))));
  const last = isTarget.lastIndexOf(true);
  return {
    framework,
    targets: sources.filter((_, i) => isTarget[i]),
    // Unchanged files between targets are replayed too, so later targets see their schema.
    baseline: sources.filter((_, i) => !isTarget[i] && i < last),
  };
}
