/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes: a fast, well-distributed, deterministic hash.
 * Canary assignment hashes a sticky key with it, so the same key lands on the same point every time,
 * in every process and across restarts.
 */

const c1 = 0xcc9e2d51;
const c2 = 0x1b873593;

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function byteAt(text: string, bytes: Uint8Array | null, i: number): number {
  return bytes === null ? text.charCodeAt(i) : (bytes[i] as number);
}

/** MurmurHash3_x86_32 of `text` (UTF-8) with `seed`; an unsigned 32-bit integer. */
export function murmurHash3(text: string, seed = 0): number {
  // ASCII keys (the usual case: ids, random cookie values) are hashed without encoding them.
  const bytes = isAscii(text) ? null : new TextEncoder().encode(text);
  const length = bytes === null ? text.length : bytes.length;
  const blocks = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      byteAt(text, bytes, i) |
      (byteAt(text, bytes, i + 1) << 8) |
      (byteAt(text, bytes, i + 2) << 16) |
      (byteAt(text, bytes, i + 3) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= byteAt(text, bytes, blocks + 2) << 16;
    if (tail >= 2) k ^= byteAt(text, bytes, blocks + 1) << 8;
    k ^= byteAt(text, bytes, blocks);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
