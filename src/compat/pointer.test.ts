import { describe, expect, it } from "vitest";
import { appendPointer, escapeToken, fromPointer, toPointer, unescapeToken } from "./pointer.js";

describe("JSON pointers (RFC 6901)", () => {
  it("escapes ~ before /, and round-trips", () => {
    expect(escapeToken("a/b~c")).toBe("a~1b~0c");
    expect(unescapeToken("a~1b~0c")).toBe("a/b~c");
    expect(unescapeToken("~01")).toBe("~1");
    for (const t of ["", "plain", "/orders/{id}", "~1", "application/json", "~~//"]) {
      expect(unescapeToken(escapeToken(t))).toBe(t);
    }
  });

  it("builds and splits pointers, accepting the URI fragment form", () => {
    expect(toPointer(["paths", "/orders/{id}", "get"])).toBe("/paths/~1orders~1{id}/get");
    expect(fromPointer("#/paths/~1orders~1{id}/get")).toEqual(["paths", "/orders/{id}", "get"]);
    expect(fromPointer("")).toEqual([]);
    expect(fromPointer("#")).toEqual([]);
    expect(() => fromPointer("paths")).toThrow(/not a JSON pointer/);
    expect(appendPointer("/paths", "/a")).toBe("/paths/~1a");
    expect(appendPointer("", "x", "y/z")).toBe("/x/y~1z");
  });
});
