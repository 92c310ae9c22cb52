import { describe, expect, it } from "vitest";
import { createScrubber, scrubDeep, secretPartsOfUrl } from "./redact.js";

describe("createScrubber", () => {
  it("replaces every occurrence, longest first, and ignores values under 4 characters", () => {
    const scrub = createScrubber(["abc", "secret", "secret-long"]);
    expect(scrub("secret-long and secret and abc")).toBe("*** and *** and abc");
  });
});

describe("scrubDeep", () => {
  it("scrubs strings in nested objects and arrays and leaves other values", () => {
    const scrub = createScrubber(["hunter22"]);
    expect(scrubDeep({ a: "x hunter22", b: [1, null, { c: "hunter22" }], d: true }, scrub)).toEqual({
      a: "x ***",
      b: [1, null, { c: "***" }],
      d: true,
    });
  });
});

describe("secretPartsOfUrl", () => {
  it("lists the URL, its path, query, query values and long path segments", () => {
    const parts = secretPartsOfUrl(
      "https://u:p4ss@hooks.example.com/services/T0/B0/abcdefghijklmnop1234?token=qwerty1",
    );
    expect(parts).toEqual(
      expect.arrayContaining([
        "/services/T0/B0/abcdefghijklmnop1234",
        "abcdefghijklmnop1234",
        "?token=qwerty1",
        "token=qwerty1",
        "qwerty1",
        "p4ss",
      ]),
    );
    expect(parts).not.toContain("hooks.example.com");
    expect(secretPartsOfUrl("not a url")).toEqual(["not a url"]);
  });
});
