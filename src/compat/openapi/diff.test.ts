import { describe, expect, it } from "vitest";
import { diffOpenApi, parseSunset } from "./diff.js";
import type { LoadedSpec } from "./load.js";

/** A spec in memory: the engine does not care where documents come from. */
function spec(doc: Record<string, unknown>, root = "/virtual/openapi.json"): LoadedSpec {
  return { root, label: "openapi.json", version: "3.0", docs: new Map([[root, doc]]) };
}

const now = new Date("2026-01-15T12:00:00Z");

describe("parseSunset", () => {
  it("reads days, date-times and HTTP dates; anything else is invalid", () => {
    expect(parseSunset("2025-06-30")).toEqual(new Date("2025-06-30T00:00:00Z"));
    expect(parseSunset("2025-06-30T12:00:00Z")).toEqual(new Date("2025-06-30T12:00:00Z"));
    expect(parseSunset("Tue, 30 Jun 2025 00:00:00 GMT")).toEqual(new Date("2025-06-30T00:00:00Z"));
    expect(parseSunset("soon")).toBe("invalid");
    expect(parseSunset(20250630)).toBe("invalid");
    expect(parseSunset(undefined)).toBeUndefined();
  });
});

/** `resources` operations that all return Root, which reaches Leaf through a chain `depth` long. */
function deepSpec(resources: number, depth: number, leafProps: string[]): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) {
    schemas[`S${i}`] = {
      type: "object",
      properties: {
        next: { $ref: i + 1 < depth ? `#/components/schemas/S${i + 1}` : "#/components/schemas/Leaf" },
        self: { $ref: `#/components/schemas/S${i}` },
        back: { $ref: "#/components/schemas/S0" },
      },
    };
  }
  schemas.Leaf = {
    type: "object",
    properties: Object.fromEntries(leafProps.map((p) => [p, { type: "string" }])),
  };
  const paths: Record<string, unknown> = {};
  for (let r = 0; r < resources; r++) {
    paths[`/r${r}`] = {
      get: {
        responses: {
          "200": {
            description: "ok",
            content: { "application/json": { schema: { $ref: "#/components/schemas/S0" } } },
          },
        },
      },
    };
  }
  return { openapi: "3.0.3", info: { title: "t", version: "1" }, paths, components: { schemas } };
}

describe("diffOpenApi", () => {
  it("reports a change deep in components once at every operation, at its shortest path, through cycles", () => {
    const base = spec(deepSpec(50, 30, ["a", "b"]));
    const head = spec(deepSpec(50, 30, ["a"]));
    const found = diffOpenApi(base, head, { now }).map((l) => l.finding);
    expect(found).toHaveLength(50);
    const shortest = `${"/properties/next".repeat(30)}/properties/b`;
    for (const [r, f] of found.entries()) {
      expect(f.ruleId).toBe("response-property-removed");
      expect(f.operation).toBe(`GET /r${r}`);
      expect(f.pointer).toBe(`/paths/~1r${r}/get/responses/200/content/application~1json/schema${shortest}`);
      expect(f.message).toContain("(defined in #/components/schemas/Leaf)");
    }
  });

  it("stays fast when every schema refers to itself and to the root (no path explosion)", () => {
    const base = spec(deepSpec(300, 200, ["a", "b"]));
    const head = spec(deepSpec(300, 200, ["a"]));
    const started = performance.now();
    expect(diffOpenApi(base, head, { now })).toHaveLength(300);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("uses the head's path, and the base's pointer for what was removed", () => {
    const doc = (path: string) => ({
      openapi: "3.0.3",
      info: { title: "t", version: "1" },
      paths: {
        [path]: {
          get: {
            parameters: [
              {
                name: path.includes("orderId") ? "orderId" : "id",
                in: "path",
                required: true,
                schema: { type: "string" },
              },
              ...(path.includes("orderId") ? [] : [{ name: "q", in: "query", schema: { type: "string" } }]),
            ],
            responses: { "200": { description: "ok" } },
          },
        },
      },
    });
    const found = diffOpenApi(spec(doc("/o/{id}")), spec(doc("/o/{orderId}")), { now }).map((l) => [
      l.finding.ruleId,
      l.finding.operation,
      l.finding.pointer,
    ]);
    expect(found).toEqual([
      ["path-parameter-renamed", "GET /o/{orderId}", "/paths/~1o~1{orderId}/get/parameters/0"],
      ["request-parameter-removed", "GET /o/{orderId}", "/paths/~1o~1{id}/get/parameters/1"],
    ]);
  });
});
