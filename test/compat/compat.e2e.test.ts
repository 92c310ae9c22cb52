/**
 * End-to-end: `shipgate compat openapi | graphql` as a real process (dist/cli/main.js, built by
 * `npm run build`), on a git repository made in a temporary directory: the committed spec is the base
 * for --since, the working tree's the head.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runShipgate as shipgate, writeFile as write } from "../support/cli.js";

function git(dir: string, ...args: string[]): void {
  execFileSync("git", args, { cwd: dir, stdio: "ignore" });
}

const specV1 = `openapi: 3.0.3
info: {title: shop, version: "1"}
paths:
  /orders/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "./schemas.yaml#/Order"}
  /orders:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: "./schemas.yaml#/Order"}
`;

const schemasV1 = `Order:
  type: object
  required: [id]
  properties:
    id: {type: string}
    total: {type: number}
    legacy: {type: string}
`;

const graphqlV1 = `type Query {
  order(id: ID!): Order
}

type Order {
  id: ID!
  total: Float
}
`;

interface JsonOutput {
  findings: {
    ruleId: string;
    severity: string;
    operation?: string;
    pointer?: string;
    message: string;
    file?: string;
    line?: number;
    suppression?: { kind: string; reason: string };
  }[];
}

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-compat-"));
  write(dir, "api/openapi.yaml", specV1);
  write(dir, "api/schemas.yaml", schemasV1);
  write(dir, "schema.graphql", graphqlV1);
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-qm", "v1");
  // The working tree: `legacy` removed from the shared Order (in the second file), Order.total removed
  // from the GraphQL schema.
  write(dir, "api/schemas.yaml", schemasV1.replace("    legacy: {type: string}\n", ""));
  write(dir, "schema.graphql", graphqlV1.replace("  total: Float\n", ""));
  return dir;
}

describe("shipgate compat (built CLI)", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeRepo();
  });

  it("--since: compares the spec with itself at the ref, across files, and fails the gate", async () => {
    const r = await shipgate(
      ["compat", "openapi", "api/openapi.yaml", "--since", "HEAD", "--format", "json"],
      dir,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as JsonOutput;
    const removed = out.findings.filter((f) => f.ruleId === "response-property-removed");
    expect(removed.map((f) => [f.operation, f.pointer])).toEqual([
      [
        "GET /orders/{id}",
        "/paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/legacy",
      ],
      [
        "GET /orders",
        "/paths/~1orders/get/responses/200/content/application~1json/schema/items/properties/legacy",
      ],
    ]);
    // Placed in the file where the definition lives, on the line of its properties.
    expect(removed[0]).toMatchObject({ severity: "error", file: "api/schemas.yaml", line: 4 });
    expect(removed[0]?.message).toContain("`legacy` was removed");
  });

  it("--since without a file checks the specs listed in compat.openapi", async () => {
    const configured = mkdtempSync(join(tmpdir(), "shipgate-compat-config-"));
    write(configured, "shipgate.yaml", "compat:\n  openapi: [api/openapi.yaml]\n");
    write(configured, "api/openapi.yaml", specV1);
    write(configured, "api/schemas.yaml", schemasV1);
    git(configured, "init", "-q");
    git(configured, "add", "-A");
    git(
      configured,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@t",
      "-c",
      "commit.gpgsign=false",
      "commit",
      "-qm",
      "v1",
    );
    write(
      configured,
      "api/schemas.yaml",
      schemasV1.replace("    total: {type: number}\n", "    total: {type: integer}\n"),
    );
    const r = await shipgate(["compat", "openapi", "--since", "HEAD", "--format", "json"], configured);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as JsonOutput;
    // number → integer narrows what the server returns: safe for readers, so nothing to report.
    expect(out.findings).toEqual([]);
    write(
      configured,
      "api/schemas.yaml",
      schemasV1.replace("    total: {type: number}\n", "    total: {type: string}\n"),
    );
    const widened = JSON.parse(
      (await shipgate(["compat", "openapi", "--since", "HEAD", "--format", "json"], configured)).stdout,
    ) as JsonOutput;
    expect(widened.findings.map((f) => [f.ruleId, f.operation])).toEqual([
      ["response-type-widened", "GET /orders/{id}"],
      ["response-type-widened", "GET /orders"],
    ]);
  });

  it("passes when the only break is accepted in .shipgate-compat.yaml", async () => {
    const accepted = mkdtempSync(join(tmpdir(), "shipgate-compat-accept-"));
    write(accepted, "base/openapi.yaml", specV1);
    write(accepted, "base/schemas.yaml", schemasV1);
    write(accepted, "head/openapi.yaml", specV1);
    write(accepted, "head/schemas.yaml", schemasV1.replace("    legacy: {type: string}\n", ""));
    const entry = (operation: string, pointer: string) =>
      `  - rule: response-property-removed\n    operation: ${operation}\n    pointer: ${pointer}\n    reason: nobody reads legacy since v3\n    expires: 2099-01-01\n`;
    write(
      accepted,
      ".shipgate-compat.yaml",
      `accept:\n${entry("GET /orders/{id}", "/paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/legacy")}${entry("GET /orders", "/paths/~1orders/get/responses/200/content/application~1json/schema/items/properties/legacy")}`,
    );
    const r = await shipgate(
      ["compat", "openapi", "base/openapi.yaml", "head/openapi.yaml", "--format", "json"],
      accepted,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as JsonOutput;
    expect(out.findings).toHaveLength(2);
    for (const f of out.findings) expect(f.suppression?.kind).toBe("config");
  });

  it("pretty output names the operation and the pointer, and frames the line once", async () => {
    const r = await shipgate(["compat", "openapi", "api/openapi.yaml", "--since", "HEAD"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("GET /orders/{id}  #/paths/~1orders~1{id}/get/responses/200/");
    expect(r.stdout).toContain("GET /orders  #/paths/~1orders/get/responses/200/");
    expect(r.stdout.match(/> 4 \|/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/compat openapi: 2 errors/);
  });

  it("github format annotates the line in the file that changed", async () => {
    const r = await shipgate(
      ["compat", "openapi", "api/openapi.yaml", "--since", "HEAD", "--format", "github"],
      dir,
    );
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^::error file=api\/schemas.yaml,line=4,col=\d+,title=response-property-removed::/,
    );
    expect(lines[0]).toContain("GET /orders/{id}");
  });

  it("a spec that is new at the ref has nothing to break", async () => {
    write(dir, "api/new.yaml", specV1.replace("./schemas.yaml", "./schemas.yaml"));
    const r = await shipgate(
      ["compat", "openapi", "api/new.yaml", "--since", "HEAD", "--format", "json"],
      dir,
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as JsonOutput;
    expect(new Set(out.findings.map((f) => f.ruleId))).toEqual(new Set(["operation-added"]));
  });

  it("graphql --since maps graphql-inspector's changes to findings", async () => {
    const r = await shipgate(
      ["compat", "graphql", "schema.graphql", "--since", "HEAD", "--format", "json"],
      dir,
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as JsonOutput;
    expect(out.findings).toEqual([
      expect.objectContaining({
        ruleId: "graphql-field-removed",
        severity: "error",
        pointer: "/Order/total",
        file: "schema.graphql",
        line: 5,
      }),
    ]);
    expect(out.findings[0]?.message).toContain("reachable from Query.order");
  });

  it("exits 2 with a hint for a missing file, an unparsable spec, a dangling $ref and an unknown ref", async () => {
    write(dir, "broken/syntax.yaml", "openapi: 3.0.3\npaths: [\n");
    write(
      dir,
      "broken/dangling.yaml",
      `openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths:\n  /a:\n    get:\n      responses:\n        "200":\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: "#/components/schemas/Nope"}\n`,
    );
    write(dir, "broken/notspec.yaml", "hello: world\n");
    const cases: [string[], RegExp][] = [
      [["compat", "openapi", "nope.yaml", "api/openapi.yaml"], /nope.yaml does not exist/],
      [["compat", "openapi", "broken/syntax.yaml", "api/openapi.yaml"], /cannot be parsed as YAML or JSON/],
      [["compat", "openapi", "broken/dangling.yaml", "api/openapi.yaml"], /\$ref cannot be resolved/],
      [
        ["compat", "openapi", "broken/notspec.yaml", "api/openapi.yaml"],
        /not an OpenAPI 3.0\/3.1 or Swagger 2.0 document/,
      ],
      [["compat", "openapi", "api/openapi.yaml", "--since", "no-such-ref"], /unknown git ref "no-such-ref"/],
      [["compat", "openapi", "api/openapi.yaml"], /takes two files/],
    ];
    const runs = await Promise.all(cases.map(([args]) => shipgate(args, dir)));
    for (const [i, [args, message]] of cases.entries()) {
      const r = runs[i] as CliRun;
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("hint:");
      expect(r.stderr).not.toContain("this is a bug");
    }
    const dangling = await shipgate(["compat", "openapi", "broken/dangling.yaml", "api/openapi.yaml"], dir);
    expect(dangling.stderr).toContain(
      '#/paths/~1a/get/responses/200/content/application~1json/schema: $ref "#/components/schemas/Nope"',
    );
  });

  it("--help lists the examples", async () => {
    const r = await shipgate(["compat", "openapi", "--help"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("shipgate compat openapi openapi.yaml --since origin/main");
    expect(r.stdout).toContain("--accept <file>");
  });
});
