/**
 * Loading an OpenAPI 3.0/3.1 or Swagger 2.0 document with @apidevtools/swagger-parser: it reads the
 * root file and every file reached through a `$ref` (YAML or JSON), checks the version, and keeps the
 * documents apart. `$ref`s are then followed lazily by `createSpecView` (./view.ts), so that every
 * value keeps the file and JSON pointer it came from. Files are read through a callback: the file
 * system, or a git ref for `--since`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ShipgateError } from "../../core/errors.js";
import { isBlankText } from "../blank-text.js";
import { fromPointer, toPointer } from "../pointer.js";

export type SpecVersion = "2.0" | "3.0" | "3.1";

/** Where a value is: an absolute file path and a JSON pointer into that file. */
export interface Loc {
  file: string;
  pointer: string;
}

export interface LoadedSpec {
  /** Absolute path of the root document. */
  root: string;
  /** How errors and messages name the root ("openapi.yaml", "openapi.yaml at origin/main"). */
  label: string;
  version: SpecVersion;
  /** Every parsed document by absolute path: the root and the files its $refs reach. */
  docs: ReadonlyMap<string, unknown>;
}

/** Reads a file's bytes; undefined when it does not exist. */
export type ReadSpecFile = (absolutePath: string) => Promise<Uint8Array | undefined>;

export interface LoadOpenApiOptions {
  /** Absolute path of the root document. */
  file: string;
  /** Default: the file system. */
  read?: ReadSpecFile;
  /** Default: the path relative to the working directory. */
  label?: string;
}

