/**
 * The parts of `migrations verify` that need no server: finding downs by convention, statements that
 * cannot run in a transaction, and merging observations with lint findings.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../src/core/finding.js";
import { findDownMigration } from "../src/migrations/down.js";
import { loadParser, parseFile } from "../src/migrations/parse.js";
import {
  dropTargets,
  type ExecutedStatement,
  mergeObservations,
  nonTransactionalReason,
  referencedRoles,
  type StatementTrace,
  withoutConcurrently,
} from "../src/migrations/verify/index.js";

beforeAll(async () => {
  await loadParser();
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-down-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const up = (path: string, text = "CREATE TABLE t (id int);\n") => ({ path, text });

describe("finding down migrations", () => {
  it("finds a sibling .down.sql (plain SQL, any framework)", () => {
    const dir = project({ "m/001_a.sql": "x", "m/001_a.down.sql": "DROP TABLE t;\n" });
    const down = findDownMigration(up("m/001_a.sql"), "sql", dir);
    expect(down).toMatchObject({
      convention: "down-file",
      section: false,
      source: { path: "m/001_a.down.sql" },
    });
    expect(down?.source.text).toBe("DROP TABLE t;\n");
    expect(findDownMigration(up("m/002_b.sql"), "sql", dir)).toBeUndefined();
  });

  it("finds golang-migrate NNN_name.down.sql next to NNN_name.up.sql", () => {
    const dir = project({ "m/1_init.up.sql": "x", "m/1_init.down.sql": "DROP TABLE t;\n" });
    const down = findDownMigration(
      { ...up("m/1_init.up.sql"), transactionModel: "implicit" },
      "golang-migrate",
      dir,
    );
    expect(down).toMatchObject({
      convention: "golang-migrate",
      source: { path: "m/1_init.down.sql", transactionModel: "implicit" },
    });
  });

  it("finds a Flyway undo migration by version, whatever its description", () => {
    const dir = project({
      "db/V1_2__add.sql": "x",
      "db/U1.2__remove_it.sql": "DROP TABLE t;\n",
      "db/U3__other.sql": "x",
    });
    expect(findDownMigration(up("db/V1_2__add.sql"), "flyway", dir)?.source.path).toBe(
      "db/U1.2__remove_it.sql",
    );
    expect(findDownMigration(up("db/V2__next.sql"), "flyway", dir)).toBeUndefined();
  });

  it("finds dbmate and node-pg-migrate down sections, blanking every other line", () => {
    const dbmate =
      "-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down transaction:false\nDROP TABLE t;\n";
    const dir = project({
      "db/migrations/1_t.sql": dbmate,
      "migrations/1_t.sql": "-- Up Migration\nCREATE TABLE t (id int);\n-- Down Migration\nDROP TABLE t;\n",
    });
    const d = findDownMigration(
      { ...up("db/migrations/1_t.sql"), transactionModel: "per-file" },
      "dbmate",
      dir,
    );
    expect(d).toMatchObject({
      convention: "dbmate-section",
      section: true,
      source: { path: "db/migrations/1_t.sql", transactionModel: "none" },
    });
    expect(d?.source.text).toBe("\n\n\n\nDROP TABLE t;\n");
    const n = findDownMigration(up("migrations/1_t.sql"), "node-pg-migrate", dir);
    expect(n?.source.text).toBe("\n\n\nDROP TABLE t;\n");
  });

  it("finds Prisma's down.sql next to migration.sql", () => {
    const dir = project({
      "prisma/migrations/1_init/migration.sql": "x",
      "prisma/migrations/1_init/down.sql": "DROP TABLE t;\n",
    });
    expect(findDownMigration(up("prisma/migrations/1_init/migration.sql"), "prisma", dir)?.convention).toBe(
      "prisma-down",
    );
  });
});

describe("statements verify treats specially", () => {
  const statements = (sql: string) => parseFile({ path: "x.sql", text: sql }).statements;

  it("knows which statements Postgres refuses inside a transaction block", () => {
    const reasons = statements(
      "CREATE INDEX CONCURRENTLY i ON t (a); CREATE INDEX j ON t (a); DROP INDEX CONCURRENTLY i; VACUUM t; ANALYZE t; REINDEX TABLE CONCURRENTLY t; ALTER TABLE p DETACH PARTITION c CONCURRENTLY; CREATE DATABASE d;",
    ).map((s) => nonTransactionalReason(s));
    expect(reasons).toEqual([
      "CREATE INDEX CONCURRENTLY",
      undefined,
      "DROP INDEX CONCURRENTLY",
      "VACUUM",
      undefined,
      "REINDEX CONCURRENTLY",
      "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY",
      "CREATE DATABASE",
    ]);
  });

  it("removes CONCURRENTLY keeping every offset, but not from the parenthesised option form", () => {
    expect(withoutConcurrently("CREATE INDEX CONCURRENTLY i ON t (a)")).toBe(
      "CREATE INDEX              i ON t (a)",
    );
    expect(withoutConcurrently("REINDEX (CONCURRENTLY) INDEX i")).toBeUndefined();
    expect(withoutConcurrently("CREATE INDEX i ON t (a)")).toBeUndefined();
  });

  it("finds the tables and columns a statement drops, and the roles migrations refer to", () => {
    const [dropTable, dropColumn, truncate] = statements(
      "DROP TABLE a, app.b; ALTER TABLE c DROP COLUMN d; TRUNCATE e;",
    );
    expect(dropTable && dropTargets(dropTable)).toEqual([{ relation: "public.a" }, { relation: "app.b" }]);
    expect(dropColumn && dropTargets(dropColumn)).toEqual([{ relation: "public.c", column: "d" }]);
    expect(truncate && dropTargets(truncate)).toEqual([{ relation: "public.e", truncate: true }]);
    const files = [
      parseFile({
        path: "x.sql",
        text: "CREATE ROLE app; GRANT SELECT ON t TO app, reader; ALTER TABLE t OWNER TO owner_role; GRANT admins TO bob;",
      }),
    ];
    expect(referencedRoles(files)).toEqual(["admins", "bob", "owner_role", "reader"]);
  });
});

describe("merging observations with lint findings", () => {
  const text = "CREATE INDEX i ON users (email);\n";

  function executed(
    trace: Partial<StatementTrace>,
    heldBefore: Record<string, string[]> = {},
  ): ExecutedStatement {
    const [stmt] = parseFile({ path: "m.sql", text }).statements;
    if (!stmt) throw new Error("no statement");
    return {
      stmt,
      heldBefore: new Map(Object.entries(heldBefore)) as ExecutedStatement["heldBefore"],
      relationExists: (name) => name === "public.users",
      trace: {
        phase: "up",
        file: "m.sql",
        line: 1,
        column: 1,
        endLine: 1,
        kind: "IndexStmt",
        sql: text.trim(),
        status: "ok",
        ranAs: "in-transaction",
        durationMs: 1,
        rowCount: null,
        locks: [],
        rewrites: [],
        rebuiltIndexes: [],
        created: [],
        dropped: [],
        renamed: [],
        ...trace,
      },
    };
  }

  const finding: Finding = {
    ruleId: "require-concurrent-index-creation",
    severity: "error",
    file: "m.sql",
    line: 1,
    column: 1,
    message: "CREATE INDEX on public.users without CONCURRENTLY holds a SHARE lock",
    lock: "SHARE",
    rewrites: false,
    relation: "public.users",
  };

  const merge = (e: ExecutedStatement) =>
    mergeObservations({
      lintFindings: [finding],
      executed: new Map([["m.sql", [e]]]),
      texts: new Map([["m.sql", text]]),
      predictions: new Map(),
    });

  it("keeps a finding the observation confirms", () => {
    const out = merge(
      executed({
        locks: [
          { relation: "public.users", kind: "table", existing: true, acquired: ["SHARE"], heldBefore: [] },
        ],
      }),
    );
    expect(out).toEqual([finding]);
  });

  it("takes the observed lock when Postgres took another one, and says so", () => {
    const out = merge(
      executed({
        locks: [
          {
            relation: "public.users",
            kind: "table",
            existing: true,
            acquired: ["SHARE UPDATE EXCLUSIVE"],
            heldBefore: [],
          },
        ],
      }),
    );
    expect(out[0]).toMatchObject({
      ruleId: "require-concurrent-index-creation",
      lock: "SHARE UPDATE EXCLUSIVE",
      // The rule's hazard is blocking writes; the observed lock does not: info.
      severity: "info",
      message: `${finding.message} (observed: SHARE UPDATE EXCLUSIVE on public.users, not SHARE)`,
    });
  });

  it("says nothing when the transaction already held the lock (it cannot be attributed)", () => {
    const out = merge(executed({ locks: [] }, { "public.users": ["SHARE"] }));
    expect(out).toEqual([finding]);
  });

  it("marks a rewrite Postgres did that the finding did not expect", () => {
    const out = merge(
      executed({
        locks: [
          { relation: "public.users", kind: "table", existing: true, acquired: ["SHARE"], heldBefore: [] },
        ],
        rewrites: [{ relation: "public.users", existing: true }],
      }),
    );
    expect(out[0]).toMatchObject({
      rewrites: true,
      message: `${finding.message} (observed: Postgres rewrote public.users)`,
    });
    // The static prediction (none here) did not include it either: verify-rewrite too.
    expect(out.map((f) => f.ruleId)).toEqual(["require-concurrent-index-creation", "verify-rewrite"]);
  });
});
