/**
 * The gate's promise about destructive statements: each one is classed destructive, fails the gate
 * (an unapproved error finding) and passes once approved with a reason.
 */
import { describe, expect, it } from "vitest";
import { failingFindings } from "../src/core/finding.js";
import { lintSql } from "../src/migrations/lint-sql.js";

const schema = `
CREATE SCHEMA legacy;
CREATE TABLE legacy.archive (id bigint);
CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy_name text);
CREATE TABLE sessions (id bigint PRIMARY KEY, user_id bigint);
CREATE VIEW active_users AS SELECT id, email FROM users;
CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) AS n FROM users;
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE SEQUENCE invoice_numbers;
`;

const destructive = [
  "ALTER TABLE users DROP COLUMN legacy_name;",
  "DROP TABLE sessions;",
  "DROP VIEW active_users;",
  "DROP MATERIALIZED VIEW user_counts;",
  "DROP SCHEMA legacy CASCADE;",
  "DROP TYPE mood;",
  "DROP SEQUENCE invoice_numbers;",
  "TRUNCATE sessions;",
  "DELETE FROM sessions WHERE user_id = 1;",
  "DROP DATABASE shop;",
];

describe("destructive statements", () => {
  for (const sql of destructive) {
    it(`${sql} is destructive, fails the gate, and passes when approved with a reason`, async () => {
      const options = { schema, ruleSettings: { "require-lock-timeout": "off" as const } };
      const result = await lintSql(sql, options);
      expect(result.class).toBe("destructive");
      const failing = failingFindings(result.findings);
      expect(failing.length).toBeGreaterThan(0);
      const ids = [...new Set(failing.map((f) => f.ruleId))].join(", ");
      const approved = await lintSql(
        `-- shipgate:allow ${ids} reason: backed up, unused since v41\n${sql}`,
        options,
      );
      expect(failingFindings(approved.findings)).toEqual([]);
      expect(
        approved.findings.filter((f) => f.suppression?.reason === "backed up, unused since v41").length,
      ).toBe(failing.length);
    });
  }

  it("a bare approval is itself an error and approves nothing", async () => {
    const result = await lintSql("-- shipgate:allow\nDROP TABLE sessions;", { schema });
    expect(failingFindings(result.findings).map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(["invalid-ignore", "ban-drop-table"]),
    );
  });
});
