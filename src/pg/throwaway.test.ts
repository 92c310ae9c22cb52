import { describe, expect, it } from "vitest";
import { usePostgres } from "../../test/support/postgres.js";

describe("throwaway Postgres", () => {
  const pg = usePostgres();

  it("serves a real Postgres on loopback and gives each test its own database", async () => {
    const a = await pg.freshDatabase();
    const b = await pg.freshDatabase();
    expect(a).not.toBe(b);
    await pg.sql(a, "CREATE TABLE t (id int)");
    const version = await pg.sql(a, "SHOW server_version_num");
    expect(Number(version.rows[0].server_version_num)).toBeGreaterThanOrEqual(180000);
    const inB = await pg.sql(b, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'");
    expect(inB.rows[0].n).toBe(0);
    expect(new URL(a).hostname).toBe("127.0.0.1");
  });
});
