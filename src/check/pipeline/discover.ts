/**
 * Where the CI definition is: `.github/workflows/*.yml|yaml`, `.gitlab-ci.yml` and `Jenkinsfile`,
 * in the working directory, else in the nearest parent up to the repository root (the directory
 * holding `.git`). Outside a repository only the working directory is searched, so a directory that
 * merely sits inside someone's home directory never picks up unrelated CI files.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export interface CiLocation {
  /** The directory the CI files are in (absolute). */
  root: string;
  /** Workflow files, absolute, sorted by name. */
  github: string[];
  gitlab: string | undefined;
  jenkins: string | undefined;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function inspect(dir: string): CiLocation | undefined {
  let github: string[] = [];
  const workflows = join(dir, ".github", "workflows");
  try {
    github = readdirSync(workflows)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort()
      .map((n) => join(workflows, n))
      .filter(isFile);
  } catch {
    github = [];
  }
  const gitlab = [".gitlab-ci.yml", ".gitlab-ci.yaml"].map((n) => join(dir, n)).find(isFile);
  const jenkins = join(dir, "Jenkinsfile");
  const location = { root: dir, github, gitlab, jenkins: isFile(jenkins) ? jenkins : undefined };
  return github.length > 0 || gitlab || location.jenkins ? location : undefined;
}

/** The CI files for `cwd`, or undefined when there are none. */
export function findCiFiles(cwd: string): CiLocation | undefined {
  const start = resolve(cwd);
  const here = inspect(start);
  if (here) return here;
  // Only walk up when cwd is inside a repository: find its root first.
  let root: string | undefined;
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) {
      root = dir;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  if (root === undefined) return undefined;
  for (let dir = dirname(start); ; dir = dirname(dir)) {
    if (!dir.startsWith(root)) return undefined;
    const found = inspect(dir);
    if (found) return found;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}
