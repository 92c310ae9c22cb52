import { describe, expect, it } from "vitest";
import type { Finding } from "../finding.js";
import type { Report } from "../report.js";
import { escapeCell, renderMarkdown } from "./markdown.js";

const drop: Finding = {
  ruleId: "ban-drop-column",
  severity: "error",
  file: "migrations/0002.sql",
  line: 3,
  column: 1,
  message: "DROP COLUMN a|b\nsecond line",
  help: "Stop using it first.",
  docsUrl: "https://example.test/rules/ban-drop-column.md",
  class: "destructive",
  lock: "ACCESS EXCLUSIVE",
  relation: "public.users",
  rewrites: false,
};
const warn: Finding = {
  ruleId: "changing-column-type",
  severity: "warning",
  file: "migrations/0003.sql",
  line: 1,
  message: "type change rewrites orders",
  help: "Add a column and backfill.",
  class: "transformative",
  lock: "ACCESS EXCLUSIVE",
  relation: "public.orders",
  rewrites: true,
};
const approved: Finding = {
  ruleId: "require-concurrent-index-creation",
  severity: "error",
  file: "migrations/0002.sql",
  line: 5,
  message: "CREATE INDEX blocks writes",
  help: "Use CONCURRENTLY.",
  suppression: { kind: "config", reason: "table is | tiny\nreally" },
};

const report: Report = {
  command: "migrations lint",
  files: [
    { path: "migrations/0002.sql", class: "destructive" },
    { path: "migrations/0003.sql", class: "transformative" },
  ],
  findings: [drop, warn, approved],
};

/** The rows of the table under the heading that contains `file`. */
function tableAfter(md: string, heading: string): string[] {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => l.startsWith("### ") && l.includes(heading));
  expect(start).toBeGreaterThan(-1);
  const rows: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith("|")) rows.push(l);
    else if (rows.length > 0) break;
  }
  return rows;
}

/** Cells of a table row, split on unescaped pipes. */
function cells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe("escapeCell", () => {
  it("escapes pipes and newlines so a cell cannot end early or break the row", () => {
    expect(escapeCell("a|b\nc\r\nd")).toBe("a\\|b<br>c<br>d");
  });

  it("escapes HTML", () => {
    expect(escapeCell("<script>&")).toBe("&lt;script&gt;&amp;");
  });
});

