/**
 * End-to-end: `shipgate check` as a real process on a temporary git repository whose change since
 * the base has something for every check to find. `npm test` builds dist/ first.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runShipgate as shipgate, writeFile as write } from "./support/cli.js";

const root = join(import.meta.dirname, "..");

// Must never appear in output.
const token = "ghp_R8x2QmZ7kLp4Wv9NcT3bYh6Jd1Fs5Ga0Ue7K";
const envSecret = "STRIPE_VALUE_in_env_file_93kd";

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd: dir,
    encoding: "utf8",
  }).trim();
}

interface JsonRun {
  failed: boolean;
  items: {
    id: string;
    status: string;
    detail?: string;
    durationMs: number;
    findings: { ruleId: string; file?: string; line?: number; message: string }[];
  }[];
}

/** An OpenAPI 3.0 spec whose GET /users/{id} returns a User with these properties. */
function openapi(properties: string[]): string {
  return [
    "openapi: 3.0.3",
    "info: { title: shop, version: '1' }",
    "paths:",
    "  /users/{id}:",
    "    get:",
    "      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]",
    "      responses:",
    "        '200':",
    "          description: ok",
    "          content:",
    "            application/json:",
    "              schema: { $ref: '#/components/schemas/User' }",
    "components:",
    "  schemas:",
    "    User:",
    "      type: object",
    `      required: [${properties.join(", ")}]`,
    "      properties:",
    ...properties.map((p) => `        ${p}: { type: string }`),
    "",
  ].join("\n");
}

function makeRepo(): { dir: string; base: string } {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-check-"));
  write(
    dir,
    "shipgate.yaml",
    [
      "migrations:",
      "  paths: [db/migrations]",
      "compat:",
      "  openapi: [openapi.yaml]",
      "check:",
      "  criticalPaths: [src/pay/**]",
      // Deploys are blocked at every hour, so the override below is needed whenever the test runs.
      "  window:",
      "    blocked: [{ days: [mon, tue, wed, thu, fri, sat, sun] }]",
      "environments:",
      "  production:",
      "    env:",
      "      dotenv: deploy/production.env",
      "",
    ].join("\n"),
  );
  // A CI pipeline with every stage the pipeline audit looks for.
  const pipeline = join(root, "test/fixtures/pipeline/github-complete");
  for (const part of [".github", "scripts", "package.json", "tsconfig.json"]) {
    cpSync(join(pipeline, part), join(dir, part), { recursive: true });
  }
  write(dir, "db/migrations/001_init.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n");
  write(dir, "src/app.ts", "export const db = process.env.DATABASE_URL;\n");
  write(dir, "openapi.yaml", openapi(["id", "email"]));
  write(dir, ".env.example", "DATABASE_URL=\nSTRIPE_KEY=\n");
  write(dir, ".gitignore", "deploy/\n");
  write(dir, "deploy/production.env", `DATABASE_URL=postgres://db/app\nOTHER=${envSecret}\n`);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "init");
  const base = git(dir, "rev-parse", "HEAD");

  write(dir, "src/app.ts", "export const db = process.env.DATABASE_URL;\nconsole.log('booting', db);\n");
  write(dir, ".env.local", `STRIPE_KEY=${envSecret}\n`);
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "[skip ci] quick tweak");

  write(dir, "db/migrations/002_drop_email.sql", "ALTER TABLE users DROP COLUMN email;\n");
  write(dir, "src/pay/charge.ts", "// TODO: retry on timeout\nexport const key = process.env.STRIPE_KEY;\n");
  write(dir, "src/github.ts", `export const token = "${token}";\n`);
  write(dir, "openapi.yaml", openapi(["id"]));
  return { dir, base };
}

