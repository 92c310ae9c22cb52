import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { hashDirectory, removeStoredArtifact, runBuild, storeArtifact } from "./artifact.js";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-artifact-"));
  temps.push(dir);
  return dir;
}

afterEach(async () => {
  // Stored artifacts are read-only: removeStoredArtifact makes them writable first.
  for (const dir of temps.splice(0)) await removeStoredArtifact(dir);
});

function write(root: string, rel: string, text: string, mode = 0o644): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}

/** A small app: a server, a nested module, an executable script, a dotfile and a symlink. */
function sampleTree(root: string, order: "forward" | "reverse" = "forward"): void {
  const files: [string, string, number][] = [
    ["server.js", "console.log('hi')\n", 0o644],
    ["lib/util.js", "export const x = 1;\n", 0o644],
    ["bin/run.sh", "#!/bin/sh\necho run\n", 0o755],
    [".env.example", "PORT=\n", 0o644],
  ];
  for (const [rel, text, mode] of order === "forward" ? files : [...files].reverse())
    write(root, rel, text, mode);
  symlinkSync("lib/util.js", join(root, "util-link.js"));
}

async function expectError(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ShipgateError);
    return error as ShipgateError;
  }
  throw new Error("expected a ShipgateError");
}

describe("hashDirectory", () => {
  it("is stable: the same content in another directory, written in another order, hashes the same", async () => {
    const a = tempDir();
    const b = tempDir();
    sampleTree(a, "forward");
    sampleTree(b, "reverse");
    const ha = await hashDirectory(a, []);
    expect(ha.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashDirectory(a, [])).toEqual(ha);
    expect(await hashDirectory(b, [])).toEqual(ha);
    expect(ha.files).toBe(5);
    expect(ha.bytes).toBe(18 + 20 + 19 + 6);
  });

  it("changes with a file's content or path, not with an empty directory", async () => {
    const dir = tempDir();
    sampleTree(dir);
    const before = (await hashDirectory(dir, [])).hash;

    write(dir, "server.js", "console.log('ho')\n");
    const edited = (await hashDirectory(dir, [])).hash;
    expect(edited).not.toBe(before);

    write(dir, "server.js", "console.log('hi')\n");
    expect((await hashDirectory(dir, [])).hash).toBe(before);

    mkdirSync(join(dir, "empty/nested"), { recursive: true });
    expect((await hashDirectory(dir, [])).hash).toBe(before);

    write(dir, "lib/util2.js", "export const x = 1;\n");
    expect((await hashDirectory(dir, [])).hash).not.toBe(before);
  });

  it("is sensitive to the executable bit only, not to other mode bits", async () => {
    const dir = tempDir();
    sampleTree(dir);
    const before = (await hashDirectory(dir, [])).hash;
    chmodSync(join(dir, "server.js"), 0o600);
    expect((await hashDirectory(dir, [])).hash).toBe(before);
    chmodSync(join(dir, "server.js"), 0o755);
    expect((await hashDirectory(dir, [])).hash).not.toBe(before);
  });

  it("leaves out what the exclude globs match, dotfiles included", async () => {
    const dir = tempDir();
    sampleTree(dir);
    const before = await hashDirectory(dir, ["node_modules/**", ".git/**"]);
    write(dir, "node_modules/pkg/index.js", "module.exports = 1;\n");
    write(dir, ".git/HEAD", "ref: refs/heads/main\n");
    write(dir, "dist/app.js.map", "{}");
    expect(await hashDirectory(dir, ["node_modules/**", ".git/**", "**/*.map"])).toEqual(before);
    expect(await hashDirectory(dir, ["node_modules", ".git", "dist/**"])).toEqual(before);
    const all = await hashDirectory(dir, []);
    expect(all.files).toBe(before.files + 3);
    expect(all.hash).not.toBe(before.hash);
  });

  it("hashes a symlink as its target string and never follows it out of the tree", async () => {
    const dir = tempDir();
    const outside = tempDir();
    write(outside, "secret.txt", "not part of the artifact");
    write(dir, "server.js", "x");
    symlinkSync(outside, join(dir, "outside"));
    const first = await hashDirectory(dir, []);
    expect(first.files).toBe(2);
    expect(first.bytes).toBe(1);

    // The content behind the link changes: the artifact's hash does not.
    write(outside, "secret.txt", "changed");
    expect((await hashDirectory(dir, [])).hash).toBe(first.hash);

    // The link's target changes: it does.
    const other = tempDir();
    const link = join(dir, "outside");
    await removeStoredArtifact(link);
    symlinkSync(other, link);
    expect((await hashDirectory(dir, [])).hash).not.toBe(first.hash);
  });

  it("a missing directory is FILE_NOT_FOUND naming release.artifact", async () => {
    const error = await expectError(hashDirectory(join(tempDir(), "versions/v9"), []));
    expect(error.code).toBe("FILE_NOT_FOUND");
    expect(error.message).toContain("versions/v9");
    expect(error.hint).toContain("release.artifact");
  });
});

