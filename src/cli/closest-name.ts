/**
 * "Did you mean …?" for a name the user typed that is not one of the known names (an environment,
 * say): the closest known name by edit distance, when it is close enough to be a likely typo. The
 * measure is the one commander uses for its unknown-option suggestions, so that a misspelt option and
 * a misspelt environment are answered alike.
 */

/** This many edits or more is not a typo (commander's suggestSimilar: at most 2). */
const maxDistance = 3;
/** Share of the longer name that must survive the edits, as commander's suggestSimilar. */
const minSimilarity = 0.4;

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > maxDistance) return Math.max(a.length, b.length);
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (beforePrevious[j - 2] as number) + 1);
      }
      row.push(d);
    }
    beforePrevious = previous;
    previous = row;
  }
  return previous[b.length] as number;
}

/**
 * The known name closest to `input` (case-insensitively), or undefined when none is a likely typo of
 * it. On a tie the first in `known` wins, so callers list names in their own order.
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance;
  for (const name of known) {
    if (name === input) return name;
    const distance = editDistance(input.toLowerCase(), name.toLowerCase());
    const length = Math.max(input.length, name.length);
    if ((length - distance) / length <= minSimilarity) continue;
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** "Did you mean production? " for a likely typo of a known name, else "" (a hint's first sentence). */
export function didYouMean(input: string, known: readonly string[]): string {
  const closest = closestName(input, known);
  return closest === undefined ? "" : `Did you mean ${closest}? `;
}
