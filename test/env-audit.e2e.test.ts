/**
 * End-to-end: `shipgate env audit` as a real process on a temporary git repository with JS and
 * Python sources, a .env.example and a committed .env. `npm test` builds dist/ first.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runShipgate as shipgate, writeFile as write } from "./support/cli.js";

// Values that must never appear in any output.
const committedSecret = "sk_live_COMMITTED_9f8e7d";
const exampleValue = "EXAMPLE_VALUE_a1b2c3";

function git(dir: string, ...args: string[]): void {
  execFileSync("git", args, { cwd: dir, stdio: "ignore" });
}

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-env-audit-"));
  write(dir, ".env.example", `DATABASE_URL=${exampleValue}\nPORT=3000\nUNUSED_KEY=${exampleValue}\n`);
  write(dir, ".env.production.example", "DATABASE_URL=\n");
  write(dir, ".env", `DATABASE_URL=${committedSecret}\n`);
  write(
    dir,
    "src/server.ts",
    "export const db = process.env.DATABASE_URL;\nexport const port = Number(process.env.PORT ?? 3000);\nexport const key = process.env.STRIPE_KEY;\n",
  );
  write(dir, "src/dyn.js", "const name = 'X';\nmodule.exports = process.env[name];\n");
  write(dir, "src/plain.ts", "export const nothing = 1;\n");
  write(dir, "app/settings.py", "import os\n\nredis = os.environ.get('REDIS_URL')\n");
  write(dir, "node_modules/dep/index.js", "process.env.FROM_DEPENDENCY;\n");
  write(dir, ".gitignore", "node_modules/\n");
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init");
  // Untracked but not ignored: audited too.
  write(dir, "src/new.mjs", "export const n = process.env.NEW_VAR;\n");
  return dir;
}

describe("shipgate env audit (built CLI)", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeRepo();
  });

  it("reports every problem as JSON and fails the gate", async () => {
    const r = await shipgate(["env", "audit", "--format", "json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      files: { path: string }[];
      findings: {
        ruleId: string;
        severity: string;
        file: string;
        line?: number;
        column?: number;
        message: string;
      }[];
    };
    const got = out.findings.map((f) => [f.ruleId, f.file, f.line ?? null]);
    expect(got).toEqual([
      ["env-file-committed", ".env", null],
      ["env-unused-declaration", ".env.example", 3],
      ["env-parity", ".env.production.example", null],
      ["env-parity", ".env.production.example", null],
      ["env-undeclared-read", "app/settings.py", 3],
      ["env-unvalidated-read", "app/settings.py", 3],
      ["env-dynamic-read", "src/dyn.js", 2],
      ["env-undeclared-read", "src/new.mjs", 1],
      ["env-unvalidated-read", "src/new.mjs", 1],
      ["env-unvalidated-read", "src/server.ts", 1],
      ["env-undeclared-read", "src/server.ts", 3],
      ["env-unvalidated-read", "src/server.ts", 3],
    ]);
    expect(out.findings.find((f) => f.file === "src/server.ts" && f.line === 3)).toMatchObject({
      column: 20,
      severity: "error",
    });
    expect(out.findings.filter((f) => f.ruleId === "env-parity").map((f) => f.message)).toEqual([
      "PORT is in .env.example but missing in .env.production.example",
      "UNUSED_KEY is in .env.example but missing in .env.production.example",
    ]);
    expect(out.files.map((f) => f.path)).not.toContain("node_modules/dep/index.js");
    expect(out.files.map((f) => f.path)).toContain("src/plain.ts");
  });

  it("never prints a value from .env or .env.example, in any format", async () => {
    for (const format of ["pretty", "json", "sarif", "github", "markdown"]) {
      const r = await shipgate(["env", "audit", "--format", format], dir);
      expect(r.code, format).toBe(1);
      expect(r.stdout.length, format).toBeGreaterThan(0);
      expect(r.stdout + r.stderr, format).not.toContain(committedSecret);
      expect(r.stdout + r.stderr, format).not.toContain(exampleValue);
    }
  });

  it("audits only the given paths, with --example and config modules from shipgate.yaml", async () => {
    const d = makeRepo();
    write(d, "config/vars.example", "STRIPE_KEY=\nDATABASE_URL=\nPORT=\n");
    write(d, "shipgate.yaml", "env:\n  configModules:\n    - src/config/**\n");
    const r = await shipgate(
      ["env", "audit", "src/server.ts", "--example", "config/vars.example", "--format", "json"],
      d,
    );
    const out = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string; line?: number }[] };
    expect(out.findings.map((f) => [f.ruleId, f.file, f.line ?? null])).toEqual([
      // The only variant in its directory: nothing to compare it with (vars.example is elsewhere).
      ["env-file-committed", ".env", null],
      ["env-read-outside-config", "src/server.ts", 1],
      ["env-unvalidated-read", "src/server.ts", 1],
      ["env-read-outside-config", "src/server.ts", 2],
      ["env-read-outside-config", "src/server.ts", 3],
      ["env-unvalidated-read", "src/server.ts", 3],
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
  });

  it("passes outside git on a clean directory and rejects a missing --example", async () => {
    const d = mkdtempSync(join(tmpdir(), "shipgate-env-audit-"));
    write(d, ".env.example", "A=\n");
    write(d, "a.py", "import os\nA = os.environ['A']\n");
    write(d, "venv/lib/x.py", "import os\nos.environ['NOPE']\n");
    const ok = await shipgate(["env", "audit"], d);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain("NOPE");
    const missing = await shipgate(["env", "audit", "--example", "nope.example"], d);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.example does not exist");
  });

  it("lists the command with examples in its help", async () => {
    const r = await shipgate(["env", "audit", "--help"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("shipgate env audit --format github");
    expect(r.stdout).toContain("env-undeclared-read");
  });
});

describe("shipgate env audit --since (built CLI)", () => {
  function commitAll(d: string): void {
    git(d, "add", "-A");
    git(d, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "change");
  }

  it("reports exactly the variables that became required since the ref", async () => {
    const d = mkdtempSync(join(tmpdir(), "shipgate-env-since-"));
    write(d, ".env.example", "DATABASE_URL=\n");
    write(d, "src/server.js", "export const db = process.env.DATABASE_URL;\n");
    write(d, "app/settings.py", "import os\n\nredis = os.environ.get('REDIS_URL', 'redis://localhost')\n");
    write(d, "src/moved.ts", "export const s = process.env.SESSION_SECRET;\n");
    git(d, "init", "-q");
    commitAll(d);

    // A new required read (JS), a removed default (Python), a new read with a default, and a
    // required read moved to another file (staged, not committed): only the first two are reported.
    write(
      d,
      "src/server.js",
      "export const db = process.env.DATABASE_URL;\nexport const key = process.env.STRIPE_KEY;\nexport const p = process.env.PORT ?? '3000';\n",
    );
    write(d, "app/settings.py", "import os\n\nredis = os.environ['REDIS_URL']\n");
    execFileSync("git", ["mv", "src/moved.ts", "src/session.ts"], { cwd: d, stdio: "ignore" });

    const r = await shipgate(["env", "audit", "--since", "HEAD", "--format", "json"], d);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      findings: { ruleId: string; severity: string; file: string; line?: number; message: string }[];
    };
    expect(out.findings.map((f) => [f.ruleId, f.severity, f.file, f.line ?? null])).toEqual([
      ["env-newly-required", "error", "app/settings.py", 3],
      ["env-newly-required", "error", "src/server.js", 2],
    ]);
    expect(out.findings[0]?.message).toContain("REDIS_URL");
    expect(out.findings[0]?.message).toContain("a default was removed");
    expect(out.findings[1]?.message).toContain("STRIPE_KEY");
    expect(out.findings[1]?.message).toContain("a new required variable");
    expect(r.stdout).not.toContain("redis://localhost");

    // Once committed, nothing changed since HEAD: the gate passes.
    commitAll(d);
    const clean = await shipgate(["env", "audit", "--since", "HEAD", "--format", "json"], d);
    expect(clean.code).toBe(0);
    expect((JSON.parse(clean.stdout) as { findings: unknown[] }).findings).toEqual([]);
  });

  it("judges a change against the files it did not touch (read only when they mention the variable)", async () => {
    const d = mkdtempSync(join(tmpdir(), "shipgate-env-since-unchanged-"));
    write(d, "src/db.ts", "export const db = process.env.DATABASE_URL;\n");
    write(d, "src/log.ts", "export const level = process.env.LOG_LEVEL ?? 'info';\n");
    write(
      d,
      "app/settings.py",
      "from pydantic_settings import BaseSettings, SettingsConfigDict\n\nclass S(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix='APP_')\n    token: str\n",
    );
    git(d, "init", "-q");
    commitAll(d);
    // New files read without defaults: DATABASE_URL (already required by src/db.ts), LOG_LEVEL (read
    // with a default elsewhere: a default removed), APP_TOKEN (required by the pydantic field), NEW_ONE.
    write(
      d,
      "src/feature.ts",
      "export const a = process.env.DATABASE_URL;\nexport const b = process.env.LOG_LEVEL;\nexport const c = process.env.APP_TOKEN;\nexport const d = process.env.NEW_ONE;\n",
    );
    const r = await shipgate(["env", "audit", "--since", "HEAD", "--format", "json"], d);
    const out = JSON.parse(r.stdout) as { findings: { ruleId: string; line?: number; message: string }[] };
    expect(out.findings.map((f) => [f.ruleId, f.line])).toEqual([
      ["env-newly-required", 2],
      ["env-newly-required", 4],
    ]);
    expect(out.findings[0]?.message).toContain("LOG_LEVEL");
    expect(out.findings[0]?.message).toContain("a default was removed");
    expect(out.findings[1]?.message).toContain("NEW_ONE");
  });

  it("rejects an unknown ref with GIT_FAILED and a hint", async () => {
    const d = mkdtempSync(join(tmpdir(), "shipgate-env-since-"));
    write(d, "a.js", "process.env.A;\n");
    git(d, "init", "-q");
    commitAll(d);
    const r = await shipgate(["env", "audit", "--since", "no-such-ref"], d);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown git ref "no-such-ref"');
    expect(r.stderr).toContain("hint:");
  });
});
