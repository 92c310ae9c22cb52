import { describe, expect, it } from "vitest";
import { chooseFormat } from "./output.js";

describe("chooseFormat", () => {
  it("takes --format, then $SHIPGATE_FORMAT, then github under GitHub Actions, else pretty", () => {
    expect(chooseFormat("json", { SHIPGATE_FORMAT: "sarif" })).toBe("json");
    expect(chooseFormat(undefined, { SHIPGATE_FORMAT: "sarif" })).toBe("sarif");
    expect(chooseFormat(undefined, { GITHUB_ACTIONS: "true" })).toBe("github");
    expect(chooseFormat(undefined, {})).toBe("pretty");
  });

  it("names where a bad value came from: the flag, or $SHIPGATE_FORMAT", () => {
    expect(() => chooseFormat("xml", {})).toThrow(
      expect.objectContaining({
        code: "USAGE",
        message: 'unknown format "xml"',
        hint: expect.stringMatching(/^Use --format /),
      }),
    );
    expect(() => chooseFormat(undefined, { SHIPGATE_FORMAT: "xml" })).toThrow(
      expect.objectContaining({
        message: 'unknown format "xml" in $SHIPGATE_FORMAT',
        hint: expect.stringMatching(/^Set SHIPGATE_FORMAT to one of pretty\|/),
      }),
    );
  });
});
