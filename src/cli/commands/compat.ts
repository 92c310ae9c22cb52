/**
 * `shipgate compat openapi | graphql`: gathers the inputs (two files, or one file now and at a git
 * ref with --since; the accept file; the config) and hands them to the compat engine (src/compat);
 * returns the report, and the CLI entry renders it and derives the exit code.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import {
  type AcceptFile,
  applyAccepted,
  compatRuleDescriptions,
  createLocator,
  diffGraphql,
  diffOpenApi,
  isGraphqlRule,
  type LoadedSpec,
  type Locator,
  loadGraphqlSchema,
  loadOpenApi,
  parseAcceptFile,
  type ReadSpecFile,
  readFromDisk,
} from "../../compat/index.js";
import { loadConfig } from "../../config/load.js";
import type { CompatConfig } from "../../config/schema.js";
import { isShipgateError, ShipgateError } from "../../core/errors.js";
import { type Finding, failingFindings } from "../../core/finding.js";
import { gitFileAtRef, gitResolveCommit } from "../../core/git.js";
import type { Report } from "../../core/report.js";

export interface CompatOptions {
  cwd: string;
  configPath?: string;
  /**
   * Without `since`: exactly two files, base then head. With `since`: the specs to check (each
   * against its own version at the ref); none: compat.openapi / compat.graphql from the config.
   */
  specs: string[];
  /** A git ref: the base is each spec as it was there. */
  since?: string;
  /** The accepted-breaks file (default: compat.acceptFile, if it exists). */
  accept?: string;
  /** Today, for the sunset policy and expiry dates. Default: now. */
  now?: Date;
}

export interface CompatResult {
  report: Report;
  /** True when an unapproved error-severity finding exists. */
  failed: boolean;
}

type Kind = "openapi" | "graphql";

interface SpecPair {
  /** Absolute path of the head (working tree, or the second file). */
  head: string;
  /** Absolute path of the base file, and how to read it. */
  base: string;
  readBase: ReadSpecFile;
  baseLabel: string;
  /** With --since: the git ref the base is read at (history, which cannot be edited). */
  baseRef?: string;
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** Spec lines longer than this are not shown in code frames (minified JSON would print megabytes). */
const maxFrameLineLength = 400;

function hasLongLine(text: string): boolean {
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n", start);
    if ((end === -1 ? text.length : end) - start > maxFrameLineLength) return true;
    if (end === -1) return false;
    start = end + 1;
  }
}

function usage(kind: Kind): string {
  return `shipgate compat ${kind} <base> <head>, or shipgate compat ${kind} <file...> --since <ref>`;
}

async function resolvePairs(
  kind: Kind,
  options: CompatOptions,
  config: CompatConfig,
  configDir: string,
): Promise<SpecPair[]> {
  const { cwd } = options;
  const rel = (abs: string) => toPosix(path.relative(cwd, abs)) || path.basename(abs);
  const mustExist = (abs: string, given: string, fromConfig = false) => {
    const what = fromConfig ? `${given}, listed under compat.${kind} in shipgate.yaml,` : given;
    const fixEntry = `Fix or remove the entry under compat.${kind} in shipgate.yaml (its paths are relative to the file's directory), or name the spec: shipgate compat ${kind} <file> --since ${options.since}.`;
    if (!existsSync(abs)) {
      throw new ShipgateError("FILE_NOT_FOUND", `${what} does not exist`, {
        hint: fromConfig ? fixEntry : `Check the path. Usage: ${usage(kind)}.`,
      });
    }
    if (statSync(abs).isDirectory()) {
      const expected =
        kind === "openapi"
          ? "an OpenAPI or Swagger file (YAML or JSON)"
          : "a schema file (SDL or introspection JSON)";
      throw new ShipgateError("USAGE", `${what} is a directory: compat ${kind} expects ${expected}`, {
        hint: fromConfig
          ? fixEntry
          : `Name the file inside it (e.g. ${toPosix(path.join(given, kind === "openapi" ? "openapi.yaml" : "schema.graphql"))}). Usage: ${usage(kind)}.`,
      });
    }
  };
  if (options.since === undefined) {
    if (options.specs.length !== 2) {
      throw new ShipgateError(
        "USAGE",
        `compat ${kind} takes two files (base and head), got ${options.specs.length}`,
        { hint: `Usage: ${usage(kind)}.` },
      );
    }
    const [b, h] = options.specs as [string, string];
    const base = path.resolve(cwd, b);
    const head = path.resolve(cwd, h);
    mustExist(base, b);
    mustExist(head, h);
    return [{ base, head, readBase: readFromDisk, baseLabel: rel(base) }];
  }
  const named = options.specs.length > 0;
  const files = named
    ? options.specs.map((s) => ({ abs: path.resolve(cwd, s), given: s, fromConfig: false }))
    : config[kind].map((s) => ({ abs: path.resolve(configDir, s), given: s, fromConfig: true }));
  if (files.length === 0) {
    throw new ShipgateError("USAGE", `compat ${kind} --since needs the spec to check`, {
      hint: `Name it (shipgate compat ${kind} ${kind === "openapi" ? "openapi.yaml" : "schema.graphql"} --since ${options.since}), or list it under compat.${kind} in shipgate.yaml.`,
    });
  }
  const commit = await gitResolveCommit(cwd, options.since);
  const ref = options.since;
  // Memoised: the root is read once to learn whether it existed at the ref, then again by the loader.
  const reads = new Map<string, Promise<Uint8Array | undefined>>();
  const readBase: ReadSpecFile = (abs) => {
    let read = reads.get(abs);
    if (!read) {
      read = gitFileAtRef(cwd, commit, abs);
      reads.set(abs, read);
    }
    return read;
  };
  return files.map(({ abs, given, fromConfig }) => {
    mustExist(abs, given, fromConfig);
    return { base: abs, head: abs, readBase, baseLabel: `${rel(abs)} at ${ref}`, baseRef: ref };
  });
}