export async function readFromDisk(absolutePath: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(absolutePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Errors of json-schema-ref-parser carry a name and sometimes a source file. */
interface ParserFailure {
  name?: string;
  message?: string;
  source?: string;
  code?: string;
}

class NotFound extends Error {
  constructor(readonly file: string) {
    super(`ENOENT: ${file} does not exist`);
    this.name = "NotFound";
  }
}

class EmptyFile extends Error {
  constructor(readonly file: string) {
    super(`${file} is empty`);
    this.name = "EmptyFile";
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

function loadError(
  error: unknown,
  label: string,
  root: string,
  notFound: ReadonlySet<string>,
  empty: ReadonlySet<string>,
): ShipgateError {
  const e = (error ?? {}) as ParserFailure;
  const message = typeof e.message === "string" ? e.message : String(error);
  const cause = { cause: error };
  const blank = e.source !== undefined && empty.has(e.source) ? e.source : [...empty][0];
  if (blank !== undefined) {
    if (blank === root) {
      return new ShipgateError("USAGE", `${label} is empty`, {
        hint: "Write the OpenAPI (or Swagger 2.0) document into the file, or fix the path if you meant another file.",
        ...cause,
      });
    }
    return new ShipgateError("USAGE", `${label}: a $ref points to ${blank}, which is empty`, {
      hint: "Write the referenced document into that file, or fix the $ref's file path.",
      ...cause,
    });
  }
  // The parser wraps the read callback's error and drops its message: the callback records misses.
  const missing = e.source !== undefined && notFound.has(e.source) ? e.source : [...notFound][0];
  if (missing !== undefined) {
    const file = missing;
    if (file === root) {
      return new ShipgateError("FILE_NOT_FOUND", `${label} does not exist`, {
        hint: "Check the path of the spec (and, with --since, that the file is in the repository).",
        ...cause,
      });
    }
    return new ShipgateError("FILE_NOT_FOUND", `${label}: a $ref points to ${file}, which does not exist`, {
      hint: "Fix the $ref's file path (relative to the file that contains it), or add the missing file.",
      ...cause,
    });
  }
  if (e.name === "ParserError") {
    return new ShipgateError("USAGE", `${label} cannot be parsed as YAML or JSON`, {
      details: message
        .split("\n")
        .map((l) => l.trimEnd())
        .filter((l) => l !== "")
        .slice(0, 12),
      hint: "Fix the syntax at the line shown.",
      ...cause,
    });
  }
  if (e.name === "UnmatchedResolverError" || /Unable to resolve \$ref|resolve \$ref pointer/i.test(message)) {
    return new ShipgateError("USAGE", `${label}: a $ref cannot be resolved: ${firstLine(message)}`, {
      hint: "shipgate follows $refs to local files only (no http): download the referenced document next to the spec.",
      ...cause,
    });
  }
  if (e.name === "SyntaxError" || error instanceof SyntaxError) {
    return new ShipgateError(
      "USAGE",
      `${label} is not an OpenAPI 3.0/3.1 or Swagger 2.0 document: ${firstLine(message)}`,
      {
        hint: 'The root must have `openapi: "3.0.x"` or `"3.1.x"` (or `swagger: "2.0"`) and `paths`.',
        ...cause,
      },
    );
  }
  return new ShipgateError("USAGE", `${label} cannot be loaded: ${firstLine(message)}`, {
    hint: "Check that the file is an OpenAPI or Swagger document.",
    ...cause,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function specVersion(doc: unknown): SpecVersion {
  if (isObject(doc) && doc.swagger === "2.0") return "2.0";
  if (isObject(doc) && typeof doc.openapi === "string" && doc.openapi.startsWith("3.1")) return "3.1";
  return "3.0";
}

export async function loadOpenApi(options: LoadOpenApiOptions): Promise<LoadedSpec> {
  const root = path.resolve(options.file);
  const label = options.label ?? path.relative(process.cwd(), root).split(path.sep).join("/");
  const read = options.read ?? readFromDisk;
  // Loaded on first use: the GraphQL command never needs it.
  const { default: SwaggerParser } = await import("@apidevtools/swagger-parser");
  const notFound = new Set<string>();
  const empty = new Set<string>();
  const parserOptions = {
    resolve: {
      external: true,
      file: false,
      http: false,
      shipgate: {
        order: 1,
        canRead: (file: { url: string }) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(file.url),
        read: async (file: { url: string }) => {
          const bytes = await read(file.url);
          if (bytes === undefined) {
            notFound.add(file.url);
            throw new NotFound(file.url);
          }
          if (isBlankText(new TextDecoder().decode(bytes))) {
            empty.add(file.url);
            throw new EmptyFile(file.url);
          }
          return Buffer.from(bytes);
        },
      },
    },
  };
  const docs = new Map<string, unknown>();
  try {
    // parse() reads the root and checks the version; the other files are read only when a $ref
    // names one (resolve() crawls every value, which a single-file spec does not need).
    const doc: unknown = await new SwaggerParser().parse(root, parserOptions);
    docs.set(root, doc);
    if (refsIn(doc).some((r) => !r.ref.startsWith("#"))) {
      const parser = new SwaggerParser();
      await parser.resolve(root, parserOptions);
      for (const [file, value] of Object.entries(parser.$refs.values())) docs.set(path.resolve(file), value);
    }
  } catch (error) {
    throw loadError(error, label, root, notFound, empty);
  }
  const spec: LoadedSpec = { root, label, version: specVersion(docs.get(root)), docs };
  checkRefs(spec);
  return spec;
}

/** The file part and the pointer of a $ref, resolved against the file containing it. */
export function splitRef(fromFile: string, ref: string): { file: string; pointer: string } | undefined {
  const hash = ref.indexOf("#");
  const filePart = hash === -1 ? ref : ref.slice(0, hash);
  const fragment = hash === -1 ? "" : ref.slice(hash + 1);
  if (/^[a-z][a-z0-9+.-]*:/i.test(filePart)) return undefined;
  let decodedFile: string;
  let decodedFragment: string;
  try {
    decodedFile = decodeURIComponent(filePart);
    decodedFragment = decodeURIComponent(fragment);
  } catch {
    return undefined;
  }
  if (decodedFragment !== "" && !decodedFragment.startsWith("/")) return undefined;
  const file = filePart === "" ? fromFile : path.resolve(path.dirname(fromFile), decodedFile);
  return { file, pointer: decodedFragment };
}

/** Evaluates a pointer in a document, following $refs met on the way; undefined when it does not exist. */
export function evaluatePointer(spec: LoadedSpec, loc: Loc): { value: unknown; loc: Loc } | undefined {
  let file = loc.file;
  let current: unknown = spec.docs.get(file);
  if (current === undefined) return undefined;
  const tokens = fromPointer(loc.pointer);
  const walked: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    let hops = 0;
    while (isObject(current) && typeof current.$ref === "string" && !(token in current)) {
      const target = splitRef(file, current.$ref);
      if (!target || ++hops > 50) return undefined;
      const next = evaluatePointer(spec, target);
      if (!next) return undefined;
      file = next.loc.file;
      walked.length = 0;
      walked.push(...fromPointer(next.loc.pointer));
      current = next.value;
    }
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (isObject(current)) {
      if (!Object.hasOwn(current, token)) return undefined;
      current = current[token];
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
    walked.push(token);
  }
  return { value: current, loc: { file, pointer: toPointer(walked) } };
}

/** Keys whose values are literal data, not spec structure: a "$ref" in them is not a reference. */
const literalKeys = new Set(["example", "default", "enum", "const"]);

const refsCache = new WeakMap<object, { ref: string; pointer: string }[]>();

/** Each distinct $ref of a document, with the pointer of its first occurrence. */
function refsIn(doc: unknown): { ref: string; pointer: string }[] {
  if (typeof doc === "object" && doc !== null) {
    const cached = refsCache.get(doc);
    if (cached) return cached;
  }
  const seen = new Set<string>();
  const out: { ref: string; pointer: string }[] = [];
  const tokens: string[] = [];
  const visit = (value: unknown, inPropertyMap: boolean): void => {
    if (typeof value !== "object" || value === null) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        tokens.push(String(i));
        visit(value[i], false);
        tokens.pop();
      }
      return;
    }
    const object = value as Record<string, unknown>;
    const ref = object.$ref;
    if (typeof ref === "string" && !seen.has(ref)) {
      seen.add(ref);
      out.push({ ref, pointer: toPointer(tokens) });
    }
    for (const key in object) {
      if (key === "$ref" || (!inPropertyMap && (literalKeys.has(key) || key.startsWith("x-")))) continue;
      const child = object[key];
      if (typeof child !== "object" || child === null) continue;
      tokens.push(key);
      visit(child, key === "properties" || key === "patternProperties");
      tokens.pop();
    }
  };
  visit(doc, false);
  if (typeof doc === "object" && doc !== null) refsCache.set(doc, out);
  return out;
}

/**
 * Every $ref in every loaded document must resolve: a spec with a dangling reference is reported up
 * front with where it is, instead of silently comparing less.
 */
function checkRefs(spec: LoadedSpec): void {
  const problems: string[] = [];
  const rootDir = path.dirname(spec.root);
  for (const [file, doc] of spec.docs) {
    for (const { ref, pointer } of refsIn(doc)) {
      const target = splitRef(file, ref);
      if (target && evaluatePointer(spec, target)) continue;
      const where = path.relative(rootDir, file).split(path.sep).join("/") || path.basename(file);
      problems.push(`${where}#${pointer}: $ref "${ref}" cannot be resolved`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    throw new ShipgateError(
      "USAGE",
      `${spec.label}: ${problems.length === 1 ? "a $ref" : `${problems.length} $refs`} cannot be resolved`,
      {
        details:
          problems.length > shown.length ? [...shown, `… and ${problems.length - shown.length} more`] : shown,
        hint: "Fix each $ref (a typo in a component name, a missing file), or add what it points to.",
      },
    );
  }
}
