/**
 * What a CI command runs beyond its own text, so a stage hidden behind a script is still found:
 *
 * - `npm test`, `npm run <s>`, `pnpm <s>`, `yarn <s>`, `bun run <s>`: the package.json script (in the
 *   step's working directory, else the repository root), with its `pre`/`post` scripts;
 * - `make <target>` (or `make`: the first target): the target's recipe and its prerequisites';
 * - `./scripts/ci.sh`, `bash ci/test.sh`: the shell script file;
 * - `uses: ./.github/actions/<name>`: the `run` and `uses` steps of a local composite action.
 *
 * Expansion recurses (a script calling another script) up to a small depth, never twice into the
 * same thing, and reads only small files inside the repository.
 */
import { readFileSync, statSync } from "node:fs";
import { join, normalize, posix, relative, resolve, sep } from "node:path";
import { get, items, parseYaml, str } from "./yaml-nodes.js";

export interface Expansion {
  kind: "run" | "uses";
  text: string;
  /** Where the text comes from, for explanations: `package.json scripts.test`, `Makefile target ci`. */
  via: string;
}

const maxDepth = 4;
const maxFileBytes = 256 * 1024;

interface MakeTarget {
  prerequisites: string[];
  recipe: string;
}

export class CommandExpander {
  private readonly files = new Map<string, string | undefined>();

  /** `root`: the repository root (absolute); nothing outside it is read. */
  constructor(private readonly root: string) {}

  private read(relativePath: string): string | undefined {
    const abs = resolve(this.root, relativePath);
    const rel = relative(this.root, abs);
    if (rel.startsWith("..") || rel.startsWith(sep)) return undefined;
    if (this.files.has(abs)) return this.files.get(abs);
    let text: string | undefined;
    try {
      text = statSync(abs).size <= maxFileBytes ? readFileSync(abs, "utf8") : undefined;
    } catch {
      text = undefined;
    }
    this.files.set(abs, text);
    return text;
  }

