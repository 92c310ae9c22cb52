import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "tar";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { ShipgateError } from "../core/errors.js";
import { stateGitignoreRules } from "../core/state-dir.js";
import { removeStoredArtifact } from "./artifact.js";
import { environmentConfig, prepareRelease } from "./release.js";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-release-"));
  mkdirSync(join(dir, "app/migrations"), { recursive: true });
  writeFileSync(join(dir, "app/server.js"), "console.log('hi')\n");
  writeFileSync(join(dir, "app/migrations/001_init.sql"), "CREATE TABLE t (id int);\n");
  writeFileSync(join(dir, "app/migrations/001_init.down.sql"), "DROP TABLE t;\n");
  writeFileSync(join(dir, "env"), "TOKEN=s3cret-value\n");
  return dir;
}

const options = (dir: string, artifact: string, dotenv = "env") => ({
  config: configSchema.parse({
    release: { artifact, start: "node server.js" },
    environments: { prod: { target: { type: "local", port: 1 }, env: { dotenv } } },
  }),
  configDir: dir,
  environment: "prod",
  version: "v1",
  gitSha: null,
  actor: "test",
  env: {},
  key: Buffer.alloc(32, 7),
  now: new Date(0),
});

describe("prepareRelease", () => {
  it("stores a tarball like the directory it was made from (same content hash)", async () => {
    const dir = project();
    await create({ gzip: true, file: join(dir, "app.tgz"), cwd: join(dir, "app") }, [
      "server.js",
      "migrations",
    ]);
    const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith("shipgate-artifact-"));
    const before = new Set(leftovers());
    const fromDir = await prepareRelease(options(dir, "app"));
    const fromTarball = await prepareRelease(options(dir, "app.tgz"));
    expect(fromTarball.artifact.hash).toBe(fromDir.artifact.hash);
    expect(readdirSync(fromTarball.artifact.path).sort()).toEqual(["migrations", "server.js"]);
    // The migrations the release ships (downs aside), for rollback's schema difference.
    expect(fromTarball.config.migrationFiles).toEqual(["001_init.sql"]);
    // The env is sealed: its value is nowhere in the record.
    expect(fromTarball.envKeys).toEqual(["TOKEN"]);
    expect(JSON.stringify(fromTarball)).not.toContain("s3cret-value");
    // The unpacked copy is gone; only the stored artifact remains.
    expect(leftovers().filter((f) => !before.has(f))).toEqual([]);
    removeStoredArtifact(fromDir.artifact.path);
  });

  it("names a missing or unreadable artifact and what to check", async () => {
    const dir = project();
    writeFileSync(join(dir, "broken.tgz"), "not a tarball");
    await expect(prepareRelease(options(dir, "missing/{version}"))).rejects.toThrow(
      /the artifact .*missing\/v1 for version v1 does not exist/,
    );
    const error = await prepareRelease(options(dir, "broken.tgz")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShipgateError);
    expect((error as ShipgateError).message).toMatch(/broken\.tgz is not a readable tarball/);
  });

  it("makes the version part of the release: the same content as v2 and v3 is two releases, one artifact", async () => {
    const dir = project();
    const v3 = await prepareRelease(options(dir, "app"));
    const v2 = await prepareRelease({ ...options(dir, "app"), version: "v2" });
    const dryV9 = await prepareRelease({ ...options(dir, "app"), version: "v9", dryRun: true });
    expect(new Set([v3.id, v2.id, dryV9.id]).size).toBe(3);
    expect([v3.version, v2.version, dryV9.version]).toEqual(["v1", "v2", "v9"]);
    expect(v2.artifact).toEqual(v3.artifact);
    expect(dryV9.artifact.hash).toBe(v3.artifact.hash);
    // The same version with the same content, config and env is the same release.
    expect((await prepareRelease({ ...options(dir, "app"), version: "v2" })).id).toBe(v2.id);
    await removeStoredArtifact(v3.artifact.path);
  });

  it("stores no env file of the project, and keeps .shipgate/ out of git", async () => {
    const dir = project();
    writeFileSync(join(dir, ".env"), "TOKEN=local-s3cret\n");
    mkdirSync(join(dir, "deploy"));
    writeFileSync(join(dir, "deploy/staging.env"), "TOKEN=staging-s3cret\n");
    writeFileSync(join(dir, "deploy/staging.env.example"), "TOKEN=\n");
    const base = options(dir, ".", "deploy/staging.env");
    await prepareRelease({ ...base, dryRun: true });
    expect(existsSync(join(dir, ".shipgate"))).toBe(false);

    const release = await prepareRelease(base);
    const stored = readdirSync(release.artifact.path, { recursive: true, encoding: "utf8" });
    expect(stored).toContain("deploy/staging.env.example");
    expect(stored.filter((f) => f === ".env" || f.endsWith("staging.env"))).toEqual([]);
    // The env still reaches the release, sealed.
    expect(release.envKeys).toEqual(["TOKEN"]);
    expect(readFileSync(join(dir, ".shipgate/.gitignore"), "utf8")).toBe(stateGitignoreRules);
    await removeStoredArtifact(release.artifact.path);
  });
});

describe("environmentConfig", () => {
  const config = configSchema.parse({ environments: { staging: {}, production: {} } });

  it("names the known environments, and the one a typo meant", () => {
    expect(() => environmentConfig(config, "prodution")).toThrow(
      expect.objectContaining({
        code: "USAGE",
        message: 'environment "prodution" is not in shipgate.yaml',
        hint: "Did you mean production? Known environments: staging, production.",
      }),
    );
    expect(() => environmentConfig(config, "qa")).toThrow(
      expect.objectContaining({ hint: "Known environments: staging, production." }),
    );
  });
});