describe("shipgate check (built CLI)", () => {
  let repo: { dir: string; base: string };
  beforeAll(() => {
    repo = makeRepo();
  });

  it("fails with one checklist that explains every problem in the change", async () => {
    const r = await shipgate(
      [
        "check",
        "--base",
        repo.base,
        "--environment",
        "production",
        "--override-window",
        "--reason",
        "test run",
        "--format",
        "json",
      ],
      repo.dir,
    );
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(r.stdout + r.stderr).not.toContain(envSecret);
    const out = JSON.parse(r.stdout) as JsonRun;
    // The pipeline audit's own suite covers each stage; here its items run and pass on a complete CI.
    const pipeline = out.items.filter((i) => i.id.startsWith("pipeline."));
    expect(pipeline.length).toBeGreaterThan(10);
    expect(pipeline.every((i) => i.status === "pass")).toBe(true);
    const status = Object.fromEntries(
      out.items.filter((i) => !i.id.startsWith("pipeline.")).map((i) => [i.id, i.status]),
    );
    expect(status).toEqual({
      "migrations.lint": "fail",
      "migrations.verify": "skipped",
      "env.newly-required": "fail",
      "env.verify": "fail",
      "flags.lifecycle": "skipped",
      "compat.openapi": "fail",
      "compat.graphql": "skipped",
      "hygiene.debug-leftovers": "fail",
      "hygiene.critical-todos": "fail",
      "hygiene.secrets": "fail",
      "hygiene.env-files": "fail",
      "git.skip-ci": "fail",
      "git.fast-forward": "pass",
      "git.signed": "skipped",
      "dependencies.audit": "skipped",
      "infrastructure.tls": "skipped",
      "observability.health": "skipped",
      "rollback.plan": "fail",
      "window.deploy-window": "pass",
      "manual.team-notified": "manual",
      "manual.on-call": "manual",
    });
    const item = (id: string) => out.items.find((i) => i.id === id);
    expect(item("migrations.lint")?.findings.map((f) => f.ruleId)).toContain("ban-drop-column");
    expect(item("env.verify")?.findings[0]).toMatchObject({
      ruleId: "env-missing",
      file: "src/pay/charge.ts",
      line: 2,
    });
    expect(item("hygiene.debug-leftovers")?.findings[0]).toMatchObject({ file: "src/app.ts", line: 2 });
    expect(item("compat.openapi")?.findings.map((f) => f.ruleId)).toContain("response-property-removed");
    expect(item("hygiene.critical-todos")?.findings[0]).toMatchObject({ file: "src/pay/charge.ts", line: 1 });
    expect(item("hygiene.secrets")?.findings[0]).toMatchObject({ file: "src/github.ts", line: 1 });
    expect(item("hygiene.env-files")?.findings[0]).toMatchObject({ file: ".env.local" });
    expect(item("git.skip-ci")?.findings[0]?.message).toContain('"[skip ci] quick tweak" skips CI');
    expect(item("window.deploy-window")?.detail).toBe("overridden: test run");
    expect(out.items.every((i) => typeof i.durationMs === "number")).toBe(true);
  });

  it("prints the checklist on a terminal-less stdout, and a pull-request comment", async () => {
    const pretty = await shipgate(
      ["check", "--base", repo.base, "--override-window", "--reason", "x"],
      repo.dir,
    );
    expect(pretty.code).toBe(1);
    expect(pretty.stderr).toBe("");
    expect(pretty.stdout).toMatch(/^shipgate check: FAILED/);
    expect(pretty.stdout).toContain("Data layer\n  ✗ Migrations pass the linter");
    expect(pretty.stdout).not.toContain(token);
    const md = await shipgate(["check", "--base", repo.base, "--format", "markdown"], repo.dir);
    expect(md.stdout.startsWith("<!-- shipgate-report: check -->")).toBe(true);
    expect(md.stdout).toContain("| ✗ | No debug leftovers in the change |");
  });

  it("passes on a clean change once the manual items are confirmed", async () => {
    const head = git(repo.dir, "rev-parse", "HEAD");
    const clean = mkdtempSync(join(tmpdir(), "shipgate-check-clean-"));
    git(clean, "clone", "-q", repo.dir, ".");
    const r = await shipgate(
      ["check", "--base", head, "--confirm", "team-notified", "--confirm", "on-call", "--format", "json"],
      clean,
    );
    const out = JSON.parse(r.stdout) as JsonRun;
    expect(out.items.filter((i) => i.status === "fail")).toEqual([]);
    expect(out.items.find((i) => i.id === "manual.on-call")?.detail).toBe("confirmed with --confirm");
    expect(r.code).toBe(0);

    // Without CI the pipeline items fail, each with the snippet to add.
    execFileSync("rm", ["-rf", join(clean, ".github")]);
    const noCi = JSON.parse(
      (await shipgate(["check", "--base", head, "--format", "json"], clean)).stdout,
    ) as JsonRun;
    const tests = noCi.items.find((i) => i.id === "pipeline.tests");
    expect(tests?.status).toBe("fail");
    expect(noCi.failed).toBe(true);
  });

  it("explains bad input with exit 2", async () => {
    const unknown = await shipgate(["check", "--confirm", "nope"], repo.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--confirm nope: no such manual item");
    const noReason = await shipgate(["check", "--override-window"], repo.dir);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--override-window needs --reason");
    const env = await shipgate(["check", "--environment", "prod"], repo.dir);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("Declared environments: production");
  });
});
