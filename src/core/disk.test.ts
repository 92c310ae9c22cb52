import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Disk, type DiskRecording, replayDisk } from "./disk.js";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-disk-"));
  mkdirSync(join(dir, "migrations"));
  writeFileSync(join(dir, "migrations/001.sql"), "CREATE TABLE a (id int);\n");
  writeFileSync(join(dir, "migrations/002.sql"), "CREATE TABLE b (id int);\n");
  return dir;
}

/** What a discovery-like pass observes: a config lookup, a listing and every file. */
function observe(dir: string): DiskRecording {
  const disk = Disk.recording();
  disk.kind(join(dir, "shipgate.yaml"));
  for (const e of disk.list(join(dir, "migrations"))) disk.read(join(dir, "migrations", e.name));
  return disk.recording() as DiskRecording;
}

describe("Disk", () => {
  it("reads the file system and records nothing unless asked", () => {
    const dir = project();
    const disk = Disk.plain();
    expect(disk.kind(join(dir, "migrations"))).toBe("dir");
    expect(disk.kind(join(dir, "migrations/001.sql"))).toBe("file");
    expect(disk.kind(join(dir, "nope"))).toBeUndefined();
    expect(disk.read(join(dir, "migrations/001.sql")).toString()).toBe("CREATE TABLE a (id int);\n");
    expect(() => disk.read(join(dir, "nope"))).toThrow(/ENOENT/);
    expect(() => disk.list(join(dir, "nope"))).toThrow(/ENOENT/);
    expect(disk.recording()).toBeUndefined();
  });

  it("reads and lists each path once, so the record holds one observation per path", () => {
    const dir = project();
    const disk = Disk.recording();
    const file = join(dir, "migrations/001.sql");
    disk.read(file);
    writeFileSync(file, "changed\n");
    expect(disk.read(file).toString()).toBe("CREATE TABLE a (id int);\n");
    disk.list(join(dir, "migrations"));
    disk.list(join(dir, "migrations"));
    expect(disk.recording()?.ops).toBe("rl");
  });

  it("replays as unchanged when nothing changed, including what was missing", () => {
    const dir = project();
    const recorded = observe(dir);
    expect(recorded.ops).toBe("klrr");
    expect(replayDisk(recorded)).toBe(true);
  });

  it("sees a file's bytes change, even at the same length", () => {
    const dir = project();
    const recorded = observe(dir);
    writeFileSync(join(dir, "migrations/002.sql"), "CREATE TABLE c (id int);\n");
    expect(replayDisk(recorded)).toBe(false);
  });

  it("sees a file added to or removed from a listed directory", () => {
    const dir = project();
    const recorded = observe(dir);
    writeFileSync(join(dir, "migrations/003.sql"), "SELECT 1;\n");
    expect(replayDisk(recorded)).toBe(false);
    rmSync(join(dir, "migrations/003.sql"));
    expect(replayDisk(recorded)).toBe(true);
    rmSync(join(dir, "migrations/002.sql"));
    expect(replayDisk(recorded)).toBe(false);
  });

  it("sees a path appear where none was (a config file created)", () => {
    const dir = project();
    const recorded = observe(dir);
    writeFileSync(join(dir, "shipgate.yaml"), "migrations: {}\n");
    expect(replayDisk(recorded)).toBe(false);
  });

  it("tells an unreadable file from one whose bytes spell the error", () => {
    const dir = project();
    const disk = Disk.recording();
    expect(() => disk.read(join(dir, "missing.sql"))).toThrow();
    const recorded = disk.recording() as DiskRecording;
    expect(replayDisk(recorded)).toBe(true);
    writeFileSync(join(dir, "missing.sql"), "ENOENT");
    expect(replayDisk(recorded)).toBe(false);
  });

  it("sees a symlinked entry retargeted from a file to a directory", () => {
    const dir = project();
    symlinkSync(join(dir, "migrations/001.sql"), join(dir, "link"));
    const disk = Disk.recording();
    expect(disk.kind(join(dir, "link"))).toBe("file");
    const recorded = disk.recording() as DiskRecording;
    rmSync(join(dir, "link"));
    symlinkSync(join(dir, "migrations"), join(dir, "link"));
    expect(replayDisk(recorded)).toBe(false);
  });

  it("replays files larger than its read buffer", () => {
    const dir = project();
    writeFileSync(join(dir, "migrations/big.sql"), "SELECT 1;\n".repeat(20_000));
    const recorded = observe(dir);
    expect(replayDisk(recorded)).toBe(true);
    writeFileSync(join(dir, "migrations/big.sql"), `${"SELECT 1;\n".repeat(19_999)}SELECT 2;\n`);
    expect(replayDisk(recorded)).toBe(false);
  });

  it("refuses a malformed record", () => {
    expect(replayDisk({ ops: "rr", paths: ["/x"], digest: "" })).toBe(false);
    expect(replayDisk({ ops: "z", paths: ["/x"], digest: "" })).toBe(false);
  });
});
