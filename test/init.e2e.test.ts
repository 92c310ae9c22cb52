/**
 * End-to-end: `shipgate init` and `shipgate pipeline audit` as the built CLI, in a temporary git
 * repository. `npm test` builds dist/ first (so does this file when dist/ has no init command yet).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runShipgate as shipgate } from "./support/cli.js";

const root = join(import.meta.dirname, "..");

function makeRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-init-e2e-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

const app = {
  "package.json": JSON.stringify({
    scripts: { test: "vitest run", lint: "eslint .", build: "tsc -p ." },
    devDependencies: { typescript: "5.9.3", vitest: "4.1.12", eslint: "9.0.0" },
  }),
  "package-lock.json": "{}",
  "tsconfig.json": "{}",
  "db/migrations/001_init.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n",
  "src/server.ts": "export const url = process.env.DATABASE_URL;\n",
  ".env": "DATABASE_URL=postgres://user:hunter2@db/app\n",
};

beforeAll(() => {
  if (!existsSync(join(root, "dist/cli/register-init.js"))) {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  }
}, 120_000);

describe("shipgate init (built CLI)", () => {
  it("sets up a repository, then skips every file on a second run; the pipeline audit passes", async () => {
    const dir = makeRepo(app);
    const first = await shipgate(["init"], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Detected: TypeScript with npm");
    expect(first.stdout).toMatch(/wrote\s+\.github\/workflows\/deploy-production\.yml/);
    expect(first.stdout).toContain("Next:");
    expect(readFileSync(join(dir, ".env.example"), "utf8")).toContain("DATABASE_URL=\n");
    expect(readFileSync(join(dir, ".env.example"), "utf8")).not.toContain("hunter2");

    const second = await shipgate(["init"], dir);
    expect(second.code).toBe(0);
    expect(second.stdout.match(/skipped\s+/g)).toHaveLength(9); // 4 files + 4 hook samples + .shipgate/.gitignore

    const audit = await shipgate(["pipeline", "audit"], dir);
    expect(audit.stderr).toBe("");
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain("✓ CI runs the tests");
    expect(audit.stdout).toContain("✔ pipeline audit: 0 errors");
  });

  it("--dry-run --format json writes nothing and prints the plan", async () => {
    const dir = makeRepo(app);
    const r = await shipgate(["init", "--dry-run", "--format", "json", "--ci", "gitlab"], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      ci: string;
      files: { path: string; status: string; content: string }[];
    };
    expect(out.ci).toBe("gitlab");
    expect(out.files.map((f) => [f.path, f.status])).toEqual([
      ["shipgate.yaml", "would-write"],
      [".env.example", "would-write"],
      [".gitlab-ci.yml", "would-write"],
      [".shipgate/hooks/pre-deploy.sample", "would-write"],
      [".shipgate/hooks/pre-traffic.sample", "would-write"],
      [".shipgate/hooks/post-deploy.sample", "would-write"],
      [".shipgate/hooks/post-rollback.sample", "would-write"],
      [".shipgate/.gitignore", "would-write"],
    ]);
    expect(existsSync(join(dir, "shipgate.yaml"))).toBe(false);
  });

  it("rejects an unknown --ci with exit 2", async () => {
    const r = await shipgate(["init", "--ci", "travis"], makeRepo({}));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are github, gitlab");
  });
});

describe("shipgate pipeline audit (built CLI)", () => {
  it("exits 1 without CI, naming shipgate init; JSON carries the stages", async () => {
    const dir = makeRepo({ "package.json": "{}" });
    const r = await shipgate(["pipeline", "audit", "--format", "json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      findings: { ruleId: string; help: string }[];
      stages: { id: string; status: string }[];
    };
    expect(out.findings[0]).toMatchObject({
      ruleId: "pipeline-no-ci",
      help: expect.stringContaining("shipgate init"),
    });
    expect(out.stages.find((s) => s.id === "pipeline.tests")?.status).toBe("fail");
  });

  it("prints actionlint errors as github annotations with file and line", async () => {
    const dir = makeRepo({
      ".github/workflows/ci.yml":
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    needs: [build]\n    steps:\n      - run: npm test\n",
    });
    const r = await shipgate(["pipeline", "audit", "--format", "github"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("::error file=.github/workflows/ci.yml,line=3,col=3");
    expect(r.stdout).toContain("[job-needs]");
  });
});
