import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { isShipgateError, type ShipgateError } from "../../core/errors.js";
import { loadOpenApi } from "./load.js";

const dir = mkdtempSync(join(tmpdir(), "shipgate-compat-load-"));
function write(file: string, text: string): string {
  const path = join(dir, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const op = (ref: string) =>
  `openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /a:\n    get:\n      responses:\n        "200":\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: "${ref}"}\n`;

async function failure(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    if (isShipgateError(error)) return error;
    throw error;
  }
  throw new Error("expected a ShipgateError");
}

describe("loadOpenApi", () => {
  it("loads Swagger 2.0, OpenAPI 3.0 and 3.1", async () => {
    const v2 = write(
      "v2.json",
      JSON.stringify({ swagger: "2.0", info: { title: "t", version: "1" }, paths: {} }),
    );
    const v31 = write("v31.yaml", 'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths: {}\n');
    expect((await loadOpenApi({ file: v2 })).version).toBe("2.0");
    expect((await loadOpenApi({ file: v31 })).version).toBe("3.1");
    expect(
      (
        await loadOpenApi({
          file: write(
            "v30.yaml",
            op("#/components/schemas/X").replace(
              "paths:",
              "components: {schemas: {X: {type: string}}}\npaths:",
            ),
          ),
        })
      ).version,
    ).toBe("3.0");
  });

  it("reads every file a $ref reaches, and only those, through the read callback", async () => {
    const root = write("multi/openapi.yaml", op("./parts/s.yaml#/S"));
    write("multi/parts/s.yaml", "S:\n  type: object\n");
    const read: string[] = [];
    const spec = await loadOpenApi({
      file: root,
      read: async (p) => {
        read.push(p);
        const { readFile } = await import("node:fs/promises");
        return readFile(p);
      },
    });
    expect([...spec.docs.keys()]).toEqual([root, join(dir, "multi/parts/s.yaml")]);
    expect(read).toContain(join(dir, "multi/parts/s.yaml"));
  });

  it("a missing root is FILE_NOT_FOUND", async () => {
    const e = await failure(loadOpenApi({ file: join(dir, "nope.yaml"), label: "nope.yaml" }));
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.message).toBe("nope.yaml does not exist");
    expect(e.exitCode).toBe(2);
  });

  it("a $ref to a missing file is FILE_NOT_FOUND naming the file", async () => {
    const e = await failure(
      loadOpenApi({ file: write("ext.yaml", op("./missing.yaml#/S")), label: "ext.yaml" }),
    );
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.message).toContain(join(dir, "missing.yaml"));
    expect(e.hint).toMatch(/\$ref/);
  });

  it("a dangling $ref is USAGE with where it is", async () => {
    const e = await failure(
      loadOpenApi({ file: write("dangling.yaml", op("#/components/schemas/Nope")), label: "d.yaml" }),
    );
    expect(e.code).toBe("USAGE");
    expect(e.details).toEqual([
      'dangling.yaml#/paths/~1a/get/responses/200/content/application~1json/schema: $ref "#/components/schemas/Nope" cannot be resolved',
    ]);
  });

  it("an http $ref is refused with a hint (no network during a deploy gate)", async () => {
    const e = await failure(loadOpenApi({ file: write("http.yaml", op("https://example.com/s.yaml#/S")) }));
    expect(e.exitCode).toBe(2);
    expect(e.hint).toMatch(/local files/);
  });

  it("an empty root (or one with only comments) says it is empty, not that it is an invalid JSON Schema", async () => {
    for (const text of ["", "\n  \n", "# the spec goes here\n"]) {
      const e = await failure(loadOpenApi({ file: write("empty.yaml", text), label: "empty.yaml" }));
      expect(e).toMatchObject({ code: "USAGE", message: "empty.yaml is empty" });
      expect(e.hint).toMatch(/Write the OpenAPI .* document into the file, or fix the path/);
    }
  });

  it("a $ref to an empty file names that file", async () => {
    write("blank-part.yaml", "");
    const e = await failure(
      loadOpenApi({ file: write("to-blank.yaml", op("./blank-part.yaml#/S")), label: "to-blank.yaml" }),
    );
    expect(e.code).toBe("USAGE");
    expect(e.message).toMatch(/^to-blank\.yaml: a \$ref points to .*blank-part\.yaml, which is empty$/);
  });

  it("unparsable text and a document that is not a spec are USAGE errors with a hint", async () => {
    const syntax = await failure(loadOpenApi({ file: write("syntax.yaml", "openapi: 3.0.3\npaths: [\n") }));
    expect(syntax.message).toMatch(/cannot be parsed as YAML or JSON/);
    expect(syntax.details.join("\n")).toMatch(/line|\d+:\d+/i);
    const notSpec = await failure(loadOpenApi({ file: write("hello.yaml", "hello: world\n") }));
    expect(notSpec.message).toMatch(/not an OpenAPI 3.0\/3.1 or Swagger 2.0 document/);
    const v4 = await failure(
      loadOpenApi({ file: write("v4.yaml", 'openapi: 4.0.0\ninfo: {title: t, version: "1"}\npaths: {}\n') }),
    );
    expect(v4.message).toMatch(/Unsupported OpenAPI version/);
    for (const e of [syntax, notSpec, v4]) expect(e.hint).toBeTruthy();
  });
});
