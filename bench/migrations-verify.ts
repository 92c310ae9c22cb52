/**
 * Speed benchmark for `shipgate migrations verify`: 100 generated migrations (mixed, realistic DDL
 * on tables that hold a few hundred rows, a quarter of them with a down migration) verified in one
 * run of the built CLI on a throwaway Postgres it starts itself.
 *
 *   npm run build && npx tsx bench/migrations-verify.ts            # 3 runs
 *   npx tsx bench/migrations-verify.ts --runs 5 --files 100
 *
 * Prints, per run, the wall time of the whole command (Node start, the static lint, initdb and
 * server start, every migration, up → down → up where there is a down, server stop), the server
 * start cost (initdb + start, from the JSON trace) and the time per migration; then the medians.
 * Target: the whole run under 10 s, server start included.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "..");
const shipgateMain = join(repoRoot, "dist/cli/main.js");

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

// ---------------------------------------------------------------------------------------------
// The corpus

interface Migration {
  name: string;
  up: string;
  down?: string;
}

/** Deterministic: the same count always gives the same files. */
export function generateVerifyCorpus(count: number): Migration[] {
  const out: Migration[] = [];
  const tables: { name: string; columns: string[]; indexed: Set<string> }[] = [];
  let seq = 0;
  const pad = (n: number) => String(n).padStart(4, "0");
  const add = (slug: string, up: string, down?: string) => {
    seq++;
    out.push({ name: `${pad(seq)}_${slug}`, up, ...(down !== undefined ? { down } : {}) });
  };
  const createTable = () => {
    const name = `t${tables.length + 1}`;
    const parent = tables[tables.length - 1];
    const fk = parent ? `,\n  ${parent.name}_id bigint REFERENCES ${parent.name} (id)` : "";
    const fill = parent ? `, (g % 50) + 1` : "";
    add(
      `create_${name}`,
      `CREATE TABLE ${name} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL DEFAULT 'new',
  amount numeric(12, 2) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()${fk}
);
INSERT INTO ${name} (name, amount${parent ? `, ${parent.name}_id` : ""})
SELECT 'row ' || g, g * 1.5${fill} FROM generate_series(1, 300) g;
`,
      `DROP TABLE ${name};\n`,
    );
    tables.push({ name, columns: ["name", "status", "amount", "created_at"], indexed: new Set() });
  };
  createTable();
  createTable();
  let i = 0;
  while (seq < count) {
    i++;
    if (i % 9 === 0) {
      createTable();
      continue;
    }
    const t = tables[(i * 7) % tables.length] as (typeof tables)[number];
    const col = `c${i}`;
    const withDown = i % 4 === 0;
    switch (i % 8) {
      case 0:
        add(
          `add_${col}_to_${t.name}`,
          `SET lock_timeout = '2s';\nALTER TABLE ${t.name} ADD COLUMN ${col} text;\nCOMMENT ON COLUMN ${t.name}.${col} IS 'added by migration ${i}';\n`,
          withDown ? `ALTER TABLE ${t.name} DROP COLUMN ${col};\n` : undefined,
        );
        t.columns.push(col);
        break;
      case 1:
        add(
          `add_${col}_default_to_${t.name}`,
          `SET lock_timeout = '2s';\nALTER TABLE ${t.name} ADD COLUMN ${col} integer NOT NULL DEFAULT 0;\n`,
          withDown ? `ALTER TABLE ${t.name} DROP COLUMN ${col};\n` : undefined,
        );
        t.columns.push(col);
        break;
      case 2: {
        const target = t.columns.find((c) => !t.indexed.has(c)) ?? "created_at";
        t.indexed.add(target);
        add(
          `index_${t.name}_${target}_${i}`,
          `CREATE INDEX CONCURRENTLY ${t.name}_${target}_${i}_idx ON ${t.name} (${target});\n`,
          withDown ? `DROP INDEX CONCURRENTLY ${t.name}_${target}_${i}_idx;\n` : undefined,
        );
        break;
      }
      case 3:
        add(
          `backfill_${t.name}_${i}`,
          `UPDATE ${t.name} SET status = 'active' WHERE id % 3 = 0 AND status = 'new';\nUPDATE ${t.name} SET amount = amount + 1 WHERE id % 7 = 0;\n`,
        );
        break;
      case 4:
        add(
          `check_${t.name}_amount_${i}`,
          `ALTER TABLE ${t.name} ADD CONSTRAINT ${t.name}_amount_${i}_check CHECK (amount >= 0) NOT VALID;\nALTER TABLE ${t.name} VALIDATE CONSTRAINT ${t.name}_amount_${i}_check;\n`,
          withDown ? `ALTER TABLE ${t.name} DROP CONSTRAINT ${t.name}_amount_${i}_check;\n` : undefined,
        );
        break;
      case 5:
        add(
          `view_${t.name}_${i}`,
          `CREATE VIEW ${t.name}_summary_${i} AS\n  SELECT status, count(*) AS n, sum(amount) AS total FROM ${t.name} GROUP BY status;\n`,
          withDown ? `DROP VIEW ${t.name}_summary_${i};\n` : undefined,
        );
        break;
      case 6:
        add(
          `enum_${t.name}_${i}`,
          `CREATE TYPE level_${i} AS ENUM ('low', 'medium', 'high');\nALTER TABLE ${t.name} ADD COLUMN level_${i} level_${i};\nUPDATE ${t.name} SET level_${i} = 'low' WHERE id <= 100;\n`,
          withDown ? `ALTER TABLE ${t.name} DROP COLUMN level_${i};\nDROP TYPE level_${i};\n` : undefined,
        );
        t.columns.push(`level_${i}`);
        break;
      default:
        add(
          `touch_trigger_${t.name}_${i}`,
          `CREATE FUNCTION touch_${i}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.created_at := now();\n  RETURN NEW;\nEND\n$$;\nCREATE TRIGGER ${t.name}_touch_${i} BEFORE UPDATE ON ${t.name} FOR EACH ROW EXECUTE FUNCTION touch_${i}();\n`,
          withDown
            ? `DROP TRIGGER ${t.name}_touch_${i} ON ${t.name};\nDROP FUNCTION touch_${i}();\n`
            : undefined,
        );
        break;
    }
  }
  return out.slice(0, count);
}

