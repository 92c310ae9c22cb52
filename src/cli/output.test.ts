import { describe, expect, it } from "vitest";
import { chooseDataFormat, chooseFormat } from "./output.js";

describe("chooseFormat", () => {
  it("takes --format, then $SHIPGATE_FORMAT, then github under GitHub Actions, else pretty", () => {
    expect(chooseFormat("json", { SHIPGATE_FORMAT: "sarif" })).toBe("json");
    expect(chooseFormat(undefined, { SHIPGATE_FORMAT: "sarif" })).toBe("sarif");
    expect(chooseFormat(undefined, { GITHUB_ACTIONS: "true" })).toBe("github");
    expect(chooseFormat(undefined, {})).toBe("pretty");
    // An empty SHIPGATE_FORMAT (a CI system's unset variable) is no setting.
    expect(chooseFormat(undefined, { SHIPGATE_FORMAT: "" })).toBe("pretty");
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

describe("chooseDataFormat", () => {
  it("takes --format, then $SHIPGATE_FORMAT when pretty or json, else pretty (also under GitHub Actions)", () => {
    expect(chooseDataFormat("pretty", { SHIPGATE_FORMAT: "json" })).toBe("pretty");
    expect(chooseDataFormat(undefined, { SHIPGATE_FORMAT: "json" })).toBe("json");
    expect(chooseDataFormat(undefined, { SHIPGATE_FORMAT: "" })).toBe("pretty");
    expect(chooseDataFormat(undefined, { GITHUB_ACTIONS: "true" })).toBe("pretty");
  });

  it("reads a findings format in $SHIPGATE_FORMAT as pretty, and refuses an unknown one", () => {
    for (const findings of ["sarif", "github", "markdown"]) {
      expect(chooseDataFormat(undefined, { SHIPGATE_FORMAT: findings })).toBe("pretty");
    }
    expect(() => chooseDataFormat(undefined, { SHIPGATE_FORMAT: "xml" })).toThrow(
      expect.objectContaining({ code: "USAGE", message: 'unknown format "xml" in $SHIPGATE_FORMAT' }),
    );
  });
});