  private scripts(dir: string): Record<string, string> {
    const text = this.read(join(dir, "package.json"));
    if (text === undefined) return {};
    try {
      const pkg = JSON.parse(text) as { scripts?: Record<string, unknown> };
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(pkg.scripts ?? {})) if (typeof v === "string") out[k] = v;
      return out;
    } catch {
      return {};
    }
  }

  private makeTargets(dir: string): { targets: Map<string, MakeTarget>; first: string | undefined } {
    const text =
      this.read(join(dir, "Makefile")) ??
      this.read(join(dir, "makefile")) ??
      this.read(join(dir, "GNUmakefile"));
    const targets = new Map<string, MakeTarget>();
    let first: string | undefined;
    if (text === undefined) return { targets, first };
    let current: MakeTarget[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (line.startsWith("\t")) {
        for (const t of current) t.recipe += `${line.slice(1)}\n`;
        continue;
      }
      const m = /^([A-Za-z0-9_./%-][A-Za-z0-9_./% -]*?)\s*::?(?!=)\s*([^=#]*)$/.exec(line);
      if (m) {
        const names = (m[1] ?? "").split(/\s+/).filter((n) => n !== "" && !n.startsWith("."));
        const prerequisites = (m[2] ?? "").split(/\s+/).filter((p) => p !== "" && p !== "|");
        current = names.map((n) => {
          const t = targets.get(n) ?? { prerequisites: [], recipe: "" };
          t.prerequisites.push(...prerequisites);
          targets.set(n, t);
          return t;
        });
        first ??= names[0];
      } else if (line.trim() !== "" && !line.startsWith("#")) {
        current = [];
      }
    }
    return { targets, first };
  }

  /** Everything `text` runs through scripts, Makefiles and shell scripts, in discovery order. */
  expandRun(text: string, dir = ".", depth = 0, seen: Set<string> = new Set()): Expansion[] {
    if (depth >= maxDepth) return [];
    const out: Expansion[] = [];
    const push = (key: string, expansion: Expansion, childDir: string) => {
      if (seen.has(key)) return;
      seen.add(key);
      out.push(expansion);
      if (expansion.kind === "run") out.push(...this.expandRun(expansion.text, childDir, depth + 1, seen));
    };

    const scripts = this.scripts(dir);
    const pkgLabel = dir === "." ? "package.json" : `${posix.join(dir, "package.json")}`;
    const names = new Set<string>();
    for (const m of text.matchAll(
      /(?<![\w.$-])(?:npm|pnpm|bun)\s+(?:-{1,2}[\w-]+\s+)*(?:run|run-script)\s+([\w:.@/-]+)/g,
    )) {
      names.add(m[1] ?? "");
    }
    for (const m of text.matchAll(
      /(?<![\w.$-])(?:npm|pnpm|yarn|bun)\s+(?:-{1,2}[\w-]+\s+)*(?:test|t)(?![\w:-])/g,
    )) {
      if (m[0]) names.add("test");
    }
    for (const m of text.matchAll(/(?<![\w.$-])(?:yarn|pnpm)\s+(?:run\s+)?([\w:.-]+)/g)) {
      if (scripts[m[1] ?? ""] !== undefined) names.add(m[1] ?? "");
    }
    for (const name of names) {
      for (const n of [`pre${name}`, name, `post${name}`]) {
        const script = scripts[n];
        if (script === undefined) continue;
        push(`script:${dir}:${n}`, { kind: "run", text: script, via: `${pkgLabel} scripts.${n}` }, dir);
      }
    }

    for (const m of text.matchAll(
      /(?<![\w.$-])make(?![\w-])((?:[ \t]+-{1,2}[\w-]+(?:=\S+)?)*)((?:[ \t]+[\w./=-]+)*)/g,
    )) {
      const { targets, first } = this.makeTargets(dir);
      const requested = (m[2] ?? "").split(/\s+/).filter((t) => t !== "" && !t.includes("="));
      const queue = requested.length > 0 ? requested : first ? [first] : [];
      for (let i = 0; i < queue.length && i < 32; i++) {
        const name = queue[i] as string;
        const target = targets.get(name);
        if (!target) continue;
        queue.push(...target.prerequisites.filter((p) => !queue.includes(p)));
        push(
          `make:${dir}:${name}`,
          { kind: "run", text: target.recipe, via: `Makefile target ${name}` },
          dir,
        );
      }
    }

    for (const m of text.matchAll(
      /(?:^|[\s;&|(])(?:(?:bash|sh|zsh)\s+(?:-\w+\s+)*)?((?:\.{1,2}\/)?[\w./-]+\.(?:sh|bash))(?![\w.-])/gm,
    )) {
      const file = normalize(join(dir, m[1] ?? ""))
        .split(sep)
        .join("/");
      const body = this.read(file);
      if (body !== undefined) push(`file:${file}`, { kind: "run", text: body, via: file }, dir);
    }
    return out;
  }

  /** The steps of a local composite action (`uses: ./path`), expanded in turn. */
  expandUses(ref: string, depth = 0, seen: Set<string> = new Set()): Expansion[] {
    if (!ref.startsWith("./") || depth >= maxDepth || seen.has(ref)) return [];
    seen.add(ref);
    const dir = ref.slice(2).replace(/\/$/, "");
    if (/\.ya?ml$/.test(dir)) return []; // a reusable workflow: its jobs are audited as a file of their own
    const file = [`${dir}/action.yml`, `${dir}/action.yaml`].find((f) => this.read(f) !== undefined);
    if (file === undefined) return [];
    const parsed = parseYaml(file, this.read(file) ?? "");
    const out: Expansion[] = [];
    for (const step of items(get(get(parsed.root, "runs"), "steps"))) {
      const run = str(get(step, "run"));
      if (run !== undefined) {
        out.push({ kind: "run", text: run, via: file });
        out.push(...this.expandRun(run, ".", depth + 1));
      }
      const uses = str(get(step, "uses"));
      if (uses !== undefined) {
        out.push({ kind: "uses", text: uses, via: file });
        out.push(...this.expandUses(uses, depth + 1, seen));
      }
    }
    return out;
  }
}
