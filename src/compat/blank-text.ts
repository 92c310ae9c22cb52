/**
 * Whether a spec or schema file holds nothing to read: only whitespace and `#` comments (YAML and
 * GraphQL SDL both comment with `#`). The loaders say "is empty" for such a file instead of the
 * parser's error about a document it never got.
 */
export function isBlankText(text: string): boolean {
  return text.split("\n").every((line) => {
    const trimmed = line.trim();
    return trimmed === "" || trimmed.startsWith("#");
  });
}
