import { describe, expect, it } from "vitest";
import type { Finding } from "../finding.js";
import type { Report } from "../report.js";
import { renderPretty } from "./pretty.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
const ansi = /\u001b\[/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
const anyEscape = /\u001b\[[0-9;]*[A-Za-z]/g;

const dropSql = [
  "SET lock_timeout = '2s';",
  "",
  "ALTER TABLE users",
  "  DROP COLUMN email;",
  "CREATE INDEX users_name_idx ON users (name);",
  "",
].join("\n");

const dropColumn: Finding = {
  ruleId: "ban-drop-column",
  severity: "error",
  file: "migrations/0002_drop_email.sql",
  line: 3,
  column: 1,
  message: "DROP COLUMN email on public.users deletes its data",
  help: "Stop using the column and deploy that first, then drop it.",
  docsUrl: "https://example.test/rules/ban-drop-column.md",
  class: "destructive",
  lock: "ACCESS EXCLUSIVE",
  relation: "public.users",
  rewrites: false,
};

const approvedIndex: Finding = {
  ruleId: "require-concurrent-index-creation",
  severity: "error",
  file: "migrations/0002_drop_email.sql",
  line: 5,
  column: 1,
  message: "CREATE INDEX blocks writes to users while it builds",
  help: "Use CREATE INDEX CONCURRENTLY.",
  docsUrl: "https://example.test/rules/require-concurrent-index-creation.md",
  class: "transformative",
  lock: "SHARE",
  relation: "public.users",
  rewrites: false,
  suppression: { kind: "inline", reason: "users has 40 rows" },
};

const typeChange: Finding = {
  ruleId: "changing-column-type",
  severity: "warning",
  file: "migrations/0003_type.sql",
  line: 1,
  column: 13,
  message: "ALTER COLUMN TYPE rewrites orders",
  help: "Add a new column, backfill, swap.",
  docsUrl: "https://example.test/rules/changing-column-type.md",
  class: "transformative",
  lock: "ACCESS EXCLUSIVE",
  relation: "public.orders",
  rewrites: true,
};

const general: Finding = {
  ruleId: "config-unknown-key",
  severity: "info",
  message: "unknown key migrations.foo in shipgate.yml",
};

const report: Report = {
  command: "migrations lint",
  files: [
    { path: "migrations/0001_init.sql", class: "additive" },
    { path: "migrations/0002_drop_email.sql", class: "destructive" },
    { path: "migrations/0003_type.sql", class: "transformative" },
  ],
  findings: [dropColumn, approvedIndex, typeChange, general],
  sources: new Map([["migrations/0002_drop_email.sql", dropSql]]),
};

const plain = { color: false, toolVersion: "0.0.0-test" };
const colored = { color: true, toolVersion: "0.0.0-test" };

describe("renderPretty", () => {
  it("renders the whole report (colour off)", () => {
    expect(renderPretty(report, plain)).toMatchInlineSnapshot(`
      "migrations/0002_drop_email.sql (destructive)
        migrations/0002_drop_email.sql:3:1  error    ban-drop-column  DROP COLUMN email on public.users deletes its data
            class: destructive · lock: ACCESS EXCLUSIVE on public.users

              2 |
            > 3 | ALTER TABLE users
                | ^
              4 |   DROP COLUMN email;
              5 | CREATE INDEX users_name_idx ON users (name);

            help: Stop using the column and deploy that first, then drop it.
            docs: https://example.test/rules/ban-drop-column.md

        allowed require-concurrent-index-creation at line 5: users has 40 rows

      migrations/0003_type.sql (transformative)
        migrations/0003_type.sql:1:13  warning  changing-column-type  ALTER COLUMN TYPE rewrites orders
            class: transformative · lock: ACCESS EXCLUSIVE on public.orders · rewrites table
            help: Add a new column, backfill, swap.
            docs: https://example.test/rules/changing-column-type.md

      (not about a file)
        info     config-unknown-key  unknown key migrations.foo in shipgate.yml

      ✖ migrations lint: 1 error · 1 warning · 1 info · 1 approved
        3 files checked: 1 destructive · 1 transformative · 1 additive
      "
    `);
  });

  it("writes no ANSI escape at all when colour is off", () => {
    expect(renderPretty(report, plain)).not.toMatch(ansi);
  });

  it("colours when asked, with SGR codes only (no cursor movement or other TTY tricks)", () => {
    const out = renderPretty(report, colored);
    expect(out).toMatch(ansi);
    const escapes = out.match(anyEscape) ?? [];
    expect(escapes.length).toBeGreaterThan(0);
    for (const e of escapes) expect(e).toMatch(/m$/);
    expect(out).not.toMatch(/\r/);
    // Stripped of colour, the coloured report says the same as the plain one, line for line.
    const stripped = out.replace(anyEscape, "");
    const lines = (s: string) => s.split("\n").map((l) => l.trimEnd());
    expect(lines(stripped)).toEqual(lines(renderPretty(report, plain)));
  });

  it("is deterministic", () => {
    expect(renderPretty(report, plain)).toBe(renderPretty(report, plain));
  });

  it("prints an approved finding as one line with its reason, never in full", () => {
    const out = renderPretty(report, plain);
    const lines = out.split("\n").filter((l) => l.includes(approvedIndex.ruleId));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("allowed");
    expect(lines[0]).toContain("line 5");
    expect(lines[0]).toContain("users has 40 rows");
    expect(out).not.toContain(approvedIndex.message);
    expect(out).not.toContain(approvedIndex.help as string);
  });

  it("dims the approved line when colour is on", () => {
    const out = renderPretty(report, colored);
    const line = out.split("\n").find((l) => l.includes(approvedIndex.ruleId)) ?? "";
    expect(line).toContain("\u001b[2m");
  });

  it("shows a code frame only when the source of the file is known", () => {
    const out = renderPretty(report, plain);
    expect(out).toContain("> 3 | ALTER TABLE users");
    const noSources = renderPretty({ ...report, sources: undefined }, plain);
    expect(noSources).not.toMatch(/^\s*> \d+ \|/m);
    expect(noSources).toContain(dropColumn.message);
  });

  it("skips the frame when the line is past the end of the source", () => {
    const far: Report = { ...report, findings: [{ ...dropColumn, line: 99 }] };
    const out = renderPretty(far, plain);
    expect(out).toContain("migrations/0002_drop_email.sql:99:1");
    expect(out).not.toMatch(/^\s*> \d+ \|/m);
  });

  it("shows the file's class on the file line, and omits it when unknown", () => {
    const out = renderPretty(report, plain);
    expect(out.split("\n")).toContain("migrations/0002_drop_email.sql (destructive)");
    const unknown = renderPretty({ ...report, files: [] }, plain);
    expect(unknown.split("\n")).toContain("migrations/0002_drop_email.sql");
  });

  it("leaves out the migration line for findings without migration facts", () => {
    const out = renderPretty({ command: "env check", files: [], findings: [general] }, plain);
    expect(out).not.toContain("class:");
    expect(out).not.toContain("lock:");
  });

  it("says lock none for a migration finding that takes no lock", () => {
    const f: Finding = { ...typeChange, lock: null, rewrites: false };
    const out = renderPretty({ command: "migrations lint", files: [], findings: [f] }, plain);
    expect(out).toContain("lock: none");
    expect(out).not.toContain("rewrites table");
  });

  it("prints a clean summary when there are no findings", () => {
    const out = renderPretty({ command: "migrations lint", files: report.files, findings: [] }, plain);
    expect(out).toMatchInlineSnapshot(`
      "✔ migrations lint: 0 errors · 0 warnings · 0 infos · 0 approved
        3 files checked: 1 destructive · 1 transformative · 1 additive
      "
    `);
  });

  it("ends with exactly one newline and has no trailing spaces", () => {
    const out = renderPretty(report, plain);
    expect(out.endsWith("\n")).toBe(true);
    expect(out.endsWith("\n\n")).toBe(false);
    expect(out).not.toMatch(/[ \t]$/m);
  });
});

describe("renderPretty: API compatibility findings", () => {
  const spec = "components:\n  schemas:\n    Order:\n      properties:\n        id: {type: string}\n";
  const removed = (operation: string, path: string): Finding => ({
    ruleId: "response-property-removed",
    severity: "error",
    file: "openapi.yaml",
    line: 4,
    column: 7,
    operation,
    pointer: `/paths/${path}/get/responses/200/content/application~1json/schema/properties/note`,
    message: "response 200 (application/json): `note` was removed (defined in #/components/schemas/Order)",
  });

  it("names the operation and the pointer, and frames a shared definition's line once", () => {
    const out = renderPretty(
      {
        command: "compat openapi",
        files: [{ path: "openapi.yaml" }],
        findings: [removed("GET /orders/{id}", "~1orders~1{id}"), removed("GET /orders", "~1orders")],
        sources: new Map([["openapi.yaml", spec]]),
      },
      plain,
    );
    expect(out).toContain(
      "      GET /orders/{id}  #/paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/note",
    );
    expect(out).toContain(
      "      GET /orders  #/paths/~1orders/get/responses/200/content/application~1json/schema/properties/note",
    );
    expect(out.match(/> 4 \|/g)).toHaveLength(1);
  });

  it("uses the operation as the location of a finding without a file", () => {
    const f: Finding = {
      ...removed("GET /orders", "~1orders"),
      file: undefined,
      line: undefined,
      column: undefined,
    };
    const out = renderPretty({ command: "compat openapi", files: [], findings: [f] }, plain);
    expect(out).toContain("  GET /orders  error    response-property-removed  response 200");
    expect(out).toContain("      #/paths/~1orders/get/");
    expect(out.split("\n").filter((l) => l.includes("GET /orders"))).toHaveLength(1);
  });
});
