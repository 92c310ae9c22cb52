import pg from "pg";
import { describe, expect, it } from "vitest";
import { usePostgres } from "../../test/support/postgres.js";
import {
  ensureHistoryTable,
  migrationChecksum,
  readAppliedMigrations,
  recordAppliedMigration,
} from "./history.js";

describe("migration history", () => {
  const server = usePostgres();

  it("reads nothing from a database that never had a migration applied, without creating anything", async () => {
    const url = await server.freshDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect(await readAppliedMigrations(client)).toEqual([]);
      const schemas = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'shipgate'");
      expect(schemas.rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });

  it("records applied files in order, and refuses to record one twice", async () => {
    const url = await server.freshDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await ensureHistoryTable(client);
      await ensureHistoryTable(client);
      const base = { appliedBy: "ci", durationMs: 12, backupId: null, toolVersion: "0.1.0" };
      await recordAppliedMigration(client, {
        ...base,
        name: "db/001_a.sql",
        checksum: migrationChecksum("a"),
      });
      await recordAppliedMigration(client, {
        ...base,
        name: "db/002_b.sql",
        checksum: migrationChecksum("b"),
      });
      const applied = await readAppliedMigrations(client);
      expect(applied.map((m) => m.name)).toEqual(["db/001_a.sql", "db/002_b.sql"]);
      expect(applied[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(applied[0]?.appliedAt).toBeInstanceOf(Date);
      await expect(
        recordAppliedMigration(client, { ...base, name: "db/001_a.sql", checksum: "x" }),
      ).rejects.toThrow(/duplicate key/);
    } finally {
      await client.end();
    }
  });
});
