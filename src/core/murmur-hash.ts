/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes: a fast, well-distributed, deterministic hash.
 * Canary assignment hashes a sticky key with it, so the same key lands on the same point every time,
 * in every process and across restarts; flag evaluation buckets users with it (the same hash Unleash
 * uses). One implementation, usable in one call (`murmurHash3`) or as a stream (`murmurAscii` … then
 * `murmurDigestAscii`), so a caller can hash "<prefix><value>" from a cached prefix state without building
 * the string.
 */

/** The hash mid-stream: the hash of the complete 4-byte blocks, the pending bytes, their count, the length so far. */
export interface MurmurState {
  readonly h: number;
  readonly k: number;
  readonly n: number;
  readonly length: number;
}

const c1 = 0xcc9e2d51;
const c2 = 0x1b873593;

function scramble(k: number): number {
  const m = Math.imul(k, c1);
  return Math.imul((m << 15) | (m >>> 17), c2);
}

/** Mixes one complete 4-byte block into the hash. */
function mixBlock(h: number, k: number): number {
  const x = h ^ scramble(k);
  return (Math.imul((x << 13) | (x >>> 19), 5) + 0xe6546b64) | 0;
}

/** The state of an empty input. */
export function murmurStart(seed = 0): MurmurState {
  return { h: seed >>> 0, k: 0, n: 0, length: 0 };
}

// Where feedAscii leaves the state it reached: module variables instead of a new object, so the hot
// paths (flag bucketing, canary assignment) allocate nothing. Synchronous use only, never re-entered.
let reachedH = 0;
let reachedK = 0;
let reachedN = 0;

/** Feeds ASCII text into (h, k, n), leaving the result in reached*; false when `text` is not ASCII. */
function feedAscii(h: number, k: number, n: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return false;
    k |= c << (n << 3);
    if (++n === 4) {
      h = mixBlock(h, k);
      k = 0;
      n = 0;
    }
  }
  reachedH = h;
  reachedK = k;
  reachedN = n;
  return true;
}

/** MurmurHash3's finalizer ("fmix32"): avalanches every input bit into every output bit. */
export function fmix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function finish(h: number, k: number, n: number, length: number): number {
  return fmix32((n > 0 ? h ^ scramble(k) : h) ^ length);
}

/** The state after also feeding `text`; null when `text` is not ASCII (its bytes are not its char codes). */
export function murmurAscii(state: MurmurState, text: string): MurmurState | null {
  if (!feedAscii(state.h, state.k, state.n, text)) return null;
  return { h: reachedH, k: reachedK, n: reachedN, length: state.length + text.length };
}

/** The hash of what `state` covers followed by `text`, without a new state; null when `text` is not ASCII. */
export function murmurDigestAscii(state: MurmurState, text: string): number | null {
  if (!feedAscii(state.h, state.k, state.n, text)) return null;
  return finish(reachedH, reachedK, reachedN, state.length + text.length);
}

/** MurmurHash3_x86_32 of `text` (UTF-8) with `seed`; an unsigned 32-bit integer. */
export function murmurHash3(text: string, seed = 0): number {
  // ASCII keys (the usual case: ids, random cookie values) are hashed without encoding them.
  if (feedAscii(seed >>> 0, 0, 0, text)) return finish(reachedH, reachedK, reachedN, text.length);
  const bytes = new TextEncoder().encode(text);
  let h = seed >>> 0;
  let k = 0;
  let n = 0;
  for (const byte of bytes) {
    k |= byte << (n << 3);
    if (++n === 4) {
      h = mixBlock(h, k);
      k = 0;
      n = 0;
    }
  }
  return finish(h, k, n, bytes.length);
}