/**
 * Loads the base of a pair. Read at a git ref, it is history: the loader's hint (fix the syntax, fix
 * the $ref) cannot be followed there, so a failure says to compare against a later ref instead.
 */
async function loadBase<T>(pair: SpecPair, cwd: string, load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (pair.baseRef === undefined || !isShipgateError(error)) throw error;
    if (error.code !== "USAGE" && error.code !== "FILE_NOT_FOUND") throw error;
    const file = toPosix(path.relative(cwd, pair.base)) || path.basename(pair.base);
    throw new ShipgateError(error.code, error.message, {
      details: error.details,
      hint: `${file} as it was at ${pair.baseRef} does not load, and history cannot be fixed: the comparison needs a base that loads, so pass a later --since ref where it does (\`git log --oneline -- ${file}\` lists the commits that changed it).`,
      cause: error,
    });
  }
}

function loadAccept(options: CompatOptions, config: CompatConfig, configDir: string): AcceptFile | undefined {
  const abs = options.accept
    ? path.resolve(options.cwd, options.accept)
    : path.resolve(configDir, config.acceptFile);
  if (!existsSync(abs)) {
    if (options.accept) {
      throw new ShipgateError("FILE_NOT_FOUND", `accept file ${options.accept} does not exist`, {
        hint: "Pass the file listing accepted breaks, or omit --accept to use compat.acceptFile (.shipgate-compat.yaml).",
      });
    }
    return undefined;
  }
  return parseAcceptFile(
    readFileSync(abs, "utf8"),
    toPosix(path.relative(options.cwd, abs)) || path.basename(abs),
  );
}

/** Text of a working-tree file for locating findings; undefined when unreadable. */
function readText(abs: string): string | undefined {
  try {
    return readFileSync(abs, "utf8");
  } catch {
    return undefined;
  }
}

function finish(
  kind: Kind,
  options: CompatOptions,
  findings: Finding[],
  files: string[],
  sources: Map<string, string>,
  accept: AcceptFile | undefined,
): CompatResult {
  const now = options.now ?? new Date();
  const owns = kind === "graphql" ? isGraphqlRule : (rule: string) => !isGraphqlRule(rule);
  const all = accept ? applyAccepted(findings, accept, { now, owns }) : findings;
  // Code frames only for files with findings and no very long lines.
  const shown = new Map<string, string>();
  const checked = new Set<string>();
  for (const f of all) {
    if (f.file === undefined || checked.has(f.file)) continue;
    checked.add(f.file);
    const text = sources.get(f.file);
    if (text !== undefined && !hasLongLine(text)) shown.set(f.file, text);
  }
  const report: Report = {
    command: `compat ${kind}`,
    files: [...files, ...(accept ? [accept.path] : [])].map((p) => ({ path: p })),
    findings: all,
    sources: shown,
  };
  if (kind === "openapi") report.ruleDescriptions = compatRuleDescriptions();
  return { report, failed: failingFindings(all).length > 0 };
}

