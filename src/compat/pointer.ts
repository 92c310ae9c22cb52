/** JSON pointers (RFC 6901): escaping, joining and splitting reference tokens. */

/** Escaped tokens that needed escaping (paths, media types): few distinct ones, asked for often. */
const escaped = new Map<string, string>();

export function escapeToken(token: string): string {
  if (token.indexOf("~") === -1 && token.indexOf("/") === -1) return token;
  let out = escaped.get(token);
  if (out === undefined) {
    out = token.replace(/~/g, "~0").replace(/\//g, "~1");
    if (escaped.size < 10_000) escaped.set(token, out);
  }
  return out;
}

export function unescapeToken(token: string): string {
  if (token.indexOf("~") === -1) return token;
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** "/a/b~1c" from ["a", "b/c"]; "" for no tokens (the whole document). */
export function toPointer(tokens: readonly string[]): string {
  let out = "";
  for (const t of tokens) out += `/${escapeToken(t)}`;
  return out;
}

/** The tokens of a pointer ("" or "/a/b"); a leading "#" (URI fragment form) is allowed. */
export function fromPointer(pointer: string): string[] {
  const p = pointer.startsWith("#") ? pointer.slice(1) : pointer;
  if (p === "") return [];
  if (!p.startsWith("/")) throw new Error(`not a JSON pointer: ${pointer}`);
  return p.slice(1).split("/").map(unescapeToken);
}

/** Appends tokens to a pointer. */
export function appendPointer(pointer: string, ...tokens: readonly string[]): string {
  if (tokens.length === 1) return `${pointer}/${escapeToken(tokens[0] as string)}`;
  return pointer + toPointer(tokens);
}