describe("storeArtifact", () => {
  it("stores the tree under <storeDir>/<hash>, read-only, with links kept as links", async () => {
    const source = tempDir();
    const store = join(tempDir(), "artifacts");
    sampleTree(source);
    const stored = await storeArtifact({ sourceDir: source, storeDir: store, exclude: [] });
    const hashed = await hashDirectory(source, []);
    expect(stored).toEqual({ ...hashed, path: join(store, hashed.hash) });

    const mode = (rel: string) => lstatSync(join(stored.path, rel)).mode & 0o777;
    expect(mode("")).toBe(0o555);
    expect(mode("lib")).toBe(0o555);
    expect(mode("server.js")).toBe(0o444);
    expect(mode("lib/util.js")).toBe(0o444);
    expect(mode("bin/run.sh")).toBe(0o555);
    expect(lstatSync(join(stored.path, "util-link.js")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(stored.path, "util-link.js"))).toBe("lib/util.js");
    // The stored copy hashes to its own name.
    expect((await hashDirectory(stored.path, [])).hash).toBe(stored.hash);
    // Nothing else is left in the store (no temp directories).
    expect(readdirSync(store)).toEqual([stored.hash]);
  });

  it("storing the same content again is a no-op returning the same hash and path", async () => {
    const source = tempDir();
    const store = join(tempDir(), "artifacts");
    sampleTree(source);
    const first = await storeArtifact({ sourceDir: source, storeDir: store, exclude: [] });
    const inode = lstatSync(first.path).ino;
    const second = await storeArtifact({ sourceDir: source, storeDir: store, exclude: [] });
    expect(second).toEqual(first);
    expect(lstatSync(second.path).ino).toBe(inode);

    // A copy of the same content elsewhere maps to the same stored artifact.
    const copy = tempDir();
    sampleTree(copy, "reverse");
    expect(await storeArtifact({ sourceDir: copy, storeDir: store, exclude: [] })).toEqual(first);
    expect(readdirSync(store)).toEqual([first.hash]);
  });

  it("concurrent stores of the same content end with one artifact and no temp directories", async () => {
    const source = tempDir();
    const store = join(tempDir(), "artifacts");
    sampleTree(source);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => storeArtifact({ sourceDir: source, storeDir: store, exclude: [] })),
    );
    expect(new Set(results.map((r) => r.path)).size).toBe(1);
    expect(readdirSync(store)).toEqual([results[0]?.hash]);
  });

  it("new content gets a new directory; the old artifact stays untouched", async () => {
    const source = tempDir();
    const store = join(tempDir(), "artifacts");
    sampleTree(source);
    const v1 = await storeArtifact({ sourceDir: source, storeDir: store, exclude: [] });
    write(source, "server.js", "console.log('v2')\n");
    const v2 = await storeArtifact({ sourceDir: source, storeDir: store, exclude: [] });
    expect(v2.hash).not.toBe(v1.hash);
    expect(readdirSync(store).sort()).toEqual([v1.hash, v2.hash].sort());
    expect((await hashDirectory(v1.path, [])).hash).toBe(v1.hash);
  });

  it("applies exclude, and leaves out a store directory inside the source", async () => {
    const source = tempDir();
    sampleTree(source);
    write(source, "node_modules/x/index.js", "1");
    const store = join(source, ".shipgate/artifacts");
    const stored = await storeArtifact({ sourceDir: source, storeDir: store, exclude: ["node_modules/**"] });
    expect(readdirSync(stored.path).sort()).toEqual([
      ".env.example",
      "bin",
      "lib",
      "server.js",
      "util-link.js",
    ]);
    // Storing again (the store now holds an artifact) is still the same content.
    expect(await storeArtifact({ sourceDir: source, storeDir: store, exclude: ["node_modules/**"] })).toEqual(
      stored,
    );
  });

  it("leaves out env files holding values and .shipgate/ whatever exclude lists; !glob keeps one", async () => {
    const source = tempDir();
    sampleTree(source);
    write(source, ".env", "STRIPE_KEY=sk_live_1\n");
    write(source, "deploy/staging.env", "STRIPE_KEY=sk_live_2\n");
    write(source, "config/.env.production", "STRIPE_KEY=sk_live_3\n");
    write(source, "deploy/staging.env.example", "STRIPE_KEY=\n");
    write(source, ".shipgate/secret.key", "key\n");
    write(source, ".shipgate/ledger.db", "db");
    // A symlink holds a path, not the values: a release may point at env files kept elsewhere.
    symlinkSync("/etc/app/shared.env", join(source, "shared.env"));
    const store = tempDir();
    const files = (root: string): string[] =>
      readdirSync(root, { recursive: true, encoding: "utf8" })
        .filter((f) => !lstatSync(join(root, f)).isDirectory())
        .sort();

    const stored = await storeArtifact({ sourceDir: source, storeDir: store, exclude: [] });
    expect(files(stored.path)).toEqual([
      ".env.example",
      "bin/run.sh",
      "deploy/staging.env.example",
      "lib/util.js",
      "server.js",
      "shared.env",
      "util-link.js",
    ]);
    expect(stored.hash).toBe((await hashDirectory(source, ["node_modules/**"])).hash);

    const kept = ["!deploy/staging.env"];
    const withOne = await storeArtifact({ sourceDir: source, storeDir: store, exclude: kept });
    expect(files(withOne.path)).toContain("deploy/staging.env");
    expect(files(withOne.path)).not.toContain(".env");
    expect(withOne.hash).toBe((await hashDirectory(source, kept)).hash);
    expect(await storeArtifact({ sourceDir: source, storeDir: store, exclude: kept })).toEqual(withOne);
  });

  it("a missing source is FILE_NOT_FOUND with a hint about release.artifact", async () => {
    const error = await expectError(
      storeArtifact({ sourceDir: join(tempDir(), "nope"), storeDir: tempDir(), exclude: [] }),
    );
    expect(error.code).toBe("FILE_NOT_FOUND");
    expect(error.hint).toMatch(/release\.artifact.*shipgate\.yaml/);
  });
});

