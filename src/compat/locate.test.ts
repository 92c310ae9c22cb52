import { describe, expect, it } from "vitest";
import { createLocator } from "./locate.js";

const yaml = `openapi: 3.0.3
paths:
  /orders/{id}:
    get:
      parameters:
        - name: id
          in: path
        - {name: limit, in: query}
components:
  schemas:
    Order:
      properties:
        note: {type: string}
`;

describe("createLocator: YAML", () => {
  const locate = createLocator(yaml, []);

  it("finds keys (escaped tokens included) and array items", () => {
    expect(locate("/paths/~1orders~1{id}/get")).toEqual({ line: 4, column: 5 });
    expect(locate("/paths/~1orders~1{id}/get/parameters/0")).toEqual({ line: 6, column: 11 });
    expect(locate("/paths/~1orders~1{id}/get/parameters/1/in")).toEqual({ line: 8, column: 25 });
    expect(locate("/components/schemas/Order/properties/note")).toEqual({ line: 13, column: 9 });
  });

  it("gives the deepest existing ancestor of a pointer that does not exist", () => {
    expect(locate("/components/schemas/Order/properties/gone")).toEqual({ line: 12, column: 7 });
    expect(locate("/nothing/here")).toEqual({ line: 1, column: 1 });
  });
});

describe("createLocator: JSON", () => {
  const json = `${JSON.stringify(
    {
      openapi: "3.1.0",
      paths: { "/a~b": { get: { tags: ["x", "y"] } } },
      components: { schemas: { S: { properties: { 'we"ird': { type: "string" } } } } },
    },
    null,
    2,
  )}\n`;
  const pointers = [
    "/paths/~1a~0b/get/tags/1",
    '/components/schemas/S/properties/we"ird/type',
    "/components/schemas/S/properties/missing",
  ];
  const locate = createLocator(json, pointers);

  it("finds keys, escaped keys and array items in one scan", () => {
    expect(locate("/paths/~1a~0b/get/tags/1")).toEqual({ line: 8, column: 11 });
    expect(locate('/components/schemas/S/properties/we"ird/type')).toEqual({ line: 18, column: 13 });
  });

  it("falls back to the deepest existing ancestor", () => {
    expect(locate("/components/schemas/S/properties/missing")).toEqual({ line: 16, column: 9 });
  });

  it("answers for minified JSON too", () => {
    const min = JSON.stringify({ a: { b: [1, { c: 2 }] } });
    expect(createLocator(min, ["/a/b/1/c"])("/a/b/1/c")).toEqual({ line: 1, column: 15 });
  });
});
