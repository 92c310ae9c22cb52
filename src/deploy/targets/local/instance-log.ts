/**
 * An instance's output: its stdout and stderr split into lines, each appended to the instance's log
 * file as `<ISO time> <out|err> <line>` and kept in an in-memory ring of the last lines (shown when an
 * instance fails to start). Values of the release's env that look like secrets are masked before a
 * line is stored anywhere.
 */
import { createWriteStream, type WriteStream } from "node:fs";

export interface InstanceLog {
  /** Feeds a chunk of the process's output; complete lines are written. */
  write(stream: "out" | "err", chunk: Buffer | string): void;
  /** A line from the supervisor itself (spawn, exit, restart), written as stream `sup`. */
  note(line: string): void;
  /** The last lines (at most the ring size), oldest first, without the time prefix. */
  tail(count?: number): string[];
  /** Writes any partial lines and closes the file. */
  close(): Promise<void>;
}

export interface InstanceLogOptions {
  file: string;
  /** Lines kept in memory. Default 200. */
  ringSize?: number;
  /** Strings replaced by *** in every line (secret values). */
  mask?: readonly string[];
  /** A line longer than this is cut (and marked). Default 16 KiB. */
  maxLineLength?: number;
  /** Sees every output line (masked, cut) of the process as it is stored (not the supervisor's notes). */
  onLine?: (stream: "out" | "err", line: string) => void;
}

/** Env values masked in instance output: long enough to be a secret, and not shipgate's own. */
export function secretValues(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([key, value]) => !key.startsWith("SHIPGATE_") && key !== "PORT" && value.length >= 8)
    .map(([, value]) => value)
    .sort((a, b) => b.length - a.length);
}

export function maskLine(line: string, mask: readonly string[]): string {
  let out = line;
  for (const secret of mask) if (out.includes(secret)) out = out.replaceAll(secret, "***");
  return out;
}

export function createInstanceLog(options: InstanceLogOptions): InstanceLog {
  const ringSize = options.ringSize ?? 200;
  const maxLine = options.maxLineLength ?? 16 * 1024;
  const mask = options.mask ?? [];
  const ring: string[] = [];
  const partial = { out: "", err: "" };
  let file: WriteStream | null = createWriteStream(options.file, { flags: "a", mode: 0o600 });
  file.on("error", () => {
    // A log that cannot be written must not take the instance down; the ring still holds the lines.
    file = null;
  });

  function emit(stream: "out" | "err" | "sup", raw: string): void {
    let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.length > maxLine) line = `${line.slice(0, maxLine)} …[cut]`;
    line = maskLine(line, mask);
    ring.push(line);
    if (ring.length > ringSize) ring.shift();
    file?.write(`${new Date().toISOString()} ${stream} ${line}\n`);
    if (stream !== "sup") options.onLine?.(stream, line);
  }

  return {
    write(stream, chunk) {
      const text = partial[stream] + (typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      const lines = text.split("\n");
      partial[stream] = lines.pop() ?? "";
      if (partial[stream].length > maxLine) {
        emit(stream, partial[stream]);
        partial[stream] = "";
      }
      for (const line of lines) emit(stream, line);
    },
    note(line) {
      emit("sup", line);
    },
    tail(count = ringSize) {
      return ring.slice(-count);
    },
    close() {
      for (const stream of ["out", "err"] as const) {
        if (partial[stream] !== "") emit(stream, partial[stream]);
        partial[stream] = "";
      }
      const f = file;
      file = null;
      return new Promise((resolve) => (f ? f.end(() => resolve()) : resolve()));
    },
  };
}
