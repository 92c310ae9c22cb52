/**
 * "Did you mean …?" for a name the user typed that is not one of the known names (an environment,
 * say): the closest known name by Levenshtein distance (fastest-levenshtein), when it is close enough
 * to be a likely typo, with the similarity floor commander uses for its unknown-option suggestions.
 */
import { distance } from "fastest-levenshtein";

/** This many edits or more is not a typo. */
const maxDistance = 3;
/** Share of the longer name that must survive the edits (as commander's suggestSimilar). */
const minSimilarity = 0.4;

/**
 * The known name closest to `input` (case-insensitively), or undefined when none is a likely typo of
 * it. On a tie the first in `known` wins, so callers list names in their own order.
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance;
  for (const name of known) {
    if (name === input) return name;
    const edits = distance(input.toLowerCase(), name.toLowerCase());
    const length = Math.max(input.length, name.length);
    if ((length - edits) / length <= minSimilarity) continue;
    if (edits < bestDistance) {
      best = name;
      bestDistance = edits;
    }
  }
  return best;
}

/** "Did you mean production? " for a likely typo of a known name, else "" (a hint's first sentence). */
export function didYouMean(input: string, known: readonly string[]): string {
  const closest = closestName(input, known);
  return closest === undefined ? "" : `Did you mean ${closest}? `;
}
