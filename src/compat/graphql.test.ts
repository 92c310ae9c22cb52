import { describe, expect, it } from "vitest";
import { isShipgateError } from "../core/errors.js";
import { diffGraphql, graphqlRuleId, loadGraphqlSchema, locateCoordinate } from "./graphql.js";

function error(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (isShipgateError(e)) return e;
    throw e;
  }
  throw new Error("expected a ShipgateError");
}

describe("loadGraphqlSchema", () => {
  it("reads SDL, tolerating directives it does not define (federation's @key)", () => {
    const s = loadGraphqlSchema(
      'type Query { me: User }\ntype User @key(fields: "id") { id: ID! }\n',
      "s.graphql",
    );
    expect(s.kind).toBe("sdl");
    expect(s.schema.getType("User")).toBeDefined();
  });

  it("reports a syntax error with its line as a usage error", () => {
    const e = error(() => loadGraphqlSchema("type Query {\n  me: \n}\n", "bad.graphql"));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/bad.graphql is not a valid GraphQL schema \(line 3, column 1\)/);
    expect(e.hint).toBeTruthy();
  });

  it("an empty file (or one with only comments) says it is empty", () => {
    for (const text of ["", "  \n", "# schema to come\n"]) {
      const e = error(() => loadGraphqlSchema(text, "empty.graphql"));
      expect(e).toMatchObject({ code: "USAGE", message: "empty.graphql is empty" });
      expect(e.hint).toMatch(/Write the schema into the file .* or fix the path/);
    }
  });

  it("reports JSON that is not an introspection result", () => {
    expect(error(() => loadGraphqlSchema('{"data": {}}', "x.json")).message).toMatch(/no __schema/);
    expect(error(() => loadGraphqlSchema("{ nope", "x.json")).message).toMatch(
      /neither GraphQL SDL nor valid JSON/,
    );
  });
});

describe("diffGraphql", () => {
  it("maps criticality to severity and coordinates to pointer and operation", async () => {
    const base = loadGraphqlSchema(
      "type Query { a: String, b(x: Int): Int }\nenum E { X }\ntype T { e: E }\n",
      "b",
    );
    const head = loadGraphqlSchema(
      "type Query { b(x: Int, y: Int!): Int, c: T }\nenum E { X Y }\ntype T { e: E }\n",
      "h",
    );
    const found = (await diffGraphql(base, head)).map(({ finding: f }) => [
      f.ruleId,
      f.severity,
      f.operation,
      f.pointer,
    ]);
    expect(found).toEqual(
      expect.arrayContaining([
        ["graphql-field-removed", "error", "Query.a", "/Query/a"],
        ["graphql-field-argument-added", "error", "Query.b", "/Query/b/y"],
        ["graphql-field-added", "info", "Query.c", "/Query/c"],
        ["graphql-enum-value-added", "warning", undefined, "/E/Y"],
      ]),
    );
  });

  it("turns change types into rule ids", () => {
    expect(graphqlRuleId("FIELD_ARGUMENT_TYPE_CHANGED")).toBe("graphql-field-argument-type-changed");
  });

  it("locates coordinates in SDL, falling back to the parent", () => {
    const s = loadGraphqlSchema(
      "type Query {\n  user(id: ID!): User\n}\n\ntype User {\n  id: ID!\n}\nenum Role {\n  ADMIN\n}\n",
      "s",
    ).schema;
    expect(locateCoordinate(s, "Query.user")).toEqual({ line: 2, column: 3 });
    expect(locateCoordinate(s, "Query.user.id")).toEqual({ line: 2, column: 8 });
    expect(locateCoordinate(s, "User.gone")).toEqual({ line: 5, column: 1 });
    expect(locateCoordinate(s, "Role.ADMIN")).toEqual({ line: 9, column: 3 });
    expect(locateCoordinate(s, "Nope")).toBeUndefined();
  });
});