describe("renderMarkdown", () => {
  it("opens with a failing verdict and counts when there are unapproved errors", () => {
    const heading = renderMarkdown(report)
      .split("\n")
      .find((l) => l.startsWith("## "));
    expect(heading).toContain("❌");
    expect(heading).toMatch(/1 error\b/);
    expect(heading).toMatch(/1 warning\b/);
    expect(heading).toMatch(/1 approved\b/);
  });

  it("passes when every error is approved", () => {
    const md = renderMarkdown({ ...report, findings: [warn, approved] });
    const heading = md.split("\n").find((l) => l.startsWith("## "));
    expect(heading).toContain("✅");
    expect(heading).not.toContain("❌");
  });

  it("has one table per file with line, severity, linked rule, message, class and lock", () => {
    const md = renderMarkdown(report);
    const rows = tableAfter(md, "migrations/0002.sql");
    expect(rows).toHaveLength(3); // header, separator, one unapproved finding
    expect(cells(rows[0] as string)).toHaveLength(6);
    const row = cells(rows[2] as string);
    expect(row).toHaveLength(6);
    expect(row[0]).toBe("3");
    expect(row[1]).toContain("error");
    expect(row[2]).toBe("[ban-drop-column](https://example.test/rules/ban-drop-column.md)");
    expect(row[3]).toBe("DROP COLUMN a\\|b<br>second line");
    expect(row[4]).toBe("destructive");
    expect(row[5]).toContain("ACCESS EXCLUSIVE on public.users");
    const other = cells(tableAfter(md, "migrations/0003.sql")[2] as string);
    expect(other[2]).toBe("changing-column-type"); // no docs URL, no link
    expect(other[5]).toContain("rewrites");
  });

  it("puts the help texts in a collapsible details section", () => {
    const md = renderMarkdown(report);
    const details = md.slice(md.indexOf("<details>"), md.indexOf("</details>"));
    expect(details).toContain("<summary>");
    expect(details).toContain("Stop using it first.");
    expect(details).toContain("Add a column and backfill.");
    expect(details).not.toContain("Use CONCURRENTLY."); // approved: no fix needed
  });

  it("lists approved findings separately with their reasons, escaped", () => {
    const md = renderMarkdown(report);
    const rows = tableAfter(md, "Approved");
    expect(rows).toHaveLength(3);
    const row = cells(rows[2] as string);
    expect(row[0]).toBe("`migrations/0002.sql`");
    expect(row[1]).toBe("5");
    expect(row[2]).toBe("require-concurrent-index-creation"); // no docs URL, no link
    expect(row).toContain("table is \\| tiny<br>really");
    // Approved findings are not in the file tables.
    for (const r of tableAfter(md, "migrations/0002.sql")) expect(r).not.toContain("CREATE INDEX");
  });

  it("has no approved section and no file tables for a clean report", () => {
    const md = renderMarkdown({ ...report, findings: [] });
    expect(md.split("\n").find((l) => l.startsWith("## "))).toContain("✅");
    expect(md).not.toContain("###");
    expect(md).not.toContain("<details>");
  });

  it("puts findings without a file in their own table", () => {
    const md = renderMarkdown({
      command: "env check",
      files: [],
      findings: [{ ruleId: "env-missing", severity: "warning", message: "FOO unset" }],
    });
    const rows = tableAfter(md, "General");
    expect(cells(rows[2] as string)[3]).toBe("FOO unset");
  });

  it("leaves out the Class and Lock columns when no finding is about a migration", () => {
    const md = renderMarkdown({
      command: "pipeline audit",
      files: [],
      findings: [{ ruleId: "pipeline-tests", severity: "error", message: "no CI job runs the tests" }],
    });
    const rows = tableAfter(md, "General");
    expect(rows[0]).toBe("| Line | Severity | Rule | Message |");
    expect(rows[2]).toBe("|  | 🔴 error | pipeline-tests | no CI job runs the tests |");
  });

  it("ends with a single newline", () => {
    const md = renderMarkdown(report);
    expect(md.endsWith("\n")).toBe(true);
    expect(md.endsWith("\n\n")).toBe(false);
  });
});

describe("renderMarkdown: API compatibility findings", () => {
  it("has an operation column and the pointer under the message", () => {
    const md = renderMarkdown({
      command: "compat openapi",
      files: [{ path: "openapi.yaml" }],
      findings: [
        {
          ruleId: "response-property-removed",
          severity: "error",
          file: "openapi.yaml",
          line: 9,
          operation: "GET /orders/{id}",
          pointer: "/paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/a|b",
          message: "`a|b` was removed",
        },
      ],
    });
    const rows = tableAfter(md, "openapi.yaml");
    expect(rows[0]).toBe("| Line | Severity | Rule | Operation | Message |");
    expect(rows[2]).toBe(
      "| 9 | 🔴 error | response-property-removed | GET /orders/{id} | `a\\|b` was removed<br><code>#/paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/a\\|b</code> |",
    );
  });
});

describe("markdown help snippets", () => {
  it("keeps a multi-line help verbatim in a fenced block", () => {
    const text = renderMarkdown({
      command: "pipeline audit",
      files: [],
      findings: [
        {
          ruleId: "pipeline-missing-tests",
          severity: "error",
          message: "no job runs the tests",
          help: "jobs:\n  test:\n    steps:\n      - run: npm test # `quoted`",
        },
      ],
    });
    expect(text).toContain(
      "- **pipeline-missing-tests**\n\n  ```\n  jobs:\n    test:\n      steps:\n        - run: npm test # `quoted`\n  ```\n",
    );
  });
});