export async function runCompatOpenapi(options: CompatOptions): Promise<CompatResult> {
  const { cwd } = options;
  const now = options.now ?? new Date();
  const loaded = loadConfig({ cwd, ...(options.configPath ? { configPath: options.configPath } : {}) });
  const config = loaded.config.compat;
  const pairs = await resolvePairs("openapi", options, config, loaded.dir);
  const accept = loadAccept(options, config, loaded.dir);
  const relCache = new Map<string, string>();
  const rel = (abs: string) => {
    let r = relCache.get(abs);
    if (r === undefined) {
      r = toPosix(path.relative(cwd, abs)) || path.basename(abs);
      relCache.set(abs, r);
    }
    return r;
  };

  const findings: Finding[] = [];
  const files: string[] = [];
  const sources = new Map<string, string>();
  for (const pair of pairs) {
    const head = await loadOpenApi({ file: pair.head, label: rel(pair.head) });
    let base: LoadedSpec | undefined;
    if (pair.base === pair.head && (await pair.readBase(pair.base)) === undefined) {
      base = undefined; // new at the ref: every operation is new
    } else {
      base = await loadBase(pair, cwd, () =>
        loadOpenApi({ file: pair.base, read: pair.readBase, label: pair.baseLabel }),
      );
    }
    files.push(rel(pair.head));
    const located = diffOpenApi(base, head, { now, sunsetField: config.sunsetField });

    // Lines: one locator per head file that findings point into.
    const wanted = new Map<string, string[]>();
    for (const l of located) {
      if (!l.at || !head.docs.has(l.at.file)) continue;
      const list = wanted.get(l.at.file);
      if (list) list.push(l.at.pointer);
      else wanted.set(l.at.file, [l.at.pointer]);
    }
    const locators = new Map<string, Locator | undefined>();
    for (const [file, pointers] of wanted) {
      const text = readText(file);
      if (text !== undefined) sources.set(rel(file), text);
      locators.set(file, text === undefined ? undefined : createLocator(text, [...new Set(pointers)]));
    }
    for (const l of located) {
      const file = l.at && head.docs.has(l.at.file) ? l.at.file : head.root;
      const pos = l.at ? locators.get(l.at.file)?.(l.at.pointer) : undefined;
      findings.push(orderKeys(l.finding, rel(file), pos?.line, pos?.column));
    }
  }
  return finish("openapi", options, findings, files, sources, accept);
}

export async function runCompatGraphql(options: CompatOptions): Promise<CompatResult> {
  const { cwd } = options;
  const loaded = loadConfig({ cwd, ...(options.configPath ? { configPath: options.configPath } : {}) });
  const config = loaded.config.compat;
  const pairs = await resolvePairs("graphql", options, config, loaded.dir);
  const accept = loadAccept(options, config, loaded.dir);
  const rel = (abs: string) => toPosix(path.relative(cwd, abs)) || path.basename(abs);
  const decoder = new TextDecoder();

  const findings: Finding[] = [];
  const files: string[] = [];
  const sources = new Map<string, string>();
  for (const pair of pairs) {
    const headText = readFileSync(pair.head, "utf8");
    const head = loadGraphqlSchema(headText, rel(pair.head));
    const baseBytes = await pair.readBase(pair.base);
    files.push(rel(pair.head));
    if (baseBytes === undefined) continue; // new at the ref: nothing to break
    const base = await loadBase(pair, cwd, () =>
      loadGraphqlSchema(decoder.decode(baseBytes), pair.baseLabel),
    );
    sources.set(rel(pair.head), headText);
    for (const { finding, position } of await diffGraphql(base, head)) {
      findings.push(orderKeys(finding, rel(pair.head), position?.line, position?.column));
    }
  }
  return finish("graphql", options, findings, files, sources, accept);
}

/** The finding placed in its file, with rule, severity, operation, pointer and message first (JSON output). */
function orderKeys(f: Finding, file: string, line: number | undefined, column: number | undefined): Finding {
  const { ruleId, severity, operation, pointer, message, ...rest } = f;
  const out: Finding = {
    ruleId,
    severity,
    ...(operation !== undefined ? { operation } : {}),
    ...(pointer !== undefined ? { pointer } : {}),
    message,
    ...rest,
    file,
  };
  if (line !== undefined) out.line = line;
  if (column !== undefined) out.column = column;
  return out;
}
