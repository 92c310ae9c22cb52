/**
 * The `flags` part of shipgate.yaml: how `shipgate check` judges feature-flag lifecycles — when a
 * flag sitting at 100% or 0% counts as stale, which source files are scanned for flag keys, and
 * which SDK functions take a flag key as their first argument. Part of the one config schema
 * (schema.ts imports it).
 */
import { z } from "zod";
import { duration } from "./deploy-schema.js";

export const defaultFlagFunctions = [
  "isEnabled",
  "getVariant",
  "getBooleanValue",
  "getBooleanDetails",
  "getStringValue",
  "getStringDetails",
  "getNumberValue",
  "getNumberDetails",
  "getObjectValue",
  "getObjectDetails",
] as const;

const defaultScan = {
  include: ["src/**/*.{js,jsx,ts,tsx,mjs,cjs}"],
  exclude: ["**/node_modules/**", "**/dist/**", "**/*.test.*"],
};

export const flagsScanSchema = z
  .object({
    include: z
      .array(z.string().min(1))
      .default(defaultScan.include)
      .describe("Globs (relative to the config file) of the source files scanned for flag keys."),
    exclude: z
      .array(z.string().min(1))
      .default(defaultScan.exclude)
      .describe("Globs (relative to the config file) left out of the scan."),
  })
  .strict();

export const flagsConfigSchema = z
  .object({
    staleAfter: duration
      .prefault("30d")
      .describe(
        "`shipgate check` warns about a flag that has sat at 100% (or 0%) in an environment for longer than this, e.g. 30d: make it permanent or remove it.",
      ),
    scan: flagsScanSchema
      .default({ include: [...defaultScan.include], exclude: [...defaultScan.exclude] })
      .describe(
        "Where `shipgate check` looks for flag keys in code: undefined flags and archived flags still referenced.",
      ),
    functions: z
      .array(z.string().regex(/^[A-Za-z_$][\w$]*$/, "expected a function or method name, e.g. isEnabled"))
      .default([...defaultFlagFunctions])
      .describe(
        'Functions and methods whose first argument is a flag key (a string literal), e.g. client.isEnabled("new-checkout", ctx).',
      ),
  })
  .strict();

export type FlagsConfig = z.output<typeof flagsConfigSchema>;