function writeCorpus(dir: string, migrations: readonly Migration[]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const m of migrations) {
    writeFileSync(join(dir, `${m.name}.sql`), m.up);
    if (m.down !== undefined) writeFileSync(join(dir, `${m.name}.down.sql`), m.down);
  }
}

// ---------------------------------------------------------------------------------------------
// Running

interface VerifyJson {
  summary: { errors: number; warnings: number; infos: number };
  verify: {
    server: { startMs: { init: number; start: number } };
    durationMs: number;
    files: { status: string; durationMs: number; statements: unknown[]; down?: { status: string } }[];
  };
}

function run(
  args: readonly string[],
  cwd: string,
): Promise<{ ms: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [shipgateMain, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "", SHIPGATE_DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolvePromise({
        ms: performance.now() - started,
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
  });
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function main(): Promise<void> {
  if (!existsSync(shipgateMain)) {
    console.error("dist/cli/main.js is missing: run `npm run build` first.");
    process.exit(2);
  }
  const runs = argValue("--runs", 3);
  const files = argValue("--files", 100);
  const project = mkdtempSync(join(tmpdir(), "shipgate-bench-verify-"));
  const dir = join(project, "db/migrations");
  const corpus = generateVerifyCorpus(files);
  writeCorpus(dir, corpus);
  const downs = corpus.filter((m) => m.down !== undefined).length;
  console.log(
    `corpus: ${corpus.length} migrations (${downs} with a down) in ${dir}; ${availableParallelism()} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );

  const walls: number[] = [];
  const starts: number[] = [];
  const perMigration: number[] = [];
  const verifyTimes: number[] = [];
  try {
    for (let r = 1; r <= runs; r++) {
      const result = await run(["migrations", "verify", "--format", "json", "--no-cache"], project);
      if (result.code !== 0 && result.code !== 1) {
        console.error(result.stderr);
        throw new Error(`shipgate exited with ${result.code}`);
      }
      const json = JSON.parse(result.stdout) as VerifyJson;
      const v = json.verify;
      const failed = v.files.filter((f) => f.status !== "verified").length;
      if (failed > 0) throw new Error(`${failed} migration(s) were not verified: ${result.stderr}`);
      const start = v.server.startMs.init + v.server.startMs.start;
      const times = v.files.map((f) => f.durationMs);
      const statements = v.files.reduce((n, f) => n + f.statements.length, 0);
      const restored = v.files.filter((f) => f.down?.status === "restores").length;
      walls.push(result.ms);
      starts.push(start);
      verifyTimes.push(v.durationMs);
      perMigration.push(...times);
      console.log(
        `run ${r}: total ${fmt(result.ms)} · server start ${fmt(start)} · ${v.files.length} migrations, ${statements} statements in ${fmt(v.durationMs)} · per migration median ${fmt(median(times))}, mean ${fmt(v.durationMs / v.files.length)}, p95 ${fmt(percentile(times, 95))} · downs restored ${restored}/${downs} · findings ${json.summary.errors} errors, ${json.summary.warnings} warnings`,
      );
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  const total = median(walls);
  console.log(
    `\nmedian of ${runs}: total ${fmt(total)} (target < 10 s: ${total < 10_000 ? "met" : "NOT met"}) · server start ${fmt(median(starts))} · verify ${fmt(median(verifyTimes))} · per migration ${fmt(median(perMigration))} median, ${fmt(median(verifyTimes) / files)} mean`,
  );
}

// Run only as a script (the corpus generator can be imported).
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
