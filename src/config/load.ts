/**
 * Loading shipgate.yaml: find (walk up from cwd, or --config) → parse YAML → validate with the zod
 * schema → cross-field checks. Every problem is returned with its path; an unparsable value is an
 * error, never a silent default.
 */
import { dirname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { Disk } from "../core/disk.js";
import { ShipgateError } from "../core/errors.js";
import { configSchema, type ShipgateConfig } from "./schema.js";

export const configFileNames = ["shipgate.yaml", "shipgate.yml"] as const;

export interface LoadedConfig {
  config: ShipgateConfig;
  /** Absolute path of the file, or undefined when none was found (defaults apply). */
  path: string | undefined;
  /** Directory relative paths in the config resolve against (the file's, else cwd). */
  dir: string;
}

/** Walks up from `start` to the filesystem root looking for shipgate.yaml. */
export function findConfigFile(start: string, disk: Disk = Disk.plain()): string | undefined {
  let dir = resolve(start);
  for (;;) {
    for (const name of configFileNames) {
      const candidate = join(dir, name);
      if (disk.kind(candidate) !== undefined) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out || "(root)";
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    return `${where === "(root)" ? "" : `${where}: `}unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  return `${where}: ${issue.message}`;
}

/** Validates a parsed config object; throws CONFIG_INVALID listing every problem. */
export function parseConfig(
  raw: unknown,
  source: string,
  knownRuleIds?: ReadonlySet<string>,
): ShipgateConfig {
  const result = configSchema.safeParse(raw ?? {});
  const problems = result.success ? [] : result.error.issues.map(describeIssue);
  if (result.success && knownRuleIds) {
    for (const id of Object.keys(result.data.migrations.rules)) {
      if (!knownRuleIds.has(id)) problems.push(`migrations.rules.${id}: unknown rule id`);
    }
    for (const [i, a] of result.data.migrations.approvals.entries()) {
      if (!knownRuleIds.has(a.rule))
        problems.push(`migrations.approvals[${i}].rule: unknown rule id "${a.rule}"`);
    }
  }
  if (!result.success || problems.length > 0) {
    throw new ShipgateError(
      "CONFIG_INVALID",
      `${source} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"})`,
      {
        details: problems,
        hint: `Fix the keys listed above; ${problems.some((p) => p.includes("rule id")) ? "`shipgate migrations rules` lists the rule ids, and " : ""}the config reference (docs/config.md) and the JSON Schema in the shipgate package (schema/shipgate.schema.json) describe every key.`,
      },
    );
  }
  return result.data;
}

export interface LoadConfigOptions {
  cwd: string;
  /** Explicit --config path; it must exist. */
  configPath?: string;
  knownRuleIds?: ReadonlySet<string>;
  /** Where the file is looked for and read (default: the file system, not recorded). */
  disk?: Disk;
}

export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const disk = options.disk ?? Disk.plain();
  const path = options.configPath
    ? resolve(options.cwd, options.configPath)
    : findConfigFile(options.cwd, disk);
  if (options.configPath && disk.kind(path as string) === undefined) {
    throw new ShipgateError("CONFIG_NOT_FOUND", `config file ${options.configPath} does not exist`, {
      hint: "Check the --config path, or omit it to use the shipgate.yaml found by walking up from the current directory.",
    });
  }
  if (path === undefined) {
    return {
      config: parseConfig({}, "defaults", options.knownRuleIds),
      path: undefined,
      dir: resolve(options.cwd),
    };
  }
  const text = disk.read(path).toString("utf8");
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ShipgateError("CONFIG_INVALID", `${path} is not valid YAML`, {
      details: doc.errors.map((e) => e.message.split("\n")[0] ?? e.message),
      hint: "Fix the YAML syntax at the line shown.",
    });
  }
  return { config: parseConfig(doc.toJS(), path, options.knownRuleIds), path, dir: dirname(path) };
}
