import { createRequire } from "node:module";

/** shipgate's version, from package.json (two levels up from both src/core and dist/core). */
export const toolVersion: string = (
  createRequire(import.meta.url)("../../package.json") as { version: string }
).version;
