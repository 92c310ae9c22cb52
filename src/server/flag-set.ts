/**
 * The flag set of one environment, as `GET /api/flags` and the stream serve it: every flag that is
 * not archived, with its state in the environment (a flag without one is off: disabled, rollout 0),
 * and the ledger's flag revision. The revision is read before the flags: a set may be newer than
 * its revision but never older, and a change made in between arrives again under the next one.
 */
import type { FlagConfig, FlagDefinition, FlagEnvironmentState, FlagSet } from "../flags/types.js";
import type { LedgerStore } from "../ledger/types.js";

/** One flag as SDKs evaluate it; `state` null means the flag was never set up in the environment. */
export function flagConfigOf(definition: FlagDefinition, state: FlagEnvironmentState | null): FlagConfig {
  return {
    key: definition.key,
    type: definition.type,
    archived: definition.archivedAt !== null,
    enabled: state?.enabled ?? false,
    killed: state?.killed ?? false,
    rollout: state?.rollout ?? 0,
    rules: state?.rules ?? [],
    variants: state?.variants ?? [],
    stickiness: state?.stickiness ?? "userId",
  };
}

/** Builds an environment's set; `revision` when the caller already read it (read it first). */
export async function buildFlagSet(
  ledger: LedgerStore,
  environment: string,
  revision?: number,
): Promise<FlagSet> {
  const rev = revision ?? (await ledger.flagRevision());
  const [definitions, states] = await Promise.all([
    ledger.listFlags({ includeArchived: false }),
    ledger.listFlagStates(environment),
  ]);
  const byKey = new Map(states.map((s) => [s.flagKey, s]));
  const flags = definitions
    .filter((d) => d.archivedAt === null)
    .map((d) => flagConfigOf(d, byKey.get(d.key) ?? null))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { environment, revision: rev, flags };
}

/** The ETag of a revision: `"r<revision>"`. */
export function flagSetEtag(revision: number): string {
  return `"r${revision}"`;
}

/** Whether an If-None-Match header matches the ETag (lists, weak validators and `*` included). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === "*" || t === etag);
}
