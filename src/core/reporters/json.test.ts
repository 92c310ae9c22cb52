import { describe, expect, it } from "vitest";
import type { Finding } from "../finding.js";
import type { Report } from "../report.js";
import { renderJson, summarizeFindings } from "./json.js";

const migration: Finding = {
  ruleId: "ban-drop-column",
  severity: "error",
  file: "migrations/0002.sql",
  line: 3,
  column: 1,
  message: "DROP COLUMN email",
  help: "Stop using it first.",
  docsUrl: "https://example.test/ban-drop-column.md",
  class: "destructive",
  lock: "ACCESS EXCLUSIVE",
  relation: "public.users",
  rewrites: false,
};
const noLock: Finding = {
  ...migration,
  ruleId: "adding-table",
  severity: "info",
  class: "additive",
  lock: null,
};
const warning: Finding = { ruleId: "env-missing", severity: "warning", message: "FOO is not set" };
const approved: Finding = {
  ...migration,
  line: 9,
  suppression: { kind: "config", reason: "done in two steps" },
};

const report: Report = {
  command: "migrations lint",
  files: [{ path: "migrations/0002.sql", class: "destructive" }, { path: "README.md" }],
  findings: [migration, noLock, warning, approved],
  sources: new Map([["migrations/0002.sql", "ALTER TABLE users DROP COLUMN email;"]]),
};

describe("renderJson", () => {
  it("has files, findings exactly as given, and a summary", () => {
    const parsed = JSON.parse(renderJson(report)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["files", "findings", "summary"]);
    expect(parsed.files).toEqual([
      { path: "migrations/0002.sql", class: "destructive" },
      { path: "README.md" },
    ]);
    expect(parsed.findings).toEqual(report.findings);
    expect(parsed.summary).toEqual({ errors: 1, warnings: 1, infos: 1, suppressed: 1 });
  });

  it("keeps each migration finding's class and lock, null lock included", () => {
    const parsed = JSON.parse(renderJson(report)) as { findings: Finding[] };
    expect(parsed.findings[0]).toMatchObject({ class: "destructive", lock: "ACCESS EXCLUSIVE" });
    expect(parsed.findings[1]).toHaveProperty("lock", null);
    expect(parsed.findings[3]?.suppression).toEqual({ kind: "config", reason: "done in two steps" });
  });

  it("leaves the sources out", () => {
    expect(renderJson(report)).not.toContain("ALTER TABLE users DROP COLUMN email;");
  });

  it("is 2-space indented and newline-terminated", () => {
    const out = renderJson(report);
    expect(out).toBe(`${JSON.stringify(JSON.parse(out), null, 2)}\n`);
  });

  it("counts approved findings only as suppressed", () => {
    expect(
      summarizeFindings([approved, { ...warning, suppression: { kind: "inline", reason: "r" } }]),
    ).toEqual({
      errors: 0,
      warnings: 0,
      infos: 0,
      suppressed: 2,
    });
  });
});
