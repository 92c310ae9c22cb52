/**
 * The file system as a command reads its inputs (the config file, migration files): the kind of a
 * path, a directory's entries and a file's bytes, read synchronously (for thousands of small files
 * several times faster than fs/promises), each file read once.
 *
 * A recording Disk also keeps every observation it made, in order, as a digest. Making the same
 * observations again later (replayDisk) tells whether the command would now see exactly the same
 * files with exactly the same contents: when what it computes is a function of what it observes
 * (and of its arguments), an equal digest means an equal result. `shipgate migrations lint` uses
 * this to answer an unchanged re-run without loading the linter (src/cli/lint-replay.ts).
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, type Dirent, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";

export type PathKind = "file" | "dir" | "other";

/** The observations a recording Disk made: which, in order, and a digest of what each saw. */
export interface DiskRecording {
  /** One letter per observation: k (kind), l (list), r (read). */
  ops: string;
  paths: string[];
  digest: string;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? "error";
}

function direntType(d: Dirent): string {
  return d.isSymbolicLink() ? "l" : d.isFile() ? "f" : d.isDirectory() ? "d" : "o";
}

export class Disk {
  private readonly reads = new Map<string, Buffer | Error>();
  private readonly listings = new Map<string, Dirent[] | Error>();
  private readonly hash: Hash | undefined;
  private readonly ops: string[] = [];
  private readonly paths: string[] = [];

  private constructor(record: boolean) {
    this.hash = record ? createHash("sha256") : undefined;
  }

  /** Reads the file system without recording. */
  static plain(): Disk {
    return new Disk(false);
  }

  /** Reads the file system and records every observation. */
  static recording(): Disk {
    return new Disk(true);
  }

  private note(op: "k" | "l" | "r", path: string, seen: string | Buffer, failed = false): void {
    if (!this.hash) return;
    this.ops.push(op);
    this.paths.push(path);
    // The length and the outcome go first, so no two observations hash alike.
    this.hash.update(`${op}${failed ? "!" : ""}\0${path}\0${seen.length}\0`);
    this.hash.update(seen);
  }

  private noteError(op: "l" | "r", path: string, error: unknown): void {
    this.note(op, path, errorCode(error), true);
  }

  /** What the path is (symlinks followed), or undefined when it does not exist or cannot be read. */
  kind(abs: string): PathKind | undefined {
    let kind: PathKind | undefined;
    try {
      const s = statSync(abs, { throwIfNoEntry: false });
      kind = s === undefined ? undefined : s.isFile() ? "file" : s.isDirectory() ? "dir" : "other";
    } catch {
      kind = undefined;
    }
    this.note("k", abs, kind ?? "-");
    return kind;
  }

  /** A directory's entries (listed once per Disk); throws the file system's error. */
  list(abs: string): Dirent[] {
    return this.once(this.listings, "l", abs, () => {
      const entries = readdirSync(abs, { withFileTypes: true });
      // Sorted for the record: the order a directory lists its entries in is not part of its content.
      const names = entries.map((d) => `${direntType(d)}${d.name}`).sort();
      return { value: entries, seen: names.join("\0") };
    });
  }

  /** A file's bytes (read once per Disk); throws the file system's error. */
  read(abs: string): Buffer {
    return this.once(this.reads, "r", abs, () => {
      const bytes = readFileSync(abs);
      return { value: bytes, seen: bytes };
    });
  }

  /** Observes `abs` the first time (recording what was seen, or the error), then answers from memory. */
  private once<T>(
    memory: Map<string, T | Error>,
    op: "l" | "r",
    abs: string,
    observe: () => { value: T; seen: string | Buffer },
  ): T {
    let got = memory.get(abs);
    if (got === undefined) {
      try {
        const observed = observe();
        got = observed.value;
        this.note(op, abs, observed.seen);
      } catch (error) {
        got = error instanceof Error ? error : new Error(String(error));
        this.noteError(op, abs, error);
      }
      memory.set(abs, got);
    }
    if (got instanceof Error) throw got;
    return got;
  }

  /**
   * Records a file's bytes as read() does, without keeping them: one scratch buffer serves every
   * file, so replaying thousands of reads allocates nothing per file.
   */
  observeRead(abs: string, scratch: { buffer: Buffer }): void {
    let fd: number | undefined;
    try {
      fd = openSync(abs, "r");
      let length = 0;
      for (;;) {
        if (length === scratch.buffer.length) {
          const bigger = Buffer.allocUnsafe(scratch.buffer.length * 2);
          scratch.buffer.copy(bigger);
          scratch.buffer = bigger;
        }
        const n = readSync(fd, scratch.buffer, length, scratch.buffer.length - length, null);
        if (n === 0) break;
        length += n;
      }
      this.note("r", abs, scratch.buffer.subarray(0, length));
    } catch (error) {
      this.noteError("r", abs, error);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** What was observed so far; undefined for a Disk that does not record. */
  recording(): DiskRecording | undefined {
    if (!this.hash) return undefined;
    return { ops: this.ops.join(""), paths: [...this.paths], digest: this.hash.copy().digest("hex") };
  }
}

/** Whether the same observations, made again now, see the same thing. */
export function replayDisk(recorded: DiskRecording): boolean {
  if (recorded.ops.length !== recorded.paths.length) return false;
  const disk = Disk.recording();
  const scratch = { buffer: Buffer.allocUnsafe(64 * 1024) };
  for (const [i, path] of recorded.paths.entries()) {
    const op = recorded.ops[i];
    try {
      if (op === "k") disk.kind(path);
      else if (op === "l") disk.list(path);
      else if (op === "r") disk.observeRead(path, scratch);
      else return false;
    } catch {
      // recorded as an error observation
    }
  }
  return disk.recording()?.digest === recorded.digest;
}
