/**
 * Backing up the tables a migration touches, and restoring them.
 *
 * Backup: one REPEATABLE READ, READ ONLY transaction (a consistent snapshot of every table), per
 * table its definition (backup-definition.ts) and its data as COPY text, gzipped, with a row count
 * and an order-independent checksum of the rows. The manifest is written last.
 *
 * Restore, in one transaction: a table whose current definition equals the backed-up one is
 * refilled in place (TRUNCATE + COPY; views, grants and everything else that depends on it stay);
 * a table that is missing or whose definition changed is dropped and recreated from the backed-up
 * DDL, then refilled, then given its constraints, indexes, triggers, comments and grants. Foreign
 * keys of other tables that point at a restored table are dropped first and added back (validated)
 * at the end, along with the ones a DROP ... CASCADE removed. Sequences are set back. Finally every
 * table's rows are counted and checksummed again; any difference rolls everything back.
 * See docs/adr/0009-apply-backup-lock.md.
 */

import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { ShipgateError } from "../core/errors.js";
import { ByteDigestStream, RowChecksumStream } from "./backup-checksum.js";
import {
  copyColumns,
  definitionShape,
  readTableDefinition,
  resolveTables,
  type TableDefinition,
  type TableIdentity,
  useCanonicalSession,
} from "./backup-definition.js";
import {
  type BackupManifest,
  type BackupStore,
  backupFormatVersion,
  newBackupId,
  type TableBackup,
} from "./backup-store.js";

export interface TakeBackupOptions {
  /** A connection of its own: its session settings are changed for the backup. */
  db: pg.ClientBase;
  tables: readonly TableIdentity[];
  store: BackupStore;
  /** Masked database URL for the manifest. */
  database: string;
  migrations: readonly string[];
  toolVersion: string;
  id?: string;
  now?: Date;
  /** lock_timeout for the backup session (COPY waits for ACCESS SHARE); 0 waits forever. */
  lockTimeoutMs?: number;
  onProgress?: (done: number, total: number, table: string) => void;
}

async function copyTableOut(
  db: pg.ClientBase,
  definition: TableDefinition,
  target: { digest: ByteDigestStream; file: NodeJS.WritableStream } | undefined,
): Promise<{ rows: number; checksum: string }> {
  const source = db.query(copyTo(`COPY ${definition.name} (${copyColumns(definition)}) TO STDOUT`));
  const rows = new RowChecksumStream();
  if (target) await pipeline(source, rows, createGzip({ level: 1 }), target.digest, target.file);
  else {
    rows.resume();
    await pipeline(source, rows);
  }
  return { rows: rows.checksum.rows, checksum: rows.checksum.digest() };
}

