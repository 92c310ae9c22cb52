import { describe, expect, it } from "vitest";
import { murmurAscii, murmurDigestAscii, murmurHash3, murmurStart } from "./murmur-hash.js";

describe("murmurHash3 as a stream", () => {
  it("gives the one-call hash for every split of the input, at every block boundary", () => {
    const text = "bench-rollout:user-1234567";
    for (const seed of [0, 86028157]) {
      for (let at = 0; at <= text.length; at++) {
        const prefix = murmurAscii(murmurStart(seed), text.slice(0, at));
        expect(prefix).not.toBeNull();
        expect(murmurDigestAscii(prefix as NonNullable<typeof prefix>, text.slice(at))).toBe(
          murmurHash3(text, seed),
        );
      }
    }
  });

  it("refuses non-ASCII text (its UTF-8 bytes are not its char codes), which murmurHash3 encodes", () => {
    expect(murmurAscii(murmurStart(), "héllo")).toBeNull();
    expect(murmurDigestAscii(murmurStart(), "wörld")).toBeNull();
    expect(murmurHash3("héllo wörld")).toBe(2549609076);
  });
});
