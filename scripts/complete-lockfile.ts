/**
 * Adds lockfile entries for platform-specific optional packages the registry mirror used to
 * install did not serve (e.g. @biomejs/cli-darwin-arm64). Without them `npm ci` refuses the lockfile
 * ("Missing: ... from lock file") on every machine. Each added entry carries the package's os/cpu/libc,
 * so npm installs it only on its platform. Run after `npm install` changes package-lock.json:
 * `npx tsx scripts/complete-lockfile.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface LockEntry {
  version?: string;
  dev?: boolean;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

const path = join(import.meta.dirname, "../package-lock.json");
const lock = JSON.parse(readFileSync(path, "utf8")) as { packages: Record<string, LockEntry> };

function platformOf(name: string): { os: string[]; cpu: string[]; libc?: string[] } | undefined {
  const m = /(android|darwin|freebsd|linux|win32)-(arm64|x64|ia32|arm)(-musl|-gnu)?$/.exec(name);
  if (!m) return undefined;
  const [, os = "", cpu = "", libc] = m;
  return { os: [os], cpu: [cpu], ...(os === "linux" ? { libc: [libc === "-musl" ? "musl" : "glibc"] } : {}) };
}

const added: string[] = [];
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const platform = platformOf(name);
    if (lock.packages[key] || !platform) continue;
    lock.packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added.push(`${name}@${version}`);
  }
}
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([
  root as [string, LockEntry],
  ...rest.sort(([a], [b]) => a.localeCompare(b)),
]);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  added.length > 0 ? `added ${added.join(", ")}` : "package-lock.json already lists every platform package",
);