/** Backs up `tables` into the store and returns the manifest. */
export async function takeBackup(options: TakeBackupOptions): Promise<BackupManifest> {
  const { db, store } = options;
  const id = options.id ?? newBackupId(options.now);
  const writer = await store.begin(id);
  try {
    await useCanonicalSession(db);
    await db.query("SELECT pg_catalog.set_config('lock_timeout', $1, false)", [
      `${options.lockTimeoutMs ?? 0}ms`,
    ]);
    const version = await db.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const tables: TableBackup[] = [];
    try {
      for (const [i, table] of options.tables.entries()) {
        options.onProgress?.(i, options.tables.length, table.name);
        const definition = await readTableDefinition(db, table);
        const dataFile = `data/${String(i + 1).padStart(3, "0")}-${table.schema}.${table.table}`
          .replace(/[^A-Za-z0-9._/-]/g, "_")
          .concat(".copy.gz");
        const digest = new ByteDigestStream();
        const { rows, checksum } = await copyTableOut(db, definition, {
          digest,
          file: writer.dataStream(dataFile),
        });
        tables.push({
          name: table.name,
          rows,
          checksum,
          dataFile,
          dataSha256: digest.hex(),
          bytes: digest.bytes,
          definition,
        });
      }
      await db.query("COMMIT");
    } catch (error) {
      await db.query("ROLLBACK").catch(() => {});
      throw error;
    }
    options.onProgress?.(options.tables.length, options.tables.length, "");
    const manifest: BackupManifest = {
      formatVersion: backupFormatVersion,
      id,
      createdAt: (options.now ?? new Date()).toISOString(),
      database: options.database,
      serverVersion: version.rows[0]?.v ?? "",
      toolVersion: options.toolVersion,
      migrations: [...options.migrations],
      tables,
    };
    await writer.commit(manifest);
    return manifest;
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
}

export type RestoreMode = "refilled" | "recreated";

export interface RestoredTable {
  name: string;
  mode: RestoreMode;
  expectedRows: number;
  rows: number;
  expectedChecksum: string;
  checksum: string;
  ok: boolean;
  /** What the backup did not hold for this table (e.g. row-level security). */
  notCaptured: string[];
}

export interface RestoreResult {
  id: string;
  tables: RestoredTable[];
  /** Foreign keys of other tables added back, e.g. "public.orders.orders_user_id_fkey". */
  foreignKeysRestored: string[];
  ok: boolean;
}

export interface RestoreOptions {
  /** A connection of its own: its session settings are changed for the restore. */
  db: pg.ClientBase;
  store: BackupStore;
  manifest: BackupManifest;
  /** Names as in the manifest (public.users); default: every table in the backup. */
  tables?: readonly string[];
  onProgress?: (done: number, total: number, step: string) => void;
}

async function verifyDataFile(store: BackupStore, id: string, table: TableBackup): Promise<void> {
  const digest = new ByteDigestStream();
  digest.resume();
  try {
    await pipeline(store.openData(id, table.dataFile), digest);
  } catch (error) {
    throw new ShipgateError("FILE_NOT_FOUND", `backup ${id}: the data of ${table.name} cannot be read`, {
      cause: error,
      hint: `Check ${table.dataFile} in the backup directory; restore the other tables with --tables.`,
    });
  }
  if (digest.hex() !== table.dataSha256) {
    throw new ShipgateError("MIGRATION_FAILED", `backup ${id}: the data file of ${table.name} is damaged`, {
      details: [`${table.dataFile}: sha256 differs from the manifest`],
      hint: "Restore from another backup (`shipgate migrations backups`), or leave this table out with --tables.",
    });
  }
}

function pgCode(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/** Restores tables from a backup in one transaction and verifies them; see the module comment. */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { db, store, manifest } = options;
  const selected = options.tables
    ? manifest.tables.filter((t) => options.tables?.includes(t.name))
    : manifest.tables;
  for (const t of selected) await verifyDataFile(store, manifest.id, t);
  const total = selected.length * 2 + 2;
  let step = 0;
  const progress = (label: string) => options.onProgress?.(step++, total, label);

  await useCanonicalSession(db);
  await db.query("BEGIN");
  try {
    progress("inspecting tables");
    const current = await resolveTables(
      db,
      selected.map((t) => t.name),
    );
    const modes = new Map<string, RestoreMode>();
    const existing = new Map<string, TableIdentity>();
    for (const t of selected) {
      const now = current.find((c) => c.name === t.name);
      if (now && now.kind !== "table") {
        throw new ShipgateError(
          "MIGRATION_FAILED",
          `${t.name} is no longer an ordinary table (it is a ${now.kind}); it cannot be refilled`,
          { hint: `Rename or drop ${t.name} first, then run the restore again.` },
        );
      }
      if (!now) {
        modes.set(t.name, "recreated");
        continue;
      }
      existing.set(t.name, now);
      const shape = definitionShape(await readTableDefinition(db, now));
      modes.set(t.name, shape === definitionShape(t.definition) ? "refilled" : "recreated");
    }

    // Foreign keys of other tables that point at the tables about to be emptied or dropped.
    const oids = [...existing.values()].map((t) => t.oid);
    const inbound = await db.query<{ table: string; name: string; def: string }>(
      `SELECT conrelid::regclass::text AS table, quote_ident(conname) AS name, pg_get_constraintdef(oid) AS def
         FROM pg_constraint
        WHERE contype = 'f' AND confrelid = ANY($1::oid[]) AND NOT (conrelid = ANY($1::oid[]))
        ORDER BY 1, 2`,
      [oids],
    );
    for (const fk of inbound.rows) await db.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${fk.name}`);
    const readd = new Map<string, string>(
      inbound.rows.map((fk) => [
        `${fk.table}.${fk.name}`,
        `ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name} ${fk.def}`,
      ]),
    );

    // The foreign keys of refilled tables are added back after all the data is in, as for recreated
    // tables: no load order is needed, and a recreated table can be dropped although they point at it.
    const refilled = selected.filter((t) => modes.get(t.name) === "refilled");
    for (const t of refilled) {
      for (const fk of t.definition.foreignKeys)
        await db.query(`ALTER TABLE ${t.name} DROP CONSTRAINT ${fk.name}`);
    }

    const toDrop = selected.filter((t) => modes.get(t.name) === "recreated" && existing.has(t.name));
    if (toDrop.length > 0) {
      try {
        await db.query(`DROP TABLE ${toDrop.map((t) => t.name).join(", ")}`);
      } catch (error) {
        if (pgCode(error) !== "2BP01") throw error;
        const detail = (error as { detail?: string }).detail ?? "";
        throw new ShipgateError(
          "MIGRATION_FAILED",
          `cannot recreate ${toDrop.map((t) => t.name).join(", ")}: ${toDrop.length === 1 ? "its definition" : "their definitions"} changed since the backup, and other objects depend on ${toDrop.length === 1 ? "it" : "them"}`,
          {
            details: detail.split("\n").filter((l) => l !== ""),
            hint: "Drop the dependent views first (and recreate them after the restore), or restore only the tables whose definition did not change with --tables.",
          },
        );
      }
    }
    const recreated = selected.filter((t) => modes.get(t.name) === "recreated");
    for (const t of recreated) {
      for (const s of t.definition.sequences.filter((x) => x.kind === "serial")) {
        await db.query(`CREATE SEQUENCE IF NOT EXISTS ${s.name} AS ${s.type} ${s.options}`);
      }
      await db.query(t.definition.createTable);
      for (const s of t.definition.sequences.filter((x) => x.kind === "serial")) {
        await db.query(`ALTER SEQUENCE ${s.name} OWNED BY ${t.name}.${s.column}`);
      }
    }
    if (refilled.length > 0) await db.query(`TRUNCATE ${refilled.map((t) => t.name).join(", ")}`);

    for (const t of selected) {
      progress(`loading ${t.name}`);
      const inPlace = modes.get(t.name) === "refilled" && t.definition.triggers.length > 0;
      if (inPlace) await db.query(`ALTER TABLE ${t.name} DISABLE TRIGGER USER`);
      const sink = db.query(copyFrom(`COPY ${t.name} (${copyColumns(t.definition)}) FROM STDIN`));
      await pipeline(store.openData(manifest.id, t.dataFile), createGunzip(), sink);
      if (inPlace) await db.query(`ALTER TABLE ${t.name} ENABLE TRIGGER USER`);
    }

    progress("constraints and indexes");
    for (const t of recreated) {
      for (const c of t.definition.constraints) await db.query(c.sql);
      for (const i of t.definition.indexes) await db.query(i.sql);
    }
    for (const t of selected) for (const fk of t.definition.foreignKeys) await db.query(fk.sql);
    for (const t of recreated) {
      for (const tr of t.definition.triggers) await db.query(tr.sql);
      for (const sql of t.definition.extras) await db.query(sql);
    }
    for (const t of selected) {
      for (const s of t.definition.sequences) {
        await db.query("SELECT pg_catalog.setval($1::text::regclass, $2::bigint, $3)", [
          s.name,
          s.lastValue,
          s.isCalled,
        ]);
      }
    }
    // Inbound foreign keys a DROP ... CASCADE removed, where the referencing table is still there.
    for (const t of recreated) {
      for (const fk of t.definition.inboundForeignKeys) {
        const key = `${fk.table}.${fk.name}`;
        if (readd.has(key)) continue;
        const present = await db.query<{ here: boolean; exists: boolean }>(
          `SELECT to_regclass($1) IS NOT NULL AS here,
                  EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND quote_ident(conname) = $2) AS exists`,
          [fk.table, fk.name],
        );
        if (present.rows[0]?.here && !present.rows[0].exists) readd.set(key, fk.sql);
      }
    }
    for (const [key, sql] of readd) {
      try {
        await db.query(sql);
      } catch (error) {
        throw new ShipgateError(
          "MIGRATION_FAILED",
          `cannot add back the foreign key ${key}: ${(error as Error).message}`,
          {
            cause: error,
            hint: "Rows of the referencing table point at rows the backup does not hold: restore that table too (--tables), or fix its rows first.",
          },
        );
      }
    }

    const results: RestoredTable[] = [];
    for (const t of selected) {
      progress(`verifying ${t.name}`);
      const got = await copyTableOut(db, t.definition, undefined);
      results.push({
        name: t.name,
        mode: modes.get(t.name) ?? "recreated",
        expectedRows: t.rows,
        rows: got.rows,
        expectedChecksum: t.checksum,
        checksum: got.checksum,
        ok: got.rows === t.rows && got.checksum === t.checksum,
        notCaptured: t.definition.notCaptured,
      });
    }
    const bad = results.filter((r) => !r.ok);
    if (bad.length > 0) {
      throw new ShipgateError(
        "MIGRATION_FAILED",
        `restore of backup ${manifest.id} did not verify; nothing was changed`,
        {
          details: bad.map(
            (r) =>
              `${r.name}: ${r.rows} rows (expected ${r.expectedRows}), checksum ${r.checksum} (expected ${r.expectedChecksum})`,
          ),
          hint: "This is unexpected: please open an issue with this output. The database was left as it was.",
        },
      );
    }
    await db.query("COMMIT");
    progress("done");
    return { id: manifest.id, tables: results, foreignKeysRestored: [...readd.keys()], ok: true };
  } catch (error) {
    await db.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
