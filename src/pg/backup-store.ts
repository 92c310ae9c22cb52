/**
 * Where backups live: a port (BackupStore) and its local-directory adapter. One directory per
 * backup id holding manifest.json and one gzipped COPY file per table. A backup is written under
 * `<id>.partial/` and renamed into place only once its manifest is complete, so a crash never
 * leaves a backup that looks usable. Backups hold production data: directories are created 0700
 * and files 0600.
 */

import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, type WriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { ShipgateError } from "../core/errors.js";
import { ensureStateDirOf } from "../core/state-dir.js";
import type { TableDefinition } from "./backup-definition.js";

export const backupFormatVersion = 1;

export interface TableBackup {
  /** Qualified, quoted name, e.g. public.users. */
  name: string;
  rows: number;
  /** Order-independent checksum of the rows as COPY prints them (see backup-checksum.ts). */
  checksum: string;
  /** File holding the data (gzipped COPY text), relative to the backup directory. */
  dataFile: string;
  /** sha256 of the stored file, checked before a restore reads it. */
  dataSha256: string;
  /** Size of the stored file in bytes. */
  bytes: number;
  definition: TableDefinition;
}

export interface BackupManifest {
  formatVersion: typeof backupFormatVersion;
  id: string;
  /** ISO 8601. */
  createdAt: string;
  /** The database URL with its password masked. */
  database: string;
  serverVersion: string;
  toolVersion: string;
  /** The migrations this backup was taken before (history names), in apply order. */
  migrations: string[];
  tables: TableBackup[];
}

export interface BackupSummary {
  id: string;
  createdAt: string;
  database: string;
  tables: string[];
  rows: number;
  /** Bytes on disk (manifest and data). */
  bytes: number;
  migrations: string[];
}

export interface BackupWriter {
  /** A stream for one data file (relative name). */
  dataStream(file: string): WriteStream;
  commit(manifest: BackupManifest): Promise<void>;
  abort(): Promise<void>;
}

export interface BackupStore {
  /** Where the backups are, for messages. */
  readonly location: string;
  begin(id: string): Promise<BackupWriter>;
  list(): Promise<BackupSummary[]>;
  read(id: string): Promise<BackupManifest>;
  openData(id: string, file: string): Readable;
}

/** A sortable, unique id: UTC time to the second plus 6 random hex digits, e.g. 20261122T091500Z-3fa2c1. */
export function newBackupId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

const safeName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkId(id: string): void {
  if (!safeName.test(id) || id.endsWith(".partial")) {
    throw new ShipgateError("USAGE", `"${id}" is not a backup id`, {
      hint: "List the backups with `shipgate migrations backups` and pass one of their ids.",
    });
  }
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? await dirSize(p) : (await stat(p)).size;
  }
  return total;
}

export function createLocalBackupStore(dir: string): BackupStore {
  const manifestPath = (id: string) => join(dir, id, "manifest.json");
  return {
    location: dir,
    async begin(id) {
      checkId(id);
      ensureStateDirOf(dir); // database dumps: never committed
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const partial = join(dir, `${id}.partial`);
      await mkdir(join(partial, "data"), { recursive: true, mode: 0o700 });
      return {
        dataStream(file) {
          if (!/^data\/[A-Za-z0-9._-]+$/.test(file)) throw new Error(`bad data file name ${file}`);
          return createWriteStream(join(partial, file), { mode: 0o600 });
        },
        async commit(manifest) {
          await writeFile(join(partial, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`, {
            mode: 0o600,
          });
          await rename(partial, join(dir, id));
        },
        async abort() {
          await rm(partial, { recursive: true, force: true });
        },
      };
    },
    async list() {
      if (!existsSync(dir)) return [];
      const out: BackupSummary[] = [];
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name.endsWith(".partial") || !safeName.test(entry.name)) continue;
        let manifest: BackupManifest;
        try {
          manifest = JSON.parse(await readFile(manifestPath(entry.name), "utf8")) as BackupManifest;
        } catch {
          continue; // not a backup directory
        }
        out.push({
          id: manifest.id,
          createdAt: manifest.createdAt,
          database: manifest.database,
          tables: manifest.tables.map((t) => t.name),
          rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
          bytes: await dirSize(join(dir, entry.name)),
          migrations: manifest.migrations,
        });
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async read(id) {
      checkId(id);
      let text: string;
      try {
        text = await readFile(manifestPath(id), "utf8");
      } catch {
        throw new ShipgateError("FILE_NOT_FOUND", `no backup ${id} in ${dir}`, {
          hint: "List the backups with `shipgate migrations backups` (and pass --backup-dir if they are elsewhere).",
        });
      }
      let manifest: BackupManifest;
      try {
        manifest = JSON.parse(text) as BackupManifest;
      } catch (error) {
        throw new ShipgateError("CONFIG_INVALID", `the manifest of backup ${id} is not valid JSON`, {
          cause: error,
          hint: `Check ${manifestPath(id)}; a backup whose manifest is damaged cannot be verified.`,
        });
      }
      if (manifest.formatVersion !== backupFormatVersion) {
        throw new ShipgateError(
          "CONFIG_INVALID",
          `backup ${id} has format version ${String(manifest.formatVersion)}; this shipgate reads version ${backupFormatVersion}`,
          { hint: "Restore it with the shipgate version that wrote it (its manifest names it)." },
        );
      }
      return manifest;
    },
    openData(id, file) {
      checkId(id);
      if (!/^data\/[A-Za-z0-9._-]+$/.test(file)) {
        throw new ShipgateError("CONFIG_INVALID", `backup ${id} names an unexpected data file ${file}`, {
          hint: "The manifest was edited or damaged; restore from another backup.",
        });
      }
      return createReadStream(join(dir, id, file));
    },
  };
}