describe("runBuild", () => {
  it("runs through the shell in cwd with the env given, streaming lines", async () => {
    const cwd = tempDir();
    const lines: string[] = [];
    await runBuild({
      command: 'echo "building $SHIPGATE_VERSION in $(pwd)"; echo done >&2; printf "no newline"',
      cwd,
      env: { SHIPGATE_VERSION: "v2" },
      onLine: (l) => lines.push(l),
    });
    expect(lines).toContain(`building v2 in ${cwd}`);
    expect(lines).toContain("done");
    expect(lines).toContain("no newline");
  });

  it("a failure is COMMAND_FAILED naming the command and exit code, with the last 20 lines", async () => {
    const error = await expectError(
      runBuild({ command: "for i in $(seq 1 30); do echo line $i; done; exit 3", cwd: tempDir(), env: {} }),
    );
    expect(error.code).toBe("COMMAND_FAILED");
    expect(error.message).toContain("for i in $(seq 1 30)");
    expect(error.message).toContain("exited with code 3");
    expect(error.details).toHaveLength(20);
    expect(error.details[0]).toBe("line 11");
    expect(error.details[19]).toBe("line 30");
    expect(error.hint).toContain("release.build");
  });

  it("a command not found says so", async () => {
    const error = await expectError(runBuild({ command: "no-such-build-tool-xyz", cwd: tempDir(), env: {} }));
    expect(error.message).toContain("exited with code 127");
    expect(error.hint).toContain("not found");
  });

  it("never shows the value of a variable it was given", async () => {
    const secret = "sk_live_51HxYzSecretValue";
    const lines: string[] = [];
    const error = await expectError(
      runBuild({
        command: 'echo "token is $API_TOKEN"; exit 1',
        cwd: tempDir(),
        env: { API_TOKEN: secret },
        onLine: (l) => lines.push(l),
      }),
    );
    expect(lines).toEqual(["token is ****"]);
    expect(JSON.stringify({ m: error.message, d: error.details, h: error.hint })).not.toContain(secret);
  });
});
