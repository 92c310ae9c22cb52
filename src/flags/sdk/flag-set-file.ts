/**
 * Flag set files: the bootstrap an application ships with, and the last-known-good cache the SDK
 * writes after every update so that the next start works while the server is down. Writes are
 * atomic (a temporary file in the same directory, then rename), so a crash never leaves half a file.
 */
import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ShipgateError } from "../../core/errors.js";
import type { FlagSet } from "../types.js";
import { parseFlagSet } from "./flag-set-schema.js";

/** Reads a flag set file synchronously (start-up only: the client answers at once after creation). */
export function readFlagSetFileSync(path: string, what: string): FlagSet {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ShipgateError(
      "FILE_NOT_FOUND",
      `Cannot read the ${what} ${path}: ${(error as Error).message}`,
      {
        hint: "Save a flag set with `curl -H 'Authorization: Bearer …' <url>/api/flags > flags.json`, or drop the option.",
        cause: error,
      },
    );
  }
  return parseFlagSet(text, `The ${what} ${path}`);
}

/** Reads a flag set file; null when it does not exist. */
export async function readFlagSetFile(path: string, what: string): Promise<FlagSet | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ShipgateError(
      "FILE_NOT_FOUND",
      `Cannot read the ${what} ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return parseFlagSet(text, `The ${what} ${path}`);
}

/** Writes a flag set atomically: temp file in the same directory, then rename over the target. */
export async function writeFlagSetFile(path: string, flags: FlagSet): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(flags)}\n`, "utf8");
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new ShipgateError(
      "FILE_NOT_FOUND",
      `Cannot write the flag cache ${path}: ${(error as Error).message}`,
      {
        hint: "Point cacheFile at a writable path, or drop the option.",
        cause: error,
      },
    );
  }
}
