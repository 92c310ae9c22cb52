/** Small predicates shared by several rules. */
import type { FileState } from "./rule.js";

/**
 * Whether other sessions may be using a relation a statement names: FileState.existedBeforeFile,
 * except that `IF EXISTS` on a relation the schema model never knew is taken at its word.
 */
export function mayBeInUse(relation: string, file: FileState, missingOk = false): boolean {
  if (!file.existedBeforeFile(relation)) return false;
  return !(missingOk && !file.knownBeforeFile(relation));
}
