/**
 * A generated source repository for the benchmarks that read code (env audit, check).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "./lib.js";

const tsBody = (i: number) => `import { helper${i % 50} } from "../lib/helper${i % 50}";

export interface Item${i} {
  id: string;
  total: number;
  tags: readonly string[];
}

export function compute${i}(items: readonly Item${i}[]): number {
  let sum = 0;
  for (const item of items) {
    if (item.tags.includes("skip")) continue;
    sum += helper${i % 50}(item.total) * 1.2;
  }
  return Math.round(sum * 100) / 100;
}

export class Service${i} {
  private readonly cache = new Map<string, Item${i}>();
  get(id: string): Item${i} | undefined {
    return this.cache.get(id);
  }
  put(item: Item${i}): void {
    this.cache.set(item.id, item);
  }
}
`;

const pyBody = (i: number) => `from dataclasses import dataclass


@dataclass
class Record${i}:
    id: str
    total: float

    def doubled(self) -> float:
        return self.total * 2


def summarize_${i}(records):
    return sum(r.total for r in records if r.total > 0)
`;

function envReadTs(r: () => number, i: number): string {
  const name = `VAR_${Math.floor(r() * 400)}`;
  switch (i % 4) {
    case 0:
      return `export const v${i} = process.env.${name};\n`;
    case 1:
      return `export const v${i} = process.env.${name} ?? "x";\n`;
    case 2:
      return `const { ${name} = "d" } = process.env;\nexport const v${i} = ${name};\n`;
    default:
      return `export const v${i} = import.meta.env.${name};\n`;
  }
}

function envReadPy(r: () => number, i: number): string {
  const name = `VAR_${Math.floor(r() * 400)}`;
  return i % 2 === 0
    ? `import os\n\nv${i} = os.getenv("${name}", "x")\n`
    : `import os\n\nv${i} = os.environ["${name}"]\n`;
}

export interface SourceRepoOptions {
  files: number;
  seed: number;
}

/**
 * Generates a git repository of `files` files under `dir` (TypeScript, JavaScript, Python, Markdown,
 * JSON; about one source file in six reads the environment) with a .env.example, and commits it.
 * Deterministic for a seed; skipped when `dir` already holds the same generation.
 */
export function generateSourceRepo(dir: string, options: SourceRepoOptions): void {
  const stamp = `${options.files}:${options.seed}`;
  if (existsSync(join(dir, "GENERATED")) && readFileSync(join(dir, "GENERATED"), "utf8") === stamp) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(options.seed);
  const r = () => rng.next();
  const example: string[] = [];
  for (let v = 0; v < 400; v += 2) example.push(`VAR_${v}=`);
  writeFileSync(join(dir, ".env.example"), `${example.join("\n")}\n`);
  for (let i = 0; i < options.files; i++) {
    const sub = join(dir, `pkg${i % 40}`, `mod${i % 7}`);
    mkdirSync(sub, { recursive: true });
    const kind = r();
    const readsEnv = r() < 1 / 6;
    if (kind < 0.45) writeFileSync(join(sub, `f${i}.ts`), tsBody(i) + (readsEnv ? envReadTs(r, i) : ""));
    else if (kind < 0.6)
      writeFileSync(
        join(dir, `f${i}.js`),
        `module.exports = { n: ${i} };\n${readsEnv ? `module.exports.e = process.env.VAR_${i % 400};\n` : ""}`,
      );
    else if (kind < 0.8) writeFileSync(join(sub, `f${i}.py`), pyBody(i) + (readsEnv ? envReadPy(r, i) : ""));
    else if (kind < 0.9)
      writeFileSync(join(sub, `f${i}.md`), `# Notes ${i}\n\nSet the environment before running.\n`);
    else writeFileSync(join(sub, `f${i}.json`), `${JSON.stringify({ id: i, env: "production" })}\n`);
  }
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "corpus");
  writeFileSync(join(dir, "GENERATED"), stamp);
}
