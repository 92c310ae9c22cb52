import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import type * as Sarif from "sarif";
import { beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../finding.js";
import type { Report } from "../report.js";
import { renderSarif, toSarifUri } from "./sarif.js";

const schemaPath = new URL("../../../test/fixtures/sarif-schema-2.1.0.json", import.meta.url);

let validate: (doc: unknown) => { valid: boolean; errors: string };

beforeAll(() => {
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext the default import is module.exports, whose .default is
  // the plugin (at run time module.exports is the plugin itself, with .default pointing to itself).
  ajvFormats.default(ajv);
  const check = ajv.compile(schema);
  validate = (doc) => ({ valid: check(doc) === true, errors: ajv.errorsText(check.errors) });
});

const options = { color: false, toolVersion: "1.2.3" };

const dropColumn: Finding = {
  ruleId: "ban-drop-column",
  severity: "error",
  file: "migrations/0002_drop.sql",
  line: 3,
  column: 5,
  endLine: 4,
  endColumn: 20,
  message: "DROP COLUMN email on public.users deletes its data",
  help: "Stop using the column first.",
  docsUrl: "https://example.test/rules/ban-drop-column.md",
  class: "destructive",
  lock: "ACCESS EXCLUSIVE",
  relation: "public.users",
  rewrites: false,
};

const secondDrop: Finding = { ...dropColumn, line: 9, column: 1, endLine: undefined, endColumn: undefined };

const inlineApproved: Finding = {
  ruleId: "require-concurrent-index-creation",
  severity: "warning",
  file: "migrations/0002_drop.sql",
  line: 5,
  column: 1,
  message: "CREATE INDEX blocks writes",
  docsUrl: "https://example.test/rules/require-concurrent-index-creation.md",
  class: "transformative",
  lock: "SHARE",
  rewrites: false,
  suppression: { kind: "inline", reason: "tiny table" },
};

const configApproved: Finding = {
  ruleId: "changing-column-type",
  severity: "info",
  file: "db\\migrations\\my file #1.sql",
  line: 1,
  message: "type change rewrites orders",
  class: "transformative",
  lock: null,
  rewrites: true,
  suppression: { kind: "config", reason: "approved in review" },
};

const noLine: Finding = { ruleId: "file-level", severity: "warning", file: "./schema.prisma", message: "m" };
const zeroLine: Finding = { ...noLine, ruleId: "zero-line", line: 0, column: 0 };
const general: Finding = { ruleId: "config-unknown-key", severity: "info", message: "unknown key foo" };

const report: Report = {
  command: "migrations lint",
  files: [{ path: "migrations/0002_drop.sql", class: "destructive" }],
  findings: [dropColumn, inlineApproved, secondDrop, configApproved, noLine, zeroLine, general],
};

function render(r: Report = report, descriptions?: Record<string, string>): Sarif.Log {
  return JSON.parse(
    renderSarif(descriptions ? { ...r, ruleDescriptions: descriptions } : r, options),
  ) as Sarif.Log;
}

function run(log: Sarif.Log): Sarif.Run {
  const r = log.runs[0];
  if (!r) throw new Error("no run");
  return r;
}

function results(log: Sarif.Log): Sarif.Result[] {
  return run(log).results ?? [];
}

describe("renderSarif: schema", () => {
  it("is valid SARIF 2.1.0", () => {
    const result = validate(render());
    expect(result.errors).toBe("No errors");
    expect(result.valid).toBe(true);
  });

  it("is valid with no findings", () => {
    expect(validate(render({ command: "x", files: [], findings: [] })).valid).toBe(true);
  });

  it("the validator rejects broken documents", () => {
    const good = render();
    const broken: unknown[] = [
      { ...good, version: "2.0.0" },
      { ...good, runs: [{ ...run(good), tool: { driver: {} } }] },
      { ...good, runs: [{ ...run(good), results: [{ ...results(good)[0], level: "fatal" }] }] },
      { ...good, runs: [{ ...run(good), results: [{ ...results(good)[0], message: {} }] }] },
      { ...good, unexpected: true },
      // Formats are checked too: an unencoded space is not a URI reference.
      {
        ...good,
        runs: [
          {
            ...run(good),
            results: [
              {
                ...results(good)[0],
                locations: [{ physicalLocation: { artifactLocation: { uri: "a b.sql" } } }],
              },
            ],
          },
        ],
      },
      {
        ...good,
        runs: [
          {
            ...run(good),
            results: [
              {
                ...results(good)[0],
                locations: [
                  { physicalLocation: { artifactLocation: { uri: "a" }, region: { startLine: 0 } } },
                ],
              },
            ],
          },
        ],
      },
    ];
    for (const doc of broken) expect(validate(doc).valid).toBe(false);
  });
});

describe("renderSarif: content", () => {
  it("has one run with the shipgate driver", () => {
    const log = render();
    expect(log.version).toBe("2.1.0");
    expect(typeof log.$schema).toBe("string");
    expect(log.runs).toHaveLength(1);
    const driver = run(log).tool.driver;
    expect(driver.name).toBe("shipgate");
    expect(driver.version).toBe("1.2.3");
    expect(driver.informationUri).toMatch(/^https:\/\//);
  });

  it("has one rule per rule id that occurs, and results point at it by index", () => {
    const log = render();
    const rules = run(log).tool.driver.rules ?? [];
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(report.findings.map((f) => f.ruleId)));
    for (const r of results(log)) expect(rules[r.ruleIndex as number]?.id).toBe(r.ruleId);
    const drop = rules.find((r) => r.id === "ban-drop-column");
    expect(drop?.helpUri).toBe(dropColumn.docsUrl);
    expect(drop?.help?.text).toContain(dropColumn.help);
    expect(drop?.shortDescription?.text).toBe(dropColumn.message);
  });

  it("takes shortDescription from ruleDescriptions when given", () => {
    const rules = run(render(report, { "ban-drop-column": "Dropping a column loses data." })).tool.driver
      .rules;
    expect(rules?.find((r) => r.id === "ban-drop-column")?.shortDescription?.text).toBe(
      "Dropping a column loses data.",
    );
  });

  it("maps severities to levels", () => {
    const byRule = new Map(results(render()).map((r) => [r.ruleId, r.level]));
    expect(byRule.get("ban-drop-column")).toBe("error");
    expect(byRule.get("require-concurrent-index-creation")).toBe("warning");
    expect(byRule.get("changing-column-type")).toBe("note");
  });

  it("includes the help in the message", () => {
    const r = results(render()).find((x) => x.ruleId === "ban-drop-column");
    expect(r?.message.text).toContain(dropColumn.message);
    expect(r?.message.text).toContain(dropColumn.help);
  });

  it("locates results by relative forward-slash URI under %SRCROOT% with a 1-based region", () => {
    const [first] = results(render());
    const physical = first?.locations?.[0]?.physicalLocation;
    expect(physical?.artifactLocation).toEqual({ uri: "migrations/0002_drop.sql", uriBaseId: "%SRCROOT%" });
    expect(physical?.region).toEqual({ startLine: 3, startColumn: 5, endLine: 4, endColumn: 20 });
  });

  it("encodes paths as URI references", () => {
    expect(toSarifUri("db\\migrations\\my file #1.sql")).toBe("db/migrations/my%20file%20%231.sql");
    expect(toSarifUri("./a/b.sql")).toBe("a/b.sql");
    const r = results(render()).find((x) => x.ruleId === "changing-column-type");
    expect(r?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe(
      "db/migrations/my%20file%20%231.sql",
    );
  });

  it("leaves out the region, or the column, when not at least 1", () => {
    const byRule = new Map(results(render()).map((r) => [r.ruleId, r.locations?.[0]?.physicalLocation]));
    expect(byRule.get("file-level")?.region).toBeUndefined();
    expect(byRule.get("file-level")?.artifactLocation?.uri).toBe("schema.prisma");
    expect(byRule.get("zero-line")?.region).toBeUndefined();
    expect(byRule.get("changing-column-type")?.region).toEqual({ startLine: 1 });
  });

  it("carries class, lock and rewrites in properties", () => {
    const byRule = new Map(results(render()).map((r) => [r.ruleId, r.properties]));
    expect(byRule.get("ban-drop-column")).toMatchObject({
      class: "destructive",
      lock: "ACCESS EXCLUSIVE",
      rewrites: false,
    });
    expect(byRule.get("changing-column-type")).toMatchObject({ lock: null, rewrites: true });
    expect(byRule.get("file-level")).toBeUndefined();
  });

  it("marks approved findings with suppressions of the right kind and their reason", () => {
    const byRule = new Map(results(render()).map((r) => [r.ruleId, r.suppressions]));
    expect(byRule.get("require-concurrent-index-creation")).toEqual([
      expect.objectContaining({ kind: "inSource", justification: "tiny table" }),
    ]);
    expect(byRule.get("changing-column-type")).toEqual([
      expect.objectContaining({ kind: "external", justification: "approved in review" }),
    ]);
    expect(byRule.get("ban-drop-column")).toBeUndefined();
  });

  it("never emits a result without a location (GitHub rejects the whole upload)", () => {
    const log = render();
    for (const r of results(log)) expect(r.locations?.length ?? 0).toBeGreaterThan(0);
    const notes = run(log).invocations?.[0]?.toolExecutionNotifications ?? [];
    expect(notes).toHaveLength(1);
    expect(notes[0]?.associatedRule?.id).toBe("config-unknown-key");
    expect(notes[0]?.message.text).toContain("unknown key foo");
    const rules = run(log).tool.driver.rules ?? [];
    expect(rules[notes[0]?.associatedRule?.index as number]?.id).toBe("config-unknown-key");
  });

  it("is 2-space indented JSON ending with a newline", () => {
    const out = renderSarif(report, options);
    expect(out).toMatch(/^\{\n {2}"/);
    expect(out.endsWith("}\n")).toBe(true);
  });
});

describe("renderSarif: API compatibility findings", () => {
  const api: Finding = {
    ruleId: "response-property-removed",
    severity: "error",
    file: "api/schemas.yaml",
    line: 4,
    column: 7,
    operation: "GET /orders/{id}",
    pointer: "/paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/legacy",
    message: "response 200 (application/json): `legacy` was removed",
  };
  const noFile: Finding = {
    ...api,
    file: undefined,
    line: undefined,
    column: undefined,
    operation: "GET /orders",
  };
  const log = () => render({ command: "compat openapi", files: [], findings: [api, noFile] });

  it("stays valid SARIF", () => {
    const result = validate(log());
    expect(result.errors).toBe("No errors");
  });

  it("gives the operation as a logical location, and operation and pointer as properties", () => {
    const [r] = results(log());
    expect(r?.locations?.[0]?.logicalLocations).toEqual([
      { fullyQualifiedName: "GET /orders/{id}", kind: "function" },
    ]);
    expect(r?.properties).toEqual({ operation: api.operation, pointer: api.pointer });
    expect(r?.message.text).toMatch(/^GET \/orders\/\{id\}: response 200/);
    const notes = run(log()).invocations?.[0]?.toolExecutionNotifications ?? [];
    expect(notes[0]?.properties).toMatchObject({ operation: "GET /orders", pointer: api.pointer });
  });
});
