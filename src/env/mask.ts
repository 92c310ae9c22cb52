/**
 * Masking of credentials inside text that shipgate/env prints: the password of every
 * `scheme://user:password@host` URL and the value of credential-like query parameters
 * (`?password=...`, `&token=...`). Masking is conservative: when in doubt it hides more (up to the
 * last `@` of a whitespace-free run), never less.
 */

/** The replacement shown instead of a hidden value. */
export const masked = "***";

// scheme://user:password@ — the user part has no ':', '/', '@' or whitespace; the password runs up to
// the LAST '@' before whitespace (greedy), so an unencoded '@' or '/' in a password is still hidden.
const urlPassword = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s]*@/gi;

const credentialParameter =
  /([?&;](?:password|passwd|pass|pwd|secret|token|access_token|api[_-]?key|apikey|sslpassword)=)[^&;#\s]*/gi;

/** Replaces URL passwords and credential query parameters in text with `***`. */
export function maskUrlPasswords(text: string): string {
  return text
    .replace(urlPassword, (_match, prefix: string) => `${prefix}${masked}@`)
    .replace(credentialParameter, (_match, prefix: string) => `${prefix}${masked}`);
}
