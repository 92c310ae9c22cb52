import { describe, expect, it } from "vitest";
import { isShipgateError } from "../core/errors.js";
import type { Finding } from "../core/finding.js";
import { applyAccepted, normalizeOperation, parseAcceptFile } from "./accept.js";
import { isGraphqlRule } from "./rules.js";

const removed: Finding = {
  ruleId: "response-property-removed",
  severity: "error",
  operation: "GET /orders/{id}",
  pointer: "/paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/legacy",
  message: "response 200 (application/json): `legacy` was removed",
};

const entry = (over: Record<string, string> = {}) => {
  const e = {
    rule: "response-property-removed",
    operation: "GET /orders/{id}",
    pointer: removed.pointer as string,
    reason: "nobody reads legacy since v3",
    expires: "2026-03-31",
    ...over,
  };
  return `  - ${Object.entries(e)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join("\n    ")}\n`;
};

const openapiOnly = { owns: (rule: string) => !isGraphqlRule(rule) };

describe("parseAcceptFile", () => {
  it("reads entries with their line, normalising the operation and a leading #", () => {
    const file = parseAcceptFile(
      `accept:\n${entry({ operation: "get  /orders/{id}", pointer: `#${removed.pointer}` })}${entry()}`,
      ".shipgate-compat.yaml",
    );
    expect(file.entries.map((e) => [e.operation, e.pointer, e.line])).toEqual([
      ["GET /orders/{id}", removed.pointer, 2],
      ["GET /orders/{id}", removed.pointer, 7],
    ]);
  });

  it("rejects an entry without a reason, with a bad date or an unknown key, naming each problem", () => {
    try {
      parseAcceptFile(
        `accept:\n${entry({ reason: "ok" })}${entry({ expires: "31/12/2026" })}  - rule: x\n    pointer: /a\n    reason: because it is fine\n    expires: 2026-01-01\n    color: red\n`,
        "c.yaml",
      );
      expect.unreachable();
    } catch (error) {
      if (!isShipgateError(error)) throw error;
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.exitCode).toBe(2);
      expect(error.details.join("\n")).toMatch(/accept\.0\.reason/);
      expect(error.details.join("\n")).toMatch(/accept\.1\.expires: expected a date YYYY-MM-DD/);
      expect(error.details.join("\n")).toMatch(/accept\.2: .*color/i);
      expect(error.hint).toContain("expires");
    }
  });

  it("reports invalid YAML as CONFIG_INVALID", () => {
    expect(() => parseAcceptFile("accept: [\n", "c.yaml")).toThrow(/not valid YAML/);
  });

  it("treats an empty file as no entries", () => {
    expect(parseAcceptFile("", "c.yaml").entries).toEqual([]);
  });
});

describe("applyAccepted", () => {
  const file = parseAcceptFile(`accept:\n${entry()}`, ".shipgate-compat.yaml");

  it("approves a finding matching rule, operation and pointer, through the expiry day", () => {
    const [f] = applyAccepted([removed], file, { now: new Date("2026-03-31T23:59:00Z"), ...openapiOnly });
    expect(f?.suppression).toEqual({
      kind: "config",
      reason: "nobody reads legacy since v3 (accepted until 2026-03-31)",
    });
  });

  it("approves nothing once expired, and reports the entry as an error at its line", () => {
    const out = applyAccepted([removed], file, { now: new Date("2026-04-01T00:00:00Z"), ...openapiOnly });
    expect(out[0]?.suppression).toBeUndefined();
    expect(out[1]).toMatchObject({
      ruleId: "compat-accept-expired",
      severity: "error",
      file: ".shipgate-compat.yaml",
      line: 2,
    });
  });

  it("reports an entry that matches nothing as a warning, and leaves the other API's entries alone", () => {
    const other = { ...removed, pointer: `${removed.pointer}x` };
    const mixed = parseAcceptFile(
      `accept:\n${entry()}${entry({ rule: "graphql-field-removed", operation: "Query.user", pointer: "/User/email" })}`,
      "a.yaml",
    );
    const out = applyAccepted([other], mixed, { now: new Date("2026-01-01"), ...openapiOnly });
    expect(out.map((f) => f.ruleId)).toEqual(["response-property-removed", "compat-accept-unused"]);
    expect(out[0]?.suppression).toBeUndefined();
  });

  it("does not change the findings it was given", () => {
    applyAccepted([removed], file, { now: new Date("2026-01-01"), ...openapiOnly });
    expect(removed.suppression).toBeUndefined();
  });

  it("normalises operations", () => {
    expect(normalizeOperation(" post   /a b ")).toBe("POST /a b");
    expect(normalizeOperation("Query.user")).toBe("Query.user");
    expect(normalizeOperation(undefined)).toBeUndefined();
  });
});
