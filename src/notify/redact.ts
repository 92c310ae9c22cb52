/**
 * Keeping secrets out of what notifiers send and report: a scrubber replaces every known secret
 * value with "***" in strings, and walks payload objects; secretPartsOfUrl lists the pieces of a
 * secret URL (the URL itself, its path, query and long path segments) that could leak on their own.
 */

export type Scrub = (text: string) => string;

export const redactedMark = "***";

/** Values shorter than this are not treated as secrets (they would mangle ordinary text). */
export const minSecretLength = 4;

/** A scrubber for the given secret values; the longest is replaced first. */
export function createScrubber(secrets: readonly string[]): Scrub {
  const values = [...new Set(secrets.filter((s) => s.length >= minSecretLength))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => {
    let out = text;
    for (const value of values) out = out.replaceAll(value, redactedMark);
    return out;
  };
}

/** A copy of a JSON-like value with every string scrubbed (keys included). */
export function scrubDeep<T>(value: T, scrub: Scrub): T {
  if (typeof value === "string") return scrub(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrubDeep(item, scrub)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[scrub(key)] = scrubDeep(item, scrub);
    return out as T;
  }
  return value;
}

/** The pieces of a secret URL that must not appear anywhere, the whole URL first. */
export function secretPartsOfUrl(raw: string): string[] {
  const parts = [raw];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return parts;
  }
  parts.push(url.href, `${url.origin}${url.pathname}`);
  if (url.password) parts.push(url.password, decodeURIComponent(url.password));
  if (url.username) parts.push(url.username);
  if (url.pathname.length >= 8) parts.push(url.pathname);
  if (url.search.length > 1) parts.push(url.search, url.search.slice(1));
  for (const value of url.searchParams.values()) if (value.length >= 6) parts.push(value);
  for (const segment of url.pathname.split("/")) if (segment.length >= 16) parts.push(segment);
  return parts;
}
