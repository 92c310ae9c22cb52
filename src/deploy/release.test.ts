import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "tar";
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { ShipgateError } from "../core/errors.js";
import { removeStoredArtifact } from "./artifact.js";
import { prepareRelease } from "./release.js";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-release-"));
  mkdirSync(join(dir, "app/migrations"), { recursive: true });
  writeFileSync(join(dir, "app/server.js"), "console.log('hi')\n");
  writeFileSync(join(dir, "app/migrations/001_init.sql"), "CREATE TABLE t (id int);\n");
  writeFileSync(join(dir, "app/migrations/001_init.down.sql"), "DROP TABLE t;\n");
  writeFileSync(join(dir, "env"), "TOKEN=s3cret-value\n");
  return dir;
}

const options = (dir: string, artifact: string) => ({
  config: configSchema.parse({
    release: { artifact, start: "node server.js" },
    environments: { prod: { target: { type: "local", port: 1 }, env: { dotenv: "env" } } },
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
});
