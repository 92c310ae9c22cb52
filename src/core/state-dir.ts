/**
 * `.shipgate/`, next to shipgate.yaml: this machine's state (the ledger, the secret key, stored
 * artifacts, the local agent's run files and logs, migration backups) plus the deploy hooks, which
 * are meant to be committed. Every code path that creates the folder calls `ensureStateDir`, which
 * writes (or brings up to date) `.shipgate/.gitignore` so that `git add -A` commits only the hooks.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";

export const stateDirName = ".shipgate";

/** What shipgate writes into `.shipgate/.gitignore`: ignore everything but itself and the hooks. */
export const stateGitignoreRules = `# Written by shipgate. .shipgate/ holds this machine's state, which must not be committed:
# ledger.db, secret.key, artifacts/, run/ (agent state, keys, logs), backups/. Only hooks/ is.
*
!/.gitignore
!/hooks/
!/hooks/**
`;

/** The whole content an earlier shipgate wrote: replaced rather than kept below the rules. */
const legacyGitignore = "secret.key\n";

/**
 * The `.gitignore` for `.shipgate/` given the one there now (undefined: none). Lines a person added
 * are kept after shipgate's rules, so they still win (e.g. `!/backups/` to commit backups).
 */
export function stateGitignoreText(existing: string | undefined): string {
  if (existing === undefined || existing.trim() === "" || existing === legacyGitignore)
    return stateGitignoreRules;
  if (existing.startsWith(stateGitignoreRules)) return existing;
  return `${stateGitignoreRules}\n# Kept from the earlier .gitignore:\n${existing}`;
}

/**
 * Creates `<configDir>/.shipgate/` and its `.gitignore` (or updates the `.gitignore`), returning the
 * folder. Best effort: when the folder cannot be written, the caller that needs it fails with its
 * own message.
 */
export function ensureStateDir(configDir: string): string {
  const dir = join(configDir, stateDirName);
  const file = join(dir, ".gitignore");
  try {
    mkdirSync(dir, { recursive: true });
    let existing: string | undefined;
    try {
      existing = readFileSync(file, "utf8");
    } catch {
      existing = undefined;
    }
    const text = stateGitignoreText(existing);
    if (text === existing) return dir;
    // Written whole, then renamed into place: a concurrent reader never sees half of it.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch {
    // See above: best effort.
  }
  return dir;
}

/**
 * `ensureStateDir` for the project whose `.shipgate/` holds `target` (an absolute path about to be
 * created): the folder above its last `.shipgate` segment. Nothing when `target` is not inside one
 * (e.g. a backups dir configured elsewhere).
 */
export function ensureStateDirOf(target: string): void {
  const parts = resolve(target).split(sep);
  const at = parts.lastIndexOf(stateDirName);
  if (at > 0) ensureStateDir(parts.slice(0, at).join(sep) || sep);
}
